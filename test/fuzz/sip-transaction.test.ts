/**
 * CI fuzzing of the SIP transaction layer (issue 11; RFC 3261 §17, RFC 6026). Each input is a script of
 * hostile events on UDP and TCP: requests and responses that collide on branch, CSeq and Call-ID (so
 * retransmissions, stray ACKs, CANCELs without INVITE and responses to nothing all happen), requests the
 * TU starts, TU answers, transport errors, stale timer fires and clock jumps, driven on a fake clock that
 * runs the timer effects the layer asks for. Properties: `handle` never throws; every timer it arms is
 * due now or later; and once the TU has answered every request handed to it (as RFC 3261 §8.2 says it
 * must) and the far end has finally answered any INVITE it left in Proceeding (§17.1.1.2: only a final
 * response ends that state), advancing the clock past every timer leaves no transaction, no ACK
 * binding and no timer: nothing leaks, whatever came before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { buildResponse } from '../../src/protocol/sip/build-response.js';
import { parseNameAddr, tagOf } from '../../src/protocol/sip/name-addr.js';
import { parseSipMessage } from '../../src/protocol/sip/parse-sip-message.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/protocol/sip/sip-message.types.js';
import {
  SipTransactionLayer,
  type SipTransactionEffect,
  type SipTransactionInput,
} from '../../src/protocol/sip/transaction/sip-transaction-layer.js';
import { corpus, havoc, runFuzz } from './harness.js';
import { hostileSipMessages, sipDictionary, sipInvite } from './sip-seeds.js';

const TARGET = 'sip-transaction';
const T1 = 500;

/** Runs a transaction layer on a fake clock, as SipTransactionDriver does on node timers. */
class Rig {
  readonly layer = new SipTransactionLayer();
  nowMs = 0;
  readonly timers = new Map<string, number>();
  /** Server transactions handed to the TU and not answered with a final response yet. */
  readonly unanswered = new Map<string, SipRequest>();
  readonly clientIds = new Set<string>();
  readonly clientRequests = new Map<string, SipRequest>();
  /** INVITE server transactions answered 2xx: the To-tag of the answer, and whether the ACK or no-ack came. */
  readonly accepted = new Map<string, { toTag: string; ended: boolean }>();
  #answers = 0;

  input(input: SipTransactionInput): void {
    const effects = this.layer.handle(input, this.nowMs);
    for (const e of effects) {
      this.apply(e);
    }
  }

  private apply(e: SipTransactionEffect): void {
    switch (e.type) {
      case 'timer': {
        assert.ok(
          Number.isFinite(e.atMs) && e.atMs >= this.nowMs,
          `timer ${e.id} at ${e.atMs} < now ${this.nowMs}`,
        );
        this.timers.set(e.id, e.atMs);
        return;
      }
      case 'cancel-timer': {
        this.timers.delete(e.id);
        return;
      }
      case 'send': {
        assert.ok(e.destination.port > 0 && e.destination.port < 65536, `send to port ${e.destination.port}`);
        if (e.transactionId?.startsWith('c|') === true) {
          this.clientIds.add(e.transactionId);
        }
        return;
      }
      case 'request': {
        if (e.transactionId !== undefined && e.request.method !== 'ACK') {
          this.unanswered.set(e.transactionId, e.request);
        }
        if (e.transactionId !== undefined && e.request.method === 'ACK') {
          // An ACK for a 2xx belongs to one dialog (RFC 3261 §13.2.2.4, §17.2.3): its To-tag is the 2xx's.
          const a = this.accepted.get(e.transactionId);
          if (a !== undefined) {
            const to = e.request.headers.find((h) => h.name === 'To')?.value ?? '';
            assert.ok(
              to.endsWith(`;tag=${a.toTag}`),
              `ACK with To "${to}" given to the transaction that answered tag ${a.toTag}`,
            );
            a.ended = true;
          }
        }
        return;
      }
      case 'timeout': {
        const a = this.accepted.get(e.transactionId);
        if (a !== undefined && e.reason === 'no-ack') {
          a.ended = true;
        }
        return;
      }
      case 'terminated': {
        this.unanswered.delete(e.transactionId);
        return;
      }
      case 'response':
      case 'transport-error':
      case 'discarded': {
        return;
      }
    }
  }

  /** Moves the clock to `targetMs`, firing due timers in order (as the driver's setTimeouts would). */
  advanceTo(targetMs: number): void {
    for (;;) {
      let next: [string, number] | undefined;
      for (const entry of this.timers) {
        if (entry[1] <= targetMs && (next === undefined || entry[1] < next[1])) {
          next = entry;
        }
      }
      if (next === undefined) {
        break;
      }
      this.timers.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1]);
      this.input({ type: 'timer-fired', id: next[0] });
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
  }

  /** The TU answers `request` (a final status unless `status` < 200). */
  answer(id: string, status: number): void {
    const request = this.unanswered.get(id);
    if (request === undefined) {
      return;
    }
    if (status >= 200) {
      this.unanswered.delete(id);
    }
    // Two tags, so that ACKs of one dialog can be offered to the other's transaction.
    const response = buildResponse(request, status, { toTag: `uas${(this.#answers++ % 2) + 1}` });
    if (request.method === 'INVITE' && status >= 200 && status < 300) {
      // The dialog's tag is the one the 2xx carries: a request that already had a To-tag keeps it.
      const to = parseNameAddr(response.headers.find((h) => h.name === 'To')?.value ?? '');
      this.accepted.set(id, { toTag: (to.ok ? tagOf(to.value) : undefined) ?? '', ended: false });
    }
    this.input({ type: 'send-response', response });
  }
}

