/**
 * Registrations behind a NAT on real loopback sockets (docs/nat.md): over TCP the keep-alive is a
 * double-CRLF ping on the registration's connection (RFC 5626 §4.4.1) — answered pings keep the
 * binding as it is, an unanswered one closes the flow and registers again at once on a new connection;
 * over UDP a registrar whose 200 says (Via `received`/`rport`, RFC 3581) that it saw us from another
 * address gets a second REGISTER with a Contact at that public address and the first one removed.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { test } from 'node:test';

import { headerOf } from '../helpers/raw-sip-peer.js';
import { startSipStack } from '../helpers/sip-stack.js';
import { until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';

function okFor(req: string, via: string[]): string {
  const lines = [
    'SIP/2.0 200 OK',
    ...via,
    `From: ${headerOf(req, 'From') ?? ''}`,
    `To: ${headerOf(req, 'To') ?? ''};tag=reg1`,
    `Call-ID: ${headerOf(req, 'Call-ID') ?? ''}`,
    `CSeq: ${headerOf(req, 'CSeq') ?? ''}`,
    `Contact: ${(headerOf(req, 'Contact') ?? '').split(',')[0] ?? ''};expires=300`,
    'Content-Length: 0',
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const viaLines = (req: string): string[] => req.split('\r\n').filter((l) => /^Via:/i.test(l));

interface TcpRegistrar {
  readonly port: number;
  /** REGISTERs, with the connection number they came on. */
  readonly registers: { text: string; conn: number }[];
  /** Double-CRLF pings, with their connection number. */
  readonly pings: number[];
  /** Other requests (an OPTIONS would land here). */
  readonly others: string[];
  answerPings: boolean;
  close(): Promise<void>;
}

async function startTcpRegistrar(): Promise<TcpRegistrar> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const state: TcpRegistrar = {
    port: 0,
    registers: [],
    pings: [],
    others: [],
    answerPings: true,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) {
          s.destroy();
        }
        server.close(() => {
          resolve();
        });
      }),
  };
  const server = net.createServer((socket) => {
    const conn = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (buffer.startsWith('\r\n\r\n')) {
          buffer = buffer.slice(4);
          state.pings.push(conn);
          if (state.answerPings) {
            socket.write('\r\n');
          }
          continue;
        }
        const end = buffer.indexOf('\r\n\r\n');
        if (end <= 0) {
          return;
        }
        const text = buffer.slice(0, end + 4);
        buffer = buffer.slice(end + 4);
        if (text.startsWith('REGISTER ')) {
          state.registers.push({ text, conn });
          socket.write(okFor(text, viaLines(text)));
        } else {
          state.others.push(text);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  return Object.assign(state, { port: typeof address === 'object' && address !== null ? address.port : 0 });
}

const registration = (registrar: string, transport: 'udp' | 'tcp', keepAliveSec: number) => ({
  registrar,
  username: 'alice',
  password: 'secret',
  authUsername: null,
  realm: null,
  expiresSec: 300,
  contactUser: 'nat-test',
  keepAliveSec,
  transport,
});

test('TCP: CRLF pings on the registration connection; no pong closes the flow and registers again', async () => {
  const registrar = await startTcpRegistrar();
  const stack = await startSipStack({
    transports: ['udp', 'tcp'],
    registrations: [registration(`sip:${HOST}:${registrar.port};transport=tcp`, 'tcp', 2)],
  });
  try {
    await until(() => registrar.registers.length === 1, 5000, 'the REGISTER over TCP');
    await until(() => registrar.pings.length >= 2, 8000, 'two CRLF pings');
    assert.ok(
      registrar.pings.every((c) => c === 1),
      'pings on the registration connection',
    );
    assert.equal(registrar.others.length, 0, 'no OPTIONS over TCP');
    assert.equal(registrar.registers.length, 1, 'answered pings change nothing');
    registrar.answerPings = false;
    // The next ping gets no pong within min(10 s, keepAliveSec) = 2 s: the flow failed.
    await until(() => registrar.registers.length >= 2, 10_000, 'a new REGISTER after the unanswered ping');
    const again = registrar.registers[1];
    assert.ok(again !== undefined);
    assert.notEqual(again.conn, 1, 'on a new connection');
  } finally {
    await stack.close();
    await registrar.close();
  }
});

test('UDP: a 200 whose Via says received/rport elsewhere makes us register that public Contact', async () => {
  const socket = dgram.createSocket('udp4');
  const registers: string[] = [];
  socket.on('message', (m, from) => {
    const text = m.toString('latin1');
    if (!text.startsWith('REGISTER ')) {
      return;
    }
    registers.push(text);
    // As a registrar behind which our NAT maps us to 127.0.0.9:40000 would stamp it (RFC 3581 §4).
    const via = viaLines(text).map((l, i) =>
      i === 0 ? l.replace(/;rport(?=;|$)/, '').concat(';received=127.0.0.9;rport=40000') : l,
    );
    socket.send(okFor(text, via), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.2', resolve));
  const stack = await startSipStack({
    transports: ['udp'],
    registrations: [registration(`sip:127.0.0.2:${socket.address().port}`, 'udp', 0)],
  });
  try {
    await until(() => registers.length >= 2, 5000, 'the second REGISTER');
    const first = registers[0] ?? '';
    const second = registers[1] ?? '';
    assert.equal(headerOf(first, 'Contact'), `<sip:nat-test@${HOST}:${stack.port}>`);
    assert.equal(
      headerOf(second, 'Contact'),
      `<sip:nat-test@127.0.0.9:40000>, <sip:nat-test@${HOST}:${stack.port}>;expires=0`,
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(registers.length, 2, 'settled: the public Contact is registered');
  } finally {
    await stack.close();
    socket.close();
  }
});
