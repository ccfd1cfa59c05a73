/**
 * A sans-I/O release buffer for one incoming RTP audio stream of fixed 20 ms frames (G.711, ptime 20):
 * one packet = one frame, play-out order is RTP sequence order (RFC 3550 §5.1, 16-bit wrap-around).
 *
 * Unlike a classic jitter buffer it adds no delay to audio that arrives in order: the frame a stream
 * fork needs next is released the moment its packet arrives. Only a *gap* waits, and for at most
 * `maxWaitMs`. Streamfork's inbound audio goes to WebSocket apps (speech recognition, agents), which
 * have their own buffering; 40 ms of fixed delay on every frame would be latency nobody asked for.
 *
 * The buffer releases audio only. Keeping 50 frames a second whatever arrives (silence suppression,
 * RFC 4733 events, loss, no packets at all) is the job of whoever owns the media clock: the RTP leg
 * counts the frames it hands over against the clock's and fills the difference, calling `take` when
 * the clock needs a frame and none is due (see `RtpMediaLeg`).
 *
 * Use: `push(packet, nowMs, audio)` for every packet of the stream as it arrives (a packet that
 * carries no audio, such as an RFC 4733 event or comfort noise, still takes its sequence number: RFC
 * 3550 numbers every packet whatever its payload type), then call `next(nowMs)` until it returns
 * undefined; also call `next` on each tick of the media clock (that is what gives up on a gap once
 * its wait is over), and `take` when the clock needs a frame now.
 *
 * ```
 *   released          nextSeq   held (ring of capacityFrames slots)
 *   ... 97  98  99  |  [100 ?]  [101]  [102]        <- 100 missing: 101, 102 wait for it,
 *                         ^                             at most maxWaitMs after 101 arrived
 *   a packet for 100 arriving later than that is late (dropped): 100 was given up
 * ```
 *
 * Rules:
 * - In order: a packet whose sequence number is the next one to release is released at once, and so
 *   are the held packets that follow it. A packet without audio is passed over silently.
 * - Gap: when the next packet is missing but later ones are held, nothing is released until the
 *   missing one arrives or `maxWaitMs` has passed since the earliest held packet arrived, or `take` is
 *   called. Then the missing sequence numbers are given up (`lost`) and play-out moves on.
 * - Stall: a gap found when packets come back after `stallMs` without any is not waited for (the
 *   missing packets were lost in the outage; waiting only adds delay).
 * - Late: a packet behind play-out is dropped (`late`), including a duplicate of a released frame. A
 *   duplicate of a held frame is dropped (`duplicate`).
 * - Capacity: at most `capacityFrames` consecutive sequence numbers are held; a packet beyond that
 *   window skips play-out forward (`overflow`).
 * - Resync: a new SSRC restarts the buffer at once. A jump of more than `resyncThresholdFrames` is held
 *   aside (`stray`) and restarts the buffer only when the next packet follows it (RFC 3550 A.1's
 *   `bad_seq` rule), so one corrupt packet cannot derail play-out.
 *
 * Hot path: no allocation per packet or per release. `next` and `take` return one reused result
 * object, valid until the next call; `push` keeps a reference to `packet.payload` (no copy) until it is
 * released or dropped.
 */

/** What the buffer needs from a packet (an `RtpPacket` fits). */
export interface ReorderPacket {
  readonly sequenceNumber: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
}

export interface ReorderBufferOptions {
  /** Longest a missing packet holds back later ones. Default 40. */
  readonly maxWaitMs?: number;
  /** Time without any packet after which a gap in the next one is not waited for. Default 200. */
  readonly stallMs?: number;
  /** Most consecutive sequence numbers held. Default 50 (1 s). */
  readonly capacityFrames?: number;
  /** A jump of more than this many sequence numbers is a stream restart candidate. Default 100. */
  readonly resyncThresholdFrames?: number;
}

/** One released frame of audio. The same object is reused by every `next` and `take` call. */
export interface ReleasedFrame {
  /** The packet's payload. */
  readonly payload: Uint8Array;
  /** 16-bit sequence number of the packet. */
  readonly sequenceNumber: number;
}

