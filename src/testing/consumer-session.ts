/**
 * One WebSocket session of the reference consumer: the app side of a Plivo `<Stream>` connection.
 * It validates every frame with {@link StreamValidator}, keeps what arrived (messages, audio, DTMF,
 * checkpoint acknowledgements) and sends app messages shaped like a real Plivo bot's (compatibility §5).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocket } from 'ws';

import {
  type DtmfMessage,
  type Finding,
  type L16ByteOrder,
  type ParsedMessage,
  type RuleId,
  RULES,
  type StartMessage,
  type StreamMessage,
  type StreamMessageByEvent,
  type Track,
  concatBytes,
  decodeToPcm,
} from './stream-messages.js';
import { StreamValidator, type StreamValidatorOptions } from './stream-validator.js';

/** One broken rule, with the context needed to find it. */
export interface Violation {
  /** The rule id (a key of RULES). */
  readonly rule: RuleId;
  /** The rule and the spec clause it comes from. */
  readonly clause: string;
  /** What exactly was wrong. */
  readonly detail: string;
  /** Index of the session in `consumer.sessions`, or -1 for a refused upgrade. */
  readonly session: number;
  /** Zero-based index of the offending frame on its socket, or -1 for the upgrade. */
  readonly frame: number;
  /** The offending frame (text, or a note for binary frames) or the upgrade request line. */
  readonly raw: string;
}

/** Options of `ConsumerSession.playAudio`. */
export interface PlayAudioOptions {
  /** `media.contentType`. Default: the negotiated `start.mediaFormat.encoding`. */
  readonly contentType?: string;
  /** `media.sampleRate`, as a number or numeric string. Default: the negotiated rate. */
  readonly sampleRate?: number | string;
  /** Split the audio into messages of this many milliseconds. Default: one message. */
  readonly chunkMs?: number;
}

/** What a predicate of {@link ConsumerSession.waitFor} sees. */
export type MessagePredicate = (message: ParsedMessage, session: ConsumerSession) => boolean;

interface Waiter {
  readonly predicate: MessagePredicate;
  readonly resolve: (message: ParsedMessage) => void;
  readonly reject: (error: Error) => void;
}

/** Construction parameters; built by the reference consumer, not by users. */
export interface ConsumerSessionInit extends StreamValidatorOptions {
  readonly index: number;
  readonly socket: WebSocket;
  readonly upgradeHeaders: IncomingHttpHeaders;
  readonly requestUrl: string;
  readonly l16ByteOrder: L16ByteOrder;
  readonly report: (violation: Violation) => void;
}

/** The app side of one stream connection, as seen by tests. */
export class ConsumerSession {
  /** Index of this session in `consumer.sessions`. */
  readonly index: number;
  /** Headers of the WebSocket upgrade request (lower-case names), e.g. the signature headers. */
  readonly upgradeHeaders: IncomingHttpHeaders;
  /** Path and query of the upgrade request. */
  readonly requestUrl: string;
  /** Resolves with the close code once the socket has closed (1005 when none was sent). */
  readonly closed: Promise<number>;
  readonly #socket: WebSocket;
  readonly #validator: StreamValidator;
  readonly #byteOrder: L16ByteOrder;
  readonly #report: (violation: Violation) => void;
  readonly #messages: ParsedMessage[] = [];
  readonly #valid: StreamMessage[] = [];
  readonly #validSet = new WeakSet<object>();
  readonly #violations: Violation[] = [];
  readonly #audio = new Map<Track, Uint8Array[]>();
  readonly #sent: Uint8Array[] = [];
  readonly #played: string[] = [];
  #waiters: Waiter[] = [];
  #start: StartMessage | undefined;
  #dtmf = '';
  #cleared = 0;
  #frames = 0;
  #closeCode: number | undefined;

  /** Wraps an accepted socket; the reference consumer calls this. */
  constructor(init: ConsumerSessionInit) {
    this.index = init.index;
    this.upgradeHeaders = init.upgradeHeaders;
    this.requestUrl = init.requestUrl;
    this.#socket = init.socket;
    this.#byteOrder = init.l16ByteOrder;
    this.#report = init.report;
    this.#validator = new StreamValidator(init);
    this.closed = new Promise((resolve) => {
      init.socket.on('close', (code) => {
        this.#closeCode = code;
        this.#failWaiters(`socket closed with code ${code}`);
        resolve(code);
      });
    });
    init.socket.on('message', (data, isBinary) => {
      this.#onFrame(toBytes(data), isBinary);
    });
    init.socket.on('error', () => {
      // A protocol error closes the socket; `closed` carries the code.
    });
  }

  /** The `start` message, once a valid one arrived. */
  get start(): StartMessage | undefined {
    return this.#start;
  }

  /** Every frame that parsed as an event object, valid or not, in arrival order. */
  get messages(): readonly ParsedMessage[] {
    return this.#messages;
  }

