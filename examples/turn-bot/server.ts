/**
 * Turn-taking bot: a small Plivo `<Stream>` app that behaves the way `streamfork conformance` expects of
 * a voice agent. It listens (an energy detector on the caller's μ-law audio), and when the caller stops
 * (400 ms of quiet after at least 200 ms of speech) it replies with 2.5 s of audio, paced at real time
 * (one 20 ms frame per `playAudio`, 100 ms ahead), then a `checkpoint`. If the caller talks over the
 * reply for 100 ms it sends `clearAudio` and listens again (barge-in). It stands in for a real agent:
 * the reply is a chord of tones, not speech. It follows the stream's `start.mediaFormat` (μ-law, or L16
 * at 8 or 16 kHz), and its `<Stream>` asks for `resumeTimeout`, so a dropped socket is resumed and a new
 * connection simply starts listening again.
 *
 * Run: node --import tsx examples/turn-bot/server.ts --port 8000 [--host 127.0.0.1]
 * Then: npx streamfork conformance --answer-url http://127.0.0.1:8000/answer
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { type RawData, type WebSocket, WebSocketServer } from 'ws';

/** G.711 μ-law byte → linear sample. */
function ulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const t = (((v & 0x0f) << 3) + 0x84) << ((v & 0x70) >> 4);
  return v & 0x80 ? 0x84 - t : t - 0x84;
}

/** Linear sample → G.711 μ-law byte. */
function linearToUlaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let x = Math.min(32635, Math.abs(sample)) + 0x84;
  let exp = 7;
  for (let mask = 0x4000; (x & mask) === 0 && exp > 0; mask >>= 1) {
    exp--;
  }
  x = (x >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | x) & 0xff;
}

/** The stream's audio format, from `start.mediaFormat`. */
interface Format {
  readonly encoding: 'audio/x-mulaw' | 'audio/x-l16';
  readonly sampleRate: number;
}

const MULAW_8K: Format = { encoding: 'audio/x-mulaw', sampleRate: 8000 };

/** The reply: 2.5 s of a soft three-tone chord, as 20 ms frames in `format`. */
function replyFrames(format: Format): Buffer[] {
  const frames: Buffer[] = [];
  const n = format.sampleRate / 50;
  const l16 = format.encoding === 'audio/x-l16';
  for (let f = 0; f < 125; f++) {
    const b = Buffer.alloc(l16 ? n * 2 : n);
    for (let i = 0; i < n; i++) {
      const t = (f * n + i) / format.sampleRate;
      const v = Math.round(
        3000 *
          (Math.sin(2 * Math.PI * 392 * t) +
            Math.sin(2 * Math.PI * 494 * t) +
            Math.sin(2 * Math.PI * 587 * t)),
      );
      if (l16) {
        b.writeInt16LE(v, i * 2);
      } else {
        b[i] = linearToUlaw(v);
      }
    }
    frames.push(b);
  }
  return frames;
}

const replies = new Map<string, Buffer[]>();

function replyFor(format: Format): Buffer[] {
  const key = `${format.encoding};${format.sampleRate}`;
  let frames = replies.get(key);
  if (frames === undefined) {
    frames = replyFrames(format);
    replies.set(key, frames);
  }
  return frames;
}
const SPEECH_RMS = 500;

