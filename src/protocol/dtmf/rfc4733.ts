/**
 * RFC 4733 telephone-events for DTMF: the payload format (§2.3), a receiver that turns a packet stream
 * into each digit exactly once, and a sender that turns a digit string into the packet sequence of
 * §2.5.1, one packet per 20 ms tick of the shared media clock. Sans-I/O.
 *
 * Payload (§2.3):
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * event: 0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D` (§3.2); E: end of event; R: reserved (sent 0,
 * ignored); volume: 0–63, in -dBm0; duration: in timestamp units since the event's timestamp.
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';

/** A telephone-event payload (RFC 4733 §2.3). */
export interface TelephoneEvent {
  /** Event code 0–255 (0–15 are DTMF, §3.2). */
  readonly event: number;
  /** E bit: this packet ends the event. */
  readonly end: boolean;
  /** Power level in -dBm0, 0–63. */
  readonly volume: number;
  /** Duration so far in timestamp units (1/8000 s for DTMF), 0–65535. */
  readonly duration: number;
}

/** Length of a telephone-event payload. */
export const TELEPHONE_EVENT_BYTES = 4;
/** DTMF characters by event code (RFC 4733 §3.2, Table 3). */
export const DTMF_EVENTS = '0123456789*#ABCD';

/** The DTMF character of an event code, or undefined for non-DTMF events (16+: flash, tones…). */
export function dtmfDigitOf(event: number): string | undefined {
  return event >= 0 && event < 16 ? DTMF_EVENTS[event] : undefined;
}

/** The event code of a DTMF character (case-insensitive for A–D), or undefined. */
export function dtmfEventOf(digit: string): number | undefined {
  const i = digit.length === 1 ? DTMF_EVENTS.indexOf(digit.toUpperCase()) : -1;
  return i < 0 ? undefined : i;
}

/** Parses a telephone-event payload. Never throws; `ERR_RTP_EVENT_TOO_SHORT` under 4 octets. */
export function parseTelephoneEvent(payload: Uint8Array): ParseResult<TelephoneEvent> {
  if (payload.length < TELEPHONE_EVENT_BYTES) {
    return fail({
      code: 'ERR_RTP_EVENT_TOO_SHORT',
      detail: `${payload.length} octets`,
      offset: payload.length,
    });
  }
  const b1 = payload[1] ?? 0;
  return ok({
    event: payload[0] ?? 0,
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: ((payload[2] ?? 0) << 8) | (payload[3] ?? 0),
  });
}

/** Writes a telephone-event payload (R bit zero) into `out` at `offset`; returns 4. */
export function writeTelephoneEvent(out: Uint8Array, ev: TelephoneEvent, offset = 0): number {
  out[offset] = ev.event;
  out[offset + 1] = (ev.end ? 0x80 : 0) | (ev.volume & 0x3f);
  out[offset + 2] = ev.duration >>> 8;
  out[offset + 3] = ev.duration;
  return TELEPHONE_EVENT_BYTES;
}

