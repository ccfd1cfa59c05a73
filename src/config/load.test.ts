import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { configForTesting, loadConfig, type LoadConfigResult } from './load.js';
import { configLeaves, envNameFor, type Config } from './schema.js';

const dir = mkdtempSync(join(tmpdir(), 'streamfork-config-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

function okConfig(result: LoadConfigResult): Config {
  if (!result.ok) {
    assert.fail(`expected a valid config, got:\n${result.errors.join('\n')}`);
  }
  return result.config;
}

function errorsOf(result: LoadConfigResult): readonly string[] {
  if (result.ok) {
    assert.fail('expected the config to be rejected');
  }
  return result.errors;
}

const token = { STREAMFORK_AUTH_AUTH_TOKEN: 'secret' };

test('defaults: loopback listeners, documented ports, Plivo-shaped auth id', () => {
  const config = okConfig(loadConfig({ env: token }));
  assert.equal(config.sip.host, '127.0.0.1');
  assert.equal(config.sip.port, 5060);
  assert.deepEqual(config.sip.allowFrom, ['127.0.0.1/32', '::1/128']);
  assert.equal(config.sip.trunk, null);
  assert.equal(config.rtp.portMin, 20000);
  assert.equal(config.rtp.portMax, 20999);
  assert.equal(config.http.port, 8080);
  assert.equal(config.http.tls, null);
  assert.match(config.auth.authId, /^MA[A-Z0-9]{18}$/);
  assert.equal(config.answer.timeoutMs, 5000);
  assert.equal(config.storage.driver, 'sqlite');
  assert.equal(config.storage.dataDir, './.data');
  assert.equal(config.stream.extraHeadersMode, 'semicolon');
  assert.equal(config.stream.l16ByteOrder, 'little');
  assert.equal(config.stream.sendStop, false);
  assert.equal(config.stream.connectAttempts, 3);
  assert.equal(config.stream.bufferSeconds, 40);
  assert.equal(config.tuning.jitterBufferMs, 40);
  assert.equal(config.log.redact, true);
});

test('the result is deep-frozen', () => {
  const config = okConfig(
    loadConfig({ env: token, overrides: { sip: { trunk: { uri: 'sip:trunk.example:5060' } } } }),
  );
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.sip));
  assert.ok(Object.isFrozen(config.sip.allowFrom));
  assert.ok(Object.isFrozen(config.sip.trunk));
  assert.throws(() => {
    (config.http as { port: number }).port = 1;
  }, TypeError);
});

test('precedence: overrides > env > file > defaults; objects merge, arrays replace', () => {
  const file = writeJson('layers.json', {
    http: { port: 9000, host: '0.0.0.0' },
    sip: { port: 5070, allowFrom: ['10.0.0.0/8'] },
    rtp: { portMin: 30000, portMax: 30099 },
    auth: { authToken: 'from-file' },
  });
  const config = okConfig(
    loadConfig({
      file,
      env: {
        STREAMFORK_HTTP_PORT: '9001',
        STREAMFORK_SIP_PORT: '5080',
        STREAMFORK_SIP_ALLOW_FROM: '192.168.0.0/16, 10.1.1.1',
      },
      overrides: { http: { port: 9002 } },
    }),
  );
  assert.equal(config.http.port, 9002);
  assert.equal(config.http.host, '0.0.0.0');
  assert.equal(config.sip.port, 5080);
  assert.deepEqual(config.sip.allowFrom, ['192.168.0.0/16', '10.1.1.1']);
  assert.equal(config.rtp.portMin, 30000);
  assert.equal(config.auth.authToken, 'from-file');
});

test('STREAMFORK_CONFIG names the file when none is passed', () => {
  const file = writeJson('env-file.json', { auth: { authToken: 't' }, log: { level: 'debug' } });
  assert.equal(okConfig(loadConfig({ env: { STREAMFORK_CONFIG: file } })).log.level, 'debug');
});

