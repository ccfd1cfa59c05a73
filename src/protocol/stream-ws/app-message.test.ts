import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../errors/catalog.js';
import { parseAppMessage, type AppMessage } from './app-message.js';
import { mediaFormatOf, type ContentType } from './formats.js';
import { PlayAudioScanner, scanPlayAudio } from './play-audio-scan.js';

const mulaw = mediaFormatOf('audio/x-mulaw;rate=8000');
const l16 = mediaFormatOf('audio/x-l16;rate=8000');
const l16w = mediaFormatOf('audio/x-l16;rate=16000');

function b64(bytes: Uint8Array | number[]): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)).toString('base64');
}

function play(media: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ event: 'playAudio', ...extra, media });
}

function okValue(text: string | Uint8Array, format = mulaw): AppMessage {
  const r = parseAppMessage(text, format);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  return r.value;
}

function errCode(
  text: string | Uint8Array,
  format = mulaw,
  opts?: Parameters<typeof parseAppMessage>[2],
): string {
  const r = parseAppMessage(text, format, opts);
  assert.ok(!r.ok, 'expected a failure');
  assert.ok(errorCatalog.has(r.error.code), r.error.code);
  return r.error.code;
}

/** A minimal WAV file (PCM or mu-law) around `data`. */
function wav(opts: {
  tag: number;
  bits: number;
  channels?: number;
  rate: number;
  data: Uint8Array;
  extraChunk?: boolean;
}): Uint8Array {
  const extra = opts.extraChunk === true ? 8 + 3 + 1 : 0;
  const out = new Uint8Array(44 + extra + opts.data.length);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) {
      out[at + i] = s.charCodeAt(i);
    }
  };
  const channels = opts.channels ?? 1;
  ascii(0, 'RIFF');
  v.setUint32(4, out.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, opts.tag, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, opts.rate, true);
  v.setUint32(28, (opts.rate * channels * opts.bits) / 8, true);
  v.setUint16(32, (channels * opts.bits) / 8, true);
  v.setUint16(34, opts.bits, true);
  let at = 36;
  if (opts.extraChunk === true) {
    // An odd-sized LIST chunk, padded to even length.
    ascii(at, 'LIST');
    v.setUint32(at + 4, 3, true);
    at += 12;
  }
  ascii(at, 'data');
  v.setUint32(at + 4, opts.data.length, true);
  out.set(opts.data, at + 8);
  return out;
}

test('Plivo stream §5.1/D14: playAudio in every accepted spelling yields the raw audio', () => {
  const audio = [1, 2, 3, 4, 5, 6, 7, 8];
  const payload = b64(audio);
  const spellings: Record<string, unknown>[] = [
    { contentType: 'audio/x-mulaw', sampleRate: 8000, payload },
    { contentType: 'audio/x-mulaw', sampleRate: '8000', payload },
    { contentType: 'audio/x-mulaw;rate=8000', sampleRate: 8000, payload },
    { contentType: ' AUDIO/X-MULAW ; rate=8000', payload },
    { payload },
    { contentType: null, sampleRate: null, payload },
    { contentType: 'raw', payload },
    { contentType: 'raw', sampleRate: 8000, payload },
  ];
  for (const media of spellings) {
    for (const extra of [{}, { streamId: 'anything' }, { unknownField: [1, 2] }]) {
      assert.deepEqual(
        okValue(play(media, extra)),
        { event: 'playAudio', audio: Uint8Array.from(audio) },
        JSON.stringify(media),
      );
    }
  }
  // L16: any length that is a whole number of samples, including less and more than a frame.
  for (const n of [0, 2, 318, 320, 322, 32000]) {
    const msg = okValue(
      play({ contentType: 'audio/x-l16', sampleRate: 16000, payload: b64(new Uint8Array(n)) }),
      l16w,
    );
    assert.equal(msg.event === 'playAudio' ? msg.audio.length : -1, n);
  }
  // A Uint8Array frame (UTF-8 bytes) parses the same.
  assert.equal(okValue(new TextEncoder().encode(play({ payload }))).event, 'playAudio');
});

