/**
 * A sans-I/O release buffer for one incoming RTP audio stream of fixed 20 ms frames (G.711, ptime 20):
 * one packet = one frame, play-out order is RTP sequence order (RFC 3550 §5.1, 16-bit wrap-around).
 *
 * Unlike a classic jitter buffer it adds no delay to audio that arrives in order: the frame a stream
 * fork needs next is released the moment its packet arrives. Only a *gap* waits, and for at most
 * `maxWaitMs`. Streamfork's inbound audio goes to WebSocket apps (speech recognition, agents), which
 * have their own buffering; 40 ms of fixed delay on every frame would be latency nobody asked for.
 *
 * Use: `push(packet, nowMs)` as packets arrive, then call `next(nowMs)` until it returns undefined;
 * also call `next(nowMs)` in a loop once per 20 ms tick of the shared media clock (that is what
 * releases lost frames and silence when nothing arrives).
 *
 * ```
 *   released          nextSeq   held (ring of capacityFrames slots)
 *   ... 97  98  99  |  [100 ?]  [101]  [102]        <- 100 missing: 101, 102 wait for it,
 *                         ^                             at most maxWaitMs after 101 arrived
 *   a packet for 100 arriving later than that is late (dropped): 100 was released as 'lost'
 * ```
 *
 * Rules:
 * - In order: a packet whose sequence number is the next one to release is released at once, and so
 *   are the held packets that follow it.
 * - Gap: when the next packet is missing but later ones are held, nothing is released until the
 *   missing one arrives or `maxWaitMs` has passed since the earliest held packet arrived. Then the
 *   missing frame is released as `lost` (the consumer conceals it) and play-out moves on.
 * - Silence: when nothing is held and nothing has been released for `silenceAfterMs`, a `silence`
 *   frame is released, then one per `frameMs` until packets come back, so a stream fork keeps receiving
 *   50 frames a second through silence suppression, a stalled network or before the first packet. The
 *   wait is long (200 ms) on purpose: a packet that is merely late is not preceded by an inserted
 *   silence frame, which would cut a gap into speech and put the stream's media time ahead for good. A
 *   packet that comes back is released as soon as it is not behind play-out, without waiting for a
 *   gap before it; the sequence numbers that silence frames already stood for are skipped rather than
 *   released as `lost`.
 * - A burst gap (packets lost without time passing, e.g. a sender restart) releases at most
 *   `floor(maxWaitMs / frameMs) + 1` lost frames; the rest are skipped, so the consumer never gets a burst of
 *   concealment.
 * - Late: a packet behind play-out is dropped (`late`), including a duplicate of a released frame. A
 *   duplicate of a held frame is dropped (`duplicate`).
 * - Capacity: at most `capacityFrames` consecutive sequence numbers are held; a packet beyond that
 *   window skips play-out forward (`overflow`).
 * - Resync: a new SSRC restarts the buffer at once. A jump of more than `resyncThresholdFrames` is held
 *   aside (`stray`) and restarts the buffer only when the next packet follows it (RFC 3550 A.1's
 *   `bad_seq` rule), so one corrupt packet cannot derail play-out.
 *
 * Hot path: no allocation per packet or per release. `next` returns one reused result object, valid
 * until the next call; `push` keeps a reference to `packet.payload` (no copy) until it is released or
 * dropped.
 */

/** What the buffer needs from a packet (an `RtpPacket` fits). */
export interface ReorderPacket {
  readonly sequenceNumber: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
}

export interface ReorderBufferOptions {
  /** Frame duration in milliseconds. Default 20. */
  readonly frameMs?: number;
  /** Longest a missing packet holds back later ones. Default 40. */
  readonly maxWaitMs?: number;
  /** Time without any packet after which silence frames start. Default 200; at least `frameMs`. */
  readonly silenceAfterMs?: number;
  /** Most consecutive sequence numbers held. Default 50 (1 s). */
  readonly capacityFrames?: number;
  /** A jump of more than this many sequence numbers is a stream restart candidate. Default 100. */
  readonly resyncThresholdFrames?: number;
}

/** What a release carries: real audio, a lost frame to conceal, or silence (nothing is arriving). */
export type ReleaseKind = 'audio' | 'lost' | 'silence';

/** One released frame. The same object is reused by every `next` call. */
export interface ReleasedFrame {
  readonly kind: ReleaseKind;
  /** The packet's payload for `audio`; null otherwise. */
  readonly payload: Uint8Array | null;
  /** 16-bit sequence number of the frame (the missing one for `lost`; -1 for `silence`). */
  readonly sequenceNumber: number;
}

/** What `push` did with a packet. */
export type ReorderPushOutcome = 'stored' | 'late' | 'duplicate' | 'stray' | 'resync';

