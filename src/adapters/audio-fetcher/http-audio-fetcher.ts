/**
 * Fetches `<Play>` audio over HTTP(S) (GET, through the HttpClient port) and decodes it to 8 kHz mono:
 * WAV in any encoding media/wav.ts reads (PCM 8/16/24/32, float, μ-law, A-law, any rate, any channel
 * count); MP3 only when an `ffmpeg` executable is on the PATH (no MP3 decoder ships with streamfork:
 * otherwise ERR_PLAY_UNSUPPORTED_FORMAT says so). Decoded audio is cached by URL in an LRU bounded in
 * bytes, and concurrent fetches of one URL share one download.
 */
import { parseWav, resampleTo8k } from '../../media/wav.js';
import { AudioErrorCodes, type AudioFetcher, type AudioResult } from '../../ports/audio-fetcher.js';
import type { HttpClient } from '../../ports/http-client.js';
import { UndiciHttpClient } from '../http-client/undici-http-client.js';
import { ByteLru } from './byte-lru.js';
import { runProcess } from './run-process.js';

export interface HttpAudioFetcherOptions {
  /** Default: a private undici client (closed by `close()`). */
  readonly http?: HttpClient;
  /** Per download. Default 10000 ms. */
  readonly timeoutMs?: number;
  /** Largest file accepted. Default 20 MiB. */
  readonly maxFileBytes?: number;
  /** Cache budget for decoded audio (2 bytes per 8 kHz sample). Default 64 MiB. */
  readonly cacheBytes?: number;
  /** MP3 decoder executable. Default `ffmpeg`. */
  readonly ffmpegCommand?: string;
  /** Per MP3 decode. Default 20000 ms. */
  readonly decodeTimeoutMs?: number;
}

type Kind = 'wav' | 'mp3' | 'unknown';

function ascii(bytes: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + n));
}

/** Sniffs the container from the first bytes, then the content type and the URL's extension. */
export function sniffAudio(bytes: Uint8Array, contentType: string, url: string): Kind {
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') {
    return 'wav';
  }
  const b0 = bytes[0] ?? 0;
  const b1 = bytes[1] ?? 0;
  if (ascii(bytes, 0, 3) === 'ID3' || (b0 === 0xff && (b1 & 0xe0) === 0xe0)) {
    return 'mp3';
  }
  const type = contentType.toLowerCase();
  if (type.includes('mpeg') || type.includes('mp3') || /\.mp3(?:$|[?#])/i.test(url)) {
    return 'mp3';
  }
  return 'unknown';
}

export class HttpAudioFetcher implements AudioFetcher {
  readonly stats = { hits: 0, misses: 0, downloads: 0, failures: 0 };
  readonly #http: HttpClient;
  readonly #ownHttp: UndiciHttpClient | undefined;
  readonly #timeoutMs: number;
  readonly #maxFileBytes: number;
  readonly #ffmpeg: string;
  readonly #decodeTimeoutMs: number;
  readonly #cache: ByteLru<Int16Array>;
  readonly #inflight = new Map<string, Promise<AudioResult>>();

  constructor(opts: HttpAudioFetcherOptions = {}) {
    if (opts.http === undefined) {
      this.#ownHttp = new UndiciHttpClient();
      this.#http = this.#ownHttp;
    } else {
      this.#http = opts.http;
    }
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#maxFileBytes = opts.maxFileBytes ?? 20 * 1024 * 1024;
    this.#ffmpeg = opts.ffmpegCommand ?? 'ffmpeg';
    this.#decodeTimeoutMs = opts.decodeTimeoutMs ?? 20_000;
    this.#cache = new ByteLru(opts.cacheBytes ?? 64 * 1024 * 1024, (a) => a.byteLength);
  }

  get cacheSize(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cache.bytes };
  }

  fetch(url: string, _signal?: AbortSignal): Promise<AudioResult> {
    const cached = this.#cache.get(url);
    if (cached !== undefined) {
      this.stats.hits++;
      return Promise.resolve({ ok: true, audio: cached, cached: true });
    }
    this.stats.misses++;
    let pending = this.#inflight.get(url);
    if (pending === undefined) {
      pending = this.#load(url).then((res) => {
        if (res.ok) {
          this.#cache.set(url, res.audio);
        } else {
          this.stats.failures++;
        }
        return res;
      });
      this.#inflight.set(url, pending);
      void pending.finally(() => this.#inflight.delete(url));
    }
    return pending;
  }

  /** Releases the private HTTP client, if one was created. */
  async close(): Promise<void> {
    await this.#ownHttp?.close();
  }

  async #load(url: string): Promise<AudioResult> {
    this.stats.downloads++;
    const res = await this.#http.request({
      method: 'GET',
      url,
      timeoutMs: this.#timeoutMs,
      maxBodyBytes: this.#maxFileBytes,
      responseType: 'bytes',
    });
    if (!res.ok) {
      if (res.reason === 'tooLarge') {
        return {
          ok: false,
          code: AudioErrorCodes.tooLarge,
          detail: `${url}: file over ${this.#maxFileBytes} bytes`,
        };
      }
      return { ok: false, code: AudioErrorCodes.fetchFailed, detail: `${url}: ${res.reason}: ${res.detail}` };
    }
    if (res.status >= 400) {
      return { ok: false, code: AudioErrorCodes.fetchFailed, detail: `${url}: HTTP ${res.status}` };
    }
    const bytes = res.bytes ?? new TextEncoder().encode(res.body);
    const kind = sniffAudio(bytes, res.contentType, url);
    if (kind === 'wav') {
      return decodeWav(url, bytes);
    }
    if (kind === 'mp3') {
      return this.#decodeMp3(url, bytes);
    }
    return {
      ok: false,
      code: AudioErrorCodes.unsupportedFormat,
      detail: `${url}: not a WAV or MP3 file (content-type "${res.contentType}", ${bytes.length} bytes)`,
    };
  }

  async #decodeMp3(url: string, bytes: Uint8Array): Promise<AudioResult> {
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      'pipe:0',
      '-f',
      's16le',
      '-ac',
      '1',
      '-ar',
      '8000',
      'pipe:1',
    ];
    const out = await runProcess(this.#ffmpeg, args, {
      stdin: bytes,
      timeoutMs: this.#decodeTimeoutMs,
      maxStdoutBytes: this.#maxFileBytes * 16,
    });
    if (!out.ok) {
      if (out.reason === 'missing') {
        return {
          ok: false,
          code: AudioErrorCodes.unsupportedFormat,
          detail: `${url}: MP3 needs ffmpeg on the server's PATH (apt-get install ffmpeg), and "${this.#ffmpeg}" was not found; use a WAV file`,
        };
      }
      return {
        ok: false,
        code: AudioErrorCodes.decodeFailed,
        detail: `${url}: MP3 decode failed: ${out.detail}`,
      };
    }
    const samples = new Int16Array(Math.floor(out.stdout.length / 2));
    for (let i = 0; i < samples.length; i++) {
      samples[i] = out.stdout.readInt16LE(2 * i);
    }
    return { ok: true, audio: samples, cached: false };
  }
}

function decodeWav(url: string, bytes: Uint8Array): AudioResult {
  const wav = parseWav(bytes);
  if (!wav.ok) {
    const code =
      wav.error.code === 'ERR_MEDIA_WAV_UNSUPPORTED_ENCODING'
        ? AudioErrorCodes.unsupportedFormat
        : AudioErrorCodes.decodeFailed;
    return { ok: false, code, detail: `${url}: ${wav.error.code}: ${wav.error.detail}` };
  }
  return { ok: true, audio: resampleTo8k(wav.value), cached: false };
}
