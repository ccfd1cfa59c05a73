/**
 * Echo bot: the smallest useful Plivo `<Stream>` app, used by the README quickstart.
 *
 * One HTTP server on one port serves
 * - the answer URL: GET or POST /answer returns Plivo XML with a bidirectional `<Stream>` pointing back
 *   at this server (content type from `?contentType=`, the option, or audio/x-mulaw;rate=8000), and
 * - the WebSocket app at /stream, which plays the caller's audio back with `playAudio`, sends a
 *   `checkpoint` after every second of echoed audio (echo-1, echo-2, …), logs `playedStream` and
 *   `clearedAudio`, clears its audio on DTMF `*` and hangs up the stream on DTMF `#`.
 *
 * It is written against Plivo's documented protocol only, so it works unchanged on Plivo and on streamfork.
 *
 * Run: node --import tsx examples/echo-bot/server.ts --port 8080 [--host 127.0.0.1]
 *        [--content-type audio/x-l16;rate=16000] [--delay-ms 200]
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { type RawData, type WebSocket, WebSocketServer } from 'ws';

/** The three `<Stream contentType>` values Plivo supports. */
export const STREAM_CONTENT_TYPES = [
  'audio/x-mulaw;rate=8000',
  'audio/x-l16;rate=8000',
  'audio/x-l16;rate=16000',
] as const;

/** One of {@link STREAM_CONTENT_TYPES}. */
export type StreamContentType = (typeof STREAM_CONTENT_TYPES)[number];

/** Options of {@link startEchoBot}. */
export interface EchoBotOptions {
  /** Port to listen on. Default 0 (the OS picks one; read it from `answerUrl`). */
  readonly port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Default `<Stream contentType>` when the answer request has no `?contentType=`. Default audio/x-mulaw;rate=8000. */
  readonly contentType?: string;
  /** How long received audio is held before it is echoed, in ms; 0 echoes each frame at once. Default 200. */
  readonly delayMs?: number;
  /** Where log lines go. Default console.log. */
  readonly log?: (line: string) => void;
}

/** Counters across every stream the bot served. */
export interface EchoBotStats {
  /** WebSocket connections accepted. */
  readonly connections: number;
  /** Inbound `media` messages received. */
  readonly mediaFrames: number;
  /** Audio bytes received in `media` payloads. */
  readonly bytesReceived: number;
  /** Audio bytes sent back in `playAudio` payloads. */
  readonly bytesEchoed: number;
  /** `playAudio` messages sent. */
  readonly playAudioSent: number;
  /** Names of the checkpoints sent, in order. */
  readonly checkpointsSent: readonly string[];
  /** Names from the `playedStream` messages received, in order. */
  readonly played: readonly string[];
  /** `clearedAudio` messages received. */
  readonly cleared: number;
  /** DTMF digits received, in order. */
  readonly dtmf: string;
}

/** A running echo bot. */
export interface EchoBot {
  /** The answer URL to give streamfork (or Plivo): http://host:port/answer. */
  readonly answerUrl: string;
  /** The WebSocket URL the answer XML points at: ws://host:port/stream. */
  readonly streamUrl: string;
  /** Closes every stream socket (1001) and the server. */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): EchoBotStats;
}

interface MutableStats {
  connections: number;
  mediaFrames: number;
  bytesReceived: number;
  bytesEchoed: number;
  playAudioSent: number;
  checkpointsSent: string[];
  played: string[];
  cleared: number;
  dtmf: string;
}

/** Builds the answer XML: a bidirectional `<Stream>` that keeps the call up while the socket is open. */
export function answerXml(streamUrl: string, contentType: StreamContentType): string {
  return (
    '<Response><Stream bidirectional="true" keepCallAlive="true" ' +
    `contentType="${contentType}">${escapeXml(streamUrl)}</Stream></Response>`
  );
}

