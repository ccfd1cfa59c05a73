/**
 * A sans-I/O validator for one WebSocket session of the Plivo `<Stream>` protocol, seen from the app's
 * side. Feed it every frame received and every control message sent; it returns the parsed message and
 * the rules the frame broke (see {@link RULES}). Written from the spec (compatibility §3–§6, D1–D16),
 * independently of streamfork's own protocol code.
 */
import {
  type ClearedAudioMessage,
  type DtmfMessage,
  type Encoding,
  type Finding,
  type MediaMessage,
  type ParsedMessage,
  type PlayedStreamMessage,
  type RuleId,
  type StartMessage,
  type StopMessage,
  type StreamMessage,
  type Track,
  decodeStrictBase64,
  describe,
  frameBytes,
  isRecord,
  isUuidV4,
  parseMsTimestamp,
} from './stream-messages.js';

/** Options of {@link StreamValidator}. */
export interface StreamValidatorOptions {
  /** Accept the optional `stop` message (D7). Default false: `stop` is an unknown event. */
  readonly allowStop?: boolean;
  /** Reject timestamps before 2000-01-01, i.e. anything that is not epoch milliseconds (D5). Default true. */
  readonly requireEpochTimestamps?: boolean;
}

/** What one received frame turned out to be. */
export interface FrameResult {
  /** The JSON object, when the frame was text holding an object with a string `event`. */
  readonly parsed: ParsedMessage | undefined;
  /** The typed message, only when the frame broke no rule. */
  readonly message: StreamMessage | undefined;
  /** Decoded audio of a `media` frame whose track and base64 were readable (even if the size was wrong). */
  readonly audio: { readonly track: Track; readonly bytes: Uint8Array } | undefined;
  /** Every rule the frame broke. */
  readonly findings: readonly Finding[];
}

interface PendingCheckpoint {
  readonly name: string;
}

