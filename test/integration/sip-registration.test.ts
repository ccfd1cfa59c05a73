/**
 * Outbound registration on real loopback sockets: the SIP stack registers with a scripted registrar on
 * 127.0.0.2 (digest challenge, then 200 or 403), and its inbound admission follows docs/sip.md
 * "Calls from a registrar": the registrar's address is admitted, a Request-URI naming the registered
 * contact user is admitted while registered, anything else outside `sip.allowFrom` gets 403. A refusing
 * registrar makes the binding back off (failures counted, status kept); stop unregisters.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';

import { DigestServer } from '../../src/protocol/sip/digest/digest-server.js';
import { headerOf, RawSipPeer, statusOf } from '../helpers/raw-sip-peer.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';

const REGISTRAR_HOST = '127.0.0.2';

interface ScriptedRegistrar {
  readonly port: number;
  readonly registers: string[];
  /** OPTIONS received (keep-alives). */
  readonly options: string[];
  /** What a REGISTER with valid credentials gets. */
  mode: 'ok' | 'forbidden';
  ping(requestUri: string, targetPort: number): Promise<string>;
  close(): void;
}

async function startRegistrar(password: string): Promise<ScriptedRegistrar> {
  const socket = dgram.createSocket('udp4');
  const digest = new DigestServer({ realm: 'reg.test', secret: 'x' });
  const registers: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  const reply = (req: string, to: dgram.RemoteInfo, status: string, extra: string[]): void => {
    const lines = [
      `SIP/2.0 ${status}`,
      ...req.split('\r\n').filter((l) => /^Via:/i.test(l)),
      `From: ${headerOf(req, 'From') ?? ''}`,
      `To: ${headerOf(req, 'To') ?? ''};tag=reg1`,
      `Call-ID: ${headerOf(req, 'Call-ID') ?? ''}`,
      `CSeq: ${headerOf(req, 'CSeq') ?? ''}`,
      ...extra,
      'Content-Length: 0',
    ];
    socket.send(`${lines.join('\r\n')}\r\n\r\n`, to.port, to.address);
  };
  const state: ScriptedRegistrar = {
    port: 0,
    registers,
    options: [],
    mode: 'ok',
    ping: (requestUri, targetPort) =>
      new Promise<string>((resolve) => {
        waiting.push(resolve);
        const text = [
          `OPTIONS ${requestUri} SIP/2.0`,
          `Via: SIP/2.0/UDP ${REGISTRAR_HOST}:${socket.address().port};branch=z9hG4bK-reg${Math.random()}`,
          'Max-Forwards: 70',
          `From: <sip:registrar@${REGISTRAR_HOST}>;tag=r1`,
          `To: <${requestUri}>`,
          `Call-ID: opt-${Math.random()}`,
          'CSeq: 1 OPTIONS',
          'Content-Length: 0',
        ].join('\r\n');
        socket.send(`${text}\r\n\r\n`, targetPort, '127.0.0.1');
      }),
    close: () => {
      socket.close();
    },
  };
  socket.on('message', (m, from) => {
    const text = m.toString('latin1');
    if (text.startsWith('SIP/2.0')) {
      waiting.shift()?.(text);
      return;
    }
    if (text.startsWith('OPTIONS ')) {
      state.options.push(text);
      reply(text, from, '200 OK', []);
      return;
    }
    if (!text.startsWith('REGISTER ')) {
      return;
    }
    registers.push(text);
    const auth = headerOf(text, 'Authorization');
    const verified = auth !== undefined && digest.verify(auth, 'REGISTER', () => password, Date.now()).ok;
    if (!verified) {
      reply(text, from, '401 Unauthorized', [
        `WWW-Authenticate: ${digest.challenge(Date.now(), new Uint8Array(8))}`,
      ]);
      return;
    }
    if (state.mode === 'forbidden') {
      reply(text, from, '403 Forbidden', []);
      return;
    }
    const expires = headerOf(text, 'Expires') ?? '60';
    reply(text, from, '200 OK', [`Contact: ${headerOf(text, 'Contact') ?? ''};expires=${expires}`]);
  });
  await new Promise<void>((resolve) => socket.bind(0, REGISTRAR_HOST, resolve));
  return Object.assign(state, { port: socket.address().port });
}

