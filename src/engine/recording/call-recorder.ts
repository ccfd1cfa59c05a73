/**
 * Records a call as the caller heard it: fed by `CallSession.addTap`, it writes one WAV frame per
 * media-clock tick (the `outbound` track, once per tick after the mix, is the clock) and pairs it with
 * the caller's oldest pending `inbound` frame, or with silence when none came. Each tick's frame is
 * written at the next tick, so a caller frame the RTP leg hands over up to one frame after its tick
 * (its fill slack) still lands beside it. So the file holds exactly one frame per tick of the call: its
 * length is the call's within one frame.
 *
 * Stereo puts the caller on the left channel and what the caller heard (the bot, prompts, a bridged
 * party) on the right; mono is their sum. Audio is kept in memory for `chunkFrames` frames, then
 * handed to the `RecordingFile` port; at most `maxBufferedBytes` may wait for the disk. A write that
 * fails (a full disk) or a backlog past the bound fails the recording (the call goes on); stopping
 * writes the final WAV header and closes the file.
 *
 * The tap work per frame is a copy of 160 samples per side (no allocation); the file I/O happens off
 * the media path, in the port's promises.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- ring indices are in bounds by construction. */
import type { TapTrack } from '../../ports/call-event-feed.js';
import type { RecordingFile } from '../../ports/recording-files.js';
import {
  WAV_HEADER_BYTES,
  WAV_MAX_DATA_BYTES,
  int16Bytes,
  interleaveFrame,
  wavHeader,
} from '../../media/wav-stream.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';

/** Call audio rate. */
export const RECORDING_RATE_HZ = 8000;
/** Milliseconds per frame. */
export const FRAME_MS = 20;

/** Why a recording stopped. */
export type RecordingStopReason =
  'stopped' | 'call-ended' | 'max-length' | 'silence' | 'finish-key' | 'failed';

export interface RecordingResult {
  readonly state: 'completed' | 'failed';
  readonly reason: RecordingStopReason;
  /** Frames written (one per tick while recording). */
  readonly frames: number;
  readonly durationMs: number;
  /** Bytes of the file: header and samples. */
  readonly sizeBytes: number;
  /** Caller frames that never came and were written as silence. */
  readonly inboundGaps: number;
  /** Why it failed (the write error's message, or the backlog), when it did. */
  readonly failureReason?: string;
}

/** What the recorder listens to: a `CallSession` (kept narrow for tests). */
export interface TapHost {
  addTap(tap: (track: TapTrack, pcm: Int16Array) => void): () => void;
}

export interface CallRecorderOptions {
  readonly channels: 1 | 2;
  readonly file: RecordingFile;
  /** Stop after this many frames (Plivo `time_limit`, `<Record maxLength>`); absent: no limit. */
  readonly maxFrames?: number;
  /**
   * Stop once the caller has been silent for this many frames in a row (`<Record timeout>`), counted
   * after the first frame above the threshold or from the start; absent: never.
   */
  readonly silenceFrames?: number;
  /** Mean absolute sample value under which a caller frame counts as silent. Default 200 (about -44 dBFS). */
  readonly silenceLevel?: number;
  /** Frames kept in memory before a write. Default 50 (one second). */
  readonly chunkFrames?: number;
  /** Most bytes waiting for the disk before the recording fails. Default 1 MiB (33 s of stereo). */
  readonly maxBufferedBytes?: number;
  /** Called once, when the recording has stopped and the file is closed (or given up on). */
  readonly onDone?: (result: RecordingResult) => void;
}

/** Caller frames that may wait for their tick (the leg's lead is at most 3). */
const PENDING_SLOTS = 8;