class TurnSession {
  readonly #ws: WebSocket;
  #speechMs = 0;
  #quietMs = 0;
  #overMs = 0;
  #queue: Buffer[] = [];
  #turns = 0;
  #timer: NodeJS.Timeout | undefined;
  #sentAt = 0;
  #startedAt = 0;
  #format: Format = MULAW_8K;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: RawData) => {
      this.#onMessage(data);
    });
    ws.on('close', () => {
      clearInterval(this.#timer);
    });
  }

  #onMessage(data: RawData): void {
    let msg: {
      event?: string;
      media?: { payload?: string };
      start?: { mediaFormat?: { encoding?: string; sampleRate?: number } };
    };
    try {
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.isBuffer(data)
          ? data.toString('utf8')
          : Buffer.from(new Uint8Array(data)).toString('utf8');
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg.event === 'start') {
      const f = msg.start?.mediaFormat;
      this.#format =
        f?.encoding === 'audio/x-l16'
          ? { encoding: 'audio/x-l16', sampleRate: f.sampleRate ?? 8000 }
          : MULAW_8K;
      return;
    }
    if (msg.event !== 'media' || typeof msg.media?.payload !== 'string') {
      return;
    }
    const audio = Buffer.from(msg.media.payload, 'base64');
    let sum = 0;
    let count = 0;
    if (this.#format.encoding === 'audio/x-l16') {
      for (let i = 0; i + 1 < audio.length; i += 2) {
        const s = audio.readInt16LE(i);
        sum += s * s;
        count++;
      }
    } else {
      for (const u of audio) {
        const s = ulawToLinear(u);
        sum += s * s;
        count++;
      }
    }
    const speaking = Math.sqrt(sum / Math.max(1, count)) > SPEECH_RMS;
    this.#onFrame(speaking);
  }

  #onFrame(speaking: boolean): void {
    if (this.#queue.length > 0 || this.#timer !== undefined) {
      // Replying: the caller talking over us for 100 ms is a barge-in.
      this.#overMs = speaking ? this.#overMs + 20 : 0;
      if (this.#overMs >= 100) {
        this.#stopReply();
        this.#send({ event: 'clearAudio' });
        this.#speechMs = 100;
        this.#quietMs = 0;
      }
      return;
    }
    if (speaking) {
      this.#speechMs += 20;
      this.#quietMs = 0;
    } else if (this.#speechMs >= 200 && (this.#quietMs += 20) >= 400) {
      this.#speechMs = 0;
      this.#quietMs = 0;
      this.#startReply();
    }
  }

  #startReply(): void {
    this.#turns++;
    this.#queue = [...replyFor(this.#format)];
    this.#startedAt = Date.now();
    this.#sentAt = 0;
    // Paced: keep 100 ms queued ahead of what the caller has heard.
    this.#timer = setInterval(() => {
      const due = Math.floor((Date.now() - this.#startedAt) / 20) + 5;
      while (this.#sentAt < due && this.#queue.length > 0) {
        const frame = this.#queue.shift()!;
        this.#send({
          event: 'playAudio',
          media: {
            contentType: this.#format.encoding,
            sampleRate: this.#format.sampleRate,
            payload: frame.toString('base64'),
          },
        });
        this.#sentAt++;
      }
      if (this.#queue.length === 0) {
        this.#send({ event: 'checkpoint', streamId: '', name: `reply-${this.#turns}` });
        this.#stopReply();
      }
    }, 20);
  }

  #stopReply(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#overMs = 0;
  }

  #send(msg: object): void {
    if (this.#ws.readyState === this.#ws.OPEN) {
      this.#ws.send(JSON.stringify(msg));
    }
  }
}

export interface TurnBot {
  readonly answerUrl: string;
  close(): Promise<void>;
}

export async function startTurnBot(port = 0, host = '127.0.0.1'): Promise<TurnBot> {
  const wss = new WebSocketServer({ noServer: true });
  let actual = 0;
  const server = createServer((req, res) => {
    req.resume();
    const xml =
      '<Response><Stream bidirectional="true" keepCallAlive="true" resumeTimeout="10" contentType="audio/x-mulaw;rate=8000">' +
      `ws://${host}:${actual}/stream</Stream></Response>`;
    res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => new TurnSession(ws));
  });
  await new Promise<void>((done) => server.listen(port, host, done));
  actual = (server.address() as AddressInfo).port;
  return {
    answerUrl: `http://${host}:${actual}/answer`,
    close: async () => {
      for (const ws of wss.clients) {
        ws.terminate();
      }
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((done) =>
        server.close(() => {
          done();
        }),
      );
    },
  };
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '8000' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const bot = await startTurnBot(Number(values.port), values.host);
  console.log(`turn bot: answer URL ${bot.answerUrl}`);
}
