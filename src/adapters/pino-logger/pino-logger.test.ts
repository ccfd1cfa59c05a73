/**
 * Issue 11 item 8: tokens in callback query strings reached the logs because `url` was not a redacted
 * key. A real pino logger writes to a buffer here; no secret may appear in any line, while scheme,
 * host, port and path stay readable.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';

import { createPinoLogger } from './pino-logger.js';

function capture(redact?: boolean): { logger: ReturnType<typeof createPinoLogger>; lines: () => string[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createPinoLogger({
    level: 'debug',
    destination,
    ...(redact === undefined ? {} : { redact }),
  });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

const SECRETS = [
  'tok-123',
  'hunter2',
  's3cret',
  'sig-xyz',
  'frag-99',
  'bare-key',
  'ws-tok',
  'msg-tok',
  'err-tok',
];

test('URLs in fields, nested fields, bindings, messages and errors keep scheme/host/path, lose secrets', () => {
  const { logger, lines } = capture();
  logger.info(
    { url: 'https://bob:hunter2@app.example:8443/cb/hangup?token=tok-123&n=1#frag-99' },
    'callback',
  );
  logger.warn({ answer: { hangupUrl: 'http://127.0.0.1:9000/h?sig=sig-xyz', method: 'POST' } }, 'nested');
  logger.debug({ method: 'GET', url: '/v1/Account/MA00/Call/?auth=s3cret' }, 'API request refused');
  logger.info({ fallbackUrl: 'http://app.example/f?bare-key' }, 'bare query item');
  logger.child({ serviceUrl: 'wss://bot.example/ws?t=ws-tok' }).info({}, 'stream');
  logger.warn({}, 'fetch of http://app.example/answer?token=msg-tok failed');
  logger.error({ err: new Error('GET https://app.example/x?key=err-tok: HTTP 500') }, 'fetch failed');
  const out = lines();
  assert.equal(out.length, 7);
  const text = out.join('\n');
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
  }
  const json = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(
    json[0]?.['url'],
    'https://[redacted]@app.example:8443/cb/hangup?token=[redacted]&n=[redacted]#[redacted]',
  );
  assert.deepEqual(json[1]?.['answer'], {
    hangupUrl: 'http://127.0.0.1:9000/h?sig=[redacted]',
    method: 'POST',
  });
  assert.equal(json[2]?.['url'], '/v1/Account/MA00/Call/?auth=[redacted]');
  assert.equal(json[3]?.['fallbackUrl'], 'http://app.example/f?[redacted]');
  assert.equal(json[4]?.['serviceUrl'], 'wss://bot.example/ws?t=[redacted]');
  assert.equal(json[5]?.['msg'], 'fetch of http://app.example/answer?token=[redacted] failed');
  const err = json[6]?.['err'] as { message: string; stack: string };
  assert.equal(err.message, 'GET https://app.example/x?key=[redacted]: HTTP 500');
  assert.match(err.stack, /^Error: GET https:\/\/app\.example\/x\?key=\[redacted\]: HTTP 500/);
});

test('URLs without secrets, and other fields, are logged unchanged; PII keys stay censored', () => {
  const { logger, lines } = capture();
  logger.info(
    { url: 'http://app.example/answer', callUuid: 'c-1', from: '+14155550100', pii: { digits: '1234' } },
    'plain',
  );
  const json = JSON.parse(lines()[0] ?? '{}') as Record<string, unknown>;
  assert.equal(json['url'], 'http://app.example/answer');
  assert.equal(json['callUuid'], 'c-1');
  assert.equal(json['from'], '[redacted]');
  assert.equal(json['pii'], '[redacted]');
});

test('redact: false (local debugging) logs URLs as given', () => {
  const { logger, lines } = capture(false);
  logger.info({ url: 'http://app.example/a?token=tok-123' }, 'raw');
  assert.ok((lines()[0] ?? '').includes('tok-123'));
});
