/**
 * The engine never imports a stream dialect (issue 10 item 1): the ESLint rule in eslint.config.mjs,
 * checked on stand-in contents for an engine file. Only the neutral types module may be imported.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../', import.meta.url));
const engineFile = `${root}src/engine/fork/stream-fork.ts`;

async function restrictedImports(code: string): Promise<number[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: engineFile });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
}

test('lint: src/engine/ may import the dialect types, not a dialect or the registry of dialects', async () => {
  const lines = await restrictedImports(
    [
      "import type { StreamDialect } from '../../protocol/stream-dialect.types.js';",
      "import { plivoDialect } from '../../protocol/stream-ws/plivo-dialect.js';",
      "import { BUILT_IN_STREAM_DIALECTS } from '../../protocol/stream-dialects.js';",
      "import { PlivoDialect } from '../../protocol/stream-ws/plivo-dialect';",
      'export const all: unknown = [plivoDialect, BUILT_IN_STREAM_DIALECTS, PlivoDialect];',
      'export type Dialect = StreamDialect;',
      '',
    ].join('\n'),
  );
  assert.deepEqual(lines, [2, 3, 4]);
});