test('env coercion: booleans, lists, null-able keys, credentials and null-able objects', () => {
  const config = okConfig(
    loadConfig({
      env: {
        ...token,
        STREAMFORK_STREAM_SEND_STOP: 'yes',
        STREAMFORK_LOG_PRETTY: 'TRUE',
        STREAMFORK_SIP_TRANSPORTS: 'udp',
        STREAMFORK_SIP_PUBLIC_ADDRESS: '203.0.113.7',
        STREAMFORK_SIP_INBOUND_AUTH_USERS: 'alice:pa:ss, bob:x',
        STREAMFORK_SIP_TRUNK_URI: 'sip:trunk.example.net',
        STREAMFORK_HTTP_TLS_CERT_FILE: '/etc/cert.pem',
        STREAMFORK_HTTP_TLS_KEY_FILE: '/etc/key.pem',
        STREAMFORK_ANSWER_ANSWER_URL: 'https://app.example/answer',
        STREAMFORK_ANSWER_ANSWER_METHOD: 'GET',
        OTHER_VARIABLE: 'ignored',
      },
    }),
  );
  assert.equal(config.stream.sendStop, true);
  assert.equal(config.log.pretty, true);
  assert.deepEqual(config.sip.transports, ['udp']);
  assert.equal(config.sip.publicAddress, '203.0.113.7');
  assert.deepEqual(config.sip.inboundAuth, {
    realm: 'streamfork',
    users: [
      { username: 'alice', password: 'pa:ss' },
      { username: 'bob', password: 'x' },
    ],
  });
  assert.deepEqual(config.sip.trunk, {
    uri: 'sip:trunk.example.net',
    username: null,
    password: null,
    fromUser: null,
    fromDomain: null,
  });
  assert.deepEqual(config.http.tls, { certFile: '/etc/cert.pem', keyFile: '/etc/key.pem' });
  assert.equal(config.answer.answerMethod, 'GET');
});

test('an empty env value clears a null-able key set by the file', () => {
  const file = writeJson('nullable.json', {
    auth: { authToken: 't' },
    sip: { publicAddress: '198.51.100.1' },
  });
  assert.equal(
    okConfig(loadConfig({ file, env: { STREAMFORK_SIP_PUBLIC_ADDRESS: '' } })).sip.publicAddress,
    null,
  );
});

test('errors are specific and name the key, the expectation and the value', () => {
  const errors = errorsOf(loadConfig({ env: { ...token, STREAMFORK_HTTP_PORT: 'abc' } }));
  assert.deepEqual(errors, ['http.port: expected integer 1-65535, got "abc" (from STREAMFORK_HTTP_PORT)']);

  const more = errorsOf(
    loadConfig({
      env: token,
      overrides: {
        sip: { prot: 5060, port: 70000 },
        stream: { l16ByteOrder: 'middle' },
        answer: { answerUrl: 'ftp://x' },
      } as never,
    }),
  );
  assert.deepEqual(
    new Set(more),
    new Set([
      'unknown key sip.prot',
      'sip.port: expected integer 1-65535, got 70000',
      'stream.l16ByteOrder: expected one of "little", "big", got "middle"',
      'answer.answerUrl: expected http:// or https:// URL or null, got "ftp://x"',
    ]),
  );
});

test('unknown keys are errors at every level, and unknown STREAMFORK_ variables too', () => {
  const errors = errorsOf(
    loadConfig({
      env: { ...token, STREAMFORK_SIP_PROT: '5060' },
      overrides: { nope: {}, http: { tls: { certFile: 'a', keyFile: 'b', pass: 'x' } } } as never,
    }),
  );
  assert.ok(errors.includes('unknown environment variable STREAMFORK_SIP_PROT'), errors.join('\n'));
  assert.ok(errors.includes('unknown key nope'), errors.join('\n'));
  assert.ok(errors.includes('unknown key http.tls.pass'), errors.join('\n'));
});