test('D14: playAudio in another format than the negotiated one is refused, never played as noise', () => {
  const payload = b64(new Uint8Array(320));
  const mismatches: [Record<string, unknown>, ContentType][] = [
    [{ contentType: 'audio/x-l16', sampleRate: 8000, payload }, 'audio/x-mulaw;rate=8000'],
    [{ contentType: 'audio/x-mulaw', sampleRate: 8000, payload }, 'audio/x-l16;rate=8000'],
    [{ contentType: 'audio/x-l16', sampleRate: 16000, payload }, 'audio/x-l16;rate=8000'],
    [{ contentType: 'audio/x-l16;rate=8000', payload }, 'audio/x-l16;rate=16000'],
    [{ contentType: 'audio/x-l16;rate=16000', sampleRate: 8000, payload }, 'audio/x-l16;rate=16000'],
    [{ sampleRate: '16000', payload }, 'audio/x-l16;rate=8000'],
    [{ sampleRate: 'fast', payload }, 'audio/x-l16;rate=8000'],
    [{ sampleRate: true, payload }, 'audio/x-l16;rate=8000'],
    [{ contentType: 'audio/mpeg', payload }, 'audio/x-mulaw;rate=8000'],
    [{ contentType: 'raw', sampleRate: 16000, payload }, 'audio/x-l16;rate=8000'],
  ];
  for (const [media, ct] of mismatches) {
    assert.equal(
      errCode(play(media), mediaFormatOf(ct)),
      'ERR_STREAM_FORMAT_MISMATCH',
      JSON.stringify(media),
    );
  }
});

test('D14: odd byte counts for L16 are ERR_STREAM_PARTIAL_SAMPLE; mu-law takes any count', () => {
  assert.equal(errCode(play({ payload: b64([1, 2, 3]) }), l16), 'ERR_STREAM_PARTIAL_SAMPLE');
  assert.equal(okValue(play({ payload: b64([1, 2, 3]) }), mulaw).event, 'playAudio');
});

test('strict base64: characters outside the alphabet, URL-safe characters and bad padding are refused', () => {
  const bad = [
    'AAA*',
    'AA AA',
    'AAAA\n',
    'AB-_',
    'A===',
    'AA=A',
    '=AAA',
    'AAAAA',
    'AAA==',
    'AA=',
    'AAAA====',
    'Zm9v!',
    'QR==',
  ];
  for (const payload of bad) {
    assert.equal(errCode(play({ payload })), 'ERR_STREAM_BAD_BASE64', payload);
  }
  // Padded, unpadded (whole bytes) and empty payloads are fine.
  for (const [payload, bytes] of [
    ['AAAA', 3],
    ['AA==', 1],
    ['AAA=', 2],
    ['AA', 1],
    ['AAA', 2],
    ['', 0],
  ] as const) {
    const msg = okValue(play({ payload }));
    assert.equal(msg.event === 'playAudio' ? msg.audio.length : -1, bytes, payload);
  }
});

test('malformed messages: not JSON, not an object, no event, wrong field types', () => {
  assert.equal(errCode('{"event":'), 'ERR_STREAM_NOT_JSON');
  assert.equal(errCode(Uint8Array.from([0x7b, 0xff, 0x7d])), 'ERR_STREAM_NOT_JSON');
  for (const text of ['[]', 'null', '42', '"playAudio"', '{}', '{"event":5}']) {
    assert.equal(errCode(text), 'ERR_STREAM_BAD_MESSAGE', text);
  }
  assert.equal(errCode('{"event":"playAudio"}'), 'ERR_STREAM_BAD_MESSAGE');
  assert.equal(errCode(play({ payload: 5 })), 'ERR_STREAM_BAD_MESSAGE');
  assert.equal(errCode(play({ contentType: 8000, payload: '' })), 'ERR_STREAM_BAD_MESSAGE');
});