/** What `push` did with a packet. */
export type ReorderPushOutcome = 'stored' | 'late' | 'duplicate' | 'stray' | 'resync';

/** Running counters (packets unless noted). */
export interface ReorderBufferCounters {
  received: number;
  /** Frames released with audio. */
  released: number;
  /** Packets without audio passed over in order (they only took their sequence number). */
  marked: number;
  late: number;
  duplicate: number;
  /** Missing sequence numbers given up (after the wait, at once after a stall, or by `take`). */
  lost: number;
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
  payload: Uint8Array;
  sequenceNumber: number;
}

/** Held in the slot of a packet that carries no audio: it only takes its sequence number. */
const NO_AUDIO = new Uint8Array(0);

/** The release buffer; see the module comment for its rules. */
export class ReorderBuffer {
  readonly maxWaitMs: number;
  readonly stallMs: number;
  readonly capacityFrames: number;
  readonly #resyncThreshold: number;
  /** Ring of held payloads (`NO_AUDIO` for a packet without audio), by extended sequence number modulo capacity. */
  readonly #slots: (Uint8Array | undefined)[];
  readonly #slotExt: Float64Array;
  readonly #slotArrivedMs: Float64Array;
  readonly #result: MutableRelease = { payload: NO_AUDIO, sequenceNumber: 0 };
  readonly #counters: ReorderBufferCounters = {
    received: 0,
    released: 0,
    marked: 0,
    late: 0,
    duplicate: 0,
    lost: 0,
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
  /** When the last packet arrived. */
  #lastPushMs = -Infinity;
  /** Packets came back after a stall: the gap before them is not waited for. */
  #afterStall = false;
  /** The sequence number `skipNext` gave up, while nothing has been released after it; -1 otherwise. */
  #skipped = -1;
  #stray: { readonly expect: number; readonly packet: ReorderPacket; readonly audio: boolean } | undefined;

