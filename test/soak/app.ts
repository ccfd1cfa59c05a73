/**
 * The soak's app side (issue 11): one HTTP server for the answer URL, the hangup URL and stream status
 * callbacks, and one `ws` server that consumes the streams. The answer document depends on the call's
 * kind (looked up by the caller number's id); a hostile call gets one of several bad documents.
 *
 * Per stream the consumer counts `media` and `dtmf`; on a bidirectional stream of a barge-in call it
 * plays a 3 s turn (`playAudio` chunks, then a `checkpoint`), and when the caller's audio turns loud
 * while a turn is still playing it sends `clearAudio` (barge-in); once the caller has been quiet for
 * half a second it plays the next turn.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type RawData, type WebSocket, WebSocketServer } from 'ws';

import { MULAW_DECODE_TABLE } from '../../src/media/codecs/g711.js';
import { toneFrame } from '../bench/load/common.js';

export type Kind =
  | 'normal'
  | 'dtmf'
  | 'barge'
  | 'held'
  | 'held-vanish'
  | 'bad-port'
  | 'bad-addr'
  | 'no-sdp'
  | 'tel-uri'
  | 'bad-xml'
  | 'malformed';

/** Per stream, what the consumer saw and did. */
export interface StreamStats {
  streamId: string;
  startedAt: number;
  stoppedAt: number;
  media: number;
  digits: string;
  played: number;
  checkpoints: number;
  playedStream: number;
  clearSent: number;
  clearedAudio: number;
  errors: number;
}

/** Bad answer documents, one per hostile-XML call in turn. */
export const BAD_XML: readonly string[] = [
  '<Response><Stream bidirectional="true">ws://127.0.0.1:1/x</Stream>',
  '<Response><Dance/></Response>',
  'this is not XML at all',
  '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Response>&a;</Response>',
  '<Response><Stream bidirectional="maybe">ws://127.0.0.1:1/x</Stream></Response>',
  '<Response><Stream>ftp://127.0.0.1/x</Stream></Response>',
  '<Response><Wait length="-5"/></Response>',
];

const TURN_CHUNKS = 15; // 15 × 200 ms = a 3 s turn
const CHUNK = Buffer.concat(Array.from({ length: 10 }, () => toneFrame())).toString('base64');
const GREETING_CHUNKS = 5;

interface Live {
  readonly id: number;
  readonly kind: Kind;
  readonly ws: WebSocket;
  readonly stats: StreamStats;
  turn: number;
  playing: boolean;
  quietFrames: number;
  loud: boolean;
}

function loudness(payloadB64: string): number {
  const b = Buffer.from(payloadB64, 'base64');
  let sum = 0;
  for (const x of b) {
    sum += Math.abs(MULAW_DECODE_TABLE[x] ?? 0);
  }
  return b.length === 0 ? 0 : sum / b.length;
}