test('message size limit: refused before parsing (strings and bytes)', () => {
  const payload = 'A'.repeat(4 * 1024 * 1024);
  assert.equal(errCode(play({ payload })), 'ERR_STREAM_MESSAGE_TOO_LARGE');
  assert.equal(errCode('x'.repeat(101), mulaw, { maxMessageBytes: 100 }), 'ERR_STREAM_MESSAGE_TOO_LARGE');
  assert.equal(errCode(new Uint8Array(101), mulaw, { maxMessageBytes: 100 }), 'ERR_STREAM_MESSAGE_TOO_LARGE');
  // 40 UTF-16 units but 120 UTF-8 bytes.
  assert.equal(errCode('€'.repeat(40), mulaw, { maxMessageBytes: 100 }), 'ERR_STREAM_MESSAGE_TOO_LARGE');
  assert.equal(errCode('€'.repeat(20), mulaw, { maxMessageBytes: 100 }), 'ERR_STREAM_NOT_JSON');
});

test('Plivo stream §5.2-§5.5: checkpoint, clearAudio, sendDTMF and stop, with or without streamId', () => {
  assert.deepEqual(okValue('{"event":"checkpoint","streamId":"x","name":"customer greeting audio"}'), {
    event: 'checkpoint',
    name: 'customer greeting audio',
  });
  assert.equal(errCode('{"event":"checkpoint"}'), 'ERR_STREAM_BAD_CHECKPOINT');
  assert.equal(errCode('{"event":"checkpoint","name":""}'), 'ERR_STREAM_BAD_CHECKPOINT');
  assert.equal(errCode('{"event":"checkpoint","name":7}'), 'ERR_STREAM_BAD_CHECKPOINT');
  assert.deepEqual(okValue('{"event":"clearAudio"}'), { event: 'clearAudio' });
  assert.deepEqual(okValue('{"event":"clearAudio","streamId":"20170ada-f610-433b-8758-c02a2aab3662"}'), {
    event: 'clearAudio',
  });
  assert.deepEqual(okValue('{"event":"sendDTMF","dtmf":"1234#"}'), { event: 'sendDTMF', digits: '1234#' });
  assert.deepEqual(okValue('{"event":"sendDTMF","dtmf":"*0abcdD","streamId":"s"}'), {
    event: 'sendDTMF',
    digits: '*0ABCDD',
  });
  for (const dtmf of ['', '12e', ' 1', 12, null, 'ABCDEFG']) {
    assert.equal(errCode(JSON.stringify({ event: 'sendDTMF', dtmf })), 'ERR_STREAM_BAD_DTMF', String(dtmf));
  }
  assert.equal(errCode(JSON.stringify({ event: 'sendDTMF', dtmf: '1'.repeat(129) })), 'ERR_STREAM_BAD_DTMF');
  assert.deepEqual(okValue('{"event":"stop","streamId":"s"}'), { event: 'stop' });
});

test('unknown events are ignored with a short reason', () => {
  const msg = okValue(JSON.stringify({ event: 'mark', mark: { name: 'x' } }));
  assert.deepEqual(msg, { event: 'ignored', reason: 'unknown event "mark"' });
  const long = okValue(JSON.stringify({ event: 'x'.repeat(500) }));
  assert.ok(long.event === 'ignored' && long.reason.length < 100);
  assert.equal(okValue('{"event":"PlayAudio"}').event, 'ignored');
});