export class CallRecorder {
  readonly #opts: CallRecorderOptions;
  readonly #file: RecordingFile;
  readonly #channels: 1 | 2;
  readonly #chunkFrames: number;
  readonly #maxBuffered: number;
  readonly #pending: Int16Array[] = [];
  #pendingHead = 0;
  #pendingCount = 0;
  #chunk: Int16Array;
  #chunkUsed = 0;
  /** The last tick's frame of what the caller heard, written at the next tick (or at the stop). */
  readonly #heard = new Int16Array(FRAME_SAMPLES);
  #heardHeld = false;
  #untap: (() => void) | undefined;
  #writes: Promise<void> = Promise.resolve();
  #buffered = 0;
  #frames = 0;
  #gaps = 0;
  #silentRun = 0;
  #dataBytes = 0;
  #state: 'recording' | 'stopping' | 'done' = 'recording';
  #failure: string | undefined;
  #done: Promise<RecordingResult>;
  #resolve!: (r: RecordingResult) => void;

  constructor(opts: CallRecorderOptions) {
    this.#opts = opts;
    this.#file = opts.file;
    this.#channels = opts.channels;
    this.#chunkFrames = opts.chunkFrames ?? 50;
    this.#maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
    this.#chunk = this.#newChunk();
    for (let i = 0; i < PENDING_SLOTS; i++) {
      this.#pending.push(new Int16Array(FRAME_SAMPLES));
    }
    this.#done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    // The header goes first with zero sizes; `#finish` rewrites it.
    this.#queue(wavHeader(this.#channels, RECORDING_RATE_HZ, 0));
  }