/** Running counters (packets unless noted). */
export interface ReorderBufferCounters {
  received: number;
  /** Frames released with audio. */
  released: number;
  late: number;
  duplicate: number;
  /** Frames released as lost (to be concealed). */
  lost: number;
  /** Missing frames skipped without a release (covered by silence frames, or beyond a burst's cap). */
  skipped: number;
  /** Silence frames released while nothing arrived. */
  silence: number;
  /** Sequence numbers skipped because a packet arrived beyond the capacity window. */
  overflow: number;
  /** Held packets thrown away unreleased (skipped by an overflow, or cleared by a restart). */
  discarded: number;
  /** Packets set aside as an unconfirmed sequence jump. */
  stray: number;
  /** Restarts (new SSRC or a confirmed jump). */
  resync: number;
}

interface MutableRelease {
  kind: ReleaseKind;
  payload: Uint8Array | null;
  sequenceNumber: number;
}

/** The release buffer; see the module comment for its rules. */
export class ReorderBuffer {
  readonly frameMs: number;
  readonly maxWaitMs: number;
  readonly silenceAfterMs: number;
  readonly capacityFrames: number;
  readonly #maxLostBurst: number;
  readonly #resyncThreshold: number;
  /** Ring of held payloads, indexed by extended sequence number modulo capacity. */
  readonly #slots: (Uint8Array | undefined)[];
  readonly #slotExt: Float64Array;
  readonly #slotArrivedMs: Float64Array;
  readonly #result: MutableRelease = { kind: 'audio', payload: null, sequenceNumber: 0 };
  readonly #counters: ReorderBufferCounters = {
    received: 0,
    released: 0,
    late: 0,
    duplicate: 0,
    lost: 0,
    skipped: 0,
    silence: 0,
    overflow: 0,
    discarded: 0,
    stray: 0,
    resync: 0,
  };
  #held = 0;
  #ssrc: number | undefined;
  /** Highest extended sequence number seen. */
  #highest = 0;
  /** Extended sequence number of the next frame to release; undefined until the first packet. */
  #nextSeq: number | undefined;
  /** When the last frame (of any kind) was released; undefined until the first `next` call. */
  #lastOutMs: number | undefined;
  /** Silence frames released since the last audio: the sequence numbers they may stand for. */
  #silenceRun = 0;
  /** Sequence numbers below this one that are not held have been given up: released as lost at once. */
  #lostUntil = 0;
  #stray: { readonly expect: number; readonly packet: ReorderPacket } | undefined;

  constructor(opts: ReorderBufferOptions = {}) {
    this.frameMs = opts.frameMs ?? 20;
    this.maxWaitMs = opts.maxWaitMs ?? 40;
    this.silenceAfterMs = Math.max(this.frameMs, opts.silenceAfterMs ?? 200);
    this.capacityFrames = Math.max(2, Math.floor(opts.capacityFrames ?? 50));
    this.#resyncThreshold = opts.resyncThresholdFrames ?? 100;
    if (!(this.frameMs > 0) || !(this.maxWaitMs >= 0)) {
      throw new RangeError('frameMs must be > 0 and maxWaitMs >= 0');
    }
    this.#maxLostBurst = Math.floor(this.maxWaitMs / this.frameMs) + 1;
    this.#slots = new Array<Uint8Array | undefined>(this.capacityFrames).fill(undefined);
    this.#slotExt = new Float64Array(this.capacityFrames).fill(-1);
    this.#slotArrivedMs = new Float64Array(this.capacityFrames);
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<ReorderBufferCounters> {
    return { ...this.#counters };
  }

  /** Frames currently held. */
  get size(): number {
    return this.#held;
  }

  /** Adds a received packet. Never throws; the outcome says what happened to it. */
  push(packet: ReorderPacket, nowMs: number): ReorderPushOutcome {
    this.#counters.received++;
    if (this.#ssrc === undefined) {
      this.#restart(packet, nowMs, false);
      return 'stored';
    }
    if (packet.ssrc !== this.#ssrc) {
      this.#restart(packet, nowMs, true);
      return 'resync';
    }
    const seq = packet.sequenceNumber & 0xffff;
    const ext = this.#highest + ((((seq - (this.#highest & 0xffff)) & 0xffff) ^ 0x8000) - 0x8000);
    const floor = this.#nextSeq ?? this.#highest;
    if (ext - this.#highest > this.#resyncThreshold || floor - ext > this.#resyncThreshold) {
      const stray = this.#stray;
      if (stray?.expect === seq) {
        this.#restart(stray.packet, nowMs, true);
        this.#stray = undefined;
        this.#counters.received--; // counted once, above
        this.push(packet, nowMs);
        return 'resync';
      }
      this.#stray = { expect: (seq + 1) & 0xffff, packet };
      this.#counters.stray++;
      return 'stray';
    }
    const next = this.#nextSeq ?? ext;
    if (ext < next) {
      this.#counters.late++;
      return 'late';
    }
    const slot = ext % this.capacityFrames;
    if (this.#slotExt[slot] === ext) {
      this.#counters.duplicate++;
      return 'duplicate';
    }
    if (ext - next >= this.capacityFrames) {
      // Beyond the window: give up on the oldest sequence numbers so this one fits.
      this.#skipTo(ext - this.capacityFrames + 1, true);
    }
    this.#store(slot, ext, packet.payload, nowMs);
    if (ext > this.#highest) {
      this.#highest = ext;
    }
    return 'stored';
  }

  /**
   * The next frame due now, or undefined when none is. Call in a loop after each `push` and on each
   * media tick. The returned object is reused by the next call.
   */
  next(nowMs: number): ReleasedFrame | undefined {
    const lastOut = this.#lastOutMs;
    if (lastOut === undefined) {
      this.#lastOutMs = nowMs; // the silence rule counts from the first call
    }
    const next = this.#nextSeq;
    if (next !== undefined && this.#held > 0) {
      const slot = next % this.capacityFrames;
      const payload = this.#slots[slot];
      if (payload !== undefined && this.#slotExt[slot] === next) {
        this.#take(slot);
        this.#nextSeq = next + 1;
        this.#silenceRun = 0;
        this.#counters.released++;
        return this.#release(nowMs, 'audio', payload, next);
      }
      if (next < this.#lostUntil) {
        this.#nextSeq = next + 1;
        this.#counters.lost++;
        return this.#release(nowMs, 'lost', null, next);
      }
      if (this.#silenceRun === 0 && nowMs - this.#earliestHeldMs() < this.maxWaitMs) {
        return undefined; // a gap, still worth waiting for (not after a stall: that only adds delay)
      }
      return this.#resolveGap(next, nowMs);
    }
    if (nowMs - (lastOut ?? nowMs) >= this.silenceAfterMs) {
      this.#lastOutMs = nowMs - this.silenceAfterMs + this.frameMs; // the next silence frame one frame from now
      this.#silenceRun++;
      this.#counters.silence++;
      this.#result.kind = 'silence';
      this.#result.payload = null;
      this.#result.sequenceNumber = -1;
      return this.#result;
    }
    return undefined;
  }

  /** The frame `next` is missing for good: skip what silence already covered, release the rest as lost. */
  #resolveGap(next: number, nowMs: number): ReleasedFrame | undefined {
    let firstHeld = next + 1;
    while (this.#slotExt[firstHeld % this.capacityFrames] !== firstHeld) {
      firstHeld++;
    }
    const missing = firstHeld - next;
    const covered = Math.min(missing, this.#silenceRun);
    const emit = Math.min(missing - covered, this.#maxLostBurst);
    this.#silenceRun -= covered;
    if (emit === 0) {
      this.#skipTo(firstHeld, false);
      return this.next(nowMs);
    }
    // Skip what will not be released, so the lost frames released are the last ones before the audio.
    this.#skipTo(firstHeld - emit, false);
    this.#lostUntil = firstHeld;
    return this.next(nowMs);
  }

  #release(nowMs: number, kind: ReleaseKind, payload: Uint8Array | null, ext: number): ReleasedFrame {
    this.#lastOutMs = nowMs;
    const r = this.#result;
    r.kind = kind;
    r.payload = payload;
    r.sequenceNumber = ext & 0xffff;
    return r;
  }

  /** Moves play-out to `ext`, dropping anything held below it. */
  #skipTo(ext: number, overflow: boolean): void {
    const from = this.#nextSeq ?? ext;
    const n = ext - from;
    if (n <= 0) {
      return;
    }
    if (overflow) {
      this.#counters.overflow += n;
    } else {
      this.#counters.skipped += n;
    }
    for (let s = from; s < ext && this.#held > 0; s++) {
      const slot = s % this.capacityFrames;
      if (this.#slotExt[slot] === s) {
        this.#take(slot);
        this.#counters.discarded++;
      }
    }
    this.#nextSeq = ext;
  }

  #earliestHeldMs(): number {
    let earliest = Infinity;
    for (let i = 0; i < this.capacityFrames; i++) {
      if (this.#slots[i] !== undefined) {
        const t = this.#slotArrivedMs[i] ?? Infinity;
        if (t < earliest) {
          earliest = t;
        }
      }
    }
    return earliest;
  }

  #store(slot: number, ext: number, payload: Uint8Array, nowMs: number): void {
    if (this.#slots[slot] === undefined) {
      this.#held++;
    }
    this.#slots[slot] = payload;
    this.#slotExt[slot] = ext;
    this.#slotArrivedMs[slot] = nowMs;
  }

  #take(slot: number): void {
    this.#slots[slot] = undefined;
    this.#slotExt[slot] = -1;
    this.#held--;
  }

  #restart(packet: ReorderPacket, nowMs: number, counted: boolean): void {
    if (counted) {
      this.#counters.resync++;
    }
    this.#counters.discarded += this.#held;
    this.#slots.fill(undefined);
    this.#slotExt.fill(-1);
    this.#held = 0;
    this.#ssrc = packet.ssrc;
    const ext = (packet.sequenceNumber & 0xffff) + 0x10000; // headroom so wrap-back never goes negative
    this.#highest = ext;
    this.#nextSeq = ext;
    this.#silenceRun = 0;
    this.#lostUntil = 0;
    this.#stray = undefined;
    this.#store(ext % this.capacityFrames, ext, packet.payload, nowMs);
  }
}
