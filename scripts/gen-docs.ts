/**
 * `npm run gen:docs`: regenerates every generated reference page (errors, hangup causes, config, XML, OpenAPI).
 * Each has a test that fails when the committed file is stale.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

import { renderHangupCausesDoc } from '../src/engine/records/hangup-causes.js';
import { renderErrorsDoc } from '../src/errors/render-docs.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
console.log('wrote docs/errors.md');
writeFileSync(new URL('../docs/hangup-causes.md', import.meta.url), renderHangupCausesDoc());
console.log('wrote docs/hangup-causes.md');
for (const script of ['gen-config-docs.ts', 'gen-xml-docs.ts', 'gen-openapi.ts']) {
  const path = new URL(script, import.meta.url).pathname;
  if (!existsSync(path)) {
    continue;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', path], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.exit(r.status ?? 1);
  }
}