test('legacy wav: header stripped when the WAV is the negotiated format; mismatches and junk refused', () => {
  const pcm = Uint8Array.from([1, 0, 2, 0, 3, 0, 4, 0]);
  const file = wav({ tag: 1, bits: 16, rate: 8000, data: pcm, extraChunk: true });
  assert.deepEqual(okValue(play({ contentType: 'wav', payload: b64(file) }), l16), {
    event: 'playAudio',
    audio: pcm,
  });
  // Big-endian L16 streams (D6 setting) get the samples swapped.
  const be = parseAppMessage(play({ contentType: 'wav', payload: b64(file) }), l16, {
    l16LittleEndian: false,
  });
  assert.ok(be.ok && be.value.event === 'playAudio');
  assert.deepEqual(be.value.audio, Uint8Array.from([0, 1, 0, 2, 0, 3, 0, 4]));
  const mu = wav({ tag: 7, bits: 8, rate: 8000, data: Uint8Array.from([0xff, 0x7f, 0x00]) });
  assert.deepEqual(okValue(play({ contentType: 'wav', sampleRate: 8000, payload: b64(mu) }), mulaw), {
    event: 'playAudio',
    audio: Uint8Array.from([0xff, 0x7f, 0x00]),
  });
  // A streamed WAV whose data size is 0xFFFFFFFF takes what is there.
  const streamed = wav({ tag: 1, bits: 16, rate: 16000, data: pcm });
  new DataView(streamed.buffer).setUint32(40, 0xffffffff, true);
  assert.deepEqual(okValue(play({ contentType: 'wav', payload: b64(streamed) }), l16w), {
    event: 'playAudio',
    audio: pcm,
  });

  const mismatch: [Uint8Array, ContentType][] = [
    [wav({ tag: 1, bits: 16, rate: 16000, data: pcm }), 'audio/x-l16;rate=8000'],
    [wav({ tag: 1, bits: 16, rate: 8000, channels: 2, data: pcm }), 'audio/x-l16;rate=8000'],
    [wav({ tag: 1, bits: 8, rate: 8000, data: pcm }), 'audio/x-mulaw;rate=8000'],
    [wav({ tag: 6, bits: 8, rate: 8000, data: pcm }), 'audio/x-mulaw;rate=8000'],
    [wav({ tag: 7, bits: 8, rate: 8000, data: pcm }), 'audio/x-l16;rate=8000'],
  ];
  for (const [bytes, ct] of mismatch) {
    assert.equal(
      errCode(play({ contentType: 'wav', payload: b64(bytes) }), mediaFormatOf(ct)),
      'ERR_STREAM_FORMAT_MISMATCH',
    );
  }
  assert.equal(errCode(play({ contentType: 'wav', payload: b64(pcm) }), l16), 'ERR_STREAM_BAD_WAV');
  assert.equal(
    errCode(play({ contentType: 'wav', payload: b64(file.subarray(0, 36)) }), l16),
    'ERR_STREAM_BAD_WAV',
  );
  const oddData = wav({ tag: 1, bits: 16, rate: 8000, data: Uint8Array.from([1, 2, 3]) });
  assert.equal(
    errCode(play({ contentType: 'wav', payload: b64(oddData) }), l16),
    'ERR_STREAM_PARTIAL_SAMPLE',
  );
});

