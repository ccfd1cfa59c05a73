/**
 * The REST API imports nothing from the engine, the use cases or the adapters (issue 10 item 4): the
 * ESLint rule in eslint.config.mjs, checked on stand-in contents for an API route file. Types come from
 * src/ports/ (the CallStore, the CallCommands port).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../', import.meta.url));
const apiFile = `${root}src/api/routes/streams.ts`;

async function restrictedImports(code: string): Promise<number[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: apiFile });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
}

test('lint: src/api/ may import ports, protocol and errors, not the engine, app, adapters or composition root', async () => {
  const lines = await restrictedImports(
    [
      "import type { CallCommands } from '../../ports/call-commands.js';",
      "import { isLiveCallStatus } from '../../ports/call-store.js';",
      "import { parseDestinationList } from '../../protocol/destination.js';",
      "import type { CallSession } from '../../engine/call/call-session.js';",
      "import type { EngineCallCommands } from '../../app/call-commands.js';",
      "import { MemoryCallStore } from '../../adapters/memory-store/memory-call-store.js';",
      "import { composeRuntime } from '../../compose.js';",
      'export const all: unknown = [isLiveCallStatus, parseDestinationList, MemoryCallStore, composeRuntime];',
      'export type Both = [CallCommands, CallSession, EngineCallCommands];',
      '',
    ].join('\n'),
  );
  assert.deepEqual(lines, [4, 5, 6, 7]);
});
