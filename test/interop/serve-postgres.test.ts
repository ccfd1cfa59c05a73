/**
 * Issue 12 item 1: `streamfork serve` on PostgreSQL (`storage.driver: postgres`) end to end. A real
 * server (test/helpers/postgres.ts) holds the records; sipp places one call whose XML forks one
 * stream to the reference consumer; the call and its stream are read back over REST, the row carries
 * the configured node id, and the server's statement log gives the store's writes per call. A
 * server that cannot reach PostgreSQL fails its start with one line, password redacted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import pg from 'pg';

import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { AUTH_ID, TOKEN, apiGet, freeTcpPort, startServe, waitUntil } from './helpers/serve.js';
import { freeUdpPort, killChildren, runTool, sippArgs } from './helpers/sipp.js';

const NODE_ID = 'node-pg-1';
const dir = mkdtempSync(join(tmpdir(), 'streamfork-serve-pg-'));
let db: TestPostgres;
let app: ReferenceConsumer;
let answer: Server;

before(async () => {
  // Every statement is logged, so the test can count what one call writes.
  db = await startPostgres({ settings: ['log_statement=all', 'log_min_duration_statement=-1'] });
  app = await startReferenceConsumer();
  answer = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end(`<Response><Stream keepCallAlive="true">${app.url}</Stream></Response>`);
  });
  await new Promise<void>((r) => answer.listen(0, '127.0.0.1', r));
});

after(async () => {
  killChildren();
  await new Promise((r) => answer.close(r));
  await app.close();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A config file for `serve --config` (the URL stays out of the command line and its `ps` listing). */
function configFile(
  name: string,
  storage: Record<string, unknown>,
  sipPort: number,
  httpPort: number,
): string {
  const file = join(dir, `${name}.json`);
  const config = {
    sip: { host: '127.0.0.1', port: sipPort },
    http: { host: '127.0.0.1', port: httpPort },
    auth: { authId: AUTH_ID, authToken: TOKEN },
    answer: { answerUrl: `http://127.0.0.1:${(answer.address() as AddressInfo).port}/answer` },
    storage: { dataDir: join(dir, name), ...storage },
    cluster: { nodeId: NODE_ID },
    log: { level: 'warn' },
  };
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** The statements the server logged (`execute`/`statement` lines) of `kind`, minus the timers' (last-seen refresh, outbox prune). */
function statementsIn(log: string, kind: RegExp): string[] {
  return log
    .split('\n')
    .filter((l) => /LOG: {2}(execute [^:]*|statement): /.test(l) && kind.test(l))
    .filter((l) => !l.includes('SET last_seen_at = $1') && !l.includes('DELETE FROM callback_outbox'));
}

test(
  'serve on PostgreSQL: a sipp call with one stream is recorded and read back over REST',
  { timeout: 60_000 },
  async () => {
    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const serve = await startServe([
      '--config',
      configFile('one', { driver: 'postgres', url: db.url }, sipPort, httpPort),
    ]);
    assert.match(
      serve.stderr(),
      /records in PostgreSQL postgres:\/\/\[redacted\]@127\.0\.0\.1:\d+\/streamfork/,
    );
    const logBefore = db.log().length;
    const run = await runTool(
      'sipp',
      [
        '-sn',
        'uac',
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 30),
        '-m',
        '1',
        '-d',
        '1500',
      ],
      30_000,
    );
    assert.equal(run.code, 0, run.output.slice(0, 3000));
    let calls: Record<string, unknown>[] = [];
    await waitUntil(
      'the completed call record',
      async () => {
        calls = ((await apiGet(httpPort, 'Call/')) as { objects: Record<string, unknown>[] }).objects;
        return calls.length === 1 && calls[0]?.['call_status'] === 'completed';
      },
      10_000,
    );
    const uuid = String(calls[0]?.['call_uuid']);
    const call = await apiGet(httpPort, `Call/${uuid}/`);
    assert.equal(call['hangup_cause_name'], 'NORMAL_CLEARING');
    assert.equal(call['call_direction'], 'inbound');
    let streams: Record<string, unknown>[] = [];
    await waitUntil(
      'the completed stream record',
      async () => {
        streams = ((await apiGet(httpPort, `Call/${uuid}/Stream/`)) as { objects: Record<string, unknown>[] })
          .objects;
        return streams.length === 1 && streams[0]?.['status'] === 'completed';
      },
      10_000,
    );
    assert.equal(streams[0]?.['service_url'], app.url);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const row = await client.query<{ node_id: string }>('SELECT node_id FROM calls WHERE call_uuid = $1', [
        uuid,
      ]);
      assert.equal(row.rows[0]?.node_id, NODE_ID, 'the record names the node that ran the call');
    } finally {
      await client.end();
    }

    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, 'SIGTERM stops the server cleanly');
    const callLog = db.log().slice(logBefore);
    const writes = statementsIn(callLog, /: (INSERT|UPDATE|DELETE) /);
    const reads = statementsIn(callLog, /: (SELECT|WITH) /);
    const kinds = (re: RegExp): number => writes.filter((l) => re.test(l)).length;
    // The figure for docs/cluster.md: what one call with one stream costs the shared store.
    process.stdout.write(
      `# store writes for one call with one stream: ${writes.length} ` +
        `(calls INSERT ${kinds(/INSERT INTO calls/)}, calls UPDATE ${kinds(/UPDATE calls/)}, ` +
        `streams INSERT ${kinds(/INSERT INTO streams/)}, streams UPDATE ${kinds(/UPDATE streams/)}, ` +
        `outbox ${kinds(/callback_outbox/)}); SELECTs incl. the test’s REST reads ${reads.length}\n`,
    );
    assert.equal(kinds(/INSERT INTO calls/), 1);
    assert.equal(kinds(/INSERT INTO streams/), 1);
    assert.ok(
      writes.length <= 12,
      `a call costs at most a dozen writes, got ${writes.length}:\n${writes.join('\n')}`,
    );
  },
);

test(
  'serve with PostgreSQL unreachable: exits 1 with one line naming the server, no password',
  { timeout: 30_000 },
  async () => {
    const deadPort = await freeTcpPort();
    const file = configFile(
      'down',
      { driver: 'postgres', url: `postgres://streamfork:pw-s3cret@127.0.0.1:${deadPort}/streamfork` },
      await freeUdpPort(),
      await freeTcpPort(),
    );
    await assert.rejects(startServe(['--config', file]), (err: Error) => {
      const lines = err.message
        .replace(/^serve exited early: /, '')
        .trim()
        .split('\n');
      assert.equal(lines.length, 1, err.message);
      assert.match(
        lines[0] ?? '',
        /^streamfork serve: cannot reach PostgreSQL at postgres:\/\/\[redacted\]@127\.0\.0\.1:\d+\/streamfork \(storage\.url, STREAMFORK_STORAGE_URL\): .*ECONNREFUSED/,
      );
      assert.ok(!err.message.includes('pw-s3cret'));
      return true;
    });
  },
);