test('auth.authToken is required and has no default; secrets are not echoed', () => {
  assert.deepEqual(errorsOf(loadConfig({ env: {} })), [
    'auth.authToken: required (set STREAMFORK_AUTH_AUTH_TOKEN or auth.authToken in the config file)',
  ]);
  const errors = errorsOf(loadConfig({ env: {}, overrides: { auth: { authToken: 42 } } as never }));
  assert.deepEqual(errors, ['auth.authToken: expected non-empty string, got 42']);
  const empty = errorsOf(loadConfig({ env: { STREAMFORK_AUTH_AUTH_TOKEN: '' } }));
  assert.deepEqual(empty, [
    'auth.authToken: expected non-empty string, got (redacted) (from STREAMFORK_AUTH_AUTH_TOKEN)',
  ]);
});

test('a partial null-able object reports only its missing keys', () => {
  const errors = errorsOf(loadConfig({ env: { ...token, STREAMFORK_SIP_TRUNK_USERNAME: 'u' } }));
  assert.deepEqual(errors, [
    'sip.trunk.uri: required (set STREAMFORK_SIP_TRUNK_URI or sip.trunk.uri in the config file)',
  ]);
});

test('cross-key rules: the RTP range must hold at least two ports', () => {
  const errors = errorsOf(loadConfig({ env: token, overrides: { rtp: { portMin: 30000, portMax: 30000 } } }));
  assert.deepEqual(errors, ['rtp.portMax: expected at least rtp.portMin + 1 (30001), got 30000']);
});

test('file problems are reported, not thrown', () => {
  assert.match(
    errorsOf(loadConfig({ env: token, file: join(dir, 'missing.json') }))[0] ?? '',
    /cannot read it \(ENOENT\)/,
  );
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ "http": ');
  assert.match(errorsOf(loadConfig({ env: token, file: bad }))[0] ?? '', /invalid JSON/);
  assert.match(
    errorsOf(loadConfig({ env: token, file: writeJson('array.json', [1]) }))[0] ?? '',
    /JSON object/,
  );
});

test('schema: every key documented, defaulted unless required, with a unique env name', () => {
  const leaves = configLeaves();
  assert.ok(leaves.length > 50);
  const names = new Set(leaves.map((l) => l.env));
  assert.equal(names.size, leaves.length);
  const required = new Set([
    'auth.authToken',
    'sip.trunk.uri',
    'sip.inboundAuth.users',
    'http.tls.certFile',
    'http.tls.keyFile',
    'sip.tls.certFile',
    'sip.tls.keyFile',
  ]);
  for (const leaf of leaves) {
    const s = leaf.schema as { description?: string; default?: unknown };
    const key = leaf.path.join('.');
    assert.ok((s.description ?? '').length > 10, `${key} has no description`);
    assert.equal(s.default === undefined, required.has(key), `${key}: default presence`);
    assert.equal(leaf.env, envNameFor(leaf.path));
  }
  assert.equal(envNameFor(['rtp', 'portMin']), 'STREAMFORK_RTP_PORT_MIN');
  assert.equal(envNameFor(['http', 'tls', 'certFile']), 'STREAMFORK_HTTP_TLS_CERT_FILE');
});

test('configForTesting gives a valid in-memory config with overrides', () => {
  const config = configForTesting({ http: { port: 18080 } });
  assert.equal(config.http.port, 18080);
  assert.equal(config.storage.driver, 'memory');
  assert.throws(() => configForTesting({ http: { port: -1 } }), /ERR_CONFIG_INVALID|http\.port/);
});