  constructor(opts: ReorderBufferOptions = {}) {
    this.maxWaitMs = opts.maxWaitMs ?? 40;
    this.stallMs = opts.stallMs ?? 200;
    this.capacityFrames = Math.max(2, Math.floor(opts.capacityFrames ?? 50));
    this.#resyncThreshold = opts.resyncThresholdFrames ?? 100;
    if (!(this.maxWaitMs >= 0) || !(this.stallMs >= 0)) {
      throw new RangeError('maxWaitMs and stallMs must be >= 0');
    }
    this.#slots = new Array<Uint8Array | undefined>(this.capacityFrames).fill(undefined);
    this.#slotExt = new Float64Array(this.capacityFrames).fill(-1);
    this.#slotArrivedMs = new Float64Array(this.capacityFrames);
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<ReorderBufferCounters> {
    return { ...this.#counters };
  }

  /** Packets currently held. */
  get size(): number {
    return this.#held;
  }

  /**
   * Adds a received packet of the stream; `audio` false for one that carries none (an RFC 4733 event,
   * comfort noise): it takes its place in the sequence and is never released. Never throws; the
   * outcome says what happened to it.
   */
  push(packet: ReorderPacket, nowMs: number, audio = true, marker = false): ReorderPushOutcome {
    this.#counters.received++;
    const stalled = nowMs - this.#lastPushMs >= this.stallMs;
    this.#lastPushMs = nowMs;
    const payload = audio ? packet.payload : NO_AUDIO;
    if (this.#ssrc === undefined) {
      this.#restart(packet, payload, nowMs, false);
      return 'stored';
    }
    if (packet.ssrc !== this.#ssrc) {
      this.#restart(packet, payload, nowMs, true);
      return 'resync';
    }
    const seq = packet.sequenceNumber & 0xffff;
    const ext = this.#highest + ((((seq - (this.#highest & 0xffff)) & 0xffff) ^ 0x8000) - 0x8000);
    const floor = this.#nextSeq ?? this.#highest;
    if (ext - this.#highest > this.#resyncThreshold || floor - ext > this.#resyncThreshold) {
      const stray = this.#stray;
      if (stray?.expect === seq) {
        this.#restart(stray.packet, stray.audio ? stray.packet.payload : NO_AUDIO, nowMs, true);
        this.#stray = undefined;
        this.#counters.received--; // counted once, above
        this.push(packet, nowMs, audio, marker);
        return 'resync';
      }
      this.#stray = { expect: (seq + 1) & 0xffff, packet, audio };
      this.#counters.stray++;
      return 'stray';
    }
    if (ext === this.#skipped && marker && this.#nextSeq === ext + 1) {
      // Given up by `skipNext`, but it starts a talkspurt (RFC 3551 §4.1): it was not late, the
      // sender was silent. Take it back.
      this.#nextSeq = ext;
      this.#counters.lost--;
    }
    this.#skipped = -1;
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
      this.#skipTo(ext - this.capacityFrames + 1);
    }
    this.#store(slot, ext, payload, nowMs);
    if (stalled) {
      this.#afterStall = true;
    }
    if (ext > this.#highest) {
      this.#highest = ext;
    }
    return 'stored';
  }

  /**
   * The next frame of audio due now, or undefined when none is. Call in a loop after each `push` and
   * on each media tick. The returned object is reused by the next call.
   */
  next(nowMs: number): ReleasedFrame | undefined {
    return this.#release(nowMs, false);
  }

  /**
   * The clock needs a frame now: the next frame of audio held, giving up at once on any gap before it;
   * undefined when no audio is held. The returned object is reused by the next call.
   */
  take(nowMs: number): ReleasedFrame | undefined {
    return this.#release(nowMs, true);
  }

  /**
   * The clock has put a filler in place of the next frame: give up its sequence number unless it is
   * held, so that packet is late if it comes now (no extra frame). A talkspurt's first packet (RTP
   * marker bit) for it is still taken, as it only means the sender had stopped.
   */
  skipNext(): void {
    const next = this.#nextSeq;
    if (next === undefined || this.#slotExt[next % this.capacityFrames] === next) {
      return;
    }
    this.#nextSeq = next + 1;
    this.#counters.lost++;
    this.#skipped = next;
  }

  #release(nowMs: number, force: boolean): ReleasedFrame | undefined {
    for (;;) {
      const next = this.#nextSeq;
      if (next === undefined || this.#held === 0) {
        return undefined;
      }
      const slot = next % this.capacityFrames;
      const payload = this.#slots[slot];
      if (payload !== undefined && this.#slotExt[slot] === next) {
        this.#take(slot);
        this.#nextSeq = next + 1;
        this.#afterStall = false;
        this.#skipped = -1;
        if (payload === NO_AUDIO) {
          this.#counters.marked++;
          continue;
        }
        this.#counters.released++;
        const r = this.#result;
        r.payload = payload;
        r.sequenceNumber = next & 0xffff;
        return r;
      }
      if (!force && !this.#afterStall && nowMs - this.#earliestHeldMs() < this.maxWaitMs) {
        return undefined; // a gap, still worth waiting for
      }
      // The missing frame is given up for good, with every one up to the first held.
      let firstHeld = next + 1;
      while (this.#slotExt[firstHeld % this.capacityFrames] !== firstHeld) {
        firstHeld++;
      }
      this.#counters.lost += firstHeld - next;
      this.#nextSeq = firstHeld;
      this.#skipped = -1;
    }
  }

  /** Moves play-out forward to `ext` (overflow), dropping anything held below it. */
  #skipTo(ext: number): void {
    const from = this.#nextSeq ?? ext;
    const n = ext - from;
    if (n <= 0) {
      return;
    }
    this.#counters.overflow += n;
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

  #restart(packet: ReorderPacket, payload: Uint8Array, nowMs: number, counted: boolean): void {
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
    this.#stray = undefined;
    this.#store(ext % this.capacityFrames, ext, payload, nowMs);
  }
}
