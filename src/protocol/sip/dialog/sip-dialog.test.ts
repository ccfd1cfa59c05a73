import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildResponse } from '../build-response.js';
import { getHeader, getHeaderValues, getTopVia } from '../headers.js';
import { parseSipMessage } from '../parse-sip-message.js';
import type { SipRequest, SipResponse } from '../sip-message.types.js';
import { viaBranch } from '../via.js';
import {
  acceptRemoteCSeq,
  buildAckFor2xx,
  buildInDialogRequest,
  createUacDialog,
  createUasDialog,
  dialogIdOf,
  dialogRouting,
  matchesDialog,
  nextHopUri,
} from './sip-dialog.js';

function parse(text: string): SipRequest | SipResponse {
  const r = parseSipMessage(new TextEncoder().encode(text.replace(/\n/g, '\r\n')));
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return r.value;
}

const invite = parse(`INVITE sip:svc@10.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKinv1
Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Max-Forwards: 69
From: "Alice" <sip:alice@example.org>;tag=a1
To: <sip:svc@example.com>
Call-ID: dlg-1@x
CSeq: 10 INVITE
Contact: <sip:alice@192.0.2.9:5060>
Content-Length: 0

`) as SipRequest;
const via = { transport: 'UDP' as const, host: '10.0.0.1', port: 5060, branch: 'z9hG4bKnew1' };

test('RFC 3261 §12.1.1: the UAS dialog takes the route set in Record-Route order and the remote target from Contact', () => {
  const ok = buildResponse(invite, 200, { toTag: 'b2', contact: '<sip:svc@10.0.0.1>' });
  assert.match(getHeader(ok, 'To') ?? '', /;tag=b2$/);
  assert.deepEqual(getHeaderValues(ok, 'Record-Route'), ['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>']);
  const d = createUasDialog(invite, ok);
  assert.ok(d !== undefined);
  assert.equal(dialogIdOf(d), 'dlg-1@x;b2;a1');
  assert.deepEqual(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.equal(d.remoteTarget, 'sip:alice@192.0.2.9:5060');
  assert.equal(d.remoteSeq, 10);
  assert.equal(d.state, 'confirmed');
});

test('RFC 3261 §12.2.1.1: a BYE from the UAS uses the remote target, Route headers (loose routing), a new CSeq and swapped tags', () => {
  const d = createUasDialog(invite, buildResponse(invite, 200, { toTag: 'b2' }))!;
  const { dialog, request } = buildInDialogRequest(d, 'BYE', { via });
  assert.equal(request.uri, 'sip:alice@192.0.2.9:5060');
  assert.deepEqual(getHeaderValues(request, 'Route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.match(getHeader(request, 'From') ?? '', /<sip:svc@example.com>;tag=b2/);
  assert.match(getHeader(request, 'To') ?? '', /"Alice" <sip:alice@example.org>;tag=a1/);
  assert.equal(getHeader(request, 'CSeq'), '1 BYE');
  assert.equal(dialog.localSeq, 1);
  assert.equal(nextHopUri(request), 'sip:p1.example.com;lr');
});

test('RFC 3261 §12.1.2: the UAC dialog reverses Record-Route; ACK for 2xx keeps the INVITE CSeq with a new branch (§13.2.2.4)', () => {
  const ours = parse(`INVITE sip:bob@192.0.2.50 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKout1
Max-Forwards: 70
From: <sip:streamfork@10.0.0.1>;tag=sf1
To: <sip:bob@192.0.2.50>
Call-ID: out-1@10.0.0.1
CSeq: 5 INVITE
Contact: <sip:streamfork@10.0.0.1:5060>
Content-Length: 0

`) as SipRequest;
  const ok = parse(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKout1
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
From: <sip:streamfork@10.0.0.1>;tag=sf1
To: <sip:bob@192.0.2.50>;tag=bb
Call-ID: out-1@10.0.0.1
CSeq: 5 INVITE
Contact: <sip:bob@192.0.2.51:5070>
Content-Length: 0

`) as SipResponse;
  const d = createUacDialog(ours, ok)!;
  assert.deepEqual(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.equal(d.remoteTarget, 'sip:bob@192.0.2.51:5070');
  const ack = buildAckFor2xx(d, ours, via);
  assert.equal(getHeader(ack, 'CSeq'), '5 ACK');
  assert.equal(viaBranch(getTopVia(ack)!), 'z9hG4bKnew1');
  assert.equal(ack.uri, 'sip:bob@192.0.2.51:5070');
  const reinvite = buildInDialogRequest(d, 'INVITE', {
    via,
    body: 'v=0\r\n',
    contentType: 'application/sdp',
  });
  assert.equal(getHeader(reinvite.request, 'CSeq'), '6 INVITE');
  assert.equal(getHeader(reinvite.request, 'Content-Type'), 'application/sdp');
});

test('RFC 3261 §12.2.1.1: with a strict router first, it becomes the Request-URI and the remote target goes last', () => {
  const d = {
    ...createUasDialog(invite, buildResponse(invite, 200, { toTag: 'b2' }))!,
    routeSet: ['<sip:strict.example.com>', '<sip:p2.example.com;lr>'],
  };
  const r = dialogRouting(d);
  assert.equal(r.uri, 'sip:strict.example.com');
  assert.deepEqual(r.route, ['<sip:p2.example.com;lr>', '<sip:alice@192.0.2.9:5060>']);
});

test('RFC 3261 §12.2.2: in-dialog requests match by Call-ID and tags; a lower CSeq is answered 500', () => {
  const d = createUasDialog(invite, buildResponse(invite, 200, { toTag: 'b2' }))!;
  const bye = (seq: number): SipRequest =>
    parse(`BYE sip:svc@10.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKbye${seq}
Max-Forwards: 70
From: <sip:alice@example.org>;tag=a1
To: <sip:svc@example.com>;tag=b2
Call-ID: dlg-1@x
CSeq: ${seq} BYE
Content-Length: 0

`) as SipRequest;
  assert.equal(matchesDialog(d, bye(11)), true);
  const next = acceptRemoteCSeq(d, bye(11));
  assert.ok(next.ok);
  assert.equal(next.dialog.remoteSeq, 11);
  assert.deepEqual(acceptRemoteCSeq(next.dialog, bye(9)), { ok: false, status: 500 });
});