const TRACK_SETS = ['inbound', 'outbound', 'inbound,outbound'];
const DTMF_DIGIT = /^[0-9*#A-D]$/;

/** Validates the frames of one stream session in order; keeps the state the rules need. */
export class StreamValidator {
  readonly #allowStop: boolean;
  readonly #requireEpoch: boolean;
  #jsonFrames = 0;
  #lastSequence: number | undefined;
  #startSeen = false;
  #stopSeen = false;
  #streamId: string | undefined;
  #tracks: readonly Track[] | undefined;
  #encoding: Encoding | undefined;
  #frameSize: number | undefined;
  #extraHeaders: string | undefined;
  readonly #chunks = new Map<Track, number>();
  readonly #timestamps = new Map<Track, number>();
  #pending: PendingCheckpoint[] = [];
  #cleared: PendingCheckpoint[] = [];
  readonly #clears: PendingCheckpoint[][] = [];

  /** Creates a validator for one session. */
  /** The stream's start said `resumed` (streamfork's resumable streams): its counters go on. */
  #resumed = false;

  constructor(options: StreamValidatorOptions = {}) {
    this.#allowStop = options.allowStop ?? false;
    this.#requireEpoch = options.requireEpochTimestamps ?? true;
  }

  /** The negotiated encoding, once a valid `start.mediaFormat` was seen. */
  get encoding(): Encoding | undefined {
    return this.#encoding;
  }

  /** Checkpoints sent and not yet acknowledged or cleared, oldest first. */
  get pendingCheckpoints(): readonly string[] {
    return this.#pending.map((entry) => entry.name);
  }

  /** Records that the app sent `checkpoint{name}`: a later `playedStream{name}` becomes legal. */
  noteCheckpointSent(name: string): void {
    this.#pending.push({ name });
  }

  /**
   * Records that the app sent `clearAudio`. Checkpoints pending now may still be acknowledged until the
   * matching `clearedAudio` arrives (their audio may have finished first); after it, never.
   */
  noteClearSent(): void {
    this.#clears.push([...this.#pending]);
  }

  /** Validates one received frame. */
  receive(data: string | Uint8Array, isBinary: boolean): FrameResult {
    if (isBinary) {
      return result(undefined, undefined, [
        { rule: 'frame.binary', detail: `binary frame of ${data.length} bytes` },
      ]);
    }
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return result(undefined, undefined, [
        { rule: 'frame.json', detail: 'the text frame is not valid JSON' },
      ]);
    }
    if (!isRecord(json) || typeof json['event'] !== 'string') {
      const what = isRecord(json) ? `an object whose event is ${describe(json['event'])}` : describe(json);
      return result(undefined, undefined, [
        { rule: 'frame.json', detail: `expected an event object, got ${what}` },
      ]);
    }
    const parsed = json as ParsedMessage;
    const findings: Finding[] = [];
    const add = (rule: RuleId, detail: string): void => {
      findings.push({ rule, detail });
    };
    this.#jsonFrames += 1;
    if (this.#jsonFrames === 1 && parsed.event !== 'start') {
      add('start.first', `the first message is "${parsed.event}"`);
    }
    if (this.#stopSeen) {
      add('stop.last', `"${parsed.event}" arrived after stop`);
    }
    // A resumed stream's start (streamfork's resumeTimeout) goes on with the old socket's numbering.
    const body = parsed['start'];
    if (
      this.#jsonFrames === 1 &&
      isRecord(body) &&
      body['resumed'] === true &&
      typeof parsed['sequenceNumber'] === 'number'
    ) {
      this.#lastSequence = parsed['sequenceNumber'] - 1;
      this.#resumed = true;
    }
    this.#checkSequence(parsed, add);
    const checked = this.#dispatch(parsed, add);
    const message = findings.length === 0 ? checked.message : undefined;
    return result(parsed, message, findings, checked.audio);
  }

  #dispatch(msg: ParsedMessage, add: AddFinding): Partial<Pick<FrameResult, 'message' | 'audio'>> {
    switch (msg.event) {
      case 'start':
        return { message: this.#checkStart(msg, add) };
      case 'media':
        return this.#checkMedia(msg, add);
      case 'dtmf':
        return { message: this.#checkDtmf(msg, add) };
      case 'playedStream':
        return { message: this.#checkPlayed(msg, add) };
      case 'clearedAudio':
        return { message: this.#checkCleared(msg, add) };
      case 'stop':
        if (this.#allowStop) {
          return { message: this.#checkStop(msg, add) };
        }
        add('event.unknown', '"stop" is not sent by default (D7); enable allowStop to accept it');
        return {};
      default:
        add('event.unknown', `unknown event "${msg.event}"`);
        return {};
    }
  }

  #checkSequence(msg: ParsedMessage, add: AddFinding): void {
    const seq = msg['sequenceNumber'];
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      add('seq.type', `sequenceNumber is ${describe(seq)}`);
      return;
    }
    const expected = this.#lastSequence === undefined ? 1 : this.#lastSequence + 1;
    if (seq !== expected) {
      add('seq.order', `expected sequenceNumber ${expected}, got ${seq}`);
    }
    // Resynchronise so one gap is reported once, not on every later message.
    this.#lastSequence = seq;
  }

  #checkExtraHeaders(msg: ParsedMessage, add: AddFinding): void {
    const value = msg['extra_headers'];
    if (typeof value !== 'string') {
      add('extra_headers', `extra_headers on ${msg.event} is ${describe(value)}`);
      return;
    }
    if (msg.event !== 'start' && this.#extraHeaders !== undefined && value !== this.#extraHeaders) {
      add(
        'extra_headers.stable',
        `${JSON.stringify(value)} differs from start's ${JSON.stringify(this.#extraHeaders)}`,
      );
    }
  }

  #checkStreamId(msg: ParsedMessage, add: AddFinding): void {
    const id = msg['streamId'];
    if (typeof id !== 'string') {
      add('stream_id', `top-level streamId is ${describe(id)}`);
    } else if (this.#streamId !== undefined && id !== this.#streamId) {
      add('stream_id', `streamId ${id} differs from start's ${this.#streamId}`);
    } else if (this.#streamId === undefined && !isUuidV4(id)) {
      add('uuid.v4', `streamId ${JSON.stringify(id)} is not a UUID v4`);
    }
  }

  #checkStart(msg: ParsedMessage, add: AddFinding): StartMessage | undefined {
    if (this.#startSeen) {
      add('start.once', 'a second start message');
      return undefined;
    }
    this.#startSeen = true;
    this.#checkExtraHeaders(msg, add);
    if (typeof msg['extra_headers'] === 'string') {
      this.#extraHeaders = msg['extra_headers'];
    }
    const body = msg['start'];
    if (!isRecord(body)) {
      add('start.shape', `start is ${describe(body)}`);
      return undefined;
    }
    for (const key of ['callId', 'streamId'] as const) {
      if (!isUuidV4(body[key])) {
        add('uuid.v4', `start.${key} is ${describe(body[key])}, not a UUID v4`);
      }
    }
    if (typeof body['streamId'] === 'string') {
      this.#streamId = body['streamId'];
    }
    if (typeof body['accountId'] !== 'string' || body['accountId'] === '') {
      add('start.account', `start.accountId is ${describe(body['accountId'])}`);
    }
    this.#checkTracks(body['tracks'], add);
    this.#checkFormat(body['mediaFormat'], add);
    return msg as unknown as StartMessage;
  }

  #checkTracks(tracks: unknown, add: AddFinding): void {
    const key =
      Array.isArray(tracks) && tracks.every((t) => typeof t === 'string') ? tracks.join(',') : undefined;
    if (key === undefined || !TRACK_SETS.includes(key)) {
      add(
        'start.tracks',
        `start.tracks is ${Array.isArray(tracks) ? JSON.stringify(tracks) : describe(tracks)}`,
      );
      return;
    }
    this.#tracks = key.split(',') as Track[];
  }

  #checkFormat(format: unknown, add: AddFinding): void {
    if (!isRecord(format)) {
      add('start.format', `start.mediaFormat is ${describe(format)}`);
      return;
    }
    const { encoding, sampleRate } = format;
    const validPair =
      (encoding === 'audio/x-mulaw' && sampleRate === 8000) ||
      (encoding === 'audio/x-l16' && (sampleRate === 8000 || sampleRate === 16000));
    if (!validPair) {
      add(
        'start.format',
        `mediaFormat is {encoding: ${describe(encoding)}, sampleRate: ${describe(sampleRate)}}`,
      );
      return;
    }
    this.#encoding = encoding;
    this.#frameSize = frameBytes(encoding, sampleRate);
  }

  #checkMedia(msg: ParsedMessage, add: AddFinding): Pick<FrameResult, 'message' | 'audio'> {
    this.#checkStreamId(msg, add);
    this.#checkExtraHeaders(msg, add);
    const media = msg['media'];
    if (!isRecord(media)) {
      add('media.shape', `media is ${describe(media)}`);
      return { message: undefined, audio: undefined };
    }
    const track = this.#checkTrack(media['track'], 'media.track', add);
    if (track !== undefined) {
      this.#checkChunk(track, media['chunk'], add);
    } else if (typeof media['chunk'] !== 'number') {
      add('media.chunk', `media.chunk is ${describe(media['chunk'])}`);
    }
    const ts = parseMsTimestamp(media['timestamp'], this.#requireEpoch);
    if (typeof ts === 'string') {
      add('media.timestamp', `media.timestamp: ${ts}`);
    } else if (track !== undefined) {
      const last = this.#timestamps.get(track);
      if (last !== undefined && ts < last) {
        add('media.timestamp.order', `${track} timestamp went back from ${last} to ${ts}`);
      }
      this.#timestamps.set(track, ts);
    }
    const bytes = this.#checkPayload(media['payload'], add);
    const audio = track !== undefined && bytes !== undefined ? { track, bytes } : undefined;
    return { message: msg as unknown as MediaMessage, audio };
  }

  #checkTrack(track: unknown, rule: RuleId, add: AddFinding): Track | undefined {
    if (track !== 'inbound' && track !== 'outbound') {
      add(rule, `track is ${describe(track)}`);
      return undefined;
    }
    if (rule === 'media.track' && this.#tracks !== undefined && !this.#tracks.includes(track)) {
      add(rule, `track "${track}" is not in start.tracks ${JSON.stringify(this.#tracks)}`);
    }
    return track;
  }

  #checkChunk(track: Track, chunk: unknown, add: AddFinding): void {
    // A resumed stream's chunks go on from the old socket's: the first one sets the count.
    if (this.#resumed && !this.#chunks.has(track) && typeof chunk === 'number') {
      this.#chunks.set(track, chunk - 1);
    }
    const expected = (this.#chunks.get(track) ?? 0) + 1;
    if (typeof chunk !== 'number' || !Number.isInteger(chunk)) {
      add('media.chunk', `media.chunk is ${describe(chunk)}`);
      this.#chunks.set(track, expected);
      return;
    }
    if (chunk !== expected) {
      add('media.chunk', `${track} chunk: expected ${expected}, got ${chunk}`);
    }
    this.#chunks.set(track, chunk);
  }

  #checkPayload(payload: unknown, add: AddFinding): Uint8Array | undefined {
    if (typeof payload !== 'string') {
      add('media.payload.base64', `media.payload is ${describe(payload)}`);
      return undefined;
    }
    const bytes = decodeStrictBase64(payload);
    if (bytes === undefined) {
      add('media.payload.base64', `media.payload is not standard padded base64 (${describe(payload)})`);
      return undefined;
    }
    if (this.#frameSize !== undefined && bytes.length !== this.#frameSize) {
      add('media.payload.size', `payload is ${bytes.length} bytes; one 20 ms frame is ${this.#frameSize}`);
    }
    return bytes;
  }

  #checkDtmf(msg: ParsedMessage, add: AddFinding): DtmfMessage {
    this.#checkStreamId(msg, add);
    this.#checkExtraHeaders(msg, add);
    const dtmf = msg['dtmf'];
    if (!isRecord(dtmf)) {
      add('dtmf.shape', `dtmf is ${describe(dtmf)}`);
      return msg as unknown as DtmfMessage;
    }
    this.#checkTrack(dtmf['track'], 'dtmf.shape', add);
    const digit = dtmf['digit'];
    if (typeof digit !== 'string' || !DTMF_DIGIT.test(digit)) {
      add('dtmf.digit', `dtmf.digit is ${describe(digit)}`);
    }
    const ts = parseMsTimestamp(dtmf['timestamp'], this.#requireEpoch);
    if (typeof ts === 'string') {
      add('dtmf.timestamp', `dtmf.timestamp: ${ts}`);
    }
    return msg as unknown as DtmfMessage;
  }

  #checkPlayed(msg: ParsedMessage, add: AddFinding): PlayedStreamMessage | undefined {
    this.#checkStreamId(msg, add);
    const name = msg['name'];
    if (typeof name !== 'string') {
      add('played.shape', `playedStream.name is ${describe(name)}`);
      return undefined;
    }
    const at = this.#pending.findIndex((entry) => entry.name === name);
    if (at === 0) {
      this.#pending.shift();
    } else if (at > 0) {
      const head = this.#pending[0]?.name ?? '';
      add('played.order', `"${name}" acknowledged before the earlier checkpoint "${head}"`);
      this.#pending.splice(at, 1);
    } else {
      const cleared = this.#cleared.findIndex((entry) => entry.name === name);
      if (cleared >= 0) {
        add('played.cleared', `"${name}" was cleared by clearAudio (clearedAudio already received)`);
        this.#cleared.splice(cleared, 1);
      } else {
        add('played.unknown', `no pending checkpoint named "${name}"`);
      }
    }
    return msg as unknown as PlayedStreamMessage;
  }

  #checkCleared(msg: ParsedMessage, add: AddFinding): ClearedAudioMessage {
    this.#checkStreamId(msg, add);
    const snapshot = this.#clears.shift();
    if (snapshot === undefined) {
      add('cleared.unexpected', 'clearedAudio without an outstanding clearAudio');
      return msg as unknown as ClearedAudioMessage;
    }
    const dropped = new Set(snapshot);
    this.#cleared = [...this.#cleared, ...this.#pending.filter((entry) => dropped.has(entry))];
    this.#pending = this.#pending.filter((entry) => !dropped.has(entry));
    return msg as unknown as ClearedAudioMessage;
  }

  #checkStop(msg: ParsedMessage, add: AddFinding): StopMessage {
    this.#stopSeen = true;
    this.#checkStreamId(msg, add);
    const stop = msg['stop'];
    if (
      !isRecord(stop) ||
      stop['callId'] === undefined ||
      stop['streamId'] !== this.#streamId ||
      !Array.isArray(stop['tracks'])
    ) {
      add('stop.shape', `stop is ${isRecord(stop) ? JSON.stringify(stop) : describe(stop)}`);
    }
    return msg as unknown as StopMessage;
  }
}

type AddFinding = (rule: RuleId, detail: string) => void;

function result(
  parsed: ParsedMessage | undefined,
  message: StreamMessage | undefined,
  findings: readonly Finding[],
  audio?: FrameResult['audio'],
): FrameResult {
  return { parsed, message, findings, audio };
}