test('storage: postgres needs storage.url; a bad URL is refused without echoing its password', () => {
  assert.deepEqual(errorsOf(loadConfig({ env: { ...token, STREAMFORK_STORAGE_DRIVER: 'postgres' } })), [
    'storage.url: required with storage.driver postgres (set STREAMFORK_STORAGE_URL)',
  ]);
  const bad = errorsOf(
    loadConfig({ env: { ...token, STREAMFORK_STORAGE_URL: 'mysql://app:hunter2@db:3306/x' } }),
  );
  assert.equal(bad.length, 1, bad.join('\n'));
  assert.match(bad[0] ?? '', /^storage\.url: expected postgres:\/\/ or postgresql:\/\/ URL/);
  assert.ok(!bad.join('\n').includes('hunter2'), bad.join('\n'));
  const ok = loadConfig({
    env: { ...token, STREAMFORK_STORAGE_DRIVER: 'postgres', STREAMFORK_STORAGE_URL: 'postgres://u:p@db/x' },
  });
  assert.ok(ok.ok);
  assert.equal(ok.config.storage.url, 'postgres://u:p@db/x');
});

test('rtp.codecs: default PCMU, PCMA in the offer order; env list form; unknown or repeated codecs refused', () => {
  const defaults = okConfig(loadConfig({ env: token }));
  assert.deepEqual(defaults.rtp.codecs, ['PCMU', 'PCMA']);
  assert.equal(defaults.rtp.codecOrder, 'offer');
  const wide = okConfig(
    loadConfig({
      env: { ...token, STREAMFORK_RTP_CODECS: 'G722,PCMU,PCMA', STREAMFORK_RTP_CODEC_ORDER: 'ours' },
    }),
  );
  assert.deepEqual(wide.rtp.codecs, ['G722', 'PCMU', 'PCMA']);
  assert.equal(wide.rtp.codecOrder, 'ours');
  assert.equal(loadConfig({ env: { ...token, STREAMFORK_RTP_CODECS: 'G729' } }).ok, false);
  assert.equal(loadConfig({ env: { ...token, STREAMFORK_RTP_CODECS: 'PCMU,PCMU' } }).ok, false);
  assert.equal(loadConfig({ env: { ...token, STREAMFORK_RTP_CODECS: '' } }).ok, false);
});

test('sip.registrations: a JSON array in the env, each entry filled with its defaults; bad entries named', () => {
  const config = okConfig(
    loadConfig({
      env: {
        ...token,
        STREAMFORK_SIP_REGISTRATIONS: JSON.stringify([
          { registrar: 'sip:pbx.example.net', username: 'alice', password: 'p' },
          {
            registrar: 'sip:10.0.0.5:5080',
            username: 'bob',
            password: 'q',
            transport: 'tcp',
            expiresSec: 120,
          },
        ]),
      },
    }),
  );
  assert.deepEqual(config.sip.registrations, [
    {
      registrar: 'sip:pbx.example.net',
      username: 'alice',
      password: 'p',
      authUsername: null,
      realm: null,
      expiresSec: 3600,
      contactUser: null,
      keepAliveSec: 0,
      transport: 'udp',
    },
    {
      registrar: 'sip:10.0.0.5:5080',
      username: 'bob',
      password: 'q',
      authUsername: null,
      realm: null,
      expiresSec: 120,
      contactUser: null,
      keepAliveSec: 0,
      transport: 'tcp',
    },
  ]);
  const bad = errorsOf(
    loadConfig({
      env: {
        ...token,
        STREAMFORK_SIP_REGISTRATIONS: JSON.stringify([
          { registrar: 'pbx', username: 'a', password: 'b', expiresSec: 1 },
        ]),
      },
    }),
  );
  assert.ok(
    bad.some((e) => e.includes('sip.registrations')),
    bad.join('\n'),
  );
  const tcpOff = errorsOf(
    loadConfig({
      env: {
        ...token,
        STREAMFORK_SIP_TRANSPORTS: 'udp',
        STREAMFORK_SIP_REGISTRATIONS: JSON.stringify([
          { registrar: 'sip:10.0.0.5', username: 'a', password: 'b', transport: 'tcp' },
        ]),
      },
    }),
  );
  assert.deepEqual(tcpOff, ['sip.registrations.0.transport: tcp is not in sip.transports']);
});
