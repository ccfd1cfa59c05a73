/**
 * The null forwarder (its own process, driven over IPC by run-load.ts): the floor cost of forwarding.
 * Per stream one UDP socket and one `ws` client; each RTP packet's payload is base64-ed into a fixed
 * `media` JSON template and sent. No SIP, no jitter buffer, no media clock, no processing. For
 * bidirectional steps each `playAudio` is parsed, its payload decoded and sent back at once as RTP
 * (no pacing, no queue). With `rtpOut` (inbound steps, `--null-rtp-out`), each received packet is also
 * answered with one silent RTP packet, so the forwarder makes the same system calls per frame as a server
 * that sends the caller an RTP stream: recvmsg, writev, sendmsg.
 */
import dgram from 'node:dgram';

import { WebSocket } from 'ws';

import { reply } from './common.js';

interface NullStream {
  readonly sock: dgram.Socket;
  readonly ws: WebSocket;
  peerPort: number;
  seq: number;
  ts: number;
}

let streams: NullStream[] = [];
let stopped = false;

async function open(
  id: number,
  wsUrl: string,
  rtpOut: boolean,
): Promise<{ stream: NullStream; port: number }> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 18 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      resolve();
    });
    ws.once('error', reject);
  });
  const streamId = `null-${id}`;
  const s: NullStream = { sock, ws, peerPort: 0, seq: 0, ts: 0 };
  ws.send(
    `{"event":"start","sequenceNumber":1,"start":{"callId":"${streamId}","streamId":"${streamId}","accountId":"x",` +
      `"tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000}},"extra_headers":"gen=${id}"}`,
  );
  let seqNo = 1;
  let chunk = 0;
  const head = `,"streamId":"${streamId}","media":{"track":"inbound","timestamp":"`;
  const tail = `,"extra_headers":"gen=${id}"}`;
  const out = Buffer.alloc(12 + 160);
  out[0] = 0x80;
  out.writeUInt32BE(0x20000000 + id, 8);
  const silence = Buffer.alloc(12 + 160, 0xff);
  silence[0] = 0x80;
  silence[1] = 0;
  silence.writeUInt32BE(0x30000000 + id, 8);
  sock.on('message', (msg, rinfo) => {
    s.peerPort = rinfo.port;
    ws.send(
      `{"event":"media","sequenceNumber":${++seqNo}${head}${Date.now()}","chunk":${++chunk},"payload":"${msg.subarray(12).toString('base64')}"}${tail}`,
    );
    if (rtpOut && !stopped) {
      s.seq = (s.seq + 1) & 0xffff;
      s.ts = (s.ts + 160) >>> 0;
      silence.writeUInt16BE(s.seq, 2);
      silence.writeUInt32BE(s.ts, 4);
      sock.send(silence, rinfo.port, '127.0.0.1');
    }
  });
  ws.on('message', (data) => {
    const m = JSON.parse((data as Buffer).toString()) as { event: string; media?: { payload: string } };
    if (m.event === 'playAudio' && s.peerPort > 0 && !stopped) {
      const payload = Buffer.from(m.media?.payload ?? '', 'base64');
      s.seq = (s.seq + 1) & 0xffff;
      s.ts = (s.ts + 160) >>> 0;
      out.writeUInt16BE(s.seq, 2);
      out.writeUInt32BE(s.ts, 4);
      payload.copy(out, 12, 0, 160);
      sock.send(out, s.peerPort, '127.0.0.1');
    }
  });
  ws.on('error', () => undefined);
  return { stream: s, port: sock.address().port };
}

interface Command {
  readonly cmd: string;
  readonly [k: string]: unknown;
}

process.on('message', (m: Command) => {
  void (async () => {
    switch (m.cmd) {
      case 'start': {
        stopped = false;
        const n = Number(m['n']);
        const first = Number(m['firstId']);
        const targets: { id: number; port: number }[] = [];
        for (let i = 0; i < n; i++) {
          const { stream, port } = await open(first + i, String(m['wsUrl']), m['rtpOut'] === true);
          streams.push(stream);
          targets.push({ id: first + i, port });
        }
        reply({ ev: 'ready', targets });
        break;
      }
      case 'stop':
        stopped = true;
        for (const s of streams) {
          s.ws.close(1000);
          s.sock.close();
        }
        streams = [];
        reply({ ev: 'stopped' });
        break;
      case 'exit':
        process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
