import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FakeClock } from '../../../test/fakes/fake-clock.js';
import { FakeHttp, settle } from '../../../test/fakes/fake-http.js';
import type { HttpRequest, HttpResponse } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import {
  CallbackDelivery,
  type CallbackDeliveryOptions,
  type CallbackRequest,
  type CallbackSendOptions,
} from './callback-delivery.js';
import { streamCallbackPolicy } from './stream-callback-policy.js';

interface Line {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

function captureLogger(lines: Line[] = []): Logger & { lines: Line[] } {
  const at = (level: string) => (fields: object, msg: string) => {
    lines.push({ level, msg, fields: { ...fields } });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => captureLogger(lines),
  };
}

/** A numeric field of a log line, 0 when absent. */
function count(line: Line, key: string): number {
  const v = line.fields[key];
  return typeof v === 'number' ? v : 0;
}

function rig(
  delayMs: number,
  opts: Partial<CallbackDeliveryOptions> = {},
  answer?: (req: HttpRequest) => HttpResponse,
) {
  const clock = new FakeClock();
  const http = new FakeHttp(clock, delayMs, answer);
  const logger = captureLogger();
  const delivery = new CallbackDelivery({
    http,
    timers: clock,
    random: { uuid: () => 'u', bytes: (n) => new Uint8Array(n), int: () => 0 },
    logger,
    authToken: 'token',
    ...opts,
  });
  /** Moves fake time on in steps, letting the delivery's promises run after each. */
  const run = async (ms: number, stepMs = 20): Promise<void> => {
    for (let t = 0; t < ms; t += stepMs) {
      clock.advance(stepMs);
      await settle();
    }
  };
  /** Runs until every lane drained. */
  const drain = async (): Promise<void> => {
    const state = { idle: false };
    void delivery.idle().then(() => (state.idle = true));
    await settle();
    while (!state.idle) {
      clock.advance(delayMs);
      await settle();
    }
  };
  return { clock, http, logger, delivery, run, drain };
}

function req(url: string, event: string, name = ''): CallbackRequest {
  return {
    url,
    method: 'POST',
    params: [['Event', event], ...(name === '' ? [] : [['Name', name] as const])],
  };
}

const FREQUENT: CallbackSendOptions = { kind: 'frequent' };
const DEGRADED: CallbackSendOptions = { kind: 'lifecycle', evictable: true };

test('a flood of 10,000 frequent callbacks on a slow endpoint: every lifecycle one arrives, in order; drops are counted; logging stays bounded', async () => {
  const { http, logger, delivery, run, drain, clock } = rig(250);
  const url = 'http://app.test/status';
  const sent: string[] = [];
  let droppedSeen = 0;
  const send = (event: string, name: string, opts: CallbackSendOptions): void => {
    sent.push(`${event}:${name}`);
    delivery.send('stream-1', req(url, event, name), {
      ...opts,
      onDropped: () => {
        droppedSeen++;
      },
    });
  };
  send('StartStream', '', {});
  for (let i = 0; i < 10_000; i++) {
    // One checkpoint acknowledged per 20 ms media frame, as a bot pacing 20 ms chunks does.
    send('PlayedStream', `cp${i}`, FREQUENT);
    if (i === 2500 || i === 5000 || i === 7500) {
      send('DegradedStream', String((i / 2500) * 30), DEGRADED);
    }
    await run(20);
  }
  const queuedDuringFlood = delivery.stats.queued;
  send('StopStream', '', {});
  await drain();

  const got = http.to(url).map((r) => `${r.param('Event') ?? ''}:${r.param('Name') ?? ''}`);
  assert.deepEqual(
    got.filter((e) => !e.startsWith('PlayedStream')),
    ['StartStream:', 'DegradedStream:30', 'DegradedStream:60', 'DegradedStream:90', 'StopStream:'],
    'every lifecycle callback arrived',
  );
  // Order: what arrived is the sent sequence with some frequent ones left out.
  let at = 0;
  for (const e of got) {
    at = sent.indexOf(e, at);
    assert.ok(at >= 0, `${e} arrived out of order`);
  }
  const played = got.filter((e) => e.startsWith('PlayedStream')).length;
  const stats = delivery.stats;
  assert.ok(stats.dropped > 9000, `most of the flood was dropped (${stats.dropped})`);
  assert.equal(played + stats.dropped, 10_000, 'each PlayedStream was delivered or counted as dropped');
  assert.equal(droppedSeen, stats.dropped, 'the sender was told of each drop');
  assert.equal(stats.delivered, got.length);
  assert.equal(stats.queued, 0);
  assert.equal(stats.pendingLanes, 0);
  assert.equal(queuedDuringFlood, 100, 'the lane held its frequent budget, no more');
  assert.equal(delivery.laneStats('stream-1'), undefined, 'a drained lane is forgotten');

  // 200 s of flood: one line at the first drop, then at most one per 10 s window, and one at the drain.
  const warns = logger.lines.filter((l) => l.level === 'warn');
  const seconds = clock.monotonicMs() / 1000;
  assert.ok(warns.length <= 2 + Math.ceil(seconds / 10), `${warns.length} warn lines in ${seconds} s`);
  const reported = warns.reduce((n, l) => n + count(l, 'dropped'), 0);
  assert.equal(reported + 1, stats.dropped, 'the first line plus the summaries account for every drop');
  assert.equal(clock.pendingTimers, 0, 'no report timer left behind');
});

test("a flooding lane does not touch another lane's callbacks, and pays alone for the global bound", async () => {
  const { http, delivery, run, drain } = rig(250, { maxFrequentQueued: 100, maxFrequentQueuedTotal: 150 });
  for (let i = 0; i < 120; i++) {
    delivery.send('flood', req('http://a.test/s', 'PlayedStream', `a${i}`), FREQUENT);
  }
  delivery.send('quiet', req('http://b.test/s', 'StartStream'));
  for (let i = 0; i < 60; i++) {
    delivery.send('quiet', req('http://b.test/s', 'PlayedStream', `b${i}`), FREQUENT);
    delivery.send('flood', req('http://a.test/s', 'PlayedStream', `a${120 + i}`), FREQUENT);
  }
  delivery.send('quiet', req('http://b.test/s', 'StopStream'));
  assert.ok(delivery.stats.queued <= 150 + 2, `queued ${delivery.stats.queued}`);
  assert.equal(delivery.laneStats('quiet')?.dropped, 0, 'the quiet lane lost nothing');
  assert.equal(delivery.laneStats('quiet')?.frequentQueued, 60, 'all wait behind StartStream in flight');
  assert.ok((delivery.laneStats('flood')?.frequentQueued ?? 0) <= 150 - 60, 'the flooding lane shrank');
  await run(1000);
  await drain();
  const quiet = http.to('http://b.test/s').map((r) => r.param('Name') ?? r.param('Event'));
  assert.deepEqual(quiet, ['StartStream', ...Array.from({ length: 60 }, (_v, i) => `b${i}`), 'StopStream']);
  const flood = http.to('http://a.test/s').length;
  assert.equal(flood + delivery.stats.dropped, 180);
  assert.ok(delivery.stats.dropped >= 30, `the flooding lane paid (${delivery.stats.dropped} dropped)`);
});

test('a run of ClearedAudio waiting behind a slow endpoint collapses into the newest; another event breaks the run', async () => {
  const { http, delivery, drain } = rig(500);
  const cleared = streamCallbackPolicy('cleared');
  const url = 'http://app.test/status';
  for (let i = 0; i < 5000; i++) {
    delivery.send('s', req(url, 'ClearedAudio', `c${i}`), cleared);
  }
  delivery.send('s', req(url, 'PlayedStream', 'p'), streamCallbackPolicy('checkpointPlayed'));
  delivery.send('s', req(url, 'ClearedAudio', 'c5000'), cleared);
  delivery.send('s', req(url, 'ClearedAudio', 'c5001'), cleared);
  await drain();
  const got = http.to(url).map((r) => r.param('Name'));
  assert.deepEqual(
    got,
    ['c0', 'c4999', 'p', 'c5001'],
    'the first went out at once; each run kept its newest',
  );
  assert.equal(delivery.stats.coalesced, 4999);
  assert.equal(delivery.stats.dropped, 0);
});

test('lifecycle budget: only evictable ones (DegradedStream) give way, oldest first; Start/Stop/Dropped never do', async () => {
  const { http, delivery, drain } = rig(100, { maxLifecycleQueued: 4 });
  const url = 'http://app.test/status';
  delivery.send('s', req(url, 'StartStream'), streamCallbackPolicy('started'));
  for (let i = 0; i < 10; i++) {
    delivery.send('s', req(url, 'DegradedStream', `d${i}`), streamCallbackPolicy('degraded'));
  }
  delivery.send('s', req(url, 'DroppedStream'), streamCallbackPolicy('dropped'));
  // A lane full of lifecycle requests that may not be evicted still takes the next one.
  for (let i = 0; i < 6; i++) {
    delivery.send('h', req(url, 'Hangup', `h${i}`));
  }
  await drain();
  const s = http.requests
    .filter((r) => r.param('Event') !== 'Hangup')
    .map((r) => r.param('Name') ?? r.param('Event'));
  assert.deepEqual(s, ['StartStream', 'd7', 'd8', 'd9', 'DroppedStream']);
  assert.equal(http.requests.filter((r) => r.param('Event') === 'Hangup').length, 6);
  assert.equal(delivery.stats.dropped, 7);
});

test('the default kind is lifecycle: a hangup callback survives any flood of frequent ones on its lane', async () => {
  const { http, delivery, drain } = rig(1000, { maxFrequentQueued: 10 });
  const url = 'http://app.test/hangup';
  delivery.send('hangup:c1', req(url, 'Hangup'));
  for (let i = 0; i < 500; i++) {
    delivery.send('hangup:c1', req(url, 'PlayedStream', `p${i}`), FREQUENT);
  }
  delivery.send('hangup:c1', req(url, 'Hangup', 'last'));
  for (let i = 0; i < 500; i++) {
    delivery.send('hangup:c1', req(url, 'PlayedStream', `q${i}`), FREQUENT);
  }
  await drain();
  const hangups = http.requests
    .filter((r) => r.param('Event') === 'Hangup')
    .map((r) => r.param('Name') ?? '');
  assert.deepEqual(hangups, ['', 'last']);
  assert.equal(http.requests.length + delivery.stats.dropped, 1002);
});

test('failures and error answers are logged rate-limited per lane, with counts, not one line per request', async () => {
  const answer = (r: HttpRequest): HttpResponse =>
    r.url.endsWith('/down')
      ? { ok: false, reason: 'connect', detail: 'ECONNREFUSED' }
      : { ok: true, status: 404, contentType: '', body: '' };
  const { logger, delivery, drain, clock } = rig(5, { maxAttempts: 2, backoffMs: 10 }, answer);
  for (let i = 0; i < 1000; i++) {
    delivery.send('missing', req('http://app.test/missing', 'StartStream'));
    delivery.send('down', req('http://app.test/down', 'StartStream'));
  }
  await drain();
  assert.equal(delivery.stats.delivered, 1000, 'a 404 is an answer: delivered, not retried');
  assert.equal(delivery.stats.failed, 1000);
  const seconds = clock.monotonicMs() / 1000;
  const lines = logger.lines.filter((l) => l.level === 'warn');
  for (const lane of ['missing', 'down']) {
    const mine = lines.filter((l) => l.fields['lane'] === lane);
    assert.ok(mine.length <= 2 + Math.ceil(seconds / 10), `${lane}: ${mine.length} lines in ${seconds} s`);
    const counted = mine.reduce((n, l) => n + count(l, 'failed') + count(l, 'errorStatus'), 0);
    assert.equal(counted + 1, 1000, `${lane}: the first line plus the summaries count every request`);
  }
  assert.equal(clock.pendingTimers, 0);
});

test('retries: a 503 then a 200 is one delivery after one back-off; a lane that drains resolves idle()', async () => {
  let calls = 0;
  const answer = (): HttpResponse => ({
    ok: true,
    status: calls++ === 0 ? 503 : 200,
    contentType: '',
    body: '',
  });
  const { http, delivery, drain } = rig(10, { backoffMs: 40 }, answer);
  delivery.send('s', req('http://app.test/s', 'StartStream'));
  await drain();
  assert.equal(http.requests.length, 2);
  assert.ok((http.requests[1]?.atMs ?? 0) - (http.requests[0]?.atMs ?? 0) >= 50);
  assert.deepEqual(delivery.stats, {
    delivered: 1,
    failed: 0,
    retried: 1,
    dropped: 0,
    coalesced: 0,
    queued: 0,
    pendingLanes: 0,
  });
});

test('a URL the target policy refuses is not retried: one attempt, counted as failed', async () => {
  const answer = (): HttpResponse => ({
    ok: false,
    reason: 'denied',
    detail: 'ERR_TARGET_DENIED: 127.0.0.2',
  });
  const { http, delivery, drain } = rig(10, { backoffMs: 40, maxAttempts: 3 }, answer);
  delivery.send('s', req('http://127.0.0.2/s', 'StartStream'));
  await drain();
  assert.equal(http.requests.length, 1);
  assert.equal(delivery.stats.failed, 1);
  assert.equal(delivery.stats.delivered, 0);
});