const branches = ['z9hG4bKa', 'z9hG4bKb', 'z9hG4bKc', 'old2543', ''];
const callIds = ['c1@x', 'c2@x'];
const methods = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'INFO', 'FOO'];

function parsed(text: string | Uint8Array): SipMessage | undefined {
  const r = parseSipMessage(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  return r.ok ? r.value : undefined;
}

function responseTo(method: string, status: number, branch: string, cseq: number, vias: number): SipResponse {
  const via = (b: string): string => `SIP/2.0/UDP 192.0.2.99:5060;branch=${b}`;
  const headers = [
    { name: 'Via', value: via(branch) },
    ...(vias > 1 ? [{ name: 'Via', value: via('z9hG4bKproxy') }] : []),
    { name: 'From', value: '<sip:streamfork@192.0.2.99>;tag=uac1' },
    { name: 'To', value: '<sip:far@192.0.2.50>;tag=far1' },
    { name: 'Call-ID', value: 'out@x' },
    { name: 'CSeq', value: `${cseq} ${method}` },
  ];
  return { kind: 'response', status, reason: 'Fuzz', headers, body: new Uint8Array(0) };
}

function outbound(method: string, branch: string, cseq: number): SipRequest {
  const m = parsed(
    sipInvite({
      method,
      cseq,
      via: `Via: SIP/2.0/UDP 192.0.2.99:5060;branch=${branch}`,
      callId: 'out@x',
    }),
  );
  assert.ok(m?.kind === 'request');
  return m;
}

const source = fc.record({
  protocol: fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'),
  address: fc.constantFrom('192.0.2.10', '198.51.100.7', '::1'),
  port: fc.constantFrom(5060, 5070, 40000),
});

const structuredRequest = fc
  .record({
    method: fc.constantFrom(...methods),
    branch: fc.constantFrom(...branches),
    callId: fc.constantFrom(...callIds),
    cseq: fc.integer({ min: 1, max: 3 }),
    toTag: fc.option(fc.constantFrom('uas1', 'uas2', 'other'), { nil: undefined }),
    uri: fc.constantFrom('sip:bob@example.com', 'tel:+14155550100', 'http://example.com/x'),
    withSdp: fc.boolean(),
  })
  .map((r) =>
    parsed(
      sipInvite({
        method: r.method,
        via: `Via: SIP/2.0/UDP 192.0.2.10:5060${r.branch === '' ? '' : `;branch=${r.branch}`};rport`,
        callId: r.callId,
        cseq: r.cseq,
        uri: r.uri,
        ...(r.toTag === undefined ? {} : { toTag: r.toTag }),
        ...(r.withSdp ? {} : { body: '' }),
      }),
    ),
  );

const hostile = hostileSipMessages().map((t) => Buffer.from(t, 'latin1'));
const mutatedRequest = havoc(hostile, sipDictionary(), 3).map((b) => parsed(b));

const event = fc.oneof(
  fc.record({ kind: fc.constant('receive' as const), message: structuredRequest, source }),
  fc.record({ kind: fc.constant('receive' as const), message: mutatedRequest, source }),
  fc.record({
    kind: fc.constant('response' as const),
    method: fc.constantFrom('INVITE', 'BYE', 'OPTIONS', 'CANCEL', 'ACK'),
    status: fc.constantFrom(100, 180, 183, 200, 202, 302, 401, 486, 487, 500, 603),
    branch: fc.constantFrom('z9hG4bKout1', 'z9hG4bKout2', 'z9hG4bKa'),
    cseq: fc.integer({ min: 1, max: 2 }),
    vias: fc.constantFrom(1, 1, 1, 2),
  }),
  fc.record({
    kind: fc.constant('send-request' as const),
    method: fc.constantFrom('INVITE', 'BYE', 'OPTIONS', 'ACK'),
    branch: fc.constantFrom('z9hG4bKout1', 'z9hG4bKout2'),
    cseq: fc.integer({ min: 1, max: 2 }),
    destination: source,
  }),
  fc.record({
    kind: fc.constant('answer' as const),
    pick: fc.nat(),
    status: fc.constantFrom(100, 180, 200, 202, 404, 486, 500),
  }),
  fc.record({
    kind: fc.constant('advance' as const),
    ms: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 40_000 })),
  }),
  fc.record({ kind: fc.constant('transport-error' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('stale-timer' as const),
    id: fc.constantFrom('x#A', 'c|z9hG4bKout1|INVITE#A', '#', ''),
  }),
);

type Event = typeof event extends fc.Arbitrary<infer E> ? E : never;

function pick<T>(values: readonly T[], n: number): T | undefined {
  return values.length === 0 ? undefined : values[n % values.length];
}

