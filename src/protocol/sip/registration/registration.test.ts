import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildResponse } from '../build-response.js';
import { DigestServer } from '../digest/digest-server.js';
import { getHeader, getHeaderValues } from '../headers.js';
import type { SipHeader, SipRequest } from '../sip-message.types.js';
import {
  backoffMs,
  refreshDelayMs,
  Registration,
  type RegistrationConfig,
  type RegistrationEffect,
} from './registration.js';

const CONTACT = '<sip:alice-7f@192.0.2.10:5070>';
const PASSWORD = 'pa55-w0rd';

function config(over: Partial<RegistrationConfig> = {}): RegistrationConfig {
  let n = 0;
  return {
    registrarUri: 'sip:pbx.test',
    aor: 'sip:alice@pbx.test',
    contact: CONTACT,
    username: 'alice',
    password: PASSWORD,
    expiresSec: 600,
    callId: 'reg-1@192.0.2.10',
    fromTag: 'ft1',
    via: () => ({ transport: 'UDP', host: '192.0.2.10', port: 5070, branch: `z9hG4bK${++n}` }),
    cnonce: () => 'c0ffee00',
    ...over,
  };
}

/** A registrar that challenges, verifies with the project's DigestServer, and grants `grant` s. */
class FakeRegistrar {
  readonly server = new DigestServer({ realm: 'pbx.test', secret: 's3cret' });
  password = PASSWORD;
  grant: number | undefined = 300;
  minExpires: number | undefined;
  /** Extra headers on the 200. */
  expiresHeader: string | undefined;

  answer(request: SipRequest, nowMs: number): ReturnType<typeof buildResponse> {
    const auth = getHeader(request, 'Authorization');
    if (auth === undefined) {
      const challenge = this.server.challenge(nowMs, new Uint8Array(8));
      return buildResponse(request, 401, {
        toTag: 'rt',
        headers: [{ name: 'WWW-Authenticate', value: challenge }],
      });
    }
    const ok = this.server.verify(
      auth,
      'REGISTER',
      (u) => (u === 'alice' ? this.password : undefined),
      nowMs,
    );
    if (!ok.ok) {
      const challenge = this.server.challenge(nowMs, new Uint8Array(8));
      return buildResponse(request, 401, {
        toTag: 'rt',
        headers: [{ name: 'WWW-Authenticate', value: challenge }],
      });
    }
    const asked = Number(getHeader(request, 'Expires'));
    if (this.minExpires !== undefined && asked > 0 && asked < this.minExpires) {
      return buildResponse(request, 423, {
        toTag: 'rt',
        headers: [{ name: 'Min-Expires', value: String(this.minExpires) }],
      });
    }
    const headers: SipHeader[] = [];
    if (asked > 0) {
      const granted = this.grant ?? asked;
      headers.push({ name: 'Contact', value: `<sip:bob@192.0.2.99>;expires=77` });
      headers.push({ name: 'Contact', value: `<sip:alice-7f@192.0.2.10:5070>;expires=${granted}` });
    }
    if (this.expiresHeader !== undefined) {
      headers.push({ name: 'Expires', value: this.expiresHeader });
    }
    return buildResponse(request, 200, { toTag: 'rt', headers });
  }
}

function sent(effects: readonly RegistrationEffect[]): SipRequest[] {
  return effects.flatMap((e) => (e.type === 'send' ? [e.request] : []));
}

function armed(effects: readonly RegistrationEffect[]): number[] {
  return effects.flatMap((e) => (e.type === 'arm-timer' ? [e.delayMs] : []));
}

/** Runs request → registrar → response until no REGISTER is left to answer; returns every effect. */
function exchange(
  reg: Registration,
  first: readonly RegistrationEffect[],
  registrar: FakeRegistrar,
  nowMs: number,
  log: SipRequest[] = [],
): RegistrationEffect[] {
  const all: RegistrationEffect[] = [...first];
  let queue = sent(first);
  while (queue.length > 0) {
    const next: SipRequest[] = [];
    for (const request of queue) {
      log.push(request);
      const effects = reg.input({ type: 'response', response: registrar.answer(request, nowMs) }, nowMs);
      all.push(...effects);
      next.push(...sent(effects));
    }
    queue = next;
  }
  return all;
}