export class SoakApp {
  readonly kinds = new Map<number, Kind>();
  /** CallUUID given to the answer URL, by call id. */
  readonly callUuids = new Map<number, string>();
  readonly streams = new Map<number, StreamStats>();
  /** Hangup URL notifications by CallUUID. */
  readonly hangups = new Map<string, string>();
  /** Stream status callbacks by Event. */
  readonly callbacks = new Map<string, number>();
  readonly wsErrors: string[] = [];
  answerUrl = '';
  hangupUrl = '';
  #wsUrl = '';
  #cbUrl = '';
  #badXml = 0;
  readonly #http = createServer((req, res) => {
    this.#onHttp(req, res);
  });
  #wss: WebSocketServer | undefined;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#http.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
    this.answerUrl = `${base}/answer`;
    this.hangupUrl = `${base}/hangup`;
    this.#cbUrl = `${base}/cb`;
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    this.#wss = wss;
    await new Promise<void>((r) => wss.once('listening', r));
    this.#wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/stream`;
    wss.on('connection', (ws) => {
      this.#onConnection(ws);
    });
  }

  get openStreams(): number {
    return this.#wss?.clients.size ?? 0;
  }

  async close(): Promise<void> {
    const wss = this.#wss;
    for (const c of wss?.clients ?? []) {
      c.terminate();
    }
    await new Promise((r) => {
      if (wss === undefined) {
        r(undefined);
      } else {
        wss.close(r);
      }
    });
    this.#http.closeAllConnections();
    await new Promise((r) => this.#http.close(r));
  }

  #document(id: number, kind: Kind): string {
    if (kind === 'bad-xml') {
      return BAD_XML[this.#badXml++ % BAD_XML.length] ?? '';
    }
    const bidir = kind === 'barge' || kind === 'held' || kind === 'held-vanish';
    const cb = kind === 'barge' ? ` statusCallbackUrl="${this.#cbUrl}"` : '';
    return (
      `<Response><Stream bidirectional="${bidir}" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"` +
      ` extraHeaders="soak=${id}"${cb}>${this.#wsUrl}</Stream></Response>`
    );
  }

  #onHttp(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const query = (req.url ?? '').split('?')[1] ?? '';
      const params = new URLSearchParams(req.method === 'GET' ? query : body);
      const path = (req.url ?? '').split('?')[0];
      if (path === '/answer') {
        const id = Number((params.get('From') ?? '').replace(/\D/g, '').slice(-7));
        const kind = this.kinds.get(id) ?? 'normal';
        this.callUuids.set(id, params.get('CallUUID') ?? '');
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(this.#document(id, kind));
        return;
      }
      if (path === '/hangup') {
        this.hangups.set(params.get('CallUUID') ?? '', params.get('HangupCause') ?? '');
      } else if (path === '/cb') {
        const ev = params.get('Event') ?? '?';
        this.callbacks.set(ev, (this.callbacks.get(ev) ?? 0) + 1);
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  }

  #onConnection(ws: WebSocket): void {
    let live: Live | undefined;
    ws.on('message', (data: RawData) => {
      try {
        live = this.#onMessage(ws, live, (data as Buffer).toString());
      } catch (e) {
        if (this.wsErrors.length < 20) {
          this.wsErrors.push(String(e));
        }
      }
    });
    ws.on('close', () => {
      if (live !== undefined) {
        live.stats.stoppedAt = Date.now();
      }
    });
    ws.on('error', () => undefined);
  }

  #onMessage(ws: WebSocket, live: Live | undefined, text: string): Live | undefined {
    const msg = JSON.parse(text) as {
      event: string;
      start?: { streamId?: string };
      extra_headers?: string;
      media?: { payload?: string };
      dtmf?: { digit?: string };
      name?: string;
    };
    if (msg.event === 'start') {
      const id = Number(/soak=(\d+)/.exec(msg.extra_headers ?? '')?.[1] ?? -1);
      const stats: StreamStats = {
        streamId: msg.start?.streamId ?? '',
        startedAt: Date.now(),
        stoppedAt: 0,
        media: 0,
        digits: '',
        played: 0,
        checkpoints: 0,
        playedStream: 0,
        clearSent: 0,
        clearedAudio: 0,
        errors: 0,
      };
      this.streams.set(id, stats);
      const l: Live = {
        id,
        kind: this.kinds.get(id) ?? 'normal',
        ws,
        stats,
        turn: 0,
        playing: false,
        quietFrames: 0,
        loud: false,
      };
      if (l.kind === 'barge') {
        this.#playTurn(l, TURN_CHUNKS);
      } else if (l.kind === 'held' || l.kind === 'held-vanish') {
        this.#playTurn(l, GREETING_CHUNKS);
      }
      return l;
    }
    if (live === undefined) {
      return undefined;
    }
    switch (msg.event) {
      case 'media':
        live.stats.media++;
        if (live.kind === 'barge') {
          this.#barge(live, loudness(msg.media?.payload ?? ''));
        }
        break;
      case 'dtmf':
        live.stats.digits += msg.dtmf?.digit ?? '?';
        break;
      case 'playedStream':
        live.stats.playedStream++;
        if (msg.name === `turn-${live.turn}`) {
          live.playing = false;
        }
        break;
      case 'clearedAudio':
        live.stats.clearedAudio++;
        break;
      default:
        break;
    }
    return live;
  }

  #playTurn(l: Live, chunks: number): void {
    l.turn++;
    for (let i = 0; i < chunks; i++) {
      l.ws.send(
        `{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"${CHUNK}"}}`,
      );
      l.stats.played++;
    }
    l.ws.send(`{"event":"checkpoint","streamId":"${l.stats.streamId}","name":"turn-${l.turn}"}`);
    l.stats.checkpoints++;
    l.playing = true;
  }

  /** Barge-in: the caller talks over a turn → clearAudio; half a second of quiet after it → the next turn. */
  #barge(l: Live, level: number): void {
    if (level > 1000) {
      l.quietFrames = 0;
      if (!l.loud && l.playing) {
        l.ws.send(`{"event":"clearAudio","streamId":"${l.stats.streamId}"}`);
        l.stats.clearSent++;
        l.playing = false;
      }
      l.loud = true;
      return;
    }
    l.quietFrames++;
    if (l.loud && l.quietFrames >= 25) {
      l.loud = false;
      if (!l.playing) {
        this.#playTurn(l, TURN_CHUNKS);
      }
    }
  }
}
