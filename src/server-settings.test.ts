import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';

import { configForTesting } from './config/load.js';
import { nodeIdentityFrom } from './server-settings.js';

test('node identity: cluster.nodeId as given; empty derives host:sipPort; only a shared store clusters', () => {
  const derived = nodeIdentityFrom(configForTesting({ sip: { port: 5071 } }));
  assert.deepEqual(derived, { nodeId: `${hostname()}:5071`, clustered: false });
  const named = nodeIdentityFrom(
    configForTesting({
      cluster: { nodeId: ' media-1 ' },
      storage: { driver: 'postgres', url: 'postgres://db.internal/streamfork' },
    }),
  );
  assert.deepEqual(named, { nodeId: 'media-1', clustered: true });
  assert.equal(nodeIdentityFrom(configForTesting({ storage: { driver: 'memory' } })).clustered, false);
});
