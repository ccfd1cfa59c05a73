import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { CallCommands, CommandResult } from '../../ports/call-commands.js';
import type { HttpRequest, HttpResponse } from '../../ports/http-client.js';
import { nullLogger } from '../../ports/logger.js';
import { ClusterCallCommands, type OwnerLookup } from './cluster-call-commands.js';

const LOCAL: CommandResult = { ok: false, reason: 'not-found', message: 'call not found' };

function local(): CallCommands & { calls: string[] } {
  const calls: string[] = [];
  const answer = (name: string) => (): Promise<CommandResult> => {
    calls.push(name);
    return Promise.resolve(LOCAL);
  };
  return {
    calls,
    createCall: () => Promise.resolve({ ok: true, requestUuid: 'r' }),
    startStream: answer('startStream') as CallCommands['startStream'],
    stopStream: answer('stopStream'),
    stopAllStreams: answer('stopAllStreams') as CallCommands['stopAllStreams'],
    hangup: answer('hangup'),
    transfer: answer('transfer'),
    sendDtmf: answer('sendDtmf'),
  };
}

function commands(owners: OwnerLookup, answer: HttpResponse, isLocal = false) {
  const sent: HttpRequest[] = [];
  const loc = local();
  const cmds = new ClusterCallCommands({
    local: loc,
    owners,
    http: {
      request: (req) => {
        sent.push(req);
        return Promise.resolve(answer);
      },
    },
    nodeId: 'a',
    authId: 'MAID',
    authToken: 'tok',
    timeoutMs: 2000,
    logger: nullLogger,
    isLocal: () => isLocal,
  });
  return { cmds, sent, loc };
}

const remote: OwnerLookup = {
  remoteOwnerOf: () => Promise.resolve({ nodeId: 'b', apiUrl: 'http://10.0.0.2:8080' }),
};
const ok: HttpResponse = { ok: true, status: 200, contentType: 'application/json', body: '{"ok":true}' };

describe('ClusterCallCommands', () => {
  it('forwards to the owner’s internal route with the hop header and credentials, and returns its answer', async () => {
    const { cmds, sent, loc } = commands(remote, ok);
    assert.deepEqual(await cmds.sendDtmf('c1', '12'), { ok: true });
    assert.equal(loc.calls.length, 0);
    const req = sent[0];
    assert.ok(req !== undefined);
    const headers = req.headers ?? {};
    assert.equal(req.url, 'http://10.0.0.2:8080/v1/Account/MAID/Internal/Command/');
    assert.equal(headers['x-streamfork-forwarded-by'], 'a');
    assert.equal(headers['authorization'], `Basic ${Buffer.from('MAID:tok').toString('base64')}`);
    assert.deepEqual(JSON.parse(req.json ?? ''), { op: 'sendDtmf', callUuid: 'c1', digits: '12' });
  });

  it('runs locally when this node has the call, when no live owner is known, or the registry fails', async () => {
    const none: OwnerLookup = { remoteOwnerOf: () => Promise.resolve(undefined) };
    const broken: OwnerLookup = { remoteOwnerOf: () => Promise.reject(new Error('redis down')) };
    for (const [owners, isLocal] of [
      [remote, true],
      [none, false],
      [broken, false],
    ] as const) {
      const { cmds, sent, loc } = commands(owners, ok, isLocal);
      assert.deepEqual(await cmds.hangup('c1', 'NORMAL_CLEARING'), LOCAL);
      assert.deepEqual([sent.length, loc.calls], [0, ['hangup']]);
    }
  });

  it('a forwarded command with no answer in time fails with ERR_CLUSTER_FORWARD_TIMEOUT', async () => {
    const { cmds } = commands(remote, { ok: false, reason: 'timeout', detail: 'TimeoutError' });
    const r = await cmds.stopStream('c1', 's1', 'API request');
    assert.ok(!r.ok && r.reason === 'failed');
    assert.equal(r.code, 'ERR_CLUSTER_FORWARD_TIMEOUT');
  });

  it('an unreachable owner or an answer that is no command result fails with ERR_CLUSTER_FORWARD_FAILED', async () => {
    for (const answer of [
      { ok: false, reason: 'connect', detail: 'ECONNREFUSED' },
      { ok: true, status: 401, contentType: 'application/json', body: '{"error":"unauthorized"}' },
      { ok: true, status: 200, contentType: 'text/html', body: '<html>' },
    ] as const) {
      const r = await commands(remote, answer).cmds.transfer('c1', 'http://x/y', 'POST');
      assert.ok(!r.ok && r.reason === 'failed');
      assert.equal(r.code, 'ERR_CLUSTER_FORWARD_FAILED');
    }
  });
});
