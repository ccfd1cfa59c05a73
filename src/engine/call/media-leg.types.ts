/**
 * What the engine needs from one call leg, whatever carries it: an in-process virtual call (a WAV file
 * in, a recorder out), or SIP with RTP. The engine cannot tell them apart.
 *
 * Audio at this boundary is 8 kHz mono signed 16-bit PCM in 20 ms frames of 160 samples: the rate of
 * G.711 (PCMU/PCMA). A G.722 leg hands over the caller's audio at 16 kHz too (`InboundSink`'s `wide`),
 * for the streams that want wideband, and gets what the caller hears at 16 kHz too (`writeOutbound`'s
 * `wide`, see docs/codecs.md).
 */
export const CALL_SAMPLE_RATE_HZ = 8000;
export const CALL_FRAME_MS = 20;
export const FRAME_SAMPLES = (CALL_SAMPLE_RATE_HZ * CALL_FRAME_MS) / 1000;

/**
 * Who ended a call, set where the hangup is asked for: the caller or callee (BYE, CANCEL, a rejected
 * INVITE), the XML (`xml-hangup`: a `<Hangup>` element; `xml-end`: the XML ran out), the server
 * (shutdown, timeouts, limits), the REST API, or an error. Its Plivo name on the record and hangup_url
 * is `hangupSourceName` (engine/records/hangup-causes.ts).
 */
export type HangupSource = 'caller' | 'callee' | 'xml-hangup' | 'xml-end' | 'server' | 'api' | 'error';

export interface LegHangup {
  /** Plivo hangup cause, e.g. `NORMAL_CLEARING`. */
  readonly cause: string;
  readonly source: HangupSource;
}

export interface MediaLegEvents {
  /** A DTMF digit finished (RFC 4733 end, or a virtual key press). */
  dtmf: (digit: string) => void;
  /** The far end hung up, or the transport failed. Fired once. */
  hangup: (hangup: LegHangup) => void;
  /** The leg ended, whoever ended it (before `hangup` when the far end did). Fired once. */
  closed: () => void;
}

/** Samples of one 20 ms frame at 16 kHz: the `wide` frame of a wideband (G.722) leg. */
export const WIDE_FRAME_SAMPLES = 2 * FRAME_SAMPLES;

/**
 * Receives the caller's audio, one 20 ms frame (160 samples) at a time. `frame` is only valid during
 * the call (the leg reuses it). `audio` is false for silence and for frames the leg could not conceal.
 * A wideband leg (G.722) also passes `wide`: the same 20 ms at 16 kHz (320 samples, also reused), of
 * which `frame` is the low-passed 8 kHz version; a narrowband leg passes undefined.
 */
export type InboundSink = (frame: Int16Array, audio: boolean, wide?: Int16Array) => void;

export interface MediaLeg {
  /**
   * Where the caller's audio goes. A leg hands over each frame as soon as it has it: an RTP leg on
   * packet arrival (no jitter-buffer wait for audio that arrives in order), a virtual leg on the tick.
   * Through gaps and silence the leg keeps frames coming at 50 per second (from `tickInbound`).
   */
  setInboundSink(sink: InboundSink): void;
  /**
   * Once per tick of the shared media clock: hands over the frames that are due by time rather than by
   * arrival (lost packets given up, silence, a virtual leg's audio) and runs DTMF timeouts.
   */
  tickInbound(): void;
  /**
   * Sends 20 ms (160 samples) to the caller. Called once per tick of the shared media clock. A
   * `wideband` leg also gets `wide`: the same 20 ms mixed at 16 kHz (320 samples), which it sends
   * instead of `frame`.
   */
  writeOutbound(frame: Int16Array, wide?: Int16Array): void;
  /**
   * True when the leg's codec carries 16 kHz audio (G.722): the call then mixes what the caller hears
   * at 16 kHz too, so a 16 kHz stream's playback reaches the caller in wideband. Absent: false.
   */
  readonly wideband?: boolean;
  /** Plays DTMF digits to the caller (RFC 4733 on SIP legs). */
  sendDtmf(digits: string): void;
  /** Ends the leg from our side with `cause` (the domain verb: an RTP leg asks its dialog for a BYE). Idempotent. */
  hangup(cause: string): void;
  /** The lifecycle verb: `hangup('NORMAL_CLEARING')`. Idempotent. */
  close(): void;
  /** True once the leg has ended, whoever ended it. */
  readonly closed: boolean;
  on<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): void;
  off<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): void;
}