test('property: parseAppMessage never throws and fails only with catalogued ERR_STREAM_ codes (10,000 inputs)', () => {
  const formats = [mulaw, l16, l16w];
  const field = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
    fc.constantFrom('8000', '16000', 'audio/x-l16', 'audio/x-mulaw;rate=8000', 'raw', 'wav'),
  );
  const payload = fc.oneof(
    fc.base64String(),
    fc.string(),
    fc.uint8Array({ maxLength: 700 }).map((b) => Buffer.from(b).toString('base64')),
  );
  const structured = fc
    .record(
      {
        event: fc.constantFrom('playAudio', 'checkpoint', 'clearAudio', 'sendDTMF', 'stop', 'media', ''),
        streamId: fc.string(),
        name: fc.oneof(fc.string(), fc.integer()),
        dtmf: fc.oneof(fc.stringMatching(/^[0-9a-dA-D*#]{0,5}$/), fc.string(), fc.integer()),
        media: fc.oneof(
          fc.record({ contentType: field, sampleRate: field, payload }, { requiredKeys: [] }),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o));
  const input = fc.oneof(
    structured,
    fc.json(),
    fc.string(),
    fc.uint8Array({ maxLength: 200 }),
    fc.string({ unit: 'binary' }),
  );
  fc.assert(
    fc.property(
      input,
      fc.constantFrom(...formats),
      fc.constantFrom(100, 600, undefined),
      (data, format, maxMessageBytes) => {
        const r = parseAppMessage(data, format, maxMessageBytes === undefined ? {} : { maxMessageBytes });
        if (!r.ok) {
          assert.ok(r.error.code.startsWith('ERR_STREAM_') && errorCatalog.has(r.error.code), r.error.code);
          assert.ok(r.error.detail.length > 0 && r.error.detail.length < 300);
        } else if (r.value.event === 'playAudio') {
          assert.equal(r.value.audio.length % format.bytesPerSample, 0);
        }
      },
    ),
    { numRuns: 10_000 },
  );
});

test('property: the playAudio fast path (bytes, with and without a scanner memo) gives exactly the general parser result', () => {
  const formats = [mulaw, l16, l16w];
  const rare = <T>(often: fc.Arbitrary<T>, seldom: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    fc.oneof({ arbitrary: often, weight: 6 }, { arbitrary: seldom, weight: 1 });
  const absent = fc.constant(undefined);
  const ws = fc.constantFrom('', '', '', ' ', '\n', '\t ', '\r\n');
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: 700 }).map((b) => JSON.stringify(b64(b))),
    fc.uint8Array({ maxLength: 40 }).map((b) => JSON.stringify(b64(b).replace(/=+$/, ''))),
    fc
      .tuple(
        fc.uint8Array({ minLength: 3, maxLength: 40 }),
        fc.constantFrom('-', '_', ' ', '\\n', '\\"', '\\u0041', 'é', '!'),
      )
      .map(([b, bad]) => {
        const text = b64(b);
        return `"${text.slice(0, 2)}${bad}${text.slice(2)}"`;
      }),
    fc.constantFrom('""', '"QUI="', '"QUJ="', '"A"', '12', 'null', '"QUJD"', '"QR=="'),
  );
  const contentType = fc.constantFrom(
    '"audio/x-l16"',
    '"audio/x-mulaw"',
    '"audio/x-l16;rate=16000"',
    '"audio/x-l16;rate=8000"',
    '"audio/x-mulaw;rate=8000"',
    '"audio/x-l16;rate=24000"',
    '" Audio/X-L16 ; rate=16000 "',
    '"raw"',
    '"wav"',
    '""',
    '"bogus"',
  );
  const contentTypeOrOdd = rare(contentType, fc.constantFrom('"audio\\/x-l16"', 'null', '7'));
  const sampleRate = rare(
    fc.constantFrom('16000', '8000', '"16000"', '" 8000 "', '0', '"x"', '24000', '"24000"'),
    fc.constantFrom('016000', '16000.0', '1.6e4', '-8000', 'null', 'true', '1234567890'),
  );
  const member = (key: string, value: string, w: readonly string[]): string =>
    `${w[0]}"${key}"${w[1]}:${w[2]}${value}${w[3]}`;
  const object = (members: string[], w: string): string => `{${members.join(',')}${w}}`;
  const mediaMembers = fc.record({
    payload: rare(payload, absent),
    contentType: rare(contentTypeOrOdd, absent),
    sampleRate: rare(sampleRate, absent),
    extra: rare(absent, fc.constantFrom('"x":1', '"payload":"QUJD"', '"contentType":"audio/x-l16"')),
  });
  const message = fc
    .tuple(
      mediaMembers,
      fc.array(ws, { minLength: 40, maxLength: 40 }),
      rare(fc.constant('"playAudio"'), fc.constantFrom('"playaudio"', '"checkpoint"', '"play\\u0041udio"')),
      rare(fc.constantFrom(undefined, '"MZ-1"', '"abc"'), fc.constant('7')),
      rare(absent, fc.constantFrom('"event":"playAudio"', '"media":{}', '"other":[1]')),
      fc.boolean(),
      rare(fc.constantFrom('', ' ', '\n'), fc.constantFrom('x', '}')),
    )
    .map(([m, w, event, streamId, extraTop, reverse, trailing]) => {
      const inner: string[] = [];
      let i = 0;
      for (const [k, v] of Object.entries(m)) {
        if (v === undefined) {
          continue;
        }
        inner.push(k === 'extra' ? `${w[i++]}${v}` : member(k, v, w.slice(i, (i += 4))));
      }
      const top = [
        member('event', event, w.slice(20, 24)),
        member('media', object(reverse ? inner.reverse() : inner, w[24] ?? ''), w.slice(25, 29)),
      ];
      if (streamId !== undefined) {
        top.splice(reverse ? 0 : 2, 0, member('streamId', streamId, w.slice(29, 33)));
      }
      if (extraTop !== undefined) {
        top.push(extraTop);
      }
      return `${w[33]}${object(top, w[34] ?? '')}${trailing}`;
    });
  const shared = new PlayAudioScanner();
  let fast = 0;
  let total = 0;
  let tts = 0;
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 6 }),
      fc.constantFrom(...formats),
      (texts, format) => {
        const own = new PlayAudioScanner();
        for (const text of [...texts, ...texts]) {
          const bytes = Buffer.from(text, 'utf8');
          total++;
          if (scanPlayAudio(bytes) !== undefined) {
            fast++;
          }
          // Both with and without the playback extras' 24 kHz acceptance (`tts24k`).
          for (const extras of [{}, { tts24k: true }]) {
            const general = parseAppMessage(text, format, extras);
            if (
              general.ok &&
              general.value.event === 'playAudio' &&
              general.value.sampleRateHz !== undefined
            ) {
              tts++;
            }
            for (const opts of [{}, { scanner: own }, { scanner: shared }]) {
              assert.deepEqual(parseAppMessage(bytes, format, { ...opts, ...extras }), general, text);
            }
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
  // The generator must reach the fast path often, or the comparison proves little.
  assert.ok(total > 0 && fast > total / 4, `fast path taken for ${fast} of ${total} frames`);
  assert.ok(tts >= 50, `24 kHz accepted for ${tts} of ${total} frames`);
  console.log(`  fast path taken for ${fast} of ${total} frames; 24 kHz accepted ${tts} times`);
});

test('playAudio fast path: a stream scanner answers frames of the same shape from memory, and re-scans a new shape', () => {
  const scanner = new PlayAudioScanner();
  const opts = { scanner };
  const frame = (payload: Uint8Array, extra: Record<string, unknown> = {}): Buffer =>
    Buffer.from(play({ contentType: 'audio/x-mulaw', sampleRate: 8000, payload: b64(payload) }, extra));
  for (let i = 0; i < 5; i++) {
    const r = parseAppMessage(frame(Uint8Array.from([i, 1, 2])), mulaw, opts);
    assert.deepEqual(r, { ok: true, value: { event: 'playAudio', audio: Uint8Array.from([i, 1, 2]) } });
  }
  assert.deepEqual([scanner.scanned, scanner.remembered], [1, 4]);
  // Same prefix and suffix, but what lies between is not a payload: the memory must not accept it.
  const forged = Buffer.from(
    `{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"AAAA","payload":"QUJD"}}`,
  );
  const general = parseAppMessage(forged.toString(), mulaw);
  assert.deepEqual(general, {
    ok: true,
    value: { event: 'playAudio', audio: Uint8Array.from([65, 66, 67]) },
  });
  assert.deepEqual(parseAppMessage(forged, mulaw, opts), general);
  assert.deepEqual([scanner.scanned, scanner.remembered], [1, 5]);
  const withId = parseAppMessage(frame(Uint8Array.from([9]), { streamId: 's1' }), mulaw, opts);
  assert.deepEqual(withId, { ok: true, value: { event: 'playAudio', audio: Uint8Array.from([9]) } });
  assert.equal(scanner.scanned, 2);
});

test('playAudio fast path: the memory needs the same bytes after the payload too, not only before it', () => {
  const scanner = new PlayAudioScanner();
  const opts = { scanner };
  const head = '{"event":"playAudio","media":{"contentType":"audio/x-mulaw","payload":"';
  // The first frame ends with a space before the braces; the second does not, so reading the second
  // with the first one's tail length would cut its payload by a character that still leaves valid
  // base64 ("AAECAwQ" → "AAECAw").
  const first = Buffer.from(`${head}AAECAwQF" }}`);
  const second = Buffer.from(`${head}AAECAwQ"}}`);
  assert.deepEqual(parseAppMessage(first, mulaw, opts), parseAppMessage(first.toString(), mulaw));
  const general = parseAppMessage(second.toString(), mulaw);
  assert.deepEqual(general, {
    ok: true,
    value: { event: 'playAudio', audio: Uint8Array.from([0, 1, 2, 3, 4]) },
  });
  assert.deepEqual(parseAppMessage(second, mulaw, opts), general);
});
