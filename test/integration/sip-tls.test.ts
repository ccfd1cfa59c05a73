// SIP over TLS on loopback (RFC 3261 §26, RFC 5630): a raw node:tls client calls in (INVITE → 100/200,
// ACK, BYE on the one connection), streamfork dials a TLS peer, and verifyPeer refuses a certificate
// nobody trusts. The certificates are made per run with the openssl CLI (test/helpers/tls-certs.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import type { AddressInfo } from 'node:net';

import { TargetGuard } from '../../src/adapters/net/target-guard.js';
import { loadSipTlsMaterial } from '../../src/adapters/sip-transport/tls-material.js';
import { parseTargetPolicy } from '../../src/protocol/net/target-policy.js';
import { loadConfig } from '../../src/config/load.js';

import { ServerError } from '../../src/errors/server-error.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { captureLogger, delay, until } from '../helpers/stream-call.js';
import { makeTestPki, type TestPki } from '../helpers/tls-certs.js';

const HOST = '127.0.0.1';

function sdp(port: number): string {
  return [
    'v=0',
    `o=- 1 1 IN IP4 ${HOST}`,
    's=-',
    `c=IN IP4 ${HOST}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** A SIP client over one TLS connection that verifies the server against `ca`. */
class RawTlsPeer {
  readonly inbox: string[] = [];
  #buffer = '';
  private constructor(readonly socket: tls.TLSSocket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      // Messages from streamfork carry Content-Length; split on it.
      for (;;) {
        const end = this.#buffer.indexOf('\r\n\r\n');
        const length = Number(/\r\nContent-Length: *(\d+)/i.exec(this.#buffer.slice(0, end))?.[1] ?? 0);
        if (end < 0 || this.#buffer.length < end + 4 + length) {
          return;
        }
        this.inbox.push(this.#buffer.slice(0, end + 4 + length));
        this.#buffer = this.#buffer.slice(end + 4 + length);
      }
    });
  }

  static connect(port: number, ca: string): Promise<RawTlsPeer> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: HOST, port, ca: readFileSync(ca) }, () => {
        resolve(new RawTlsPeer(socket));
      });
      socket.once('error', reject);
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  send(text: string): void {
    this.socket.write(Buffer.from(text, 'latin1'));
  }

  async waitFor(want: (m: string) => boolean, what: string): Promise<string> {
    await until(
      () => this.inbox.some(want),
      3000,
      `${what} (got: ${JSON.stringify(this.inbox.map((m) => m.split('\r\n')[0]))}, buffered ${this.#buffer.length})`,
    );
    return this.inbox.find(want) ?? '';
  }
}

const status = (m: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(m)?.[1]);
const header = (m: string, name: string): string =>
  new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(m)?.[1] ?? '';

function request(
  method: string,
  peer: RawTlsPeer,
  dialog: { callId: string; toTag?: string; cseq: number },
  extra: { uri?: string; body?: string } = {},
): string {
  const body = extra.body ?? '';
  return [
    `${method} ${extra.uri ?? `sip:stream@${HOST};transport=tls`} SIP/2.0`,
    `Via: SIP/2.0/TLS ${HOST}:${peer.localPort};branch=z9hG4bK-${method}-${dialog.cseq}-${dialog.callId.replace(/\W/g, '')};rport`,
    'Max-Forwards: 70',
    `From: <sip:tester@${HOST}>;tag=tester`,
    `To: <sip:stream@${HOST}>${dialog.toTag === undefined ? '' : `;tag=${dialog.toTag}`}`,
    `Call-ID: ${dialog.callId}`,
    `CSeq: ${dialog.cseq} ${method}`,
    `Contact: <sip:tester@${HOST}:${peer.localPort};transport=tls>`,
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ].join('\r\n');
}

describe('SIP over TLS (RFC 3261 §26)', () => {
  let pki: TestPki;
  let server: SipStack;
  const serverLog = captureLogger();

  before(async () => {
    pki = makeTestPki();
    // verifyPeer false here: the raw client presents no certificate.
    server = await startSipStack({
      logger: serverLog,
      tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, verifyPeer: false },
    });
  });

  after(async () => {
    await server.close();
    pki.remove();
  });

  test('a TLS client calls in: 100 and 200 over its connection, Contact transport=tls, ACK and BYE', async () => {
    assert.ok(server.tlsPort > 0 && server.tlsPort !== server.port);
    const peer = await RawTlsPeer.connect(server.tlsPort, pki.caFile);
    try {
      const callId = `tls-${Date.now()}@${HOST}`;
      peer.send(request('INVITE', peer, { callId, cseq: 1 }, { body: sdp(40000) }));
      const ok = await peer.waitFor(
        (m) => status(m) === 200 && header(m, 'CSeq') === '1 INVITE',
        'the 200 to the INVITE',
      );
      assert.ok(
        peer.inbox.some((m) => status(m) === 100),
        'a 100 Trying came first',
      );
      assert.equal(header(ok, 'Contact'), `<sip:streamfork@${HOST}:${server.tlsPort};transport=tls>`);
      assert.match(header(ok, 'Via'), /^SIP\/2\.0\/TLS /);
      const toTag = /;tag=([^;>\s]+)/.exec(header(ok, 'To'))?.[1];
      assert.ok(toTag !== undefined);
      peer.send(request('ACK', peer, { callId, toTag, cseq: 1 }));
      await until(() => server.calls.length === 1, 3000, 'the TLS call reaching the engine');
      peer.send(request('BYE', peer, { callId, toTag, cseq: 2 }));
      await peer.waitFor((m) => status(m) === 200 && header(m, 'CSeq') === '2 BYE', 'the 200 to the BYE');
      await until(() => server.server.stats().liveDialogs === 0, 3000, 'the dialog released');
    } catch (err) {
      // What the server logged (a malformed-message entry says why it stayed silent).
      throw new Error(`${String(err)}; server log: ${JSON.stringify(serverLog.entries.slice(0, 5))}`, {
        cause: err,
      });
    } finally {
      peer.socket.destroy();
    }
  });

  test('a sips: Request-URI gets a sips: Contact (RFC 3261 §8.1.1.8)', async () => {
    const peer = await RawTlsPeer.connect(server.tlsPort, pki.caFile);
    try {
      const callId = `sips-${Date.now()}@${HOST}`;
      peer.send(
        request('INVITE', peer, { callId, cseq: 1 }, { uri: `sips:stream@${HOST}`, body: sdp(40002) }),
      );
      const ok = await peer.waitFor((m) => status(m) === 200, 'the 200 to the sips: INVITE');
      assert.equal(header(ok, 'Contact'), `<sips:streamfork@${HOST}:${server.tlsPort}>`);
      const toTag = /;tag=([^;>\s]+)/.exec(header(ok, 'To'))?.[1];
      peer.send(request('ACK', peer, { callId, ...(toTag === undefined ? {} : { toTag }), cseq: 1 }));
      peer.send(request('BYE', peer, { callId, ...(toTag === undefined ? {} : { toTag }), cseq: 2 }));
      await peer.waitFor((m) => status(m) === 200 && header(m, 'CSeq') === '2 BYE', 'the 200 to the BYE');
    } finally {
      peer.socket.destroy();
    }
  });

  test('a CRLF ping on the TLS connection gets a CRLF pong (RFC 5626 §4.4.1)', async () => {
    const socket = tls.connect({ host: HOST, port: server.tlsPort, ca: readFileSync(pki.caFile) });
    try {
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      socket.write('\r\n\r\n');
      await until(() => Buffer.concat(received).length >= 2, 2000, 'the pong');
      assert.equal(Buffer.concat(received).toString('latin1'), '\r\n');
    } finally {
      socket.destroy();
    }
  });

  test('streamfork dials a TLS peer (transport=tls trunk), verifying its certificate', async () => {
    const dialer = await startSipStack({
      tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, verifyPeer: true },
      trunk: {
        uri: `sip:${HOST}:${server.tlsPort};transport=tls`,
        username: '',
        password: '',
        fromUser: null,
        fromDomain: null,
      },
    });
    try {
      const before = server.calls.length;
      const result = await dialer.server.dial({ to: '1000', from: '2000', timeoutSec: 5 });
      assert.ok(result.ok, JSON.stringify(result));
      await until(() => server.calls.length === before + 1, 3000, 'the dialled call reaching the peer');
      const info = server.calls[before]?.info;
      assert.ok(info !== undefined);
      result.call.hangup('NORMAL_CLEARING', 'server');
      await until(() => dialer.server.stats().liveDialogs === 0, 3000, 'the dialer released');
    } finally {
      await dialer.close();
    }
  });

  test('verifyPeer refuses a peer whose certificate does not chain to caFile, and says why', async () => {
    const rogue = await startSipStack({
      tls: {
        port: 0,
        certFile: pki.rogueCertFile,
        keyFile: pki.rogueKeyFile,
        caFile: null,
        verifyPeer: false,
      },
    });
    const logger = captureLogger();
    const dialer = await startSipStack({
      logger,
      tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, verifyPeer: true },
      trunk: {
        uri: `sips:${HOST}:${rogue.tlsPort}`,
        username: '',
        password: '',
        fromUser: null,
        fromDomain: null,
      },
    });
    try {
      const result = await dialer.server.dial({ to: '1000', from: '2000', timeoutSec: 5 });
      assert.equal(result.ok, false);
      await delay(50);
      assert.equal(rogue.calls.length, 0, 'no INVITE reached the untrusted peer');
      const refusal = logger.entries.find((e) => e.msg === 'SIP TLS connection refused');
      assert.ok(refusal !== undefined, 'the refusal is logged');
      assert.match(String(refusal.fields['reason']), /self[- ]signed|certificate/i);
    } finally {
      await dialer.close();
      await rogue.close();
    }
  });

  test('verifyPeer refuses a peer whose CA-signed certificate has expired, and says so', async () => {
    const expired = await startSipStack({
      tls: {
        port: 0,
        certFile: pki.expiredCertFile,
        keyFile: pki.expiredKeyFile,
        caFile: null,
        verifyPeer: false,
      },
    });
    const logger = captureLogger();
    const dialer = await startSipStack({
      logger,
      tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, verifyPeer: true },
      trunk: {
        uri: `sip:${HOST}:${expired.tlsPort};transport=tls`,
        username: '',
        password: '',
        fromUser: null,
        fromDomain: null,
      },
    });
    try {
      const result = await dialer.server.dial({ to: '1000', from: '2000', timeoutSec: 5 });
      assert.equal(result.ok, false);
      assert.equal(expired.calls.length, 0);
      const refusal = logger.entries.find((e) => e.msg === 'SIP TLS connection refused');
      assert.match(String(refusal?.fields['reason']), /certificate has expired/);
    } finally {
      await dialer.close();
      await expired.close();
    }
  });

  test('with verifyPeer our listener refuses a client without a trusted certificate', async () => {
    const logger = captureLogger();
    const strict = await startSipStack({
      logger,
      tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, verifyPeer: true },
    });
    try {
      const refused = await new Promise<string>((resolve) => {
        const socket = tls.connect({
          host: HOST,
          port: strict.tlsPort,
          ca: readFileSync(pki.caFile),
          cert: readFileSync(pki.rogueCertFile),
          key: readFileSync(pki.rogueKeyFile),
        });
        socket.on('error', (err: Error) => {
          resolve(err.message);
        });
        socket.on('secureConnect', () => {
          socket.write('OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\r\n');
        });
        socket.on('close', () => {
          resolve('closed');
        });
      });
      assert.ok(refused.length > 0);
      await until(
        () => logger.entries.some((e) => e.msg === 'SIP TLS connection refused'),
        2000,
        'the refusal logged',
      );
      assert.equal(strict.calls.length, 0);
    } finally {
      await strict.close();
    }
  });

  test('registration over TLS to a registrar by name: SNI and the certificate check use the name', async () => {
    const seen: { servername: string | false | null; register: string }[] = [];
    const registrar = tls.createServer(
      { cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) },
      (socket) => {
        socket.setEncoding('latin1');
        socket.on('data', (text: string) => {
          if (!text.startsWith('REGISTER ')) {
            return;
          }
          seen.push({ servername: socket.servername, register: text });
          const copy = ['Via', 'From', 'Call-ID', 'CSeq', 'Contact'].map((n) => `${n}: ${header(text, n)}`);
          socket.write(
            [
              'SIP/2.0 200 OK',
              ...copy,
              `To: ${header(text, 'To')};tag=reg`,
              'Expires: 600',
              'Content-Length: 0',
              '',
              '',
            ].join('\r\n'),
          );
        });
      },
    );
    await new Promise<void>((resolve) => registrar.listen(0, HOST, resolve));
    const port = (registrar.address() as AddressInfo).port;
    const policy = parseTargetPolicy({ allowed: ['127.0.0.0/8'], denied: [] });
    assert.ok(policy.ok);
    const targets = new TargetGuard(policy.value, (host) =>
      host === 'localhost'
        ? Promise.resolve([{ address: HOST, family: 4 }])
        : Promise.reject(new Error('ENOTFOUND')),
    );
    const client = await startSipStack({
      targets,
      tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, verifyPeer: true },
      registrations: [
        {
          registrar: `sip:localhost:${port};transport=tls`,
          username: 'u100',
          password: 'secret',
          authUsername: null,
          realm: null,
          expiresSec: 600,
          contactUser: 'sf-tls',
          keepAliveSec: 0,
          transport: 'tls',
        },
      ],
    });
    try {
      await until(
        () => client.server.registrations()[0]?.state === 'registered',
        3000,
        'the TLS registration',
      );
      const first = seen[0];
      assert.ok(first !== undefined);
      assert.equal(first.servername, 'localhost');
      assert.match(header(first.register, 'Via'), new RegExp(`^SIP/2\\.0/TLS ${HOST}:${client.tlsPort};`));
      assert.equal(header(first.register, 'Contact'), `<sip:sf-tls@${HOST}:${client.tlsPort};transport=tls>`);
      assert.match(first.register, /^REGISTER sip:localhost:\d+;transport=tls SIP\/2\.0/);
    } finally {
      await client.close();
      registrar.close();
    }
  });

  test('unreadable or mismatched files fail the start with ERR_CONFIG_INVALID naming the key', () => {
    const base = { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: null, verifyPeer: true };
    assert.throws(
      () => loadSipTlsMaterial({ ...base, certFile: `${pki.dir}/missing.pem` }),
      (err: unknown) =>
        err instanceof ServerError &&
        err.code === 'ERR_CONFIG_INVALID' &&
        /sip\.tls\.certFile .*ENOENT/.test(err.message),
    );
    assert.throws(
      () => loadSipTlsMaterial({ ...base, keyFile: pki.rogueKeyFile }),
      (err: unknown) =>
        err instanceof ServerError &&
        err.code === 'ERR_CONFIG_INVALID' &&
        err.message.includes('sip.tls.certFile/keyFile'),
    );
    assert.ok(loadSipTlsMaterial(base).cert.length > 0);
  });

  test('config: sip.tls defaults to null; a tls registration needs it', () => {
    const plain = loadConfig({ env: { STREAMFORK_AUTH_AUTH_TOKEN: 'test-token-123456' } });
    assert.ok(plain.ok, plain.ok ? '' : plain.errors.join('; '));
    assert.equal(plain.config.sip.tls, null);
    const reg = {
      registrar: 'sip:pbx.example',
      username: 'u',
      password: 'p',
      transport: 'tls' as const,
      realm: null,
      authUsername: null,
      expiresSec: 60,
      contactUser: null,
      keepAliveSec: 0,
    };
    const missing = loadConfig({
      env: { STREAMFORK_AUTH_AUTH_TOKEN: 'test-token-123456' },
      overrides: { sip: { registrations: [reg] } },
    });
    assert.ok(!missing.ok);
    assert.ok(
      missing.errors.some((e) => e.includes('sip.registrations.0.transport: tls needs sip.tls')),
      missing.errors.join('; '),
    );
    const withTls = loadConfig({
      env: {
        STREAMFORK_AUTH_AUTH_TOKEN: 'test-token-123456',
        STREAMFORK_SIP_TLS_CERT_FILE: pki.certFile,
        STREAMFORK_SIP_TLS_KEY_FILE: pki.keyFile,
      },
    });
    assert.ok(withTls.ok, withTls.ok ? '' : withTls.errors.join('; '));
    assert.deepEqual(withTls.config.sip.tls, {
      port: 5061,
      certFile: pki.certFile,
      keyFile: pki.keyFile,
      caFile: null,
      verifyPeer: true,
    });
  });
});
