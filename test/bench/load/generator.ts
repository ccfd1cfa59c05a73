/**
 * Load generator (its own process, driven over IPC by run-load.ts): a small SIP UAC on dgram that places
 * calls with a PCMU SDP (INVITE / ACK / BYE), and one RTP socket per call that sends paced 20 ms μ-law
 * frames of a 400 Hz tone, each stamped with its send time (common.ts), and receives what the server sends
 * back: outbound RTP interval error, and `playAudio` → RTP latency from the consumer's stamps (late above the
 * window's `lateMs`, and counts over 2 / 20 / 60 ms).
 * In "raw" mode it sends the same RTP to given ports without SIP (for the null forwarder).
 *
 * In-dialog requests (the ACK of a 2xx, BYE) follow the dialog's route set (dialog.ts): straight to the
 * server's Contact when it answered directly, through the proxy when one Record-Routed (Kamailio in
 * front of a cluster). Responses to the server's own requests go back along their Via headers, all kept.
 *
 * Pacing: one timer ticks every 5 ms and serves a quarter of the calls per tick (call i in phase i % 4),
 * so the packets of N calls are spread over the 20 ms instead of one burst.
 */
import dgram from 'node:dgram';

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
  headersOf,
  writeStamp,
  type Window,
} from './common.js';
import { SrtpContext } from '../../../src/protocol/srtp/srtp-context.js';
import type { SrtpMasterKey } from '../../../src/protocol/srtp/srtp-suites.js';
import { headerValues, hostPortOf, inDialogTarget, responseTarget, routeSetOf } from './dialog.js';

interface Call {
  readonly id: number;
  readonly sock: dgram.Socket;
  readonly pkt: Buffer;
  localPort: number;
  remotePort: number;
  seq: number;
  ts: number;
  sending: boolean;
  lastRxUs: number;
  // SIP
  readonly callId: string;
  readonly fromTag: string;
  toTag: string;
  /** The remote target (the 2xx's Contact) and the route set (its Record-Route, reversed). */
  contact: string;
  routeSet: string[];
  inviteUs: number;
  okUs: number;
  /** The INVITE's final status (0: none yet), and whether any response to it came (stops retransmitting). */
  finalStatus: number;
  inviteAnswered: boolean;
  byeDone: (() => void) | undefined;
  /** With `srtp` (init): our SDES key, and the two contexts once the 2xx gave streamfork's key. */
  readonly srtpKey: SrtpMasterKey;
  srtpTx: SrtpContext | undefined;
  srtpRx: SrtpContext | undefined;
  /** The protected copy of `pkt` (per call: dgram may still hold the previous one when the next call sends). */
  readonly sealed: Buffer;
}

/** INVITEs sent again because no response came (RFC 3261 Timer A: 0.5 s, doubling, until 4 s). */
let inviteRetransmits = 0;
/** `init` with `srtp: true`: offer RTP/SAVP with an SDES key and protect/unprotect every packet (issue 13). */
let srtp = false;

const TONE = toneFrame();
const PHASES = 4;
const TICK_US = 20_000 / PHASES;
const calls: Call[] = [];
const byCallId = new Map<string, Call>();
let sip: dgram.Socket | undefined;
let sipTarget = { host: '127.0.0.1', port: 5060 };
let sipLocalPort = 0;
let window: Window | undefined;

// Stats over the current window.
let txInWindow = 0;
let rxStamped = 0;
let rxFrames = 0;
let playLate = 0;
let lateMs = 100;
let playLatency = new Samples();
let intervalErr = new Samples();

function resetStats(): void {
  txInWindow = 0;
  rxStamped = 0;
  rxFrames = 0;
  playLate = 0;
  playLatency = new Samples();
  intervalErr = new Samples();
  genLateMaxUs = 0;
  genLateOver['20'] = 0;
  genLateOver['40'] = 0;
  genLateOver['60'] = 0;
}

