/**
 * RFC 3261 §12.2.1.1 through a real proxy (docs/nat.md): Kamailio with the shipped dispatcher config
 * (deploy/kamailio/kamailio.cfg: record_route() on INVITE, loose_route() in dialog) in front of an
 * in-process streamfork. A raw caller calls Kamailio; streamfork's dialog takes Kamailio's
 * Record-Route as its route set, so when streamfork hangs up, its BYE goes to Kamailio with a Route
 * header (loose routing, `;lr`) and reaches the caller through it: the caller sees Kamailio's Via on
 * top of streamfork's, and Kamailio would have answered 404 to a BYE that did not match its route.
 * A missing kamailio binary fails naming the Debian package.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { startKamailio } from '../helpers/kamailio.js';
import { headerOf, statusOf } from '../helpers/raw-sip-peer.js';
import { startSipStack } from '../helpers/sip-stack.js';
import { until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';

function sdp(port: number): string {
  return [
    'v=0',
    `o=- 9 1 IN IP4 ${HOST}`,
    's=-',
    `c=IN IP4 ${HOST}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const viasOf = (msg: string): string[] =>
  msg
    .split('\r\n')
    .filter((l) => /^(Via|v):/i.test(l))
    .flatMap((l) => l.replace(/^[^:]*:\s*/, '').split(/\s*,\s*(?=SIP\/)/i));

test('streamfork’s BYE follows the Record-Route set through Kamailio to the caller', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-kam-rr-'));
  const stack = await startSipStack({ transports: ['udp'] });
  const caller = dgram.createSocket('udp4');
  const rtp = dgram.createSocket('udp4');
  const inbox: string[] = [];
  caller.on('message', (m) => inbox.push(m.toString('latin1')));
  await Promise.all([
    new Promise<void>((r) => caller.bind(0, HOST, r)),
    new Promise<void>((r) => rtp.bind(0, HOST, r)),
  ]);
  let kamailio: Awaited<ReturnType<typeof startKamailio>> | undefined;
  try {
    kamailio = await startKamailio({ nodes: [{ address: HOST, port: stack.port }], dir });
    const me = caller.address().port;
    const callId = `rr-${process.pid}@${HOST}`;
    const body = sdp(rtp.address().port);
    const send = (text: string): void => {
      caller.send(Buffer.from(text, 'latin1'), kamailio?.port ?? 0, HOST);
    };
    send(
      [
        `INVITE sip:stream@${HOST}:${kamailio.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${me};branch=z9hG4bK-rr1;rport`,
        'Max-Forwards: 70',
        `From: <sip:caller@${HOST}>;tag=rrf1`,
        `To: <sip:stream@${HOST}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:caller@${HOST}:${me}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
    );
    await until(() => inbox.some((m) => statusOf(m) === 200), 8000, 'the 200 through Kamailio');
    const ok = inbox.find((m) => statusOf(m) === 200) ?? '';
    const recordRoute = headerOf(ok, 'Record-Route') ?? '';
    assert.match(recordRoute, new RegExp(`^<sip:${HOST.replace(/\./g, '\\.')}:${kamailio.port};lr`), ok);
    const target = /<([^>]+)>/.exec(headerOf(ok, 'Contact') ?? '')?.[1] ?? '';
    const toTag = /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(ok)?.[1] ?? '';
    // The caller's ACK: to streamfork's Contact, by way of the route set (the Record-Route as it came).
    send(
      [
        `ACK ${target} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${me};branch=z9hG4bK-rr2;rport`,
        `Route: ${recordRoute}`,
        'Max-Forwards: 70',
        `From: <sip:caller@${HOST}>;tag=rrf1`,
        `To: <sip:stream@${HOST}>;tag=${toTag}`,
        `Call-ID: ${callId}`,
        'CSeq: 1 ACK',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await until(() => stack.calls.some((c) => c.info.sipCallId === callId), 5000, 'the call up');
    const call = stack.calls.find((c) => c.info.sipCallId === callId)?.call;
    assert.ok(call !== undefined);

    call.hangup('NORMAL_CLEARING', 'server');
    await until(() => inbox.some((m) => m.startsWith('BYE ')), 5000, 'the BYE at the caller');
    const bye = inbox.find((m) => m.startsWith('BYE ')) ?? '';
    t.diagnostic(bye.split('\r\n').slice(0, 4).join(' | '));
    assert.ok(bye.startsWith(`BYE sip:caller@${HOST}:${me} SIP/2.0`), 'Request-URI: the remote target');
    const vias = viasOf(bye);
    assert.equal(vias.length, 2, `Kamailio's Via over streamfork's: ${JSON.stringify(vias)}`);
    assert.match(vias[0] ?? '', new RegExp(`^SIP/2\\.0/UDP ${HOST.replace(/\./g, '\\.')}:${kamailio.port};`));
    assert.match(vias[1] ?? '', new RegExp(`^SIP/2\\.0/UDP [^:]+:${stack.port};`));
    assert.equal(headerOf(bye, 'Route'), undefined, 'Kamailio consumed its own Route entry');
    send(
      [
        'SIP/2.0 200 OK',
        `Via: ${vias.join(', ')}`,
        `From: ${headerOf(bye, 'From') ?? ''}`,
        `To: ${headerOf(bye, 'To') ?? ''}`,
        `Call-ID: ${callId}`,
        `CSeq: ${headerOf(bye, 'CSeq') ?? ''}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await until(() => stack.server.stats().liveDialogs === 0, 5000, 'the BYE answered back through Kamailio');
  } finally {
    await kamailio?.stop();
    caller.close();
    rtp.close();
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
