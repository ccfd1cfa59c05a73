/**
 * The per-stream playback FIFO of a bidirectional stream (compatibility §6): `playAudio` audio re-framed into
 * 20 ms frames, with `checkpoint` markers in the same order, drained one frame per media tick.
 *
 * Storage is one byte ring made of whole frames (slot i holds bytes [i*frameBytes, (i+1)*frameBytes)),
 * so a frame never straddles the wrap and popping one is a single copy with no allocation. The ring
 * grows by doubling up to the bound and shrinks back when it empties after a long payload. A marker
 * is the absolute frame count at which it is reached; `clear` just resets the indices.
 */
import type { StreamErrorCode } from '../../errors/codes/stream.js';
import { WIRE_FRAME_MS, type MediaFormat } from './formats.js';

/** Options of {@link PlayoutQueue}. */
export interface PlayoutQueueOptions {
  /** Most audio queued at once, in ms (rounded down to whole frames). Default 120000 (2 min). */
  readonly maxQueuedMs?: number;
  /** Most checkpoints outstanding at once. Default 10000. */
  readonly maxCheckpoints?: number;
}

/** Why the queue refused audio or a checkpoint; nothing was queued. */
export interface QueueRefusal {
  readonly ok: false;
  readonly code: StreamErrorCode;
  readonly detail: string;
}

/** What {@link PlayoutQueue.nextFrame} did. */
export interface NextFrameResult {
  /** True when a frame was written to `out`; false when nothing was queued (`out` untouched). */
  readonly played: boolean;
  /** Checkpoints whose audio has now been fully played, oldest first. */
  readonly checkpoints: readonly string[];
}

const ACCEPTED = Object.freeze({ ok: true as const });
const NONE: readonly string[] = Object.freeze([]);
const PLAYED: NextFrameResult = Object.freeze({ played: true, checkpoints: NONE });
const IDLE: NextFrameResult = Object.freeze({ played: false, checkpoints: NONE });
const INITIAL_SLOTS = 16;
const SHRINK_ABOVE_SLOTS = 256;

/** The playback queue of one stream. Not thread-safe; one owner. */
export class PlayoutQueue {
  readonly #frameBytes: number;
  readonly #bytesPerSample: number;
  readonly #bytesPerMs: number;
  readonly #maxFrames: number;
  readonly #maxCheckpoints: number;
  #store: Uint8Array;
  #slots: Uint8Array[];
  /** Slot index of the oldest queued frame. */
  #head = 0;
  /** Whole frames queued. */
  #count = 0;
  /** Bytes of the partial frame being filled, in the slot after the whole frames. */
  #partial = 0;
  /** Frames popped since construction (the position markers are compared with). */
  #popped = 0;
  #markerNames: string[] = [];
  #markerAt: number[] = [];
  #markerHead = 0;

  constructor(format: MediaFormat, opts: PlayoutQueueOptions = {}) {
    const maxQueuedMs = opts.maxQueuedMs ?? 120_000;
    if (!(maxQueuedMs >= WIRE_FRAME_MS) || !Number.isFinite(maxQueuedMs)) {
      throw new TypeError(`maxQueuedMs must be a finite number >= ${WIRE_FRAME_MS}, got ${maxQueuedMs}`);
    }
    this.#frameBytes = format.frameBytes;
    this.#bytesPerSample = format.bytesPerSample;
    this.#bytesPerMs = format.frameBytes / WIRE_FRAME_MS;
    this.#maxFrames = Math.floor(maxQueuedMs / WIRE_FRAME_MS);
    this.#maxCheckpoints = opts.maxCheckpoints ?? 10_000;
    this.#store = new Uint8Array(0);
    this.#slots = [];
    this.#allocate(Math.min(INITIAL_SLOTS, this.#maxFrames + 1));
  }

  /** Audio queued and not yet played, in ms (including a partial frame). */
  get queuedMs(): number {
    return this.queuedBytes / this.#bytesPerMs;
  }

  /** Audio queued and not yet played, in bytes. */
  get queuedBytes(): number {
    return this.#count * this.#frameBytes + this.#partial;
  }

  /** Checkpoints not yet reported. */
  get pendingCheckpoints(): number {
    return this.#markerAt.length - this.#markerHead;
  }

  /** Bytes of ring storage currently allocated. */
  get capacityBytesForTesting(): number {
    return this.#store.length;
  }