  /** Starts taking the call's audio. */
  attach(host: TapHost): void {
    if (this.#state === 'recording' && this.#untap === undefined) {
      this.#untap = host.addTap((track, pcm) => {
        this.onFrame(track, pcm);
      });
    }
  }

  get recording(): boolean {
    return this.#state === 'recording';
  }

  /** Frames written so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Resolves once the recording has stopped and its file is closed. */
  get done(): Promise<RecordingResult> {
    return this.#done;
  }

  /** The tap: public for tests and benchmarks that drive it without a call. */
  onFrame(track: TapTrack, pcm: Int16Array): void {
    if (this.#state !== 'recording') {
      return;
    }
    if (track === 'inbound') {
      this.#pushInbound(pcm);
      return;
    }
    // What the caller heard at this tick is written one tick later, with the caller's frame for the
    // same tick: the RTP leg may hand that frame over up to one frame after its tick (its fill slack).
    const caller = this.#heardHeld ? this.#writeHeld() : undefined;
    this.#heard.set(pcm.subarray(0, FRAME_SAMPLES));
    this.#heardHeld = true;
    if (!this.recording) {
      return;
    }
    const silence = this.#opts.silenceFrames;
    if (silence !== undefined && this.#frames > 0) {
      this.#silentRun =
        caller === undefined || meanAbs(caller) < (this.#opts.silenceLevel ?? 200) ? this.#silentRun + 1 : 0;
      if (this.#silentRun >= silence) {
        void this.stop('silence');
        return;
      }
    }
    const max = this.#opts.maxFrames;
    if (
      (max !== undefined && this.#frames + 1 >= max) ||
      this.#dataBytes + this.#buffered >= WAV_MAX_DATA_BYTES - this.#chunk.byteLength
    ) {
      void this.stop('max-length');
    }
  }

  /** Writes the held frame of what the caller heard beside the caller's oldest frame; returns that frame. */
  #writeHeld(): Int16Array | undefined {
    this.#heardHeld = false;
    const caller = this.#popInbound();
    if (caller === undefined) {
      this.#gaps++;
    }
    interleaveFrame(
      this.#chunk,
      this.#chunkUsed * FRAME_SAMPLES * this.#channels,
      this.#channels,
      caller,
      this.#heard,
      FRAME_SAMPLES,
    );
    this.#chunkUsed++;
    this.#frames++;
    if (this.#chunkUsed === this.#chunkFrames) {
      this.#flush();
    }
    return caller;
  }

  /** Stops: the audio so far is written, then the header, then the file is closed. Idempotent. */
  stop(reason: Exclude<RecordingStopReason, 'failed'> = 'stopped'): Promise<RecordingResult> {
    if (this.#state !== 'recording') {
      return this.#done;
    }
    this.#state = 'stopping';
    this.#detach();
    if (this.#heardHeld) {
      this.#writeHeld();
    }
    this.#flush();
    const file = this.#file;
    this.#writes = this.#writes
      .then(async () => {
        if (this.#failure === undefined) {
          await file.writeAt(0, wavHeader(this.#channels, RECORDING_RATE_HZ, this.#dataBytes));
        }
      })
      .catch((err: unknown) => {
        this.#failure ??= errorText(err);
      })
      .then(() => this.#close(reason));
    return this.#done;
  }

  #pushInbound(pcm: Int16Array): void {
    if (this.#pendingCount === PENDING_SLOTS) {
      // The caller ran further ahead than any leg lets it: the oldest frame is dropped.
      this.#pendingHead = (this.#pendingHead + 1) % PENDING_SLOTS;
      this.#pendingCount--;
    }
    const slot = this.#pending[(this.#pendingHead + this.#pendingCount) % PENDING_SLOTS]!;
    slot.set(pcm.subarray(0, FRAME_SAMPLES));
    this.#pendingCount++;
  }

  #popInbound(): Int16Array | undefined {
    if (this.#pendingCount === 0) {
      return undefined;
    }
    const slot = this.#pending[this.#pendingHead]!;
    this.#pendingHead = (this.#pendingHead + 1) % PENDING_SLOTS;
    this.#pendingCount--;
    return slot;
  }

  #newChunk(): Int16Array {
    return new Int16Array(this.#chunkFrames * FRAME_SAMPLES * this.#channels);
  }

  #flush(): void {
    if (this.#chunkUsed === 0) {
      return;
    }
    const samples = this.#chunk.subarray(0, this.#chunkUsed * FRAME_SAMPLES * this.#channels);
    this.#chunk = this.#newChunk();
    this.#chunkUsed = 0;
    this.#dataBytes += samples.byteLength;
    this.#queue(int16Bytes(samples));
    if (this.#buffered > this.#maxBuffered) {
      this.#fail(`the disk fell behind: more than ${this.#maxBuffered} bytes waiting`);
    }
  }

  #queue(bytes: Uint8Array): void {
    this.#buffered += bytes.byteLength;
    const file = this.#file;
    this.#writes = this.#writes.then(async () => {
      if (this.#failure !== undefined) {
        return;
      }
      try {
        await file.append(bytes);
      } catch (err) {
        this.#fail(errorText(err));
      } finally {
        this.#buffered -= bytes.byteLength;
      }
    });
  }

  #fail(reason: string): void {
    if (this.#failure !== undefined) {
      return;
    }
    this.#failure = reason;
    if (this.#state === 'recording') {
      this.#state = 'stopping';
      this.#detach();
      this.#writes = this.#writes.then(() => this.#close('failed'));
    }
  }

  #detach(): void {
    this.#untap?.();
    this.#untap = undefined;
  }

  async #close(reason: RecordingStopReason): Promise<void> {
    if (this.#state === 'done') {
      return;
    }
    try {
      await this.#file.close();
    } catch (err) {
      this.#failure ??= errorText(err);
    }
    this.#state = 'done';
    const failed = this.#failure !== undefined;
    const result: RecordingResult = {
      state: failed ? 'failed' : 'completed',
      reason: failed ? 'failed' : reason,
      frames: this.#frames,
      durationMs: this.#frames * FRAME_MS,
      sizeBytes: WAV_HEADER_BYTES + this.#dataBytes,
      inboundGaps: this.#gaps,
      ...(this.#failure === undefined ? {} : { failureReason: this.#failure }),
    };
    this.#resolve(result);
    this.#opts.onDone?.(result);
  }
}

function meanAbs(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const v = frame[i]!;
    sum += v < 0 ? -v : v;
  }
  return sum / FRAME_SAMPLES;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
