import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { buildResponse } from '../build-response.js';
import { getHeader, getTopVia } from '../headers.js';
import { parseSipMessage } from '../parse-sip-message.js';
import type { SipEndpoint, SipMessage, SipRequest } from '../sip-message.types.js';
import { viaReceived, viaRport } from '../via.js';
import {
  SipTransactionLayer,
  type SipTransactionEffect,
  type SipTransactionInput,
} from './sip-transaction-layer.js';

const peerUdp: SipEndpoint = { protocol: 'udp', address: '192.0.2.20', port: 5070 };
const peerTcp: SipEndpoint = { protocol: 'tcp', address: '192.0.2.20', port: 40123 };

function request(method: string, branch: string, transport = 'UDP', extra = ''): SipRequest {
  const text =
    `${method} sip:bob@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/${transport} 192.0.2.20:5070;branch=${branch}\r\nMax-Forwards: 70\r\n` +
    `From: <sip:alice@example.org>;tag=ft\r\nTo: <sip:bob@example.com>${extra}\r\nCall-ID: call-1@x\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
  const r = parseSipMessage(new TextEncoder().encode(text));
  assert.ok(r.ok);
  assert.equal(r.value.kind, 'request');
  return r.value;
}

/** Drives a layer with a virtual clock: timer effects are kept and fired in order by `advanceTo`. */
class Harness {
  readonly layer: SipTransactionLayer;
  readonly log: { atMs: number; effect: SipTransactionEffect }[] = [];
  private readonly timers = new Map<string, number>();
  nowMs = 0;

  constructor(options: ConstructorParameters<typeof SipTransactionLayer>[0] = {}) {
    this.layer = new SipTransactionLayer(options);
  }

  input(input: SipTransactionInput): SipTransactionEffect[] {
    const effects = this.layer.handle(input, this.nowMs);
    for (const e of effects) {
      this.log.push({ atMs: this.nowMs, effect: e });
      if (e.type === 'timer') {
        this.timers.set(e.id, e.atMs);
      } else if (e.type === 'cancel-timer') {
        this.timers.delete(e.id);
      }
    }
    return effects;
  }

  advanceTo(targetMs: number): void {
    for (;;) {
      let next: [string, number] | undefined;
      for (const t of this.timers) {
        if (t[1] <= targetMs && (next === undefined || t[1] < next[1])) {
          next = t;
        }
      }
      if (next === undefined) {
        break;
      }
      this.timers.delete(next[0]);
      this.nowMs = next[1];
      this.input({ type: 'timer-fired', id: next[0] });
    }
    this.nowMs = targetMs;
  }

  sends(filter: (m: SipMessage) => boolean = () => true): number[] {
    return this.log.filter((l) => l.effect.type === 'send' && filter(l.effect.message)).map((l) => l.atMs);
  }

  of<T extends SipTransactionEffect['type']>(type: T): Extract<SipTransactionEffect, { type: T }>[] {
    return this.log
      .map((l) => l.effect)
      .filter((e): e is Extract<SipTransactionEffect, { type: T }> => e.type === type);
  }
}

const isReq = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;
const isStatus = (status: number) => (m: SipMessage) => m.kind === 'response' && m.status === status;

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  test('RFC 3261 §17.1.1.2: over UDP Timer A retransmits at 500, 1500, 3500 … ms and Timer B times out at 64*T1', () => {
    const h = new Harness();
    h.input({ type: 'send-request', request: request('INVITE', 'z9hG4bKa1'), destination: peerUdp });
    h.advanceTo(40000);
    assert.deepEqual(h.sends(isReq('INVITE')), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    const timeouts = h.of('timeout');
    assert.equal(timeouts.length, 1);
    assert.equal(timeouts[0]?.reason, 'no-response');
    assert.equal(h.log.find((l) => l.effect.type === 'timeout')?.atMs, 32000);
    assert.equal(h.layer.size, 0);
  });

  test('RFC 3261 §17.1.1.2: over TCP nothing is retransmitted and Timer B still fires', () => {
    const h = new Harness();
    h.input({ type: 'send-request', request: request('INVITE', 'z9hG4bKa2', 'TCP'), destination: peerTcp });
    h.advanceTo(40000);
    assert.deepEqual(h.sends(), [0]);
    assert.equal(h.of('timeout').length, 1);
  });

  test('RFC 3261 §17.1.1.2: a provisional stops retransmissions; a 486 is ACKed with the same branch and absorbed for Timer D', () => {
    const h = new Harness();
    const invite = request('INVITE', 'z9hG4bKa3');
    h.input({ type: 'send-request', request: invite, destination: peerUdp });
    h.advanceTo(600);
    h.input({ type: 'receive', message: buildResponse(invite, 180, { toTag: 'tt' }), source: peerUdp });
    h.advanceTo(5000);
    assert.deepEqual(h.sends(isReq('INVITE')), [0, 500]);
    const busy = buildResponse(invite, 486, { toTag: 'tt' });
    h.input({ type: 'receive', message: busy, source: peerUdp });
    const acks = h.log.filter((l) => l.effect.type === 'send' && isReq('ACK')(l.effect.message));
    assert.equal(acks.length, 1);
    const ack = acks[0]!.effect as Extract<SipTransactionEffect, { type: 'send' }>;
    assert.equal(getTopVia(ack.message)?.params.find((p) => p.name === 'branch')?.value, 'z9hG4bKa3');
    assert.equal(getHeader(ack.message, 'CSeq'), '1 ACK');
    assert.match(getHeader(ack.message, 'To') ?? '', /tag=tt/);
    // A retransmitted 486 is ACKed again but not passed to the TU.
    h.advanceTo(6000);
    h.input({ type: 'receive', message: busy, source: peerUdp });
    assert.equal(h.sends(isReq('ACK')).length, 2);
    assert.deepEqual(
      h.of('response').map((r) => r.response.status),
      [180, 486],
    );
    h.advanceTo(5000 + 32000);
    assert.equal(h.layer.size, 0);
  });

  test('RFC 6026 §7.2: after a 2xx the transaction is Accepted and passes 2xx retransmissions to the TU until Timer M', () => {
    const h = new Harness();
    const invite = request('INVITE', 'z9hG4bKa4');
    h.input({ type: 'send-request', request: invite, destination: peerUdp });
    const ok = buildResponse(invite, 200, { toTag: 'tt' });
    h.input({ type: 'receive', message: ok, source: peerUdp });
    h.advanceTo(1000);
    h.input({ type: 'receive', message: ok, source: peerUdp });
    assert.equal(h.of('response').length, 2);
    assert.deepEqual(h.sends(isReq('ACK')), []);
    h.advanceTo(32000);
    assert.equal(h.layer.size, 0);
    // After Timer M a late 2xx is still handed to the TU as a stray response.
    h.input({ type: 'receive', message: ok, source: peerUdp });
    assert.equal(h.of('response').at(-1)?.transactionId, undefined);
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  test('RFC 3261 §17.1.2.2: Timer E doubles up to T2 (500, 1500, 3500, 7500, 11500 …) and Timer F fires at 64*T1', () => {
    const h = new Harness();
    h.input({ type: 'send-request', request: request('OPTIONS', 'z9hG4bKb1'), destination: peerUdp });
    h.advanceTo(40000);
    assert.deepEqual(h.sends().slice(0, 7), [0, 500, 1500, 3500, 7500, 11500, 15500]);
    assert.equal(h.sends().at(-1), 31500);
    assert.equal(h.of('timeout').length, 1);
  });

  test('RFC 3261 §17.1.2.2: after a provisional Timer E runs at T2; a final is delivered once and Timer K absorbs copies', () => {
    const h = new Harness();
    const opt = request('OPTIONS', 'z9hG4bKb2');
    h.input({ type: 'send-request', request: opt, destination: peerUdp });
    h.advanceTo(100);
    h.input({ type: 'receive', message: buildResponse(opt, 100), source: peerUdp });
    h.advanceTo(9000);
    assert.deepEqual(h.sends(), [0, 500, 4500, 8500]);
    const ok = buildResponse(opt, 200, { toTag: 'x' });
    h.input({ type: 'receive', message: ok, source: peerUdp });
    h.input({ type: 'receive', message: ok, source: peerUdp });
    assert.deepEqual(
      h.of('response').map((r) => r.response.status),
      [100, 200],
    );
    h.advanceTo(9000 + 5000);
    assert.equal(h.layer.size, 0);
  });

  test('RFC 3261 §17.1.4: a transport error ends the transaction and is reported to the TU', () => {
    const h = new Harness();
    const effects = h.input({
      type: 'send-request',
      request: request('OPTIONS', 'z9hG4bKb3'),
      destination: peerUdp,
    });
    const send = effects.find((e) => e.type === 'send');
    assert.ok(send?.type === 'send' && send.transactionId !== undefined);
    h.input({ type: 'transport-error', transactionId: send.transactionId });
    assert.equal(h.of('transport-error').length, 1);
    assert.equal(h.layer.size, 0);
  });
});

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  test('RFC 3261 §17.2.1: 100 Trying goes out at once; a retransmitted INVITE gets the last provisional again', () => {
    const h = new Harness();
    const invite = request('INVITE', 'z9hG4bKc1');
    h.input({ type: 'receive', message: invite, source: peerUdp });
    assert.deepEqual(h.sends(isStatus(100)), [0]);
    assert.equal(h.of('request').length, 1);
    h.advanceTo(300);
    h.input({ type: 'receive', message: invite, source: peerUdp });
    assert.deepEqual(h.sends(isStatus(100)), [0, 300]);
    assert.equal(h.of('request').length, 1, 'retransmission absorbed');
  });

  test('RFC 3261 §17.2.1: a 486 is retransmitted by Timer G (T1 doubling to T2) until the ACK, then Timer I absorbs', () => {
    const h = new Harness();
    const invite = request('INVITE', 'z9hG4bKc2');
    h.input({ type: 'receive', message: invite, source: peerUdp });
    h.input({
      type: 'send-response',
      response: buildResponse(h.of('request')[0]!.request, 486, { toTag: 'tt' }),
    });
    h.advanceTo(8000);
    assert.deepEqual(h.sends(isStatus(486)), [0, 500, 1500, 3500, 7500]);
    const ack = request('ACK', 'z9hG4bKc2', 'UDP', ';tag=tt');
    h.input({ type: 'receive', message: ack, source: peerUdp });
    h.advanceTo(20000);
    assert.equal(h.sends(isStatus(486)).length, 5, 'no more after ACK');
    assert.equal(h.of('request').length, 1, 'ACK of non-2xx is not passed up');
    assert.equal(h.layer.size, 0);
  });

  test('RFC 3261 §17.2.1: without an ACK, Timer H ends the transaction at 64*T1 and reports no-ack', () => {
    const h = new Harness();
    h.input({ type: 'receive', message: request('INVITE', 'z9hG4bKc3'), source: peerUdp });
    h.input({
      type: 'send-response',
      response: buildResponse(h.of('request')[0]!.request, 603, { toTag: 'tt' }),
    });
    h.advanceTo(40000);
    assert.equal(h.of('timeout')[0]?.reason, 'no-ack');
    assert.equal(h.log.find((l) => l.effect.type === 'timeout')?.atMs, 32000);
  });

  test('RFC 3261 §13.3.1.4 / RFC 6026: a 2xx is retransmitted until the ACK (new branch) arrives; the ACK reaches the TU once', () => {
    const h = new Harness();
    h.input({ type: 'receive', message: request('INVITE', 'z9hG4bKc4'), source: peerUdp });
    const inv = h.of('request')[0]!;
    h.input({ type: 'send-response', response: buildResponse(inv.request, 200, { toTag: 'tt' }) });
    h.advanceTo(4000);
    assert.deepEqual(h.sends(isStatus(200)), [0, 500, 1500, 3500]);
    const ack = request('ACK', 'z9hG4bKother', 'UDP', ';tag=tt');
    h.input({ type: 'receive', message: ack, source: peerUdp });
    h.input({ type: 'receive', message: ack, source: peerUdp });
    h.advanceTo(10000);
    assert.equal(h.sends(isStatus(200)).length, 4);
    const acks = h.of('request').filter((r) => r.request.method === 'ACK');
    assert.equal(acks.length, 1);
    assert.equal(acks[0]?.transactionId, inv.transactionId);
    h.advanceTo(40000);
    assert.equal(h.of('timeout').length, 0);
    assert.equal(h.layer.size, 0);
  });

  test('RFC 3261 §17.2.1 over TCP: no retransmission of responses and Timer I is zero', () => {
    const h = new Harness();
    h.input({ type: 'receive', message: request('INVITE', 'z9hG4bKc5', 'TCP'), source: peerTcp });
    h.input({
      type: 'send-response',
      response: buildResponse(h.of('request')[0]!.request, 486, { toTag: 'tt' }),
    });
    h.advanceTo(3000);
    assert.equal(h.sends(isStatus(486)).length, 1);
    h.input({ type: 'receive', message: request('ACK', 'z9hG4bKc5', 'TCP', ';tag=tt'), source: peerTcp });
    assert.equal(h.layer.size, 0);
    assert.deepEqual(
      h.of('send').map((s) => s.destination),
      [peerTcp, peerTcp],
    );
  });

  test('RFC 3261 §9.2: a CANCEL creates its own transaction and names the INVITE transaction it targets', () => {
    const h = new Harness();
    h.input({ type: 'receive', message: request('INVITE', 'z9hG4bKc6'), source: peerUdp });
    h.input({ type: 'receive', message: request('CANCEL', 'z9hG4bKc6'), source: peerUdp });
    const reqs = h.of('request');
    assert.equal(reqs[1]?.request.method, 'CANCEL');
    assert.equal(reqs[1].cancels, reqs[0]?.transactionId);
    assert.notEqual(reqs[1].transactionId, reqs[0]?.transactionId);
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  test('RFC 3261 §17.2.2: Timer J absorbs retransmitted requests for 64*T1 and resends the final response', () => {
    const h = new Harness();
    const opt = request('OPTIONS', 'z9hG4bKd1');
    h.input({ type: 'receive', message: opt, source: peerUdp });
    h.input({ type: 'receive', message: opt, source: peerUdp });
    assert.equal(h.sends().length, 0, 'Trying absorbs without a response');
    h.input({
      type: 'send-response',
      response: buildResponse(h.of('request')[0]!.request, 200, { toTag: 'x' }),
    });
    h.advanceTo(10000);
    h.input({ type: 'receive', message: opt, source: peerUdp });
    assert.deepEqual(h.sends(isStatus(200)), [0, 10000]);
    assert.equal(h.of('request').length, 1);
    h.advanceTo(32000);
    assert.equal(h.layer.size, 0);
    h.input({ type: 'receive', message: opt, source: peerUdp });
    assert.equal(h.of('request').length, 2, 'after Timer J the request is new');
  });

  test('RFC 3261 §18.2.1 / RFC 3581 §4: the response goes to received:rport and carries both on its Via', () => {
    const h = new Harness();
    const text =
      'OPTIONS sip:bob@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat;rport\r\nMax-Forwards: 70\r\n' +
      'From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: nat@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    const r = parseSipMessage(new TextEncoder().encode(text));
    assert.ok(r.ok);
    const natSource: SipEndpoint = { protocol: 'udp', address: '198.51.100.7', port: 31000 };
    h.input({ type: 'receive', message: r.value, source: natSource });
    const stamped = h.of('request')[0]!.request;
    const via = getTopVia(stamped)!;
    assert.equal(viaReceived(via), '198.51.100.7');
    assert.equal(viaRport(via), 31000);
    h.input({ type: 'send-response', response: buildResponse(stamped, 200, { toTag: 'x' }) });
    assert.deepEqual(h.of('send')[0]?.destination, natSource);
  });

  test('RFC 3261 §8.1.3.3: a response with two Via values is discarded', () => {
    const h = new Harness();
    const opt = request('OPTIONS', 'z9hG4bKd2');
    h.input({ type: 'send-request', request: opt, destination: peerUdp });
    const resp = buildResponse(opt, 200);
    const twoVias = {
      ...resp,
      headers: [{ name: 'Via', value: 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKzz' }, ...resp.headers],
    };
    h.input({ type: 'receive', message: twoVias, source: peerUdp });
    assert.equal(h.of('discarded').length, 1);
    assert.equal(h.of('response').length, 0);
  });

  test('timers are configurable: T1=100 ms gives Timer B at 6.4 s', () => {
    const h = new Harness({ timers: { t1Ms: 100 } });
    h.input({ type: 'send-request', request: request('INVITE', 'z9hG4bKe1'), destination: peerUdp });
    h.advanceTo(10000);
    assert.deepEqual(h.sends().slice(0, 4), [0, 100, 300, 700]);
    assert.equal(h.log.find((l) => l.effect.type === 'timeout')?.atMs, 6400);
  });
});
