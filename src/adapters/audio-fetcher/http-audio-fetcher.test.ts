import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { serializeWav } from '../../media/wav.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../../ports/http-client.js';
import { ByteLru } from './byte-lru.js';
import { HttpAudioFetcher, sniffAudio } from './http-audio-fetcher.js';

/** An HttpClient answering from a table of URL → response, counting requests. */
function fakeHttp(table: Record<string, HttpResponse>): HttpClient & { readonly seen: HttpRequest[] } {
  const seen: HttpRequest[] = [];
  return {
    seen,
    request(req) {
      seen.push(req);
      return Promise.resolve(
        table[req.url] ?? {
          ok: true,
          status: 404,
          contentType: 'text/plain',
          body: '',
          bytes: new Uint8Array(0),
        },
      );
    },
  };
}

function bytesResponse(bytes: Uint8Array, contentType: string): HttpResponse {
  return { ok: true, status: 200, contentType, body: '', bytes };
}

const MP3_HEAD = new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x64]);
const dir = mkdtempSync(join(tmpdir(), 'sf-audio-'));

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('sniffAudio: RIFF/WAVE, ID3 and MPEG frame sync, content type and extension', () => {
  assert.equal(sniffAudio(serializeWav(new Int16Array(10), 8000), '', 'http://x/a'), 'wav');
  assert.equal(sniffAudio(MP3_HEAD, '', 'http://x/a'), 'mp3');
  assert.equal(sniffAudio(new Uint8Array([0xff, 0xf3, 0, 0]), '', 'http://x/a'), 'mp3');
  assert.equal(sniffAudio(new Uint8Array([1, 2, 3]), 'audio/mpeg', 'http://x/a'), 'mp3');
  assert.equal(sniffAudio(new Uint8Array([1, 2, 3]), '', 'http://x/a.mp3?v=1'), 'mp3');
  assert.equal(sniffAudio(new TextEncoder().encode('<html>'), 'text/html', 'http://x/a'), 'unknown');
});

test('WAV at 16 kHz is resampled to 8 kHz and cached by URL', async () => {
  const http = fakeHttp({
    'http://x/a.wav': bytesResponse(serializeWav(new Int16Array(1600).fill(1000), 16000), 'audio/wav'),
  });
  const fetcher = new HttpAudioFetcher({ http });
  const first = await fetcher.fetch('http://x/a.wav');
  assert.ok(first.ok);
  assert.equal(first.audio.length, 800);
  assert.equal(first.cached, false);
  const second = await fetcher.fetch('http://x/a.wav');
  assert.ok(second.ok && second.cached);
  assert.equal(http.seen.length, 1);
  assert.equal(http.seen[0]?.responseType, 'bytes');
});

test('concurrent fetches of one URL share one download', async () => {
  const http = fakeHttp({
    'http://x/b.wav': bytesResponse(serializeWav(new Int16Array(80), 8000), 'audio/wav'),
  });
  const fetcher = new HttpAudioFetcher({ http });
  const results = await Promise.all([fetcher.fetch('http://x/b.wav'), fetcher.fetch('http://x/b.wav')]);
  assert.ok(results.every((r) => r.ok));
  assert.equal(http.seen.length, 1);
});

test('failures: HTTP status, transport error, too large, not audio, bad WAV', async () => {
  const http = fakeHttp({
    'http://x/down': { ok: false, reason: 'connect', detail: 'ECONNREFUSED' },
    'http://x/big': { ok: false, reason: 'tooLarge', detail: 'over' },
    'http://x/page': bytesResponse(new TextEncoder().encode('<html></html>'), 'text/html'),
    'http://x/bad.wav': bytesResponse(
      new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WAVEjunkjunk'),
      'audio/wav',
    ),
  });
  const fetcher = new HttpAudioFetcher({ http });
  const codes = await Promise.all(
    ['http://x/404', 'http://x/down', 'http://x/big', 'http://x/page', 'http://x/bad.wav'].map(async (u) => {
      const r = await fetcher.fetch(u);
      return r.ok ? 'ok' : r.code;
    }),
  );
  assert.deepEqual(codes, [
    'ERR_PLAY_FETCH_FAILED',
    'ERR_PLAY_FETCH_FAILED',
    'ERR_PLAY_TOO_LARGE',
    'ERR_PLAY_UNSUPPORTED_FORMAT',
    'ERR_PLAY_DECODE_FAILED',
  ]);
  assert.equal(fetcher.cacheSize.entries, 0, 'failures are not cached');
});

test('MP3 without ffmpeg: ERR_PLAY_UNSUPPORTED_FORMAT saying MP3 needs ffmpeg', async () => {
  const http = fakeHttp({ 'http://x/a.mp3': bytesResponse(MP3_HEAD, 'audio/mpeg') });
  const fetcher = new HttpAudioFetcher({ http, ffmpegCommand: join(dir, 'no-such-ffmpeg') });
  const res = await fetcher.fetch('http://x/a.mp3');
  assert.ok(!res.ok);
  assert.equal(res.code, 'ERR_PLAY_UNSUPPORTED_FORMAT');
  assert.match(res.detail, /MP3 needs ffmpeg/);
});

test('MP3 with an ffmpeg on hand: decoded through its stdout (s16le, 8 kHz mono)', async () => {
  // A stand-in ffmpeg: reads the MP3 from stdin and writes 100 ms of s16le samples of value 0x0102.
  const fake = join(dir, 'fake-ffmpeg');
  writeFileSync(fake, "#!/bin/sh\ncat >/dev/null\nfor i in $(seq 800); do printf '\\002\\001'; done\n");
  chmodSync(fake, 0o755);
  const http = fakeHttp({ 'http://x/b.mp3': bytesResponse(MP3_HEAD, 'audio/mpeg') });
  const fetcher = new HttpAudioFetcher({ http, ffmpegCommand: fake });
  const res = await fetcher.fetch('http://x/b.mp3');
  assert.ok(res.ok, res.ok ? '' : res.detail);
  assert.equal(res.audio.length, 800);
  assert.equal(res.audio[0], 0x0102);
});

test('ByteLru evicts the least recently used entries to stay within its byte budget', () => {
  const lru = new ByteLru<Int16Array>(100, (a) => a.byteLength);
  lru.set('a', new Int16Array(20));
  lru.set('b', new Int16Array(20));
  assert.ok(lru.get('a') !== undefined);
  lru.set('c', new Int16Array(20));
  assert.equal(lru.get('b'), undefined, 'b was the least recently used');
  assert.ok(lru.get('a') !== undefined && lru.get('c') !== undefined);
  assert.equal(lru.bytes, 80);
  lru.set('huge', new Int16Array(100));
  assert.equal(lru.get('huge'), undefined, 'a value over the budget is not cached');
  assert.equal(lru.size, 2);
});