async function newCall(id: number): Promise<Call> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 18 });
  const pkt = Buffer.alloc(12 + 160);
  TONE.copy(pkt, 12);
  pkt[0] = 0x80;
  pkt[1] = 0; // PCMU
  const ssrc = (0x10000000 + id * 7919) >>> 0;
  pkt.writeUInt32BE(ssrc, 8);
  const call: Call = {
    id,
    sock,
    pkt,
    localPort: 0,
    remotePort: 0,
    seq: (id * 13) & 0xffff,
    ts: id * 1000,
    sending: false,
    lastRxUs: 0,
    callId: `load-${process.pid}-${id}@127.0.0.1`,
    fromTag: `t${id}`,
    toTag: '',
    contact: '',
    routeSet: [],
    inviteUs: 0,
    okUs: 0,
    finalStatus: 0,
    inviteAnswered: false,
    byeDone: undefined,
    srtpKey: {
      suite: 'AES_CM_128_HMAC_SHA1_80',
      key: Uint8Array.from({ length: 16 }, (_, i) => (id * 31 + i) & 0xff),
      salt: Uint8Array.from({ length: 14 }, (_, i) => (id * 17 + i * 3) & 0xff),
    },
    srtpTx: undefined,
    srtpRx: undefined,
    sealed: Buffer.alloc(12 + 160 + 10),
  };
  sock.on('message', (msg) => {
    onRtp(call, msg);
  });
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  call.localPort = sock.address().port;
  calls.push(call);
  return call;
}

function onRtp(call: Call, msg: Buffer): void {
  const t = nowUs();
  if (msg.length < 12 || (msg[1] ?? 0) >= 200) {
    return; // RTCP
  }
  if (call.srtpRx !== undefined) {
    const opened = call.srtpRx.unprotectRtp(msg, msg.length);
    if (!opened.ok) {
      return;
    }
  }
  if (inWindow(window, t)) {
    rxFrames++;
    if (call.lastRxUs > 0) {
      intervalErr.push(Math.abs(t - call.lastRxUs - 20_000) / 1000);
    }
  }
  call.lastRxUs = t;
  const stamp = readStamp(msg, 12, MAGIC_APP);
  if (stamp >= 0 && inWindow(window, stamp)) {
    rxStamped++;
    const ms = (t - stamp) / 1000;
    playLatency.push(ms);
    if (ms > lateMs) {
      playLate++;
    }
  }
}

function sendFrame(call: Call): void {
  const p = call.pkt;
  call.seq = (call.seq + 1) & 0xffff;
  call.ts = (call.ts + 160) >>> 0;
  p.writeUInt16BE(call.seq, 2);
  p.writeUInt32BE(call.ts, 4);
  const t = nowUs();
  writeStamp(p, 12, MAGIC_GEN, t);
  if (inWindow(window, t)) {
    txInWindow++;
  }
  if (call.srtpTx !== undefined) {
    p.copy(call.sealed);
    const r = call.srtpTx.protectRtp(call.sealed, p.length);
    call.sock.send(call.sealed, 0, r.ok ? r.length : 0, call.remotePort, '127.0.0.1');
    return;
  }
  call.sock.send(p, call.remotePort, '127.0.0.1');
}

// The pacing loop.
let tick = 0;
let t0 = 0;
let timer: NodeJS.Timeout | undefined;
/** How late the generator's own pacing ran (a stall on the load core sends frames late, in a burst). */
let genLateMaxUs = 0;
const genLateOver = { '20': 0, '40': 0, '60': 0 };
function runTicks(): void {
  const now = nowUs();
  while (t0 + tick * TICK_US <= now) {
    const late = now - (t0 + tick * TICK_US);
    if (inWindow(window, now)) {
      genLateMaxUs = Math.max(genLateMaxUs, late);
      genLateOver['20'] += late > 20_000 ? 1 : 0;
      genLateOver['40'] += late > 40_000 ? 1 : 0;
      genLateOver['60'] += late > 60_000 ? 1 : 0;
    }
    const phase = tick % PHASES;
    for (let i = phase; i < calls.length; i += PHASES) {
      const c = calls[i];
      if (c?.sending === true) {
        sendFrame(c);
      }
    }
    tick++;
  }
  timer = setTimeout(runTicks, Math.max(0, (t0 + tick * TICK_US - nowUs()) / 1000));
}
function startPacing(): void {
  if (timer === undefined) {
    t0 = nowUs();
    tick = 0;
    runTicks();
  }
}

