/**
 * The embedded text-to-speech engine: espeak-ng run as a child process
 * (`espeak-ng --stdout --stdin -b 1 -v <voice>`, text on stdin so no text can be read as an option),
 * with a timeout and a cap on the WAV it writes; the WAV (22.05 kHz) is parsed and resampled to 8 kHz
 * in slices that yield to the event loop.
 * Results are cached by (text, espeak voice) in a bounded LRU, and concurrent requests for the same
 * text share one synthesis. Voice mapping: voices.ts.
 *
 * Install: `apt-get install espeak-ng` (scripts/ensure-system-deps.sh does it for the tests). Without
 * it every `<Speak>` fails with ERR_TTS_UNAVAILABLE and is skipped.
 */
import { parseWav } from '../../media/wav.js';
import { TtsErrorCodes, type Tts, type TtsRequest, type TtsResult } from '../../ports/tts.js';
import { ByteLru } from '../audio-fetcher/byte-lru.js';
import { runProcess } from '../audio-fetcher/run-process.js';
import { resampleTo8kInSlices } from './chunked-resample.js';
import { espeakVoiceFor } from './voices.js';

export interface EspeakTtsOptions {
  /** Executable (PATH lookup or a path). Default `espeak-ng`. */
  readonly command?: string;
  /** espeak voice for languages it has no voice for. Default `en-us`. */
  readonly defaultVoice?: string;
  /** Per synthesis. Default 10000 ms. */
  readonly timeoutMs?: number;
  /** Largest WAV accepted from espeak-ng. Default 16 MiB (about 6 minutes of speech). */
  readonly maxOutputBytes?: number;
  /** Cache budget (8 kHz samples, 2 bytes each). Default 32 MiB. */
  readonly cacheBytes?: number;
  /** Words per minute (`-s`). Default: espeak's 175. */
  readonly wordsPerMinute?: number;
}

export interface EspeakTtsStats {
  hits: number;
  misses: number;
  syntheses: number;
  failures: number;
  /** Sum and last of synthesis wall time (process start to 8 kHz samples), ms. */
  totalSynthMs: number;
  lastSynthMs: number;
}

export class EspeakTts implements Tts {
  readonly stats: EspeakTtsStats = {
    hits: 0,
    misses: 0,
    syntheses: 0,
    failures: 0,
    totalSynthMs: 0,
    lastSynthMs: 0,
  };
  readonly #command: string;
  readonly #defaultVoice: string;
  readonly #timeoutMs: number;
  readonly #maxOutputBytes: number;
  readonly #wpm: number | undefined;
  readonly #cache: ByteLru<Int16Array>;
  readonly #inflight = new Map<string, Promise<TtsResult>>();

  constructor(opts: EspeakTtsOptions = {}) {
    this.#command = opts.command ?? 'espeak-ng';
    this.#defaultVoice = opts.defaultVoice ?? 'en-us';
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#maxOutputBytes = opts.maxOutputBytes ?? 16 * 1024 * 1024;
    this.#wpm = opts.wordsPerMinute;
    this.#cache = new ByteLru(opts.cacheBytes ?? 32 * 1024 * 1024, (a) => a.byteLength);
  }

  /** Entries and bytes held by the cache. */
  get cacheSize(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cache.bytes };
  }

  async synthesize(req: TtsRequest, _signal?: AbortSignal): Promise<TtsResult> {
    const voice = espeakVoiceFor(req.voice, req.language, this.#defaultVoice);
    const key = `${voice}\u0000${req.text}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.stats.hits++;
      return { ok: true, audio: cached, cached: true };
    }
    this.stats.misses++;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#synthesize(req.text, voice, key);
      this.#inflight.set(key, pending);
      void pending.finally(() => this.#inflight.delete(key));
    }
    return pending;
  }

  async #synthesize(text: string, voice: string, key: string): Promise<TtsResult> {
    const started = performance.now();
    const args = ['--stdout', '--stdin', '-b', '1', '-v', voice];
    if (this.#wpm !== undefined) {
      args.push('-s', String(this.#wpm));
    }
    const res = await runProcess(this.#command, args, {
      stdin: text,
      timeoutMs: this.#timeoutMs,
      maxStdoutBytes: this.#maxOutputBytes,
    });
    if (!res.ok) {
      this.stats.failures++;
      if (res.reason === 'missing') {
        return {
          ok: false,
          code: TtsErrorCodes.unavailable,
          detail: `the text-to-speech engine is not available (${res.detail}); install espeak-ng (apt-get install espeak-ng) or set tts.command`,
        };
      }
      return { ok: false, code: TtsErrorCodes.failed, detail: `espeak-ng voice ${voice}: ${res.detail}` };
    }
    const wav = parseWav(new Uint8Array(res.stdout.buffer, res.stdout.byteOffset, res.stdout.byteLength));
    if (!wav.ok) {
      this.stats.failures++;
      return {
        ok: false,
        code: TtsErrorCodes.failed,
        detail: `espeak-ng wrote no usable WAV: ${wav.error.code}: ${wav.error.detail}`,
      };
    }
    // In slices: a long text must not stall the shared media clock (chunked-resample.ts).
    const audio = await resampleTo8kInSlices(wav.value);
    this.#cache.set(key, audio);
    const ms = performance.now() - started;
    this.stats.syntheses++;
    this.stats.lastSynthMs = ms;
    this.stats.totalSynthMs += ms;
    return { ok: true, audio, cached: false };
  }
}
