/**
 * Greedy bot: a Plivo `<Stream>` app that FAILS `streamfork conformance` on purpose, with the mistakes
 * bot developers make most: it dumps its whole 40 s reply at once (past a 30 s playout buffer), sends
 * an L16 payload with half a sample, sends an event Plivo does not have, never clears its audio when
 * the caller talks over it, and sends no checkpoints. Use it to see what a failing report looks like.
 *
 * Run: node --import tsx examples/greedy-bot/server.ts --port 8001
 * Then: npx streamfork conformance --answer-url http://127.0.0.1:8001/answer   (exit status 1)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { type WebSocket, WebSocketServer } from 'ws';

/** 1 s of a 440 Hz tone as 8 kHz little-endian L16. */
function toneSecond(): Buffer {
  const b = Buffer.alloc(16000);
  for (let i = 0; i < 8000; i++) {
    b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2);
  }
  return b;
}

function greet(ws: WebSocket): void {
  const second = toneSecond().toString('base64');
  const play = (payload: string): void => {
    ws.send(
      JSON.stringify({
        event: 'playAudio',
        media: { contentType: 'audio/x-l16', sampleRate: 8000, payload },
      }),
    );
  };
  ws.send(JSON.stringify({ event: 'hello', text: 'not a Plivo event' }));
  // Half a sample: three bytes of 16-bit audio.
  play(Buffer.from([1, 2, 3]).toString('base64'));
  // The whole reply at once: 40 s, as fast as the socket takes it.
  for (let i = 0; i < 40; i++) {
    play(second);
  }
}

export interface GreedyBot {
  readonly answerUrl: string;
  close(): Promise<void>;
}

export async function startGreedyBot(port = 0, host = '127.0.0.1'): Promise<GreedyBot> {
  const wss = new WebSocketServer({ noServer: true });
  let actual = 0;
  const server = createServer((req, res) => {
    req.resume();
    const xml =
      '<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-l16;rate=8000">' +
      `ws://${host}:${actual}/stream</Stream></Response>`;
    res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.once('message', () => {
        greet(ws);
      });
    });
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
    options: { port: { type: 'string', default: '8001' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const bot = await startGreedyBot(Number(values.port), values.host);
  console.log(`greedy bot: answer URL ${bot.answerUrl}`);
}