// --- SIP -------------------------------------------------------------------------------------------

function sipSend(text: string, to: { host: string; port: number } = sipTarget): void {
  sip?.send(Buffer.from(text), to.port, to.host);
}

function inviteUri(): string {
  return `sip:load@${sipTarget.host}:${sipTarget.port}`;
}

function invite(call: Call): void {
  const inline = Buffer.concat([call.srtpKey.key, call.srtpKey.salt]).toString('base64');
  const sdp =
    `v=0\r\no=load ${call.id} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
    `m=audio ${call.localPort} ${srtp ? 'RTP/SAVP' : 'RTP/AVP'} 0\r\na=rtpmap:0 PCMU/8000\r\n` +
    (srtp ? `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${inline}\r\n` : '') +
    `a=ptime:20\r\na=sendrecv\r\n`;
  const target = inviteUri();
  call.inviteUs = nowUs();
  const text =
    `INVITE ${target} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${sipLocalPort};branch=z9hG4bK-${call.id}-inv;rport\r\n` +
    `From: <sip:+1555${String(call.id).padStart(7, '0')}@127.0.0.1>;tag=${call.fromTag}\r\n` +
    `To: <${target}>\r\nCall-ID: ${call.callId}\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <sip:load@127.0.0.1:${sipLocalPort}>\r\nMax-Forwards: 70\r\n` +
    `Content-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`;
  sipSend(text);
  // Like a real UAC over UDP: a lost INVITE (or a lost 100 Trying) is sent again, not given up.
  const resend = (afterMs: number): void => {
    setTimeout(() => {
      if (!call.inviteAnswered && afterMs <= 4000) {
        inviteRetransmits++;
        sipSend(text);
        resend(afterMs * 2);
      }
    }, afterMs).unref();
  };
  resend(500);
}

/** A request of the dialog (or, with `routed` false, the ACK of a non-2xx: same target as the INVITE). */
function inDialog(
  call: Call,
  method: string,
  cseq: number,
  branch: string,
  routed = true,
): { text: string; next: { host: string; port: number } } {
  const t = routed && call.contact !== '' ? inDialogTarget(call.routeSet, call.contact) : undefined;
  const route = (t?.routes ?? []).map((r) => `Route: <${r}>\r\n`).join('');
  const text =
    `${method} ${t?.requestUri ?? inviteUri()} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:${sipLocalPort};branch=z9hG4bK-${call.id}-${branch};rport\r\n` +
    route +
    `From: <sip:+1555${String(call.id).padStart(7, '0')}@127.0.0.1>;tag=${call.fromTag}\r\n` +
    `To: <${inviteUri()}>;tag=${call.toTag}\r\nCall-ID: ${call.callId}\r\n` +
    `CSeq: ${cseq} ${method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  return { text, next: t?.next ?? sipTarget };
}

function sendInDialog(r: { text: string; next: { host: string; port: number } }): void {
  sipSend(r.text, r.next);
}

const okWaiters = new Map<string, () => void>();

/** streamfork's answer carries its key (RFC 4568): ours protects what we send, its key what it sends. */
function startSrtp(call: Call, body: string): void {
  if (!srtp) {
    return;
  }
  const inline = /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)/.exec(body)?.[1];
  const raw = inline === undefined ? undefined : Buffer.from(inline, 'base64');
  if (raw?.length !== 30) {
    call.remotePort = 0; // no SRTP in the answer: send nothing (the step shows up as unhealthy)
    return;
  }
  call.srtpTx = new SrtpContext(call.srtpKey);
  call.srtpRx = new SrtpContext({
    suite: 'AES_CM_128_HMAC_SHA1_80',
    key: raw.subarray(0, 16),
    salt: raw.subarray(16, 30),
  });
}

