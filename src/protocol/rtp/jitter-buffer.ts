/**
 * A sans-I/O jitter buffer for one incoming RTP audio stream of fixed 20 ms frames (G.711, ptime 20):
 * one packet = one frame, so play-out order is RTP sequence order (RFC 3550 §5.1, 16-bit wrap-around).
 *
 * Timing: `push(packet, nowMs)` as packets arrive; `pop(nowMs)` once per 20 ms tick of the shared media
 * clock. Play-out starts (or restarts after an underrun) once the first buffered packet has waited
 * `targetDelayMs` (default 40 ms = 2 frames); from then on each pop plays the next sequence number.
 *
 * ```
 *            late (dropped)  | play-out point (nextSeq)
 *   ... 97  98  99           v
 *                          [100] [101] [ - ] [103] [104]      <- held, sorted by extended sequence
 *                           pop   pop  conceal pop  pop
 *                          |<----------- capacityFrames ----------->|  newer packets push the window:
 *                                                                     oldest frames are dropped (overflow)
 * ```
 *
 * Rules:
 * - Reorder: packets are held sorted by extended sequence number (wrap-around handled).
 * - Late: a packet behind the play-out point is dropped (`late`), including a duplicate of a frame
 *   already played. A duplicate of a held frame is dropped (`duplicate`).
 * - Loss: when the next frame is missing but later frames are held, the tick is concealed
 *   (`{ payload: null, concealed: true }`) and the play-out point moves on; a packet that arrives for it
 *   afterwards is late.
 * - Underrun: when nothing is held at all, the tick is concealed too (`underrun`), the play-out point
 *   stays, and the buffer re-fills for `targetDelayMs` before playing again, skipping any sequence
 *   numbers that never arrived. This keeps silence suppression and talkspurts working.
 * - Concealment is the consumer's job: this buffer is codec-agnostic and only says which ticks have no
 *   frame. `RtpMediaLeg` repeats the last decoded frame once at -6 dB, then plays silence.
 * - Capacity: at most `capacityFrames` consecutive sequence numbers are held; a packet beyond the window
 *   drops the oldest held frames (`overflow`) and moves the play-out point forward.
 * - Latency cap: when a pop finds more than `maxDelayMs` buffered, it skips the oldest frames down to the
 *   target delay (`trimmed`), so a burst after a network stall does not add latency for the rest of the call.
 * - Resync: a new SSRC restarts the buffer at once. A sequence jump of more than `resyncThresholdFrames`
 *   is held aside (`stray`) and restarts the buffer only when the next packet follows it (RFC 3550 A.1's
 *   `bad_seq` rule), so one corrupt packet cannot derail play-out.
 *
 * `push` keeps a reference to `packet.payload` (no copy) until it is popped or dropped.
 */

/** What the buffer needs from a packet (an `RtpPacket` fits). */
export interface JitterPacket {
  readonly sequenceNumber: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
}

export interface JitterBufferOptions {
  /** Delay before play-out starts, in milliseconds. Default 40 (2 frames). */
  readonly targetDelayMs?: number;
  /** Frame duration in milliseconds. Default 20. */
  readonly frameMs?: number;
  /** Most consecutive sequence numbers held. Default 50 (1 s). */
  readonly capacityFrames?: number;
  /** Buffered audio above which a pop trims back to the target, in milliseconds. Default 200. */
  readonly maxDelayMs?: number;
  /** A jump of more than this many sequence numbers is a stream restart candidate. Default 100. */
  readonly resyncThresholdFrames?: number;
}

/** One tick's output. `payload` is the frame to decode, or null (silence or concealment). */
export interface JitterPopResult {
  readonly payload: Uint8Array | null;
  /** True when a frame was due but missing (loss or underrun) after play-out began. */
  readonly concealed: boolean;
  /** 16-bit sequence number of the played frame (absent when `payload` is null). */
  readonly sequenceNumber?: number;
}

/** What `push` did with a packet. */
export type JitterPushOutcome = 'stored' | 'late' | 'duplicate' | 'stray' | 'resync';

/** Running counters (packets unless noted). */
export interface JitterBufferCounters {
  received: number;
  /** Frames handed out by `pop`. */
  played: number;
  late: number;
  duplicate: number;
  /** Ticks returned as concealed (loss plus underrun). */
  concealed: number;
  /** Ticks with nothing held at all after play-out began (subset of `concealed`). */
  underrun: number;
  /** Held frames dropped because a newer packet needed room. */
  overflow: number;
  /** Held frames skipped to cap latency. */
  trimmed: number;
  /** Packets set aside as an unconfirmed sequence jump. */
  stray: number;
  /** Restarts (new SSRC or a confirmed jump). */
  resync: number;
}

interface Entry {
  readonly ext: number;
  readonly packet: JitterPacket;
}

type State = 'idle' | 'buffering' | 'playing';

const SILENT: JitterPopResult = Object.freeze({ payload: null, concealed: false });
const CONCEALED: JitterPopResult = Object.freeze({ payload: null, concealed: true });

