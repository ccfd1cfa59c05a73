import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'streamfork-xml-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the CLI, capturing the text it writes to stdout and stderr. The test runner's own protocol
 * also goes through stdout (as bytes, never strings), so byte chunks are passed through untouched.
 */
async function run(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') {
      return origOut(chunk, ...rest);
    }
    out += chunk;
    return true;
  };
  process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') {
      return origErr(chunk, ...rest);
    }
    err += chunk;
    return true;
  };
  try {
    const status = await main(argv);
    return { status, out, err };
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
  }
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('xml validate: a valid document prints OK and exits 0', async () => {
  const path = file(
    'ok.xml',
    '<Response><Stream keepCallAlive="true">wss://app.example/ws</Stream></Response>',
  );
  const r = await run(['xml', 'validate', path]);
  assert.equal(r.status, 0);
  assert.equal(r.out, 'OK\n');
});

test('xml validate: warnings follow OK, exit 0 (D16 contentType="raw")', async () => {
  const path = file(
    'warn.xml',
    '<Response>\n  <Stream contentType="raw">wss://a.example/ws</Stream>\n</Response>',
  );
  const r = await run(['xml', 'validate', path]);
  assert.equal(r.status, 0);
  assert.equal(
    r.out,
    'OK\n2:11 warning ERR_XML_LEGACY_VALUE contentType="raw" is legacy; treated as "audio/x-l16;rate=8000" (Response/Stream[1])\n',
  );
});

test('xml validate: each error is printed as line:col code message, exit 1 (D9)', async () => {
  const text =
    '<Response>\n<Stream bidirectional="true" audioTrack="outbound">https://a.example/ws</Stream>\n</Response>';
  const r = await run(['xml', 'validate', file('bad.xml', text)]);
  assert.equal(r.status, 1);
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^2:30 ERR_XML_STREAM_BIDIRECTIONAL_TRACK /);
  assert.match(lines[1]!, /^2:52 ERR_XML_BAD_URL_SCHEME /);
});

test('xml validate: an unreadable file is reported on stderr, exit 1', async () => {
  const r = await run(['xml', 'validate', join(dir, 'missing.xml')]);
  assert.equal(r.status, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /cannot read/);
});

test('xml validate: a TwiML document is checked as TwiML; a mix of TwiML and Plivo XML is refused naming the dialect', async () => {
  const ok = await run([
    'xml',
    'validate',
    file('twiml.xml', '<Response><Connect><Stream url="wss://bot.example/m"/></Connect></Response>'),
  ]);
  assert.equal(ok.status, 0);
  assert.equal(ok.out, 'OK (TwiML)\n');
  const bad = await run([
    'xml',
    'validate',
    file('dial.xml', '<Response><Say>hi</Say><Dial>+1555</Dial></Response>'),
  ]);
  assert.equal(bad.status, 1);
  assert.match(bad.out, /ERR_XML_UNSUPPORTED_ELEMENT <Dial> is TwiML this server does not run/);
  const mixed = await run([
    'xml',
    'validate',
    file('mixed.xml', '<Response><Say>hi</Say><Speak>plivo</Speak><Wait length="1"/></Response>'),
  ]);
  assert.equal(mixed.status, 1);
  assert.match(mixed.out, /^1:0 ERR_XML_WRONG_DIALECT the document looks like Plivo XML/);
});