function cseqOf(request: SipRequest): number {
  return Number((getHeader(request, 'CSeq') ?? '').split(' ')[0]);
}

test('refresh and backoff schedules', () => {
  assert.equal(refreshDelayMs(3600), 3_570_000);
  assert.equal(refreshDelayMs(60), 30_000);
  assert.equal(refreshDelayMs(20), 10_000);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => backoffMs(n) / 1000),
    [2, 4, 8, 16, 32, 64, 128, 256, 300, 300],
  );
  assert.equal(backoffMs(1000), 300_000);
});

test('challenge → 200: digest answered, the granted Contact expires is used, one Call-ID, CSeq rising', () => {
  const reg = new Registration(config());
  const registrar = new FakeRegistrar();
  const log: SipRequest[] = [];
  const effects = exchange(reg, reg.input({ type: 'start' }, 1000), registrar, 1000, log);
  assert.equal(log.length, 2);
  const [first, second] = log as [SipRequest, SipRequest];
  assert.equal(first.method, 'REGISTER');
  assert.equal(first.uri, 'sip:pbx.test');
  assert.equal(getHeader(first, 'Authorization'), undefined);
  assert.match(getHeader(second, 'Authorization') ?? '', /qop=auth/);
  assert.match(getHeader(second, 'Authorization') ?? '', /username="alice"/);
  assert.equal(getHeader(first, 'Expires'), '600');
  assert.equal(getHeader(first, 'Contact'), CONTACT);
  assert.equal(getHeader(first, 'Call-ID'), getHeader(second, 'Call-ID'));
  assert.equal(cseqOf(second), cseqOf(first) + 1);
  // A new branch for each REGISTER (a new transaction).
  assert.notEqual(getHeaderValues(first, 'Via')[0], getHeaderValues(second, 'Via')[0]);
  assert.equal(reg.state, 'registered');
  const snap = reg.snapshot();
  assert.equal(snap.grantedSec, 300, 'our Contact says 300 (not the other binding 77, not our ask 600)');
  assert.equal(snap.expiresAtMs, 1000 + 300_000);
  assert.deepEqual(armed(effects), [270_000]);
  const states = effects.flatMap((e) => (e.type === 'state' ? [e.to] : []));
  assert.deepEqual(states, ['registering', 'registered']);
  // The password never appears in what is sent.
  for (const r of log) {
    assert.ok(!JSON.stringify(r.headers).includes(PASSWORD));
  }
});

test('Expires header is used when the 200 does not list our Contact; the ask when it names neither', () => {
  const registrar = new FakeRegistrar();
  registrar.grant = undefined;
  const reg = new Registration(config({ contact: '<sip:other@192.0.2.10:5070>', expiresSec: 120 }));
  registrar.expiresHeader = '90';
  exchange(reg, reg.input({ type: 'start' }, 0), registrar, 0);
  assert.equal(reg.snapshot().grantedSec, 90);

  const reg2 = new Registration(config({ contact: '<sip:other@192.0.2.10:5070>', expiresSec: 120 }));
  registrar.expiresHeader = undefined;
  exchange(reg2, reg2.input({ type: 'start' }, 0), registrar, 0);
  assert.equal(reg2.snapshot().grantedSec, 120);
});

