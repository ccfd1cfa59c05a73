/**
 * `tuning.callbackAttempts` reaches the status-callback delivery (it used to be documented and ignored):
 * a runtime composed with 2 attempts tries a failing endpoint exactly twice, on a real loopback server.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import { composeRuntime } from '../../src/compose.js';
import { defaultStreamSettings } from '../../src/engine/fork/stream-defaults.js';
import { nullLogger } from '../../src/ports/logger.js';

test('callbackAttempts: 2 attempts at a 503 endpoint, then the callback is given up', async () => {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const runtime = composeRuntime({
    stream: defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token'),
    logger: nullLogger,
    callbackAttempts: 2,
  });
  try {
    runtime.engine.callbacks.send('hangup:c1', {
      url: `http://127.0.0.1:${port}/hangup`,
      method: 'POST',
      params: [['Event', 'Hangup']],
    });
    await runtime.engine.callbacks.idle();
    assert.equal(hits, 2);
    assert.equal(runtime.engine.callbacks.stats.failed, 1);
  } finally {
    await runtime.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
