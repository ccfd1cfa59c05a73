import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { errorCatalog } from '../../errors/catalog.js';
import { negotiateAnswer } from '../sdp/negotiate-answer.js';
import { frameSipStream } from './frame-sip-stream.js';
import { getCSeq, getCallId, getFrom, getHeader, getListValues, getTopVia, getVias } from './headers.js';
import { tagOf } from './name-addr.js';
import { parseSipMessage } from './parse-sip-message.js';
import { replyToMalformed } from './reply-to-malformed.js';
import { serializeSipMessage } from './serialize-sip-message.js';
import { viaBranch } from './via.js';

const vectors = new URL('../../../test/vectors/sip/', import.meta.url);

interface Expect {
  parse: string;
  answer?: number | 'drop';
  sdp?: string;
  method?: string;
  status?: number;
  callId?: string;
  cseq?: number;
  branch?: string;
  fromTag?: string;
  fromDisplay?: string;
  bodyLength?: number;
  bodyText?: string;
  viaCount?: number;
  recordRouteCount?: number;
  header?: Record<string, string>;
}

function load(folder: 'good' | 'bad'): { name: string; bytes: Uint8Array; expect: Expect; source: string }[] {
  const dir = new URL(`${folder}/`, vectors);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sip'))
    .sort()
    .map((f) => {
      const side = JSON.parse(readFileSync(new URL(f.replace(/\.sip$/, '.json'), dir), 'utf8')) as {
        expect: Expect;
        source: string;
      };
      return {
        name: f,
        bytes: new Uint8Array(readFileSync(new URL(f, dir))),
        expect: side.expect,
        source: side.source,
      };
    });
}

test('RFC 3261 §7 / RFC 4475 spirit: every good vector parses with the fields its sidecar names', () => {
  const good = load('good');
  assert.ok(good.length >= 15);
  for (const v of good) {
    const r = parseSipMessage(v.bytes);
    assert.ok(r.ok, `${v.name}: ${r.ok ? '' : r.error.code}`);
    const m = r.value;
    const e = v.expect;
    if (e.method !== undefined) {
      assert.equal(m.kind === 'request' ? m.method : undefined, e.method, v.name);
    }
    if (e.status !== undefined) {
      assert.equal(m.kind === 'response' ? m.status : undefined, e.status, v.name);
    }
    if (e.callId !== undefined) {
      assert.equal(getCallId(m), e.callId, v.name);
    }
    if (e.cseq !== undefined) {
      assert.equal(getCSeq(m)?.seq, e.cseq, v.name);
    }
    if (e.branch !== undefined) {
      const top = getTopVia(m);
      assert.equal(top === undefined ? undefined : viaBranch(top), e.branch, v.name);
    }
    if (e.fromTag !== undefined) {
      const from = getFrom(m);
      assert.equal(from === undefined ? undefined : tagOf(from), e.fromTag, v.name);
    }
    if (e.fromDisplay !== undefined) {
      assert.equal(getFrom(m)?.displayName, e.fromDisplay, v.name);
    }
    if (e.bodyLength !== undefined) {
      assert.equal(m.body.length, e.bodyLength, v.name);
    }
    if (e.bodyText !== undefined) {
      assert.equal(new TextDecoder().decode(m.body), e.bodyText, v.name);
    }
    if (e.viaCount !== undefined) {
      assert.equal(getVias(m)?.length, e.viaCount, v.name);
    }
    if (e.recordRouteCount !== undefined) {
      assert.equal(getListValues(m, 'Record-Route').length, e.recordRouteCount, v.name);
    }
    for (const [name, value] of Object.entries(e.header ?? {})) {
      assert.equal(getHeader(m, name), value, v.name);
    }
  }
});