test('refresh fires at max(granted/2, granted-30 s) on the fake clock and keeps Call-ID and CSeq order', () => {
  const reg = new Registration(config({ expiresSec: 3600 }));
  const registrar = new FakeRegistrar();
  registrar.grant = 3600;
  const log: SipRequest[] = [];
  const effects = exchange(reg, reg.input({ type: 'start' }, 0), registrar, 0, log);
  assert.deepEqual(armed(effects), [3_570_000]);
  const now = 3_570_000;
  const refresh = exchange(reg, reg.input({ type: 'timer' }, now), registrar, now, log);
  assert.equal(log.length, 4, 'the refresh is challenged and answered again');
  assert.equal(reg.state, 'registered');
  assert.equal(reg.snapshot().expiresAtMs, now + 3_600_000);
  assert.deepEqual(armed(refresh), [3_570_000]);
  assert.deepEqual(log.map(cseqOf), [1, 2, 3, 4]);
  assert.equal(new Set(log.map((r) => getHeader(r, 'Call-ID'))).size, 1);
  // During a refresh the binding stays "registered" (it is still valid at the registrar).
  const states = refresh.flatMap((e) => (e.type === 'state' ? [e.to] : []));
  assert.ok(!states.includes('registering'));
});

test('403 and timeouts back off exponentially (capped); a success resets the count', () => {
  const reg = new Registration(config());
  let now = 0;
  let effects = reg.input({ type: 'start' }, now);
  const delays: number[] = [];
  const first = sent(effects)[0]!;
  effects = reg.input({ type: 'response', response: buildResponse(first, 403, { toTag: 'x' }) }, now);
  assert.equal(reg.state, 'retrying');
  assert.deepEqual(reg.snapshot().lastError, { status: 403, reason: 'Forbidden' });
  delays.push(...armed(effects));
  for (let i = 0; i < 9; i++) {
    now += delays.at(-1)!;
    effects = reg.input({ type: 'timer' }, now);
    assert.equal(sent(effects).length, 1);
    effects = reg.input({ type: 'failed', reason: 'timeout' }, now);
    delays.push(...armed(effects));
  }
  assert.deepEqual(
    delays.map((d) => d / 1000),
    [2, 4, 8, 16, 32, 64, 128, 256, 300, 300],
  );
  assert.equal(reg.snapshot().failures, 10);
  assert.deepEqual(reg.snapshot().lastError, { status: 408, reason: 'timeout' });
  now += 300_000;
  exchange(reg, reg.input({ type: 'timer' }, now), new FakeRegistrar(), now);
  assert.equal(reg.state, 'registered');
  assert.equal(reg.snapshot().failures, 0);
  assert.equal(reg.snapshot().lastError, undefined);
});

test('a wrong password is reported after one answered challenge (no 401 loop), then backs off', () => {
  const reg = new Registration(config({ password: 'wrong' }));
  const registrar = new FakeRegistrar();
  const log: SipRequest[] = [];
  const effects = exchange(reg, reg.input({ type: 'start' }, 0), registrar, 0, log);
  assert.equal(log.length, 2, 'one unauthenticated REGISTER, one with credentials, then stop');
  assert.equal(reg.state, 'retrying');
  assert.deepEqual(reg.snapshot().lastError, { status: 401, reason: 'credentials refused' });
  assert.deepEqual(armed(effects), [2000]);
});

test('a stale=true second challenge is answered once more', () => {
  const reg = new Registration(config());
  const server = new DigestServer({ realm: 'pbx.test', secret: 'k' });
  const r1 = sent(reg.input({ type: 'start' }, 0))[0]!;
  const c1 = buildResponse(r1, 401, {
    toTag: 't',
    headers: [{ name: 'WWW-Authenticate', value: server.challenge(0, new Uint8Array(8)) }],
  });
  const r2 = sent(reg.input({ type: 'response', response: c1 }, 0))[0]!;
  const c2 = buildResponse(r2, 401, {
    toTag: 't',
    headers: [{ name: 'WWW-Authenticate', value: server.challenge(0, new Uint8Array(8), true) }],
  });
  const r3 = sent(reg.input({ type: 'response', response: c2 }, 0));
  assert.equal(r3.length, 1, 'stale nonce: answered again');
  const c3 = buildResponse(r3[0]!, 401, {
    toTag: 't',
    headers: [{ name: 'WWW-Authenticate', value: server.challenge(0, new Uint8Array(8), true) }],
  });
  assert.equal(sent(reg.input({ type: 'response', response: c3 }, 0)).length, 0, 'bounded');
  assert.equal(reg.state, 'retrying');
});

