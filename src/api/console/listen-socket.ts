/**
 * Listen-in: `GET /console/api/calls/:callUuid/audio` upgraded to a WebSocket (same session cookie and
 * Origin checks as the rest of the console). The server sends one text message
 * `{"type":"hello","sampleRate":8000,"encoding":"L16LE","frameSamples":160}`, then one binary message
 * per 20 ms frame of each track, and `{"type":"ended"}` when the call ends (then closes with 1000).
 *
 * A binary message (336 bytes): byte 0 the track (0 caller/inbound, 1 what the caller hears/outbound),
 * bytes 1–7 zero, bytes 8–15 the server's epoch ms when the frame left the call (float64 LE), then 160
 * int16 LE samples at 8 kHz.
 *
 * Bounded: a frame is dropped, never queued, while the socket has more than `maxBufferBytes` unsent
 * (a slow listener hears gaps; the call's media path is not held up and memory stays flat).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer, type WebSocket } from 'ws';

import type { AudioTapListener, CallAudioTap, TapTrack } from '../../ports/call-event-feed.js';
import type { Logger } from '../../ports/logger.js';

const FRAME_SAMPLES = 160;
export const AUDIO_HEADER_BYTES = 16;
export const AUDIO_MESSAGE_BYTES = AUDIO_HEADER_BYTES + FRAME_SAMPLES * 2;

/** `/console/api/calls/<uuid>/audio` → the uuid, else undefined. */
export function audioPathCall(url: string | undefined): string | undefined {
  const m = /^\/console\/api\/calls\/([0-9A-Za-z-]{1,64})\/audio(?:\?.*)?$/.exec(url ?? '');
  return m?.[1];
}

/** One frame as the listen-in message (a fresh buffer: `ws` may still hold the previous one). */
export function audioMessage(track: TapTrack, pcm: Int16Array, atMs: number): Buffer {
  const buf = Buffer.allocUnsafe(AUDIO_MESSAGE_BYTES);
  buf.fill(0, 0, 8);
  buf[0] = track === 'inbound' ? 0 : 1;
  buf.writeDoubleLE(atMs, 8);
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    buf.writeInt16LE(pcm[i] ?? 0, AUDIO_HEADER_BYTES + 2 * i);
  }
  return buf;
}

export interface ListenStats {
  sent: number;
  dropped: number;
}

export interface ListenServerOptions {
  readonly tap: CallAudioTap;
  readonly maxBufferBytes: number;
  readonly logger: Logger;
}

/** The WebSocket side of listen-in: `accept` takes an already authorised upgrade. */
export class ListenServer {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  readonly #opts: ListenServerOptions;
  /** Listen-in sockets open now. */
  readonly sockets = new Set<WebSocket>();

  constructor(opts: ListenServerOptions) {
    this.#opts = opts;
  }

  /** Upgrades the request and starts sending the call's audio; a call not live here closes with 4404. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, callUuid: string): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#serve(ws, callUuid);
    });
  }

  #serve(ws: WebSocket, callUuid: string): void {
    const stats: ListenStats = { sent: 0, dropped: 0 };
    const max = this.#opts.maxBufferBytes;
    const listener: AudioTapListener = {
      frame: (track, pcm, atMs) => {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount > max) {
          stats.dropped++;
          return;
        }
        stats.sent++;
        ws.send(audioMessage(track, pcm, atMs));
      },
      ended: () => {
        if (ws.readyState === ws.OPEN) {
          ws.send(JSON.stringify({ type: 'ended', ...stats }));
          ws.close(1000, 'call ended');
        }
      },
    };
    const stop = this.#opts.tap.listen(callUuid, listener);
    if (stop === undefined) {
      ws.close(4404, 'call not live on this node');
      return;
    }
    this.sockets.add(ws);
    ws.send(
      JSON.stringify({ type: 'hello', sampleRate: 8000, encoding: 'L16LE', frameSamples: FRAME_SAMPLES }),
    );
    ws.on('close', () => {
      stop();
      this.sockets.delete(ws);
      this.#opts.logger.debug({ callUuid, ...stats }, 'listen-in closed');
    });
    ws.on('error', () => {
      ws.terminate();
    });
  }

  close(): void {
    for (const ws of this.sockets) {
      ws.terminate();
    }
    this.#wss.close();
  }
}
