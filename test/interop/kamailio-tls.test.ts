/**
 * A call over SIP/TLS through Kamailio's `tls` module (Debian `kamailio-tls-modules`) in front of an
 * in-process streamfork (docs/nat.md, deploy/kamailio/README.md "SIP over TLS"): the shipped
 * kamailio.cfg with WITH_TLS and a certificate from a per-run CA; a node:tls caller that verifies it
 * dials Kamailio's TLS port; Kamailio reaches streamfork over UDP and Record-Routes both sides (double
 * Record-Route: a TLS entry and a UDP one). The caller's ACK follows the route set over its TLS
 * connection; streamfork's audio reaches the caller's RTP socket; streamfork's BYE goes to Kamailio
 * (Route) and comes down the caller's TLS connection, which answers it there.
 * A missing kamailio, tls.so or openssl fails naming the Debian package.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';

import { startKamailio } from '../helpers/kamailio.js';
import { headerOf, statusOf } from '../helpers/raw-sip-peer.js';
import { startSipStack } from '../helpers/sip-stack.js';
import { until } from '../helpers/stream-call.js';
import { makeTestPki } from '../helpers/tls-certs.js';
import { freeTcpPort } from './helpers/serve.js';

const HOST = '127.0.0.1';
const TLS_MODULE = '/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so';

/** Splits a TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3). */
function framer(onMessage: (text: string) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('latin1');
    for (;;) {
      buffer = buffer.replace(/^(\r\n)+/, '');
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        return;
      }
      const length = Number(/\r\n(?:Content-Length|l):\s*(\d+)/i.exec(buffer.slice(0, end + 2))?.[1] ?? 0);
      if (buffer.length < end + 4 + length) {
        return;
      }
      onMessage(buffer.slice(0, end + 4 + length));
      buffer = buffer.slice(end + 4 + length);
    }
  };
}

/** Every value of a header (folded lists split), in order. */
function values(msg: string, name: string): string[] {
  return msg
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .flatMap((l) => l.slice(name.length + 1).split(/,(?=\s*<)/))
    .map((v) => v.trim());
}

test('a call over TLS through Kamailio’s tls module: route set across TLS and UDP, BYE down the TLS connection', async (t) => {
  assert.ok(
    existsSync(TLS_MODULE),
    `Kamailio's ${TLS_MODULE} is missing: install the Debian package kamailio-tls-modules`,
  );
  const pki = makeTestPki();
  const dir = mkdtempSync(join(tmpdir(), 'sf-kam-tls-'));
  const stack = await startSipStack({ transports: ['udp'] });
  const rtp = dgram.createSocket('udp4');
  let heard = 0;
  rtp.on('message', () => heard++);
  await new Promise<void>((r) => rtp.bind(0, HOST, r));
  let kamailio: Awaited<ReturnType<typeof startKamailio>> | undefined;
  let socket: tls.TLSSocket | undefined;
  try {
    const tlsPort = await freeTcpPort();
    kamailio = await startKamailio({
      nodes: [{ address: HOST, port: stack.port }],
      dir,
      defines: {
        WITH_TLS: 1,
        TLS_PORT: tlsPort,
        TLS_CERT: `"${pki.certFile}"`,
        TLS_KEY: `"${pki.keyFile}"`,
        TLS_CA: `"${pki.caFile}"`,
      },
    });
    const inbox: string[] = [];
    const conn = tls.connect({
      host: HOST,
      port: tlsPort,
      ca: readFileSync(pki.caFile),
      rejectUnauthorized: true,
    });
    socket = conn;
    await new Promise<void>((resolve, reject) => {
      conn.once('secureConnect', resolve);
      conn.once('error', reject);
    });
    assert.equal(conn.authorized, true, 'the caller verified Kamailio’s certificate');
    conn.on(
      'data',
      framer((m) => inbox.push(m)),
    );
    const me = conn.localPort ?? 0;
    const callId = `tls-${process.pid}@${HOST}`;
    const body = [
      'v=0',
      `o=- 11 1 IN IP4 ${HOST}`,
      's=-',
      `c=IN IP4 ${HOST}`,
      't=0 0',
      `m=audio ${rtp.address().port} RTP/AVP 0`,
      'a=sendrecv',
      '',
    ].join('\r\n');
    conn.write(
      [
        `INVITE sip:stream@${HOST}:${tlsPort};transport=tls SIP/2.0`,
        `Via: SIP/2.0/TLS ${HOST}:${me};branch=z9hG4bK-tls1;rport`,
        'Max-Forwards: 70',
        `From: <sip:caller@${HOST}>;tag=tlsf1`,
        `To: <sip:stream@${HOST}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:caller@${HOST}:${me};transport=tls>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
    );
    await until(() => inbox.some((m) => statusOf(m) === 200), 8000, 'the 200 over TLS');
    const ok = inbox.find((m) => statusOf(m) === 200) ?? '';
    const recordRoute = values(ok, 'Record-Route');
    t.diagnostic(`Record-Route: ${recordRoute.join(' , ')}`);
    assert.ok(
      recordRoute.some((r) => /transport=tls/i.test(r)),
      'a TLS entry in the route set',
    );
    assert.ok(recordRoute.length >= 2, 'both of Kamailio’s sides (double Record-Route)');
    const target = /<([^>]+)>/.exec(headerOf(ok, 'Contact') ?? '')?.[1] ?? '';
    const toTag = /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(ok)?.[1] ?? '';
    // The caller is the UAC: its route set is the Record-Route reversed (RFC 3261 §12.1.2).
    conn.write(
      [
        `ACK ${target} SIP/2.0`,
        `Via: SIP/2.0/TLS ${HOST}:${me};branch=z9hG4bK-tls2;rport`,
        `Route: ${[...recordRoute].reverse().join(', ')}`,
        'Max-Forwards: 70',
        `From: <sip:caller@${HOST}>;tag=tlsf1`,
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
    await until(() => heard >= 10, 5000, 'streamfork’s RTP at the caller');

    call.hangup('NORMAL_CLEARING', 'server');
    await until(() => inbox.some((m) => m.startsWith('BYE ')), 5000, 'the BYE down the TLS connection');
    const bye = inbox.find((m) => m.startsWith('BYE ')) ?? '';
    const vias = values(bye, 'Via').flatMap((v) => v.split(/\s*,\s*(?=SIP\/)/i));
    t.diagnostic(`BYE Vias: ${vias.join(' | ')}`);
    assert.match(vias[0] ?? '', new RegExp(`^SIP/2\\.0/TLS ${HOST.replace(/\./g, '\\.')}:${tlsPort};`));
    assert.match(vias[1] ?? '', new RegExp(`^SIP/2\\.0/UDP [^:]+:${stack.port};`), 'streamfork’s Via below');
    assert.ok(bye.startsWith(`BYE sip:caller@${HOST}:${me};transport=tls SIP/2.0`), bye.split('\r\n')[0]);
    conn.write(
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
    socket?.destroy();
    await kamailio?.stop();
    rtp.close();
    await stack.close();
    pki.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});