async function until(what: string, fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stackFor(registrar: ScriptedRegistrar, password: string, keepAliveSec = 0): Promise<SipStack> {
  return startSipStack({
    transports: ['udp'],
    allowFrom: ['192.0.2.1'],
    registrations: [
      {
        registrar: `sip:${REGISTRAR_HOST}:${registrar.port}`,
        username: 'alice',
        password,
        authUsername: null,
        realm: null,
        expiresSec: 60,
        contactUser: null,
        keepAliveSec,
        transport: 'udp',
      },
    ],
    registrationTuning: { backoffBaseMs: 100, backoffMaxMs: 400 },
  });
}

test('registered: the registrar and the contact user are admitted, others refused; stop unregisters', async () => {
  const registrar = await startRegistrar('pw-ok');
  const stack = await stackFor(registrar, 'pw-ok');
  const peer = await RawSipPeer.open(stack.port);
  try {
    await until('registered', () => stack.server.registrations().at(0)?.state === 'registered');
    const view = stack.server.registrations().at(0);
    assert.ok(view !== undefined);
    assert.equal(view.grantedSec, 60);
    assert.equal(view.failures, 0);
    assert.equal(registrar.registers.length, 2, 'challenged once, then accepted');
    const contact = headerOf(registrar.registers[1] ?? '', 'Contact') ?? '';
    const user = /<sip:([^@]+)@/.exec(contact)?.[1] ?? '';
    assert.match(user, /^sf-[0-9a-f]{16}$/);

    const optionsFromPeer = async (uri: string): Promise<number> =>
      statusOf(
        await peer.send(
          peer.request('OPTIONS', { callId: `o-${Math.random()}`, fromTag: 'p', cseq: 1 }, '', uri),
          (r) => r.startsWith('SIP/2.0'),
          'OPTIONS answer',
        ),
      );
    assert.equal(await optionsFromPeer(`sip:someone@127.0.0.1:${stack.port}`), 403, 'not allowed, not ours');
    assert.equal(await optionsFromPeer(`sip:${user}@127.0.0.1:${stack.port}`), 200, 'the registered contact');
    assert.equal(
      statusOf(await registrar.ping(`sip:anyone@127.0.0.1:${stack.port}`, stack.port)),
      200,
      "the registrar's own address",
    );
  } finally {
    peer.close();
    await stack.close();
  }
  const last = registrar.registers.at(-1) ?? '';
  assert.equal(headerOf(last, 'Expires'), '0', 'unregistered on stop');
  assert.ok(headerOf(last, 'Authorization') !== undefined, 'the unregister answered its challenge');
  const callIds = new Set(registrar.registers.map((r) => headerOf(r, 'Call-ID')));
  assert.equal(callIds.size, 1, 'one Call-ID for the binding');
  registrar.close();
});

test('a refusing registrar: the binding backs off, counts failures, keeps the status; the contact user is not admitted', async () => {
  const registrar = await startRegistrar('pw-ok');
  registrar.mode = 'forbidden';
  const stack = await stackFor(registrar, 'pw-ok');
  const peer = await RawSipPeer.open(stack.port);
  try {
    await until('three failures', () => (stack.server.registrations().at(0)?.failures ?? 0) >= 3);
    const view = stack.server.registrations().at(0);
    assert.ok(view !== undefined);
    assert.equal(view.state, 'retrying');
    assert.equal(view.lastErrorStatus, 403);
    assert.ok(view.nextAttemptAt !== null);
    const user = /<sip:([^@]+)@/.exec(headerOf(registrar.registers[0] ?? '', 'Contact') ?? '')?.[1] ?? '';
    const answer = await peer.send(
      peer.request(
        'OPTIONS',
        { callId: 'o-x', fromTag: 'p', cseq: 1 },
        '',
        `sip:${user}@127.0.0.1:${stack.port}`,
      ),
      (r) => r.startsWith('SIP/2.0'),
      'OPTIONS answer',
    );
    assert.equal(statusOf(answer), 403, 'not registered: the contact user admits nothing');
  } finally {
    peer.close();
    await stack.close();
    registrar.close();
  }
});

test('a wrong password: 401 loop bounded, reported as refused credentials', async () => {
  const registrar = await startRegistrar('pw-right');
  const stack = await stackFor(registrar, 'pw-wrong');
  try {
    await until('a failure', () => (stack.server.registrations().at(0)?.failures ?? 0) >= 1);
    const view = stack.server.registrations().at(0);
    assert.ok(view !== undefined);
    assert.equal(view.lastErrorStatus, 401);
    assert.equal(view.lastErrorReason, 'credentials refused');
    assert.ok(registrar.registers.length <= 2 * view.failures + 2, 'two REGISTERs per attempt at most');
  } finally {
    await stack.close();
    registrar.close();
  }
});

test('keep-alive: an OPTIONS to the registrar every keepAliveSec, none after stop', async () => {
  const registrar = await startRegistrar('pw-ok');
  const stack = await stackFor(registrar, 'pw-ok', 1);
  try {
    await until('two keep-alives', () => registrar.options.length >= 2, 4000);
    const first = registrar.options[0] ?? '';
    assert.match(
      first,
      new RegExp(`^OPTIONS sip:${REGISTRAR_HOST.replace(/\./g, '\\.')}:${registrar.port} SIP/2.0`),
    );
  } finally {
    await stack.close();
  }
  const after = registrar.options.length;
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(registrar.options.length, after, 'no keep-alive after stop');
  registrar.close();
});
