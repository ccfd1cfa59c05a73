/**
 * Writes docs/openapi.json: the REST API's OpenAPI 3.1 document, generated from the route schemas
 * (the same document the server serves at GET /v1/openapi.json). A test fails when it is stale.
 * Run by `npm run gen:docs`, or alone: `node --import tsx scripts/gen-openapi.ts`.
 */
import { writeFileSync } from 'node:fs';

import { renderOpenApi } from '../src/api/server.js';

writeFileSync(new URL('../docs/openapi.json', import.meta.url), await renderOpenApi());
console.log('wrote docs/openapi.json');