  /** The messages that broke no rule, in arrival order. */
  get validMessages(): readonly StreamMessage[] {
    return this.#valid;
  }

  /** Violations found on this session. */
  get violations(): readonly Violation[] {
    return this.#violations;
  }

  /** Frames received so far, including binary and unparseable ones. */
  get frameCount(): number {
    return this.#frames;
  }

  /** Digits of the `dtmf` messages received, in order (e.g. "12#"). */
  get dtmfDigits(): string {
    return this.#dtmf;
  }

  /** Names from the `playedStream` messages received, in order. */
  get playedCheckpoints(): readonly string[] {
    return this.#played;
  }

  /** Number of `clearedAudio` messages received. */
  get clearedCount(): number {
    return this.#cleared;
  }

  /** Checkpoints sent and not yet acknowledged or cleared, oldest first. */
  get pendingCheckpoints(): readonly string[] {
    return this.#validator.pendingCheckpoints;
  }

  /** The close code, once closed. */
  get closeCode(): number | undefined {
    return this.#closeCode;
  }

  /** Raw audio received on the inbound track (concatenated `media` payloads). */
  get inboundAudio(): Uint8Array {
    return this.audioBytes('inbound');
  }

  /** Raw audio received on the outbound track. */
  get outboundAudio(): Uint8Array {
    return this.audioBytes('outbound');
  }

  /** Inbound audio decoded to int16 PCM in the negotiated format. */
  get inboundPcm(): Int16Array {
    return this.audioPcm('inbound');
  }

  /** Outbound audio decoded to int16 PCM in the negotiated format. */
  get outboundPcm(): Int16Array {
    return this.audioPcm('outbound');
  }