/** The jitter buffer; see the module comment for its rules. */
export class JitterBuffer {
  readonly targetDelayMs: number;
  readonly capacityFrames: number;
  readonly #targetFrames: number;
  readonly #maxDelayFrames: number;
  readonly #resyncThreshold: number;
  readonly #frames: Entry[] = [];
  readonly #counters: JitterBufferCounters = {
    received: 0, played: 0, late: 0, duplicate: 0, concealed: 0, underrun: 0, overflow: 0, trimmed: 0, stray: 0, resync: 0,
  };
  #state: State = 'idle';
  #ssrc: number | undefined;
  #highest = 0;
  /** Play-out point: extended sequence number of the next frame to play; packets below are late. */
  #nextSeq: number | undefined;
  #bufferingSinceMs = 0;
  #everPlayed = false;
  #stray: { readonly expect: number; readonly packet: JitterPacket } | undefined;

  constructor(opts: JitterBufferOptions = {}) {
    const frameMs = opts.frameMs ?? 20;
    this.targetDelayMs = opts.targetDelayMs ?? 40;
    this.capacityFrames = Math.max(1, Math.floor(opts.capacityFrames ?? 50));
    this.#targetFrames = Math.max(1, Math.round(this.targetDelayMs / frameMs));
    this.#maxDelayFrames = Math.max(this.#targetFrames + 1, Math.round((opts.maxDelayMs ?? 200) / frameMs));
    this.#resyncThreshold = opts.resyncThresholdFrames ?? 100;
    if (!(frameMs > 0) || !(this.targetDelayMs >= 0)) {
      throw new RangeError('frameMs must be > 0 and targetDelayMs >= 0');
    }
  }

  /** A snapshot of the counters. */
  get counters(): Readonly<JitterBufferCounters> {
    return { ...this.#counters };
  }

  /** Frames currently held. */
  get size(): number {
    return this.#frames.length;
  }

  /** Adds a received packet. Never throws; the outcome says what happened to it. */
  push(packet: JitterPacket, nowMs: number): JitterPushOutcome {
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
    const floor = this.#nextSeq ?? this.#frames[0]?.ext ?? this.#highest;
    if (ext - this.#highest > this.#resyncThreshold || floor - ext > this.#resyncThreshold) {
      const stray = this.#stray;
      if (stray?.expect === seq) {
        this.#restart(stray.packet, nowMs, true);
        this.#stray = undefined;
        this.push(packet, nowMs);
        this.#counters.received--; // counted once, above
        return 'resync';
      }
      this.#stray = { expect: (seq + 1) & 0xffff, packet };
      this.#counters.stray++;
      return 'stray';
    }
    if (this.#nextSeq !== undefined && ext < this.#nextSeq) {
      this.#counters.late++;
      return 'late';
    }
    return this.#insert(ext, packet, nowMs);
  }

  #insert(ext: number, packet: JitterPacket, nowMs: number): JitterPushOutcome {
    const frames = this.#frames;
    const newest = Math.max(ext, this.#highest);
    const lowestAllowed = newest - this.capacityFrames + 1;
    if (ext < lowestAllowed) {
      this.#counters.late++; // older than the window before play-out began
      return 'late';
    }
    let i = frames.length;
    while (i > 0 && (frames[i - 1]?.ext ?? 0) > ext) {
      i--;
    }
    if (i > 0 && frames[i - 1]?.ext === ext) {
      this.#counters.duplicate++;
      return 'duplicate';
    }
    if (frames.length === 0 && this.#state !== 'playing') {
      this.#bufferingSinceMs = nowMs;
      this.#state = 'buffering';
    }
    frames.splice(i, 0, { ext, packet });
    this.#highest = newest;
    while ((frames[0]?.ext ?? lowestAllowed) < lowestAllowed) {
      frames.shift();
      this.#counters.overflow++;
    }
    if (this.#nextSeq !== undefined && this.#nextSeq < lowestAllowed) {
      this.#nextSeq = lowestAllowed;
    }
    return 'stored';
  }

  #restart(packet: JitterPacket, nowMs: number, counted: boolean): void {
    if (counted) {
      this.#counters.resync++;
    }
    this.#frames.length = 0;
    this.#ssrc = packet.ssrc;
    this.#highest = packet.sequenceNumber & 0xffff;
    this.#nextSeq = undefined;
    this.#stray = undefined;
    this.#state = 'buffering';
    this.#bufferingSinceMs = nowMs;
    this.#frames.push({ ext: this.#highest, packet });
  }

  /** Takes the frame for this 20 ms tick. Call exactly once per tick. */
  pop(nowMs: number): JitterPopResult {
    if (this.#state === 'buffering') {
      const first = this.#frames[0];
      if (first === undefined || nowMs - this.#bufferingSinceMs < this.targetDelayMs) {
        return this.#gap(false);
      }
      this.#state = 'playing';
      this.#nextSeq = first.ext; // after an underrun, numbers that never arrived are skipped
    }
    const first = this.#frames[0];
    if (this.#state !== 'playing' || this.#nextSeq === undefined) {
      return SILENT;
    }
    if (first === undefined) {
      this.#state = 'buffering';
      return this.#gap(true);
    }
    this.#trim();
    const head = this.#frames[0] ?? first;
    if (head.ext === this.#nextSeq) {
      this.#frames.shift();
      this.#nextSeq++;
      this.#counters.played++;
      this.#everPlayed = true;
      return { payload: head.packet.payload, concealed: false, sequenceNumber: head.packet.sequenceNumber & 0xffff };
    }
    this.#nextSeq++;
    return this.#gap(false);
  }

  #gap(underrun: boolean): JitterPopResult {
    if (!this.#everPlayed) {
      return SILENT;
    }
    this.#counters.concealed++;
    if (underrun || this.#frames.length === 0) {
      this.#counters.underrun++;
    }
    return CONCEALED;
  }

  /** Caps latency: when the held span exceeds maxDelay, skip to `targetFrames` behind the newest. */
  #trim(): void {
    const next = this.#nextSeq;
    if (next === undefined || this.#highest - next + 1 <= this.#maxDelayFrames) {
      return;
    }
    const keepFrom = this.#highest - this.#targetFrames; // the steady-state depth at a pop
    while ((this.#frames[0]?.ext ?? keepFrom) < keepFrom) {
      this.#frames.shift();
      this.#counters.trimmed++;
    }
    this.#nextSeq = keepFrom;
  }
}
