/**
 * Writes docs/xml.md from the Plivo XML element specs.
 * Usage: node --import tsx scripts/gen-xml-docs.ts
 */
import { writeFileSync } from 'node:fs';

import { renderXmlDocs } from '../src/protocol/plivo-xml/docs.js';

const target = new URL('../docs/xml.md', import.meta.url);
writeFileSync(target, renderXmlDocs());
console.log(`wrote ${target.pathname}`);