  /** Raw audio this session sent with `playAudio`, concatenated. */
  get sentAudio(): Uint8Array {
    return concatBytes(this.#sent);
  }

  /** Raw audio received on a track: the decoded `media` payloads, concatenated. */
  audioBytes(track: Track): Uint8Array {
    return concatBytes(this.#audio.get(track) ?? []);
  }

  /** Audio received on a track, decoded to int16 PCM (μ-law expanded; L16 little-endian unless configured). */
  audioPcm(track: Track): Int16Array {
    const encoding = this.#start?.start.mediaFormat.encoding ?? this.#validator.encoding ?? 'audio/x-mulaw';
    return decodeToPcm(this.audioBytes(track), encoding, this.#byteOrder);
  }

  /**
   * Sends `playAudio` messages shaped like a real Plivo bot's:
   * `{event:'playAudio', media:{contentType, sampleRate, payload}}` (compatibility §5.1). Returns the message count.
   */
  playAudio(bytes: Uint8Array, options: PlayAudioOptions = {}): number {
    const format = this.#start?.start.mediaFormat;
    const contentType = options.contentType ?? format?.encoding;
    const sampleRate = options.sampleRate ?? format?.sampleRate;
    if (contentType === undefined || sampleRate === undefined) {
      throw new TypeError('playAudio before a valid start needs contentType and sampleRate');
    }
    const bytesPerSample = contentType.startsWith('audio/x-l16') ? 2 : 1;
    const rate = Number(sampleRate) || 8000;
    const chunk =
      options.chunkMs === undefined
        ? bytes.length
        : Math.max(1, Math.round((rate * options.chunkMs) / 1000) * bytesPerSample);
    let count = 0;
    for (let offset = 0; offset < bytes.length || (offset === 0 && count === 0); offset += chunk) {
      const part = bytes.subarray(offset, offset + chunk);
      this.#sendJson({
        event: 'playAudio',
        media: { contentType, sampleRate, payload: Buffer.from(part).toString('base64') },
      });
      this.#sent.push(part.slice());
      count += 1;
    }
    return count;
  }

  /** Sends `checkpoint{streamId, name}` (compatibility §5.2) and expects a `playedStream` for it. */
  checkpoint(name: string): void {
    this.#sendJson({ event: 'checkpoint', ...this.#streamIdField(), name });
    this.#validator.noteCheckpointSent(name);
  }

  /** Sends `clearAudio{streamId}` (compatibility §5.3) and expects one `clearedAudio`. */
  clearAudio(): void {
    this.#sendJson({ event: 'clearAudio', ...this.#streamIdField() });
    this.#validator.noteClearSent();
  }

  /** Sends `sendDTMF{dtmf}` (compatibility §5.4). */
  sendDTMF(digits: string): void {
    this.#sendJson({ event: 'sendDTMF', dtmf: digits });
  }

  /** Sends a frame as-is (a string as text, bytes as binary), for fault tests; nothing is tracked. */
  sendRaw(data: string | Uint8Array): void {
    this.#socket.send(data, { binary: typeof data !== 'string' });
  }

  /** Closes the socket from the app side (default 1000) and resolves with the final close code. */
  close(code = 1000, reason = ''): Promise<number> {
    if (this.#closeCode === undefined) {
      this.#socket.close(code, reason);
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close frame. */
  terminate(): void {
    this.#socket.terminate();
  }

  /**
   * Resolves with the first message, already received or still to come, that satisfies the predicate.
   * Rejects when the timeout expires or the socket closes first; the error lists the violations so far.
   */
  waitFor(predicate: MessagePredicate, timeoutMs = 5000): Promise<ParsedMessage> {
    const found = this.#messages.find((message) => predicate(message, this));
    if (found !== undefined) {
      return Promise.resolve(found);
    }
    if (this.#closeCode !== undefined) {
      return Promise.reject(new Error(this.#explain(`socket already closed with code ${this.#closeCode}`)));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(this.#explain(`waitFor timed out after ${timeoutMs} ms`)));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Resolves with the first valid message of this event (already received or to come), bounded by a timeout. */
  async waitForEvent<E extends keyof StreamMessageByEvent>(
    event: E,
    timeoutMs = 5000,
  ): Promise<StreamMessageByEvent[E]> {
    const message = await this.waitFor((m) => m.event === event && this.#validSet.has(m), timeoutMs).catch(
      (error: unknown) => {
        throw new Error(
          `waitForEvent("${event}"): ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
    return message as unknown as StreamMessageByEvent[E];
  }

  /** Resolves with the `start` message once a valid one arrived. */
  waitForStart(timeoutMs = 5000): Promise<StartMessage> {
    return this.waitForEvent('start', timeoutMs);
  }

  /** Records a violation found outside the frame stream (e.g. on the upgrade request). */
  recordViolation(rule: RuleId, detail: string, raw: string): void {
    this.#addViolation({ rule, detail }, -1, raw);
  }

  #onFrame(data: Uint8Array, isBinary: boolean): void {
    const frame = this.#frames;
    this.#frames += 1;
    const outcome = this.#validator.receive(data, isBinary);
    const raw = isBinary ? `<binary frame of ${data.length} bytes>` : Buffer.from(data).toString('utf8');
    for (const finding of outcome.findings) {
      this.#addViolation(finding, frame, raw);
    }
    if (outcome.audio !== undefined) {
      const list = this.#audio.get(outcome.audio.track) ?? [];
      list.push(outcome.audio.bytes);
      this.#audio.set(outcome.audio.track, list);
    }
    const message = outcome.message;
    if (message !== undefined) {
      this.#valid.push(message);
      this.#validSet.add(message);
      this.#track(message);
    }
    if (outcome.parsed !== undefined) {
      this.#messages.push(outcome.parsed);
      this.#notify(outcome.parsed);
    }
  }

  #track(message: StreamMessage): void {
    switch (message.event) {
      case 'start':
        this.#start = message;
        break;
      case 'dtmf':
        this.#dtmf += (message satisfies DtmfMessage).dtmf.digit;
        break;
      case 'playedStream':
        this.#played.push(message.name);
        break;
      case 'clearedAudio':
        this.#cleared += 1;
        break;
      case 'media':
      case 'stop':
        break;
    }
  }

  #notify(message: ParsedMessage): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.predicate(message, this)) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    }
  }

  #failWaiters(reason: string): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.reject(new Error(this.#explain(reason)));
    }
  }

  #addViolation(finding: Finding, frame: number, raw: string): void {
    const violation: Violation = { ...finding, clause: RULES[finding.rule], session: this.index, frame, raw };
    this.#violations.push(violation);
    this.#report(violation);
  }

  #explain(reason: string): string {
    const lines = this.#violations.slice(0, 10).map(formatViolation);
    const tail = lines.length > 0 ? `; violations so far:\n${lines.join('\n')}` : '';
    return `${reason} (session ${this.index}, ${this.#messages.length} messages received)${tail}`;
  }

  #streamIdField(): { streamId?: string } {
    const id = this.#start?.start.streamId;
    return id === undefined ? {} : { streamId: id };
  }

  #sendJson(message: object): void {
    if (this.#socket.readyState !== this.#socket.OPEN) {
      throw new Error(`session ${this.index}: the socket is not open`);
    }
    this.#socket.send(JSON.stringify(message));
  }
}

/** One line describing a violation: where, which rule, what, the clause and the offending frame. */
export function formatViolation(v: Violation): string {
  const where = v.frame < 0 ? `session ${v.session} upgrade` : `session ${v.session} frame ${v.frame}`;
  const raw = v.raw.length > 300 ? `${v.raw.slice(0, 300)}…` : v.raw;
  return `[${where}] ${v.rule}: ${v.detail}. Rule: ${v.clause} Frame: ${raw}`;
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) {
    return Buffer.concat(data);
  }
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
