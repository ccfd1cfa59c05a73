/**
 * Consumer app (its own process, driven over IPC by run-load.ts): a `ws` server that receives Plivo
 * `<Stream>` traffic, counts `media` per stream, checks `sequenceNumber` gaps and, from the generator's
 * stamp in each payload, measures RTP-in → WebSocket-out latency. For bidirectional streams it plays one
 * frame back for each received frame, as `playAudio` whose payload carries its own send-time stamp, plus
 * a `checkpoint` after every second (50 frames) of played audio. Two ways (`mode` command, `play`):
 * - `paced` (default): like a bot streaming TTS at real time, frames owed are sent on the consumer's own
 *   drift-free 20 ms schedule (a 5 ms timer, a quarter of the streams per tick).
 * - `echo`: each frame is sent the moment its media message arrives. Arrival jitter then feeds
 *   streamfork's playout queue, whose backlog (input rate = output rate) only ever grows: a reflecting
 *   random walk, so playAudio → RTP latency depends on how long the step ran. `collect` reports the window's
 * counts, the latency percentiles and how many frames exceeded 2 / 20 / 60 ms; `open` just the open streams.
 */
import type { AddressInfo } from 'node:net';

import { type RawData, type WebSocket, WebSocketServer } from 'ws';

import {
  MAGIC_APP,
  MAGIC_GEN,
  OVER_MS,
  Samples,
  inWindow,
  nowUs,
  readStamp,
  reply,
  toneFrame,
  writeStamp,
  type Window,
} from './common.js';

interface StreamState {
  streamId: string;
  gen: number;
  lastSeq: number;
  played: number;
  /** Frames received and not yet played back (paced mode), at most MAX_OWED. */
  owed: number;
  readonly ws: WebSocket;
  readonly group: number;
}

const MAX_OWED = 50;
let owedDropped = 0;
let play: 'paced' | 'echo' = 'paced';
const live = new Set<StreamState>();
let nextGroup = 0;

const TONE = toneFrame();
const playBuf = Buffer.from(TONE);
let bidir = false;
let lateMs = 100;
let window: Window | undefined;
let open = 0;
let closed = 0;
let rxStamped = 0;
let rxMedia = 0;
let late = 0;
let seqGaps = 0;
let playSent = 0;
let checkpoints = 0;
let playedStream = 0;
let errors: string[] = [];
let latency = new Samples();
let starts: { gen: number; us: number }[] = [];

function resetWindowStats(): void {
  rxStamped = 0;
  rxMedia = 0;
  late = 0;
  seqGaps = 0;
  playSent = 0;
  checkpoints = 0;
  playedStream = 0;
  latency = new Samples();
}

function onMessage(ws: WebSocket, st: StreamState, data: RawData): void {
  const t = nowUs();
  const msg = JSON.parse((data as Buffer).toString()) as {
    event: string;
    sequenceNumber?: number;
    streamId?: string;
    start?: { streamId: string };
    extra_headers?: string;
    media?: { payload: string };
  };
  if (typeof msg.sequenceNumber === 'number') {
    if (st.lastSeq > 0 && msg.sequenceNumber !== st.lastSeq + 1) {
      seqGaps += Math.abs(msg.sequenceNumber - st.lastSeq - 1);
    }
    st.lastSeq = msg.sequenceNumber;
  }
  switch (msg.event) {
    case 'start': {
      st.streamId = msg.start?.streamId ?? msg.streamId ?? '';
      const g = /gen=(\d+)/.exec(msg.extra_headers ?? '');
      st.gen = Number(g?.[1] ?? -1);
      starts.push({ gen: st.gen, us: t });
      break;
    }
    case 'media': {
      const payload = Buffer.from(msg.media?.payload ?? '', 'base64');
      const stamp = readStamp(payload, 0, MAGIC_GEN);
      if (inWindow(window, stamp)) {
        rxStamped++;
        const ms = (t - stamp) / 1000;
        latency.push(ms);
        if (ms > lateMs) {
          late++;
        }
      }
      if (inWindow(window, t)) {
        rxMedia++;
      }
      if (bidir) {
        if (play === 'echo') {
          playOne(ws, st);
        } else if (st.owed < MAX_OWED) {
          st.owed++;
        } else {
          owedDropped++;
        }
      }
      break;
    }
    case 'playedStream':
      playedStream++;
      break;
    default:
      break;
  }
}

function playOne(ws: WebSocket, st: StreamState): void {
  const now = nowUs();
  writeStamp(playBuf, 0, MAGIC_APP, now);
  ws.send(
    `{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"${playBuf.toString('base64')}"}}`,
  );
  if (inWindow(window, now)) {
    playSent++;
  }
  st.played++;
  if (st.played % 50 === 0) {
    ws.send(`{"event":"checkpoint","streamId":"${st.streamId}","name":"cp-${st.played / 50}"}`);
    checkpoints++;
  }
}

// Paced play-back: one drift-free 5 ms schedule; sub-tick k plays one owed frame of each stream in group k % 4.
const PACE_START = nowUs();
let paceTick = 0;
function pace(): void {
  const group = paceTick % 4;
  for (const st of live) {
    if (st.group === group && st.owed > 0) {
      st.owed--;
      playOne(st.ws, st);
    }
  }
  paceTick++;
  setTimeout(pace, Math.max(0, (PACE_START + paceTick * 5000 - nowUs()) / 1000));
}
pace();

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  open++;
  const st: StreamState = {
    streamId: '',
    gen: -1,
    lastSeq: 0,
    played: 0,
    owed: 0,
    ws,
    group: nextGroup++ % 4,
  };
  live.add(st);
  ws.on('message', (data) => {
    try {
      onMessage(ws, st, data);
    } catch (e) {
      if (errors.length < 10) {
        errors.push(String(e));
      }
    }
  });
  ws.on('close', () => {
    live.delete(st);
    open--;
    closed++;
  });
  ws.on('error', () => undefined);
});
wss.on('listening', () => {
  reply({ ev: 'ready', port: (wss.address() as AddressInfo).port });
});

interface Command {
  readonly cmd: string;
  readonly [k: string]: unknown;
}

process.on('message', (m: Command) => {
  switch (m.cmd) {
    case 'mode':
      bidir = m['bidir'] === true;
      play = m['play'] === 'echo' ? 'echo' : 'paced';
      lateMs = Number(m['lateMs'] ?? 100);
      starts = [];
      errors = [];
      reply({ ev: 'mode' });
      break;
    case 'window':
      window = { fromUs: Number(m['fromUs']), toUs: Number(m['toUs']) };
      resetWindowStats();
      reply({ ev: 'window' });
      break;
    case 'open':
      reply({ ev: 'open', open });
      break;
    case 'collect':
      reply({
        ev: 'stats',
        open,
        closed,
        rxStamped,
        rxMedia,
        late,
        seqGaps,
        playSent,
        checkpoints,
        playedStream,
        owedDropped,
        latency: latency.dist(),
        overMs: Object.fromEntries(OVER_MS.map((ms) => [String(ms), latency.count(ms)])),
        starts,
        errors,
        cpu: process.cpuUsage(),
      });
      break;
    case 'exit':
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