function onSip(buf: Buffer): void {
  const text = buf.toString('latin1');
  const { first, h, body } = headersOf(text);
  const call = byCallId.get(h.get('call-id') ?? '');
  if (first.startsWith('SIP/2.0 ')) {
    const status = Number(first.slice(8, 11));
    const cseq = h.get('cseq') ?? '';
    if (call === undefined) {
      return;
    }
    if (cseq.endsWith('INVITE')) {
      call.inviteAnswered = true;
    }
    if (cseq.endsWith('INVITE') && status >= 200) {
      if (call.finalStatus === 0) {
        call.finalStatus = status;
      }
      const tag = /;\s*tag=([^;>\s]+)/.exec(h.get('to') ?? '');
      call.toTag = tag?.[1] ?? '';
      if (status < 300) {
        if (call.okUs === 0) {
          call.okUs = nowUs();
          // The dialog's remote target and route set come from the (first) 2xx.
          call.contact = /<([^>]+)>/.exec(h.get('contact') ?? '')?.[1] ?? '';
          call.routeSet = routeSetOf(text);
          const m = /m=audio (\d+)/.exec(body);
          call.remotePort = Number(m?.[1] ?? 0);
          startSrtp(call, body);
          call.sending = call.remotePort > 0;
        }
        sendInDialog(inDialog(call, 'ACK', 1, 'ack'));
      } else {
        // non-2xx: ACK in the INVITE transaction (same branch, same target, no route set)
        sendInDialog(inDialog(call, 'ACK', 1, 'inv', false));
      }
      okWaiters.get(call.callId)?.();
    } else if (cseq.endsWith('BYE') && status >= 200) {
      call.byeDone?.();
    }
    return;
  }
  // A request from the server (BYE, OPTIONS, …): answer 200 with its headers, every Via in order.
  const vias = headerValues(text, 'via', 'v');
  const resp =
    `SIP/2.0 200 OK\r\n${vias.map((v) => `Via: ${v}\r\n`).join('')}` +
    `From: ${h.get('from') ?? ''}\r\nTo: ${h.get('to') ?? ''}\r\n` +
    `Call-ID: ${h.get('call-id') ?? ''}\r\nCSeq: ${h.get('cseq') ?? ''}\r\nContent-Length: 0\r\n\r\n`;
  sipSend(resp, vias[0] === undefined ? sipTarget : responseTarget(vias[0]));
  if (call !== undefined && first.startsWith('BYE')) {
    call.sending = false;
    call.toTag = '';
  }
}

async function place(n: number, cps: number, firstId: number): Promise<unknown> {
  const started = nowUs();
  const waits: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = started + (i * 1e6) / cps;
    const wait = (due - nowUs()) / 1000;
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
    }
    const call = await newCall(firstId + i);
    byCallId.set(call.callId, call);
    waits.push(
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 15_000);
        okWaiters.set(call.callId, () => {
          clearTimeout(t);
          resolve();
        });
      }),
    );
    invite(call);
    startPacing();
  }
  await Promise.all(waits);
  const answered = calls.filter((c) => c.okUs > 0 && c.sending);
  // Which server answered each call (its Contact's host:port): the node, behind a dispatcher.
  const byContact: Record<string, number> = {};
  for (const c of answered) {
    const key =
      c.contact === '' ? '(no Contact)' : `${hostPortOf(c.contact).host}:${hostPortOf(c.contact).port}`;
    byContact[key] = (byContact[key] ?? 0) + 1;
  }
  // The final status of every call placed (0: none came), so refusals (503) are told from losses.
  const finals: Record<string, number> = {};
  for (const c of calls.slice(-n)) {
    finals[String(c.finalStatus)] = (finals[String(c.finalStatus)] ?? 0) + 1;
  }
  return {
    ev: 'placed',
    byContact,
    finals,
    inviteRetransmits,
    answered: answered.length,
    failed: n - answered.length,
    setup: answered.map((c) => ({ id: c.id, inviteUs: c.inviteUs, okUs: c.okUs })),
  };
}