test('RFC 3261 §7 / §21: each of the >= 40 bad vectors yields its catalogued code and its answer (status or drop)', () => {
  const bad = load('bad');
  assert.ok(bad.length >= 40, `only ${bad.length} bad vectors`);
  for (const v of bad) {
    const r = parseSipMessage(v.bytes);
    const e = v.expect;
    if (e.parse === 'ok') {
      assert.ok(r.ok, `${v.name} should parse: ${r.ok ? '' : r.error.code}`);
      if (e.sdp !== undefined) {
        const sdp = negotiateAnswer(new TextDecoder().decode(r.value.body), {
          localAddress: '127.0.0.1',
          localPort: 40000,
          origin: { sessionId: '1', sessionVersion: 1 },
        });
        assert.ok(!sdp.ok, v.name);
        assert.equal(sdp.error.code, e.sdp, v.name);
        assert.equal(sdp.error.sipStatus, e.answer, v.name);
        assert.ok(errorCatalog.has(sdp.error.code), v.name);
      }
      continue;
    }
    assert.ok(!r.ok, `${v.name} should fail`);
    assert.ok(errorCatalog.has(r.error.code), `${v.name}: ${r.error.code} not catalogued`);
    if (e.parse !== 'any-error') {
      assert.equal(r.error.code, e.parse, `${v.name}: ${r.error.detail}`);
    }
    const reply = replyToMalformed(v.bytes, r.error);
    if (e.answer === 'drop') {
      assert.equal(reply.action, 'drop', `${v.name} should be dropped`);
    } else {
      if (reply.action === 'drop') {
        assert.fail(`${v.name} should be answered: ${reply.reason}`);
      }
      assert.equal(reply.status, e.answer, v.name);
    }
  }
});

test('RFC 3261 §8.2.6: the answer to a malformed request copies Via, From, To, Call-ID and CSeq and parses', () => {
  const bytes = new TextEncoder().encode(
    'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKq\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x@y\r\nCSeq: 1 INVITE\r\nMax-Forwards: lots\r\nContent-Length: 0\r\n\r\n',
  );
  const r = parseSipMessage(bytes);
  assert.ok(!r.ok);
  const reply = replyToMalformed(bytes, r.error);
  if (reply.action === 'drop') {
    assert.fail(reply.reason);
  }
  const back = parseSipMessage(serializeSipMessage(reply.response));
  assert.ok(back.ok, back.ok ? '' : back.error.code);
  assert.equal(getCallId(back.value), 'x@y');
  assert.equal(reply.response.status, 400);
});

test('RFC 3261 §18.3: frameSipStream splits pipelined messages by Content-Length and keeps the partial rest', () => {
  const good = load('good').filter((v) => v.name === 'invite-basic.sip' || v.name === 'compact-forms.sip');
  const a = good[0]!.bytes;
  const b = good[1]!.bytes;
  const joined = new Uint8Array([...a, 13, 10, ...b, ...b.subarray(0, 30)]);
  const f = frameSipStream(joined);
  assert.equal(f.error, undefined);
  assert.equal(f.messages.length, 2);
  assert.deepEqual(f.messages[0], a);
  assert.deepEqual(f.messages[1], b);
  assert.equal(f.rest.length, 30);
  for (const m of f.messages) {
    assert.ok(parseSipMessage(m).ok);
  }
  // Byte-by-byte arrival yields the same messages.
  let buf = new Uint8Array(0);
  let count = 0;
  for (const byte of joined) {
    buf = new Uint8Array([...buf, byte]);
    const step = frameSipStream(buf);
    count += step.messages.length;
    buf = new Uint8Array(step.rest);
  }
  assert.equal(count, 2);
});

test('RFC 3261 §18.3: a stream message without Content-Length is a framing error', () => {
  const text = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n';
  const f = frameSipStream(new TextEncoder().encode(text));
  assert.equal(f.error?.code, 'ERR_SIP_STREAM_FRAMING');
  const big = frameSipStream(new TextEncoder().encode(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(70000)}`));
  assert.equal(big.error?.code, 'ERR_SIP_MESSAGE_TOO_LARGE');
});

test('RFC 3261 §7.3.3: compact and long forms serialize canonically and round-trip', () => {
  const good = load('good').find((v) => v.name === 'compact-forms.sip')!;
  const r = parseSipMessage(good.bytes);
  assert.ok(r.ok);
  const wire = serializeSipMessage(r.value);
  const text = new TextDecoder().decode(wire);
  assert.match(text, /\r\nVia: SIP\/2.0\/UDP 192.0.2.10;branch=z9hG4bKcompact\r\n/);
  assert.match(text, /\r\nContent-Length: \d+\r\n\r\n/);
  const again = parseSipMessage(wire);
  assert.ok(again.ok);
  assert.deepEqual(serializeSipMessage(again.value), wire);
});