  /**
   * Appends audio of any length that is a whole number of samples; it is re-framed into 20 ms frames,
   * keeping a partial remainder (flushed, zero-padded, when a checkpoint follows it or when it is the
   * last audio left). Refuses, queuing none of it, when the result would exceed `maxQueuedMs` once
   * rounded up to whole frames. The bytes are copied; `audio` is not kept.
   */
  enqueue(audio: Uint8Array): { ok: true } | QueueRefusal {
    const len = audio.length;
    if (len % this.#bytesPerSample !== 0) {
      return refusal(
        'ERR_STREAM_PARTIAL_SAMPLE',
        `${len} bytes is not a whole number of ${this.#bytesPerSample}-byte samples`,
      );
    }
    if (len === 0) {
      return ACCEPTED;
    }
    const fb = this.#frameBytes;
    const total = this.#partial + len;
    const framesAfter = this.#count + Math.ceil(total / fb);
    if (framesAfter > this.#maxFrames) {
      const ms = (this.queuedBytes + len) / this.#bytesPerMs;
      return refusal(
        'ERR_STREAM_PLAYOUT_OVERFLOW',
        `queuing ${len / this.#bytesPerMs} ms would hold ${ms} ms; the limit is ${this.#maxFrames * WIRE_FRAME_MS} ms`,
      );
    }
    if (this.#count === 0 && this.#partial === 0 && this.#slots.length > SHRINK_ABOVE_SLOTS) {
      this.#allocate(INITIAL_SLOTS);
    }
    // One slot beyond the whole frames always exists, for the partial frame.
    this.#ensureSlots(this.#count + Math.floor(total / fb) + 1);
    const store = this.#store;
    const at = ((this.#head + this.#count) % this.#slots.length) * fb + this.#partial;
    const first = store.length - at;
    if (len <= first) {
      store.set(audio, at);
    } else {
      store.set(audio.subarray(0, first), at);
      store.set(audio.subarray(first), 0);
    }
    this.#count += Math.floor(total / fb);
    this.#partial = total % fb;
    return ACCEPTED;
  }

  /**
   * Marks the current end of the queue: `name` is reported by `nextFrame` once everything queued before
   * it has played (right away, on the next call, when nothing is queued). A partial frame before it is
   * zero-padded to a whole frame. Refused when `maxCheckpoints` are already outstanding.
   */
  checkpoint(name: string): { ok: true } | QueueRefusal {
    if (this.pendingCheckpoints >= this.#maxCheckpoints) {
      return refusal(
        'ERR_STREAM_TOO_MANY_CHECKPOINTS',
        `${this.pendingCheckpoints} checkpoints are already outstanding`,
      );
    }
    if (this.#partial > 0) {
      const slot = this.#slots[(this.#head + this.#count) % this.#slots.length];
      slot?.fill(0, this.#partial);
      this.#count++;
      this.#partial = 0;
      this.#ensureSlots(this.#count + 1);
    }
    this.#markerNames.push(name);
    this.#markerAt.push(this.#popped + this.#count);
    return ACCEPTED;
  }

  /**
   * Pops the next 20 ms frame into `out` (at least `format.frameBytes` long). A lone partial frame is
   * zero-padded. `played` false means nothing was queued and `out` is untouched. `checkpoints` lists the
   * checkpoints whose audio has now been fully played, in FIFO order. Allocates nothing unless a
   * checkpoint is reported.
   */
  nextFrame(out: Uint8Array): NextFrameResult {
    let played = false;
    if (this.#count > 0 || this.#partial > 0) {
      const slot = this.#slots[this.#head];
      if (slot !== undefined) {
        if (this.#count > 0) {
          this.#count--;
        } else {
          slot.fill(0, this.#partial);
          this.#partial = 0;
        }
        out.set(slot);
        this.#head = (this.#head + 1) % this.#slots.length;
        this.#popped++;
        played = true;
      }
    }
    const at = this.#markerAt[this.#markerHead];
    if (at === undefined || at > this.#popped) {
      return played ? PLAYED : IDLE;
    }
    return { played, checkpoints: this.#takeReached() };
  }

  /**
   * Drops all queued audio and the checkpoints inside it (`clearAudio`): those get no `playedStream`
   * (D2). Checkpoints already reached but not yet reported are kept and reported by the next
   * `nextFrame`, since their audio did play.
   */
  clear(): { droppedMs: number; droppedCheckpoints: readonly string[] } {
    const droppedMs = this.queuedMs;
    let keep = this.#markerHead;
    while (keep < this.#markerAt.length && (this.#markerAt[keep] ?? 0) <= this.#popped) {
      keep++;
    }
    const droppedCheckpoints = keep < this.#markerNames.length ? this.#markerNames.slice(keep) : NONE;
    this.#markerNames.length = keep;
    this.#markerAt.length = keep;
    this.#head = 0;
    this.#count = 0;
    this.#partial = 0;
    if (this.#slots.length > SHRINK_ABOVE_SLOTS) {
      this.#allocate(INITIAL_SLOTS);
    }
    return { droppedMs, droppedCheckpoints };
  }

  #takeReached(): string[] {
    const names: string[] = [];
    let i = this.#markerHead;
    while (i < this.#markerAt.length && (this.#markerAt[i] ?? 0) <= this.#popped) {
      names.push(this.#markerNames[i] ?? '');
      i++;
    }
    if (i === this.#markerAt.length) {
      this.#markerNames = [];
      this.#markerAt = [];
      this.#markerHead = 0;
    } else if (i > 1024 && i * 2 > this.#markerAt.length) {
      this.#markerNames.splice(0, i);
      this.#markerAt.splice(0, i);
      this.#markerHead = 0;
    } else {
      this.#markerHead = i;
    }
    return names;
  }

  /** Grows the ring (doubling, capped at the bound plus the partial slot) to at least `slots`. */
  #ensureSlots(slots: number): void {
    if (slots > this.#slots.length) {
      this.#allocate(Math.max(slots, Math.min(this.#slots.length * 2, this.#maxFrames + 1)));
    }
  }

  /** Replaces the ring by one of `slots` slots, moving the queued frames (and partial) to slot 0 on. */
  #allocate(slots: number): void {
    const fb = this.#frameBytes;
    const store = new Uint8Array(slots * fb);
    const views: Uint8Array[] = new Array<Uint8Array>(slots);
    for (let i = 0; i < slots; i++) {
      views[i] = store.subarray(i * fb, (i + 1) * fb);
    }
    const used = this.#count + (this.#partial > 0 ? 1 : 0);
    const old = this.#slots;
    for (let i = 0; i < used; i++) {
      const from = old[(this.#head + i) % old.length];
      if (from !== undefined) {
        store.set(from, i * fb);
      }
    }
    this.#store = store;
    this.#slots = views;
    this.#head = 0;
  }
}

function refusal(code: StreamErrorCode, detail: string): QueueRefusal {
  return { ok: false, code, detail };
}