/** Starts the echo bot; resolves once it listens. */
export async function startEchoBot(options: EchoBotOptions = {}): Promise<EchoBot> {
  const host = options.host ?? '127.0.0.1';
  const defaultType = options.contentType ?? 'audio/x-mulaw;rate=8000';
  if (!isContentType(defaultType)) {
    throw new TypeError(`contentType must be one of ${STREAM_CONTENT_TYPES.join(', ')}`);
  }
  const delayMs = options.delayMs ?? 200;
  const log =
    options.log ??
    ((line: string) => {
      console.log(line);
    });
  const stats: MutableStats = {
    connections: 0,
    mediaFrames: 0,
    bytesReceived: 0,
    bytesEchoed: 0,
    playAudioSent: 0,
    checkpointsSent: [],
    played: [],
    cleared: 0,
    dtmf: '',
  };
  const wss = new WebSocketServer({ noServer: true });
  const sessions = new Set<EchoSession>();
  let port = 0;
  const server = createServer((req, res) => {
    handleHttp(req, res, defaultType, () => streamUrlFor(host, port, req.headers.host));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://bot').pathname !== '/stream') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      stats.connections += 1;
      const session = new EchoSession(ws, stats, delayMs, log);
      sessions.add(session);
      ws.on('close', () => sessions.delete(session));
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      done();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = isWildcard(host) ? '127.0.0.1' : bracket(host);
  return {
    answerUrl: `http://${urlHost}:${port}/answer`,
    streamUrl: `ws://${urlHost}:${port}/stream`,
    stats: () => ({ ...stats, checkpointsSent: [...stats.checkpointsSent], played: [...stats.played] }),
    close: async () => {
      await Promise.all([...sessions].map((session) => session.close(1001)));
      wss.close();
      await new Promise<void>((done) => {
        server.close(() => {
          done();
        });
        server.closeAllConnections();
      });
    },
  };
}

function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  defaultType: StreamContentType,
  streamUrl: () => string,
): void {
  const url = new URL(req.url ?? '/', 'http://bot');
  // Plivo posts call parameters as a form; the bot does not need them, but the body is read to the end.
  req.resume();
  if (url.pathname !== '/answer') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST', 'content-type': 'text/plain' }).end('use GET or POST\n');
    return;
  }
  const requested = url.searchParams.get('contentType') ?? defaultType;
  if (!isContentType(requested)) {
    res
      .writeHead(400, { 'content-type': 'text/plain' })
      .end(`contentType must be one of ${STREAM_CONTENT_TYPES.join(', ')}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/xml' }).end(answerXml(streamUrl(), requested));
}

/** The app side of one stream: echoes inbound audio back, in the negotiated format. */
class EchoSession {
  readonly #ws: WebSocket;
  readonly #stats: MutableStats;
  readonly #delayMs: number;
  readonly #log: (line: string) => void;
  #streamId = '';
  #encoding = 'audio/x-mulaw';
  #sampleRate = 8000;
  #bytesPerSecond = 8000;
  #queue: { bytes: Buffer; dueAt: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sinceCheckpoint = 0;
  #checkpoints = 0;

  constructor(ws: WebSocket, stats: MutableStats, delayMs: number, log: (line: string) => void) {
    this.#ws = ws;
    this.#stats = stats;
    this.#delayMs = delayMs;
    this.#log = log;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.#onMessage(data, isBinary);
    });
    ws.on('close', (code) => {
      clearTimeout(this.#timer);
      this.#log(`stream ${this.#streamId || '(no start)'} closed with code ${code}`);
    });
    ws.on('error', (error) => {
      this.#log(`stream socket error: ${error.message}`);
    });
  }

  close(code: number): Promise<void> {
    if (this.#ws.readyState === this.#ws.CLOSED) {
      return Promise.resolve();
    }
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.#ws.terminate();
      }, 500);
      this.#ws.once('close', () => {
        clearTimeout(timer);
        done();
      });
      this.#ws.close(code);
    });
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#log('ignoring a binary frame (Plivo sends JSON text frames)');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(rawToString(data));
    } catch {
      this.#log('ignoring a frame that is not JSON');
      return;
    }
    if (!isObject(message)) {
      return;
    }
    switch (message['event']) {
      case 'start':
        this.#onStart(message);
        break;
      case 'media':
        this.#onMedia(message);
        break;
      case 'dtmf':
        this.#onDtmf(message);
        break;
      case 'playedStream':
        this.#stats.played.push(String(message['name']));
        this.#log(`playedStream ${String(message['name'])}: the caller heard the echo up to this checkpoint`);
        break;
      case 'clearedAudio':
        this.#stats.cleared += 1;
        this.#log('clearedAudio: queued echo discarded');
        break;
      default:
        this.#log(`ignoring event ${JSON.stringify(message['event'])}`);
    }
  }

  #onStart(message: Record<string, unknown>): void {
    const start = isObject(message['start']) ? message['start'] : {};
    const format = isObject(start['mediaFormat']) ? start['mediaFormat'] : {};
    this.#streamId = typeof start['streamId'] === 'string' ? start['streamId'] : '';
    this.#encoding = format['encoding'] === 'audio/x-l16' ? 'audio/x-l16' : 'audio/x-mulaw';
    this.#sampleRate = format['sampleRate'] === 16000 ? 16000 : 8000;
    this.#bytesPerSecond = this.#sampleRate * (this.#encoding === 'audio/x-l16' ? 2 : 1);
    this.#log(
      `start: stream ${this.#streamId}, ${this.#encoding} at ${this.#sampleRate} Hz, extra_headers ${JSON.stringify(message['extra_headers'])}`,
    );
  }

  #onMedia(message: Record<string, unknown>): void {
    const media = isObject(message['media']) ? message['media'] : {};
    if (media['track'] !== 'inbound' || typeof media['payload'] !== 'string') {
      return;
    }
    const bytes = Buffer.from(media['payload'], 'base64');
    this.#stats.mediaFrames += 1;
    this.#stats.bytesReceived += bytes.length;
    if (this.#delayMs <= 0) {
      this.#echo(bytes);
      return;
    }
    this.#queue.push({ bytes, dueAt: Date.now() + this.#delayMs });
    this.#schedule();
  }

  #onDtmf(message: Record<string, unknown>): void {
    const dtmf = isObject(message['dtmf']) ? message['dtmf'] : {};
    const digit = typeof dtmf['digit'] === 'string' ? dtmf['digit'] : '';
    this.#stats.dtmf += digit;
    if (digit === '*') {
      this.#log('dtmf *: clearing the echo (barge-in)');
      this.#queue = [];
      this.#sinceCheckpoint = 0;
      this.#send({ event: 'clearAudio', streamId: this.#streamId });
    } else if (digit === '#') {
      this.#log('dtmf #: closing the stream');
      this.#ws.close(1000, 'caller pressed #');
    } else {
      this.#log(`dtmf ${digit}`);
    }
  }

  #schedule(): void {
    const head = this.#queue[0];
    if (this.#timer !== undefined || head === undefined) {
      return;
    }
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const now = Date.now();
        const due = this.#queue.filter((entry) => entry.dueAt <= now);
        this.#queue = this.#queue.filter((entry) => entry.dueAt > now);
        if (due.length > 0) {
          this.#echo(Buffer.concat(due.map((entry) => entry.bytes)));
        }
        this.#schedule();
      },
      Math.max(0, head.dueAt - Date.now()),
    );
  }

  /** Sends audio back, cutting it at each full second so a checkpoint marks exactly one second. */
  #echo(audio: Buffer): void {
    let rest = audio;
    while (rest.length > 0 && this.#ws.readyState === this.#ws.OPEN) {
      const part = rest.subarray(0, this.#bytesPerSecond - this.#sinceCheckpoint);
      rest = rest.subarray(part.length);
      const media = {
        contentType: this.#encoding,
        sampleRate: this.#sampleRate,
        payload: part.toString('base64'),
      };
      this.#send({ event: 'playAudio', media });
      this.#stats.playAudioSent += 1;
      this.#stats.bytesEchoed += part.length;
      this.#sinceCheckpoint += part.length;
      if (this.#sinceCheckpoint >= this.#bytesPerSecond) {
        this.#sinceCheckpoint = 0;
        this.#checkpoints += 1;
        const name = `echo-${this.#checkpoints}`;
        this.#send({ event: 'checkpoint', streamId: this.#streamId, name });
        this.#stats.checkpointsSent.push(name);
      }
    }
  }

  #send(message: object): void {
    if (this.#ws.readyState === this.#ws.OPEN) {
      this.#ws.send(JSON.stringify(message));
    }
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

function isContentType(value: string): value is StreamContentType {
  return (STREAM_CONTENT_TYPES as readonly string[]).includes(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The stream URL for an answer: the listen address, or the request's Host header when bound to all interfaces. */
function streamUrlFor(host: string, port: number, hostHeader: string | undefined): string {
  const authority = isWildcard(host) && hostHeader !== undefined ? hostHeader : `${bracket(host)}:${port}`;
  return `ws://${authority}/stream`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'content-type': { type: 'string' },
      'delay-ms': { type: 'string' },
    },
  });
  const bot = await startEchoBot({
    port: Number(values.port),
    host: values.host,
    ...(values['content-type'] === undefined ? {} : { contentType: values['content-type'] }),
    ...(values['delay-ms'] === undefined ? {} : { delayMs: Number(values['delay-ms']) }),
  });
  console.log(`echo bot: answer URL ${bot.answerUrl}, stream URL ${bot.streamUrl}`);
  console.log(`try it: streamfork call --answer-url ${bot.answerUrl} --play caller.wav --record heard.wav`);
  const stop = (): void => {
    void bot.close().then(() => {
      console.log('echo bot: stopped', bot.stats());
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
