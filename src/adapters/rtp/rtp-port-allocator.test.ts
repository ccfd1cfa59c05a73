import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ServerError } from '../../errors/server-error.js';
import { RtpPortAllocator } from './rtp-port-allocator.js';

test('RFC 3550 §11: even RTP ports from the range, round-robin, RTCP = RTP+1 fits', () => {
  const a = new RtpPortAllocator({ minPort: 10001, maxPort: 10008 });
  assert.equal(a.capacity, 3); // 10002/3, 10004/5, 10006/7 (10008 has no odd partner)
  assert.deepEqual([a.allocate(), a.allocate(), a.allocate()], [10002, 10004, 10006]);
  assert.throws(
    () => a.allocate(),
    (e: unknown) => e instanceof ServerError && e.code === 'ERR_RTP_PORTS_EXHAUSTED',
  );
  a.release(10004);
  assert.equal(a.allocate(), 10004);
  a.release(10002);
  a.release(10006);
  assert.equal(a.allocate(), 10006, 'round-robin: the most recently released port is not reused first');
  assert.equal(a.inUse, 2);
});

test('impossible ranges are rejected', () => {
  assert.throws(() => new RtpPortAllocator({ minPort: 20000, maxPort: 20000 }), RangeError);
  assert.throws(() => new RtpPortAllocator({ minPort: 80, maxPort: 100 }), RangeError);
});
