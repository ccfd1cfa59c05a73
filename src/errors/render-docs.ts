/** Renders docs/errors.md from the error catalogue (pure; the script writes it, a test checks it). */
import { errorCatalog, httpStatusFor } from './catalog.js';

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    'Generated from `src/errors/catalog.ts` by `npm run gen:docs`; a test fails when this file is stale.',
    '',
    'Every error streamfork reports carries one of these codes. The category decides whether a retry may help',
    '(`rate_limit`, `connectivity`, `timeout` and `server` are retryable); the HTTP, SIP and WebSocket columns',
    'give the status used at each boundary.',
    '',
    '| code | category | HTTP | SIP | WS close | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const codes = [...errorCatalog.keys()].sort();
  for (const code of codes) {
    const e = errorCatalog.get(code);
    if (e === undefined) {
      continue;
    }
    const message = e.message.replaceAll('|', '\\|');
    lines.push(
      `| \`${code}\` | ${e.category} | ${httpStatusFor(code)} | ${e.sipStatus ?? ''} | ${e.wsCloseCode ?? ''} | ${message} |`,
    );
  }
  return lines.join('\n') + '\n';
}
