// Real loopback sockets: the UDP+TCP SIP transport and the transaction layer exchange OPTIONS, and
// malformed input is reported without taking the UDP socket down (RFC 3261 §18).
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { NodeSipTransport } from '../../src/adapters/sip-transport/node-sip-transport.js';
import {
  SipTransactionDriver,
  type SipTuEffect,
} from '../../src/adapters/sip-transport/sip-transaction-driver.js';
import type { SipMalformed } from '../../src/ports/sip-transport.js';
import { buildRequest, makeBranch } from '../../src/protocol/sip/build-request.js';
import { buildResponse } from '../../src/protocol/sip/build-response.js';
import { parseSipMessage } from '../../src/protocol/sip/parse-sip-message.js';
import { serializeSipMessage } from '../../src/protocol/sip/serialize-sip-message.js';
import type { SipEndpoint, SipResponse } from '../../src/protocol/sip/sip-message.types.js';

const HOST = '127.0.0.1';

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

describe('SIP transport on loopback (RFC 3261 §18)', () => {
  const uasTransport = new NodeSipTransport({ host: HOST, port: 0, idleTimeoutMs: 5000 });
  const uacTransport = new NodeSipTransport({ host: HOST, port: 0, idleTimeoutMs: 5000 });
  let uas: SipTransactionDriver;
  let uac: SipTransactionDriver;
  let uasPort = 0;
  let uacPort = 0;
  const malformed: SipMalformed[] = [];
  const uacEvents: SipTuEffect[] = [];
  let counter = 0;

  before(async () => {
    uasPort = (await uasTransport.listen()).port;
    uacPort = (await uacTransport.listen()).port;
    uasTransport.onMalformed((m) => malformed.push(m));
    uas = new SipTransactionDriver(uasTransport);
    uac = new SipTransactionDriver(uacTransport);
    // A tiny UAS built from the transaction layer: 200 OK to OPTIONS, 501 to anything else.
    uas.onEffect((e) => {
      if (e.type === 'request' && e.request.method !== 'ACK') {
        const status = e.request.method === 'OPTIONS' ? 200 : 501;
        uas.input({
          type: 'send-response',
          response: buildResponse(e.request, status, {
            toTag: 'uas1',
            headers: [{ name: 'Allow', value: 'INVITE, ACK, BYE, CANCEL, OPTIONS' }],
          }),
        });
      }
    });
    uac.onEffect((e) => uacEvents.push(e));
  });

  after(async () => {
    uas.close();
    uac.close();
    await uasTransport.close();
    await uacTransport.close();
  });

  function options(protocol: 'udp' | 'tcp'): Promise<SipResponse> {
    counter++;
    const request = buildRequest({
      method: 'OPTIONS',
      uri: `sip:ping@${HOST}:${uasPort}`,
      from: `<sip:probe@${HOST}:${uacPort}>`,
      fromTag: `t${counter}`,
      to: `<sip:ping@${HOST}:${uasPort}>`,
      callId: `opt-${counter}@${HOST}`,
      cseq: 1,
      via: {
        transport: protocol === 'udp' ? 'UDP' : 'TCP',
        host: HOST,
        port: uacPort,
        branch: makeBranch(`int${counter}`),
      },
    });
    const destination: SipEndpoint = { protocol, address: HOST, port: uasPort };
    const seen = uacEvents.length;
    uac.input({ type: 'send-request', request, destination });
    return within(
      3000,
      `OPTIONS over ${protocol}`,
      new Promise<SipResponse>((resolve, reject) => {
        const poll = setInterval(() => {
          for (const e of uacEvents.slice(seen)) {
            if (e.type === 'response' && e.response.status >= 200) {
              clearInterval(poll);
              resolve(e.response);
            } else if (e.type === 'timeout' || e.type === 'transport-error') {
              clearInterval(poll);
              reject(new Error(e.type));
            }
          }
        }, 5);
      }),
    );
  }

  test('RFC 3261 §11: OPTIONS over UDP gets 200 OK through both transaction layers', async () => {
    const response = await options('udp');
    assert.equal(response.status, 200);
  });

  test('RFC 3261 §18.2.2: OPTIONS over TCP is answered over the same connection', async () => {
    const response = await options('tcp');
    assert.equal(response.status, 200);
    assert.equal(uasTransport.stats().openConnections, 1);
    assert.equal((await options('tcp')).status, 200);
    assert.equal(uasTransport.stats().openConnections, 1, 'the connection is reused');
  });

  test('RFC 3261 §18 / §21.4.1: garbage is reported and dropped, a routable malformed request gets 400, UDP keeps working', async () => {
    const raw = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => raw.bind(0, HOST, resolve));
    try {
      const replies: Buffer[] = [];
      raw.on('message', (m) => replies.push(m));
      const before = malformed.length;
      raw.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a, 0x0d, 0x0a, 0xff]), uasPort, HOST);
      const rawPort = raw.address().port;
      raw.send(
        Buffer.from(
          `OPTIONS sip:x@${HOST} SIP/2.0\r\nVia: SIP/2.0/UDP ${HOST}:${rawPort};branch=z9hG4bKbad\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: bad@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
        ),
        uasPort,
        HOST,
      );
      await within(
        2000,
        '400 reply',
        new Promise<void>((resolve) => {
          const poll = setInterval(() => {
            if (replies.length > 0 && malformed.length >= before + 2) {
              clearInterval(poll);
              resolve();
            }
          }, 5);
        }),
      );
      const reply = parseSipMessage(new Uint8Array(replies[0]!));
      assert.ok(reply.ok);
      assert.equal(reply.value.kind === 'response' ? reply.value.status : 0, 400);
      assert.deepEqual(
        malformed.slice(before).map((m) => m.action),
        ['dropped', 'answered'],
      );
      assert.equal((await options('udp')).status, 200, 'the UDP socket still serves');
    } finally {
      raw.close();
    }
  });

  test('RFC 3261 §18.3: pipelined and split TCP writes are framed by Content-Length', async () => {
    const socket = net.connect(uasPort, HOST);
    await within(
      2000,
      'connect',
      new Promise<void>((resolve) =>
        socket.once('connect', () => {
          resolve();
        }),
      ),
    );
    try {
      let received = '';
      socket.on('data', (d) => (received += d.toString('latin1')));
      const msg = (n: number): Uint8Array =>
        serializeSipMessage(
          buildRequest({
            method: 'OPTIONS',
            uri: `sip:x@${HOST}`,
            from: '<sip:a@b>',
            fromTag: `p${n}`,
            to: '<sip:c@d>',
            callId: `pipe-${n}@x`,
            cseq: 1,
            via: {
              transport: 'TCP',
              host: HOST,
              port: socket.localPort ?? 0,
              branch: makeBranch(`pipe${n}`),
            },
          }),
        );
      const a = msg(1);
      const b = msg(2);
      const c = msg(3);
      socket.write(Buffer.concat([a, b, c.subarray(0, 20)]));
      await new Promise((r) => setTimeout(r, 50));
      socket.write(c.subarray(20));
      await within(
        2000,
        'three 200s',
        new Promise<void>((resolve) => {
          const poll = setInterval(() => {
            if ((received.match(/SIP\/2\.0 200 OK/g) ?? []).length === 3) {
              clearInterval(poll);
              resolve();
            }
          }, 5);
        }),
      );
    } finally {
      socket.destroy();
    }
  });

  test('RFC 3261 §18.3: a TCP message without Content-Length closes that connection, not the listener', async () => {
    const socket = net.connect(uasPort, HOST);
    await within(
      2000,
      'connect',
      new Promise<void>((resolve) =>
        socket.once('connect', () => {
          resolve();
        }),
      ),
    );
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        resolve();
      }),
    );
    socket.on('error', () => undefined);
    socket.resume();
    socket.write(`OPTIONS sip:x@${HOST} SIP/2.0\r\nVia: SIP/2.0/TCP ${HOST};branch=z9hG4bKnolen\r\n\r\n`);
    await within(2000, 'close', closed);
    assert.equal(malformed.at(-1)?.error.code, 'ERR_SIP_STREAM_FRAMING');
    assert.equal((await options('tcp')).status, 200);
  });
});
