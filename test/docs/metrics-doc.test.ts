// Every streamfork_ metric the server serves is documented in docs/metrics.md, and every metric the
// sample Grafana dashboard (deploy/grafana/streamfork.json) queries is one the server serves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { configForTesting } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { freeTcpPort } from '../interop/helpers/serve.js';
import { freeUdpPort } from '../interop/helpers/sipp.js';

const root = new URL('../..', import.meta.url).pathname;

async function servedMetrics(): Promise<Set<string>> {
  const server = await startServer(
    configForTesting({
      sip: { host: '127.0.0.1', port: await freeUdpPort(), transports: ['udp'] },
      http: { host: '127.0.0.1', port: await freeTcpPort() },
      log: { level: 'silent' },
    }),
  );
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ''));
  } finally {
    await server.stop();
  }
}

test('docs/metrics.md names every streamfork_ metric; the Grafana dashboard queries only served metrics', async () => {
  const served = await servedMetrics();
  const ours = [...served].filter((n) => n.startsWith('streamfork_'));
  assert.ok(ours.length >= 30, `only ${ours.length} streamfork_ metrics served`);
  const doc = readFileSync(join(root, 'docs/metrics.md'), 'utf8');
  const missing = ours.filter((n) => !doc.includes(`\`${n}\``));
  assert.deepEqual(missing, [], 'served but not documented');

  const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/streamfork.json'), 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  const queried = new Set<string>();
  for (const panel of dashboard.panels) {
    for (const t of panel.targets ?? []) {
      for (const m of t.expr.matchAll(/\b((?:streamfork|process|nodejs)_[a-z0-9_]+)/g)) {
        queried.add((m[1] ?? '').replace(/_(bucket|sum|count)$/, ''));
      }
    }
  }
  assert.ok(queried.size >= 15, `the dashboard queries ${queried.size} metrics`);
  const unknown = [...queried].filter((n) => !served.has(n));
  assert.deepEqual(unknown, [], 'queried by the dashboard but not served');
});