function play(rig: Rig, e: Event): void {
  switch (e.kind) {
    case 'receive': {
      if (e.message !== undefined) {
        rig.input({ type: 'receive', message: e.message, source: e.source });
      }
      return;
    }
    case 'response': {
      rig.input({
        type: 'receive',
        message: responseTo(e.method, e.status, e.branch, e.cseq, e.vias),
        source: { protocol: 'udp', address: '192.0.2.50', port: 5060 },
      });
      return;
    }
    case 'send-request': {
      const request = outbound(e.method, e.branch, e.cseq);
      rig.input({ type: 'send-request', request, destination: e.destination });
      if (e.method !== 'ACK') {
        rig.clientRequests.set(`c|${e.branch}|${e.method}`, request);
      }
      return;
    }
    case 'answer': {
      const id = pick([...rig.unanswered.keys()], e.pick);
      if (id !== undefined) {
        rig.answer(id, e.status);
      }
      return;
    }
    case 'advance': {
      rig.advanceTo(rig.nowMs + e.ms);
      return;
    }
    case 'transport-error': {
      const id = pick([...rig.unanswered.keys(), ...rig.clientIds], e.pick);
      if (id !== undefined) {
        rig.input({ type: 'transport-error', transactionId: id });
      }
      return;
    }
    case 'stale-timer': {
      rig.input({ type: 'timer-fired', id: e.id });
      return;
    }
  }
}

/** After the script: the TU answers everything, the far end finishes every INVITE, time passes. */
function drain(rig: Rig): void {
  for (const id of [...rig.unanswered.keys()]) {
    rig.answer(id, 486);
  }
  for (const id of rig.clientIds) {
    if (rig.layer.stateOf(id) === 'proceeding' && id.endsWith('|INVITE')) {
      const [, branch = ''] = id.split('|');
      const cseq = rig.clientRequests
        .get(id)
        ?.headers.find((h) => h.name === 'CSeq')
        ?.value.split(' ')[0];
      rig.input({
        type: 'receive',
        message: responseTo('INVITE', 487, branch, Number(cseq ?? 1), 1),
        source: { protocol: 'udp', address: '192.0.2.50', port: 5060 },
      });
    }
  }
  // 64·T1 bounds every RFC 3261 transaction; an hour of fake time is far past any timer.
  rig.advanceTo(rig.nowMs + 3_600_000);
}

function checkScript(events: readonly Event[]): void {
  const rig = new Rig();
  for (const e of events) {
    play(rig, e);
  }
  drain(rig);
  const live = [...rig.clientIds, ...rig.unanswered.keys()].filter(
    (id) => rig.layer.stateOf(id) !== undefined,
  );
  assert.equal(
    rig.layer.size,
    0,
    `transactions left: ${live.map((id) => `${id}=${rig.layer.stateOf(id) ?? '?'}`).join(', ')}`,
  );
  assert.deepEqual([...rig.timers.keys()], [], 'timers left armed');
  for (const [id, a] of rig.accepted) {
    // A transaction-ended 2xx'd INVITE was ACKed or reported no-ack; else the TU keeps its dialog forever.
    assert.ok(
      a.ended || rig.unanswered.has(id),
      `2xx'd INVITE ${id} (tag ${a.toTag}) ended with neither ACK nor no-ack`,
    );
  }
  // The ACK-to-2xx bindings are private; peeking is the only way to prove they go with their transaction.
  const accepted = (rig.layer as unknown as { accepted: Map<string, string> }).accepted;
  assert.equal(accepted.size, 0, 'ACK bindings left');
  assert.ok(rig.nowMs < 64 * T1 * 1000 + 3_600_000 * 2, 'time is finite');
}

const script = fc.array(event, { minLength: 1, maxLength: 24 });

test('fuzz: the transaction layer on 10,000 hostile event scripts: no throw, and nothing left once every timer has run', () => {
  runFuzz('hostile-scripts', script, checkScript, {
    target: TARGET,
    runs: 10_000,
    ext: 'case',
    toBytes: (events) => Buffer.from(JSON.stringify(events.map(describe), null, 1)),
  });
});

/** A saved script: events with messages as wire text, so the corpus file can be read and replayed. */
function describe(e: Event): unknown {
  if (e.kind === 'receive') {
    return {
      ...e,
      message: e.message === undefined ? null : Buffer.from(serialize(e.message)).toString('latin1'),
    };
  }
  return e;
}

function serialize(m: SipMessage): Uint8Array {
  const head = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [head, ...m.headers.map((h) => `${h.name}: ${h.value}`)];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(m.body)]);
}

function revive(raw: unknown): Event {
  const e = raw as Event & { message?: string | null };
  if (e.kind === 'receive') {
    return { ...e, message: typeof e.message === 'string' ? parsed(e.message) : undefined };
  }
  return e;
}

for (const entry of corpus(TARGET)) {
  test(`corpus ${TARGET}/${entry.name}: ${entry.sidecar.note}`, () => {
    const events = (JSON.parse(entry.bytes.toString('utf8')) as unknown[]).map(revive);
    checkScript(events);
  });
}
