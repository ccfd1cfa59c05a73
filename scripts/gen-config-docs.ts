// Writes docs/config.md and .env.example from src/config/schema.ts.
// Usage: node --import tsx scripts/gen-config-docs.ts
// src/config/docs.test.ts fails when the committed files differ from what this writes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { renderConfigMarkdown, renderEnvExample } from '../src/config/docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}docs/config.md`, renderConfigMarkdown());
writeFileSync(`${root}.env.example`, renderEnvExample());
console.log('wrote docs/config.md and .env.example');