/** BYE outcomes of the last hang-up: like a real UAC, a BYE is retransmitted (RFC 3261 Timer E) until answered. */
interface ByeStats {
  sent: number;
  retransmits: number;
  /** Answered only after at least one retransmission (the first copy was lost). */
  answeredAfterRetransmit: number;
  unanswered: number;
}

async function hangup(): Promise<ByeStats> {
  const byes: Promise<void>[] = [];
  const stats: ByeStats = { sent: 0, retransmits: 0, answeredAfterRetransmit: 0, unanswered: 0 };
  for (const c of calls) {
    c.sending = false;
    if (c.toTag !== '' && c.okUs > 0) {
      stats.sent++;
      byes.push(
        new Promise<void>((resolve) => {
          const bye = inDialog(c, 'BYE', 2, 'bye');
          let copies = 1;
          let interval = 500;
          let retry: NodeJS.Timeout | undefined;
          const again = (): void => {
            copies++;
            stats.retransmits++;
            sendInDialog(bye);
            interval = Math.min(interval * 2, 4000);
            retry = setTimeout(again, interval);
          };
          const giveUp = setTimeout(() => {
            clearTimeout(retry);
            stats.unanswered++;
            resolve();
          }, 32_000); // Timer F
          c.byeDone = () => {
            clearTimeout(giveUp);
            clearTimeout(retry);
            if (copies > 1) {
              stats.answeredAfterRetransmit++;
            }
            resolve();
          };
          sendInDialog(bye);
          retry = setTimeout(again, interval);
        }),
      );
    }
  }
  await Promise.all(byes);
  for (const c of calls) {
    c.sock.close();
    byCallId.delete(c.callId);
  }
  calls.length = 0;
  okWaiters.clear();
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  return stats;
}

interface Command {
  readonly cmd: string;
  readonly [k: string]: unknown;
}

process.on('message', (m: Command) => {
  void (async () => {
    switch (m.cmd) {
      case 'init': {
        sipTarget = { host: '127.0.0.1', port: Number(m['sipPort']) };
        srtp = m['srtp'] === true;
        sip = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
        sip.on('message', onSip);
        await new Promise<void>((r) => sip?.bind(0, '127.0.0.1', r));
        sipLocalPort = sip.address().port;
        reply({ ev: 'ready' });
        break;
      }
      case 'place':
        reply(await place(Number(m['n']), Number(m['cps']), Number(m['firstId'])));
        break;
      case 'raw': {
        const targets = m['targets'] as { id: number; port: number }[];
        for (const t of targets) {
          const c = await newCall(t.id);
          c.remotePort = t.port;
          c.sending = true;
        }
        startPacing();
        reply({ ev: 'raw-ready', ports: calls.map((c) => c.localPort) });
        break;
      }
      case 'window':
        window = { fromUs: Number(m['fromUs']), toUs: Number(m['toUs']) };
        lateMs = Number(m['lateMs'] ?? 100);
        resetStats();
        reply({ ev: 'window' });
        break;
      case 'collect':
        reply({
          ev: 'stats',
          txInWindow,
          rxStamped,
          rxFrames,
          playLate,
          playLatency: playLatency.dist(),
          playOverMs: Object.fromEntries(OVER_MS.map((ms) => [String(ms), playLatency.count(ms)])),
          intervalErr: intervalErr.dist(),
          pacingLateMaxMs: genLateMaxUs / 1000,
          pacingLateOverMs: { ...genLateOver },
          cpu: process.cpuUsage(),
        });
        break;
      case 'hangup':
        reply({ ev: 'down', byes: await hangup() });
        break;
      case 'exit':
        process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
