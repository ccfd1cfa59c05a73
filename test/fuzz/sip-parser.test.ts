/**
 * CI fuzzing of the SIP parser and TCP framing (issue 11; RFC 3261 §7, §18.3). Inputs are havoc mutations
 * of the real and synthetic vectors in test/vectors/sip plus the hostile messages. Properties:
 * nothing throws; a failure carries a catalogued ERR_SIP_* code and `replyToMalformed` decides on it
 * without throwing (a reply it builds parses back as a response); a parsed message re-serializes to one
 * that parses to the same message; framing a stream fed in arbitrary chunks gives the same messages and
 * the same error as framing it whole, and every framed message that parses has exactly its
 * Content-Length of body. Every input in test/vectors/fuzz/sip-parser/ is replayed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../src/errors/catalog.js';
import type { ParseFailure } from '../../src/errors/result.js';
import { frameSipStream } from '../../src/protocol/sip/frame-sip-stream.js';
import {
  getCSeq,
  getCallId,
  getContacts,
  getFrom,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
} from '../../src/protocol/sip/headers.js';
import { parseSipMessage } from '../../src/protocol/sip/parse-sip-message.js';
import { replyToMalformed } from '../../src/protocol/sip/reply-to-malformed.js';
import { serializeSipMessage } from '../../src/protocol/sip/serialize-sip-message.js';
import type { SipMessage } from '../../src/protocol/sip/sip-message.types.js';
import { corpus, havoc, readSeeds, runFuzz } from './harness.js';
import { hostileSipMessages, sipDictionary } from './sip-seeds.js';

const TARGET = 'sip-parser';
const vectors = new URL('../vectors/sip/', import.meta.url);
const seeds = [
  ...readSeeds(new URL('good/', vectors), '.sip'),
  ...readSeeds(new URL('bad/', vectors), '.sip').filter((b) => b.length < 8192),
  ...hostileSipMessages().map((t) => Buffer.from(t, 'latin1')),
];

function assertFailure(error: ParseFailure): void {
  assert.match(error.code, /^ERR_SIP_/);
  assert.ok(errorCatalog.has(error.code), `uncatalogued ${error.code}`);
  assert.equal(typeof error.detail, 'string');
}

/** What the parsed-message accessors of the stack read; none of them may throw on a parsed message. */
function readAll(m: SipMessage): void {
  getCSeq(m);
  getCallId(m);
  getFrom(m);
  getTo(m);
  getTopVia(m);
  getVias(m);
  getContacts(m);
  getRecordRoutes(m);
  getRoutes(m);
  getMaxForwards(m);
}

/** The whole contract on one datagram. */
function checkDatagram(bytes: Uint8Array): void {
  const r = parseSipMessage(bytes);
  if (!r.ok) {
    assertFailure(r.error);
    const reply = replyToMalformed(bytes, r.error);
    if (reply.action === 'respond') {
      assert.ok(reply.status >= 400 && reply.status <= 699, `reply status ${reply.status}`);
      const wire = serializeSipMessage(reply.response);
      const back = parseSipMessage(wire, { skipMandatoryHeaders: true });
      assert.ok(back.ok && back.value.kind === 'response', 'the reply to a malformed request must parse');
    }
    return;
  }
  readAll(r.value);
  const again = parseSipMessage(serializeSipMessage(r.value));
  assert.ok(
    again.ok,
    again.ok ? '' : `re-serialized message fails: ${again.error.code} ${again.error.detail}`,
  );
  // The serializer writes one Content-Length that matches the body (a datagram may have had none).
  assert.deepEqual(withoutLength(again.value), withoutLength(r.value));
  assert.equal(
    again.value.headers.find((h) => h.name === 'Content-Length')?.value,
    String(r.value.body.length),
  );
}

function withoutLength(m: SipMessage): SipMessage {
  // Bytes compared as bytes: a body parsed out of a Buffer is a Buffer.
  return {
    ...m,
    headers: m.headers.filter((h) => h.name !== 'Content-Length'),
    body: Uint8Array.from(m.body),
  };
}

/** Feeds `stream` in the given chunk sizes, as the TCP adapter does; returns messages and the error code. */
function frameInChunks(
  stream: Uint8Array,
  sizes: readonly number[],
): { messages: Uint8Array[]; code?: string } {
  const messages: Uint8Array[] = [];
  let buffer: Uint8Array = new Uint8Array(0);
  let at = 0;
  let i = 0;
  while (at < stream.length) {
    const size = Math.max(1, sizes.length === 0 ? stream.length : (sizes[i++ % sizes.length] ?? 1));
    const chunk = stream.subarray(at, at + size);
    at += chunk.length;
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer, 0);
    joined.set(chunk, buffer.length);
    const f = frameSipStream(joined);
    messages.push(...f.messages);
    if (f.error !== undefined) {
      return { messages, code: f.error.code };
    }
    buffer = Uint8Array.from(f.rest);
  }
  return { messages };
}

function checkStream(stream: Uint8Array, sizes: readonly number[]): void {
  const whole = frameSipStream(stream);
  if (whole.error !== undefined) {
    assertFailure(whole.error);
  }
  const chunked = frameInChunks(stream, sizes);
  assert.deepEqual(
    chunked.messages.map((m) => Buffer.from(m).toString('latin1')),
    whole.messages.map((m) => Buffer.from(m).toString('latin1')),
  );
  // A stream that ends inside a message has no error yet; chunked feeding may see the same prefix.
  assert.equal(chunked.code, whole.error?.code);
  for (const m of whole.messages) {
    const r = parseSipMessage(m);
    if (r.ok) {
      const cl = r.value.headers.find((h) => h.name === 'Content-Length');
      assert.ok(cl !== undefined, 'a framed message that parses has a Content-Length');
      assert.equal(r.value.body.length, Number(cl.value));
    } else {
      assertFailure(r.error);
    }
  }
}

const dictionary = sipDictionary();
const datagram = fc.oneof(
  { arbitrary: havoc(seeds, dictionary), weight: 8 },
  { arbitrary: fc.uint8Array({ maxLength: 400 }), weight: 1 },
);

test('fuzz: parseSipMessage on 12,000 mutated vectors: no throw, catalogued ERR_SIP_ codes, stable re-serialization', () => {
  runFuzz('parse-datagram', datagram, checkDatagram, { target: TARGET, runs: 12_000, ext: 'sip' });
});

const streamInput = fc.record({
  parts: fc.array(havoc(seeds, dictionary, 3), { minLength: 1, maxLength: 4 }),
  keepAlives: fc.array(fc.constantFrom('', '\r\n', '\r\n\r\n', '\n'), { minLength: 4, maxLength: 4 }),
  sizes: fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 6 }),
});

test('fuzz: frameSipStream on 10,000 mutated TCP streams: chunked framing equals whole framing, bodies match Content-Length', () => {
  runFuzz(
    'frame-stream',
    streamInput,
    ({ parts, keepAlives, sizes }) => {
      const pieces = parts.flatMap((p, i) => [Buffer.from(keepAlives[i] ?? ''), Buffer.from(p)]);
      checkStream(Buffer.concat(pieces), sizes);
    },
    {
      target: TARGET,
      runs: 10_000,
      ext: 'sip',
      toBytes: ({ parts }) => Buffer.concat(parts.map((p) => Buffer.from(p))),
    },
  );
});

for (const entry of corpus(TARGET)) {
  test(`corpus ${TARGET}/${entry.name}: ${entry.sidecar.note}`, () => {
    checkDatagram(entry.bytes);
    checkStream(entry.bytes, [1]);
    checkStream(entry.bytes, [7, 13]);
  });
}