test('423 Interval Too Brief: re-asks with Min-Expires at once', () => {
  const reg = new Registration(config({ expiresSec: 30 }));
  const registrar = new FakeRegistrar();
  registrar.minExpires = 120;
  registrar.grant = undefined;
  const log: SipRequest[] = [];
  exchange(reg, reg.input({ type: 'start' }, 0), registrar, 0, log);
  assert.deepEqual(
    log.map((r) => getHeader(r, 'Expires')),
    ['30', '30', '120', '120'],
  );
  assert.equal(reg.state, 'registered');
  assert.equal(reg.snapshot().grantedSec, 120);
  // A 423 without a larger Min-Expires is a failure, not a loop.
  const reg2 = new Registration(config({ expiresSec: 30 }));
  const req = sent(reg2.input({ type: 'start' }, 0))[0]!;
  reg2.input({ type: 'response', response: buildResponse(req, 423, { toTag: 'x' }) }, 0);
  assert.equal(reg2.state, 'retrying');
});

test('503 with Retry-After waits at least that long', () => {
  const reg = new Registration(config());
  const req = sent(reg.input({ type: 'start' }, 0))[0]!;
  const effects = reg.input(
    {
      type: 'response',
      response: buildResponse(req, 503, { headers: [{ name: 'Retry-After', value: '45' }] }),
    },
    0,
  );
  assert.deepEqual(armed(effects), [45_000]);
});

test('stop unregisters with Expires: 0 (answering its challenge) and ends stopped; stale responses are ignored', () => {
  const reg = new Registration(config());
  const registrar = new FakeRegistrar();
  const log: SipRequest[] = [];
  exchange(reg, reg.input({ type: 'start' }, 0), registrar, 0, log);
  const stop = reg.input({ type: 'stop' }, 5000);
  assert.ok(stop.some((e) => e.type === 'cancel-timer'));
  assert.equal(reg.state, 'unregistering');
  const unreg = sent(stop)[0]!;
  assert.equal(getHeader(unreg, 'Expires'), '0');
  assert.equal(getHeader(unreg, 'Call-ID'), getHeader(log[0]!, 'Call-ID'));
  // A late response to an old REGISTER changes nothing.
  assert.deepEqual(reg.input({ type: 'response', response: registrar.answer(log[1]!, 5000) }, 5000), []);
  exchange(reg, stop, registrar, 5000, log);
  assert.equal(reg.state, 'stopped');
  assert.equal(getHeader(log.at(-1)!, 'Expires'), '0');
  assert.ok(getHeader(log.at(-1)!, 'Authorization') !== undefined);
  assert.deepEqual(reg.input({ type: 'timer' }, 9000), []);
  // A binding never registered stops at once, without a REGISTER.
  const idle = new Registration(config());
  assert.deepEqual(sent(idle.input({ type: 'stop' }, 0)), []);
  assert.equal(idle.state, 'stopped');
});

test('stop while the unregister times out still ends stopped', () => {
  const reg = new Registration(config());
  exchange(reg, reg.input({ type: 'start' }, 0), new FakeRegistrar(), 0);
  reg.input({ type: 'stop' }, 10);
  reg.input({ type: 'failed', reason: 'timeout' }, 40_000);
  assert.equal(reg.state, 'stopped');
});

test('a configured realm: a challenge for another realm is not answered', () => {
  const reg = new Registration(config({ realm: 'elsewhere' }));
  const log: SipRequest[] = [];
  exchange(reg, reg.input({ type: 'start' }, 0), new FakeRegistrar(), 0, log);
  assert.equal(log.length, 1);
  assert.equal(reg.state, 'retrying');
  assert.match(reg.snapshot().lastError?.reason ?? '', /realm pbx\.test/);
});