/** Serializes a telephone-event payload. @throws RangeError on out-of-range fields. */
export function serializeTelephoneEvent(ev: TelephoneEvent): Uint8Array {
  if (
    ev.event < 0 ||
    ev.event > 255 ||
    ev.volume < 0 ||
    ev.volume > 63 ||
    ev.duration < 0 ||
    ev.duration > 0xffff
  ) {
    throw new RangeError('telephone-event field out of range');
  }
  const out = new Uint8Array(TELEPHONE_EVENT_BYTES);
  writeTelephoneEvent(out, ev);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Receiver

export type DtmfReceiverInput =
  | {
      readonly type: 'packet';
      /** RTP timestamp of the packet: identifies the event (§2.5.1.1). */
      readonly timestamp: number;
      /** The RTP payload. */
      readonly payload: Uint8Array;
    }
  | { readonly type: 'tick' };

export interface DtmfDigitOutput {
  readonly type: 'digit';
  readonly digit: string;
  readonly event: number;
  /** Longest duration seen, in milliseconds. */
  readonly durationMs: number;
  /** Why it was reported: an end packet, a following event, or the timeout (the last two: ends lost). */
  readonly reason: 'end' | 'next-event' | 'timeout';
}

export interface DtmfReceiverOptions {
  /** An event with no packet for this long is reported as ended. Default 800 ms. */
  readonly endTimeoutMs?: number;
  /** Timestamp units per millisecond. Default 8 (8000 Hz). */
  readonly unitsPerMs?: number;
}

interface CurrentEvent {
  readonly timestamp: number;
  readonly event: number;
  duration: number;
  lastSeenMs: number;
}

/** Timestamps remembered after an event is reported, so its retransmitted end packets are ignored. */
const REMEMBERED = 8;

/**
 * Turns telephone-event packets into digits, each reported once (RFC 4733 §2.5.2): packets with the
 * timestamp of an event already reported are ignored (the end packet is sent three times, §2.5.1.4);
 * a lost start packet does not matter (any packet with a new timestamp starts an event); an event whose
 * end packets were all lost is reported when a packet with another timestamp arrives or after
 * `endTimeoutMs` without packets (driven by `{type:'tick'}` inputs). Non-DTMF events (16+) and
 * malformed payloads are ignored. Call `reset()` when the remote SSRC changes.
 */
export class DtmfReceiver {
  readonly #endTimeoutMs: number;
  readonly #unitsPerMs: number;
  #current: CurrentEvent | undefined;
  readonly #done: number[] = [];
  /** Payloads that were not telephone-events or not DTMF. */
  ignored = 0;

  constructor(opts: DtmfReceiverOptions = {}) {
    this.#endTimeoutMs = opts.endTimeoutMs ?? 800;
    this.#unitsPerMs = opts.unitsPerMs ?? 8;
  }

  /** Feeds one packet or tick; returns the digits completed by it (zero, one or two). */
  handle(input: DtmfReceiverInput, nowMs: number): DtmfDigitOutput[] {
    const out: DtmfDigitOutput[] = [];
    const cur = this.#current;
    if (input.type === 'tick') {
      if (cur !== undefined && nowMs - cur.lastSeenMs >= this.#endTimeoutMs) {
        out.push(this.#finish(cur, 'timeout'));
      }
      return out;
    }
    const parsed = parseTelephoneEvent(input.payload);
    if (!parsed.ok || parsed.value.event > 15) {
      this.ignored++;
      return out;
    }
    const ts = input.timestamp >>> 0;
    if (this.#done.includes(ts)) {
      return out; // a retransmission of a reported event
    }
    const ev = parsed.value;
    let current = cur;
    if (current !== undefined && current.timestamp !== ts) {
      out.push(this.#finish(current, 'next-event'));
      current = undefined;
    }
    if (current === undefined) {
      current = { timestamp: ts, event: ev.event, duration: 0, lastSeenMs: nowMs };
      this.#current = current;
    }
    current.duration = Math.max(current.duration, ev.duration);
    current.lastSeenMs = nowMs;
    if (ev.end) {
      out.push(this.#finish(current, 'end'));
    }
    return out;
  }

  #finish(cur: CurrentEvent, reason: DtmfDigitOutput['reason']): DtmfDigitOutput {
    this.#current = undefined;
    this.#done.push(cur.timestamp);
    if (this.#done.length > REMEMBERED) {
      this.#done.shift();
    }
    return {
      type: 'digit',
      digit: DTMF_EVENTS[cur.event] ?? '?',
      event: cur.event,
      durationMs: cur.duration / this.#unitsPerMs,
      reason,
    };
  }

  /** Forgets the current event and remembered timestamps (new SSRC). */
  reset(): void {
    this.#current = undefined;
    this.#done.length = 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Sender

export interface DtmfSenderOptions {
  /** Tone length in milliseconds. Default 100. */
  readonly toneMs?: number;
  /** Gap after the tone before the next event, in ms (covers the end retransmissions). Default 100. */
  readonly gapMs?: number;
  /** Volume in -dBm0 (0–63). Default 10. */
  readonly volume?: number;
  /** Tick length in milliseconds. Default 20. */
  readonly frameMs?: number;
  /** Timestamp units per tick. Default 160 (20 ms at 8000 Hz). */
  readonly unitsPerFrame?: number;
}

/** One telephone-event packet to send this tick, with the same SSRC and sequence space as audio. */
export interface DtmfSendPacket {
  readonly payload: Uint8Array;
  /** Set on the first packet of an event (RFC 4733 §2.5.1.1). */
  readonly marker: boolean;
  /** RTP timestamp of the event's first tick, the same for all its packets. */
  readonly timestamp: number;
  readonly end: boolean;
}

type SendItem =
  { readonly kind: 'tone'; readonly event: number } | { readonly kind: 'pause'; readonly ticks: number };

/**
 * Plays digits as telephone-events (RFC 4733 §2.5.1), one output per tick: for each digit, a start
 * packet with the marker bit, continuation packets every 20 ms with growing duration, then the end
 * packet three times (§2.5.1.4) with the final duration, all with the event's start timestamp; then a
 * gap. Default per digit: 100 ms of tone (5 ticks: 4 packets E=0 of duration 160…640, then 3 packets
 * E=1 of duration 800) and 100 ms of gap (counted from the first end packet), i.e. 200 ms per digit.
 * `w` pauses 500 ms and `W` 1 s, as in Plivo's `sendDigits`.
 */
export class DtmfSender {
  readonly #toneTicks: number;
  readonly #gapTicks: number;
  readonly #volume: number;
  readonly #units: number;
  readonly #frameMs: number;
  readonly #queue: SendItem[] = [];
  #event = -1;
  #tick = 0;
  #startTimestamp = 0;
  #pauseLeft = 0;

  constructor(opts: DtmfSenderOptions = {}) {
    this.#frameMs = opts.frameMs ?? 20;
    this.#units = opts.unitsPerFrame ?? 160;
    this.#toneTicks = Math.max(1, Math.round((opts.toneMs ?? 100) / this.#frameMs));
    this.#gapTicks = Math.max(2, Math.round((opts.gapMs ?? 100) / this.#frameMs));
    this.#volume = opts.volume ?? 10;
    if (this.#toneTicks * this.#units > 0xffff) {
      throw new RangeError('toneMs too long for the 16-bit duration field');
    }
  }

  /**
   * Queues digits (0-9 * # A-D, case-insensitive; w/W pause 0.5 s/1 s). Returns false and queues
   * nothing when any character is not one of these.
   */
  enqueue(digits: string): boolean {
    const items: SendItem[] = [];
    for (const ch of digits) {
      const ev = dtmfEventOf(ch);
      if (ev !== undefined) {
        items.push({ kind: 'tone', event: ev });
      } else if (ch === 'w' || ch === 'W') {
        items.push({ kind: 'pause', ticks: Math.round((ch === 'w' ? 500 : 1000) / this.#frameMs) });
      } else {
        return false;
      }
    }
    this.#queue.push(...items);
    return true;
  }

  /** True while digits are queued or being played. */
  get busy(): boolean {
    return this.#event >= 0 || this.#pauseLeft > 0 || this.#queue.length > 0;
  }

  /** Drops queued digits; an event in progress still ends properly. */
  clear(): void {
    this.#queue.length = 0;
    this.#pauseLeft = 0;
  }

  /**
   * Advances one tick. Returns the packet to send instead of audio this tick, or null (send audio).
   * @param rtpTimestamp this tick's RTP timestamp (`RtpSender.timestamp`).
   */
  tick(rtpTimestamp: number): DtmfSendPacket | null {
    if (this.#event < 0) {
      if (this.#pauseLeft > 0) {
        this.#pauseLeft--;
        return null;
      }
      const next = this.#queue.shift();
      if (next === undefined) {
        return null;
      }
      if (next.kind === 'pause') {
        this.#pauseLeft = next.ticks - 1;
        return null;
      }
      this.#event = next.event;
      this.#tick = 0;
      this.#startTimestamp = rtpTimestamp >>> 0;
    }
    const t = this.#tick++;
    const event = this.#event;
    if (t >= this.#toneTicks + this.#gapTicks - 1) {
      this.#event = -1; // the last gap tick: the next tick may start the next event
    }
    const end = t >= this.#toneTicks - 1;
    if (end && t > this.#toneTicks + 1) {
      return null; // gap after the three end packets
    }
    const duration = Math.min(t + 1, this.#toneTicks) * this.#units;
    const payload = new Uint8Array(TELEPHONE_EVENT_BYTES);
    writeTelephoneEvent(payload, { event, end, volume: this.#volume, duration });
    return { payload, marker: t === 0, timestamp: this.#startTimestamp, end };
  }
}
