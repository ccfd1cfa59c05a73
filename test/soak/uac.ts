/**
 * The soak's caller side (issue 11): one SIP UAC on a UDP socket and, per call, an RTP socket paced by
 * one shared drift-free 20 ms loop. A call's RTP source is switched by its scenario: a 400 Hz tone
 * ("talking"), μ-law silence, nothing (on hold, or a caller that has vanished), and queued RFC 4733 digits
 * (which replace the audio while they play, like a phone that sends events instead of tones).
 *
 * Client transactions retransmit as RFC 3261 Timer A/B would (500 ms doubling, up to 4 s between copies,
 * give up after 32 s); requests the server sends in a dialog (BYE, a refreshing re-INVITE or UPDATE,
 * OPTIONS) are answered 200 unless the call has vanished, in which case they are only counted.
 */
import dgram from 'node:dgram';

import { headersOf, nowUs, toneFrame } from '../bench/load/common.js';

/** A final response to one of our requests, or null when none came before Timer B. */
export interface Final {
  readonly status: number;
  readonly h: Map<string, string>;
  readonly body: string;
}

export type Source = 'tone' | 'silence' | 'off';
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const TONE = toneFrame();
const SILENCE = Buffer.alloc(160, 0xff);
const DTMF_PT = 101;
/** Event packets per digit (20 ms apart, so 120 ms of tone) before the three end packets. */
const DTMF_PACKETS = 6;
const DTMF_EVENTS: Readonly<Record<string, number>> = { '*': 10, '#': 11, A: 12, B: 13, C: 14, D: 15 };

interface Pending {
  readonly resolve: (f: Final | null) => void;
  readonly text: string;
}

/** The UDP SIP endpoint every soak call shares. */
export class Uac {
  readonly #sock: dgram.Socket;
  readonly target: { readonly host: string; readonly port: number };
  readonly localPort: number;
  readonly #pending = new Map<string, Pending>();
  readonly #calls = new Map<string, Call>();
  /** Responses to the raw (malformed) datagrams we sent, by status code ('none' is not counted here). */
  readonly strayResponses = new Map<number, number>();
  #tick = 0;
  #t0 = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(sock: dgram.Socket, target: { host: string; port: number }) {
    this.#sock = sock;
    this.target = target;
    this.localPort = sock.address().port;
    sock.on('message', (buf) => {
      this.#onMessage(buf);
    });
  }

  static async open(target: { host: string; port: number }): Promise<Uac> {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    return new Uac(sock, target);
  }

  send(text: string | Buffer): void {
    this.#sock.send(
      typeof text === 'string' ? Buffer.from(text, 'latin1') : text,
      this.target.port,
      this.target.host,
    );
  }

  /** Sends a request and retransmits it until a final response (1xx stop nothing: loopback never needs it). */
  request(key: string, text: string): Promise<Final | null> {
    return new Promise((resolve) => {
      let interval = 500;
      let retry: NodeJS.Timeout | undefined;
      const again = (): void => {
        this.send(text);
        interval = Math.min(interval * 2, 4000);
        retry = setTimeout(again, interval);
      };
      const giveUp = setTimeout(() => {
        clearTimeout(retry);
        this.#pending.delete(key);
        resolve(null);
      }, 32_000);
      this.#pending.set(key, {
        text,
        resolve: (f) => {
          clearTimeout(giveUp);
          clearTimeout(retry);
          resolve(f);
        },
      });
      again();
    });
  }

  async newCall(id: number, withRtp: boolean): Promise<Call> {
    const call = await Call.create(this, id, withRtp);
    this.#calls.set(call.callId, call);
    this.#startPacing();
    return call;
  }

  forget(call: Call): void {
    this.#calls.delete(call.callId);
  }

  get liveCalls(): number {
    return this.#calls.size;
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const c of this.#calls.values()) {
      c.closeRtp();
    }
    this.#sock.close();
  }

  #startPacing(): void {
    if (this.#timer !== undefined) {
      return;
    }
    this.#t0 = nowUs();
    this.#tick = 0;
    const run = (): void => {
      const now = nowUs();
      while (this.#t0 + this.#tick * 20_000 <= now) {
        for (const c of this.#calls.values()) {
          c.tick();
        }
        this.#tick++;
      }
      this.#timer = setTimeout(run, Math.max(0, (this.#t0 + this.#tick * 20_000 - nowUs()) / 1000));
    };
    run();
  }

  #onMessage(buf: Buffer): void {
    const text = buf.toString('latin1');
    const { first, h, body } = headersOf(text);
    if (first.startsWith('SIP/2.0 ')) {
      const status = Number(first.slice(8, 11));
      const key = `${h.get('call-id') ?? ''} ${h.get('cseq') ?? ''}`;
      const p = this.#pending.get(key);
      const call = this.#calls.get(h.get('call-id') ?? '');
      if (p === undefined && call === undefined) {
        this.strayResponses.set(status, (this.strayResponses.get(status) ?? 0) + 1);
        return;
      }
      if (status >= 200) {
        this.#pending.delete(key);
        call?.onFinal(status, h, body);
        p?.resolve({ status, h, body });
      }
      return;
    }
    const call = this.#calls.get(h.get('call-id') ?? '');
    const method = first.split(' ')[0] ?? '';
    if (call === undefined) {
      if (method !== 'ACK') {
        this.send(response(200, h, ''));
      }
      return;
    }
    call.onRequest(method, h);
  }
}

/** 200 (or other) response to a request from the server, echoing its dialog headers. */
function response(status: number, h: Map<string, string>, extra: string, body = ''): string {
  const reason = status === 200 ? 'OK' : 'Error';
  return (
    `SIP/2.0 ${status} ${reason}\r\nVia: ${h.get('via') ?? ''}\r\nFrom: ${h.get('from') ?? ''}\r\n` +
    `To: ${h.get('to') ?? ''}\r\nCall-ID: ${h.get('call-id') ?? ''}\r\nCSeq: ${h.get('cseq') ?? ''}\r\n` +
    `${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

export interface SdpOptions {
  readonly port?: number;
  readonly addr?: string;
  readonly direction?: Direction;
  readonly dtmf?: boolean;
}

/** One soak call: its dialog state, its RTP socket and the RTP source its scenario sets. */
export class Call {
  readonly uac: Uac;
  readonly id: number;
  readonly callId: string;
  readonly fromTag: string;
  readonly from: string;
  toTag = '';
  contact = '';
  cseq = 1;
  sdpVersion = 1;
  remoteRtpPort = 0;
  rtpPort = 0;
  source: Source = 'off';
  vanished = false;
  /** In-dialog requests the server sent, by method (including those a vanished caller ignored). */
  readonly requests = new Map<string, number>();
  serverByeAt = 0;
  readonly #rtp: dgram.Socket | undefined;
  readonly #pkt = Buffer.alloc(12 + 160);
  readonly #dtmf: string[] = [];
  #dtmfStep = 0;
  #dtmfTs = 0;
  #seq: number;
  #ts: number;
  rtpSent = 0;
  rtpReceived = 0;
  digitsSent = 0;
  #byeWaiters: (() => void)[] = [];

  private constructor(uac: Uac, id: number, rtp: dgram.Socket | undefined) {
    this.uac = uac;
    this.id = id;
    this.callId = `soak-${process.pid}-${id}@127.0.0.1`;
    this.fromTag = `s${id}`;
    this.from = `+1555${String(id).padStart(7, '0')}`;
    this.#rtp = rtp;
    this.#seq = (id * 13) & 0xffff;
    this.#ts = (id * 1000) >>> 0;
    this.#pkt[0] = 0x80;
    this.#pkt.writeUInt32BE((0x20000000 + id * 7919) >>> 0, 8);
    rtp?.on('message', () => {
      this.rtpReceived++;
    });
  }

  static async create(uac: Uac, id: number, withRtp: boolean): Promise<Call> {
    if (!withRtp) {
      return new Call(uac, id, undefined);
    }
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 17 });
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const call = new Call(uac, id, sock);
    call.rtpPort = sock.address().port;
    return call;
  }

  sdp(o: SdpOptions = {}): string {
    const dtmf = o.dtmf === true;
    return (
      `v=0\r\no=soak ${this.id} ${this.sdpVersion++} IN IP4 127.0.0.1\r\ns=-\r\n` +
      `c=IN IP4 ${o.addr ?? '127.0.0.1'}\r\nt=0 0\r\n` +
      `m=audio ${o.port ?? this.rtpPort} RTP/AVP 0${dtmf ? ` ${DTMF_PT}` : ''}\r\na=rtpmap:0 PCMU/8000\r\n` +
      (dtmf ? `a=rtpmap:${DTMF_PT} telephone-event/8000\r\na=fmtp:${DTMF_PT} 0-15\r\n` : '') +
      `a=ptime:20\r\na=${o.direction ?? 'sendrecv'}\r\n`
    );
  }

  #headers(method: string, ruri: string, to: string, branch: string): string {
    return (
      `${method} ${ruri} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${this.uac.localPort};branch=z9hG4bK-${this.callId.split('@')[0] ?? ''}-${branch};rport\r\n` +
      `From: <sip:${this.from}@127.0.0.1>;tag=${this.fromTag}\r\nTo: ${to}\r\nCall-ID: ${this.callId}\r\n` +
      `CSeq: ${method === 'ACK' ? 1 : this.cseq} ${method}\r\nMax-Forwards: 70\r\n` +
      `Contact: <sip:soak@127.0.0.1:${this.uac.localPort}>\r\n`
    );
  }

  #body(sdp: string | null): string {
    return sdp === null
      ? 'Content-Length: 0\r\n\r\n'
      : `Content-Type: application/sdp\r\nContent-Length: ${Buffer.byteLength(sdp)}\r\n\r\n${sdp}`;
  }

  get #target(): string {
    return `sip:soak@${this.uac.target.host}:${this.uac.target.port}`;
  }

  get #remoteTo(): string {
    return `<${this.#target}>${this.toTag === '' ? '' : `;tag=${this.toTag}`}`;
  }

  /** The initial INVITE (sdp null: a delayed offer); `ruri` replaces the Request-URI and To (e.g. tel:). */
  invite(sdp: string | null, ruri?: string): Promise<Final | null> {
    const target = ruri ?? this.#target;
    const text = this.#headers('INVITE', target, `<${target}>`, `inv${this.cseq}`) + this.#body(sdp);
    return this.uac.request(`${this.callId} ${this.cseq} INVITE`, text);
  }

  /** A re-INVITE in the dialog with our SDP at `direction`, ACKed on 2xx by onFinal. */
  async reinvite(direction: Direction): Promise<Final | null> {
    this.cseq++;
    const text =
      this.#headers('INVITE', this.contact || this.#target, this.#remoteTo, `inv${this.cseq}`) +
      this.#body(this.sdp({ direction }));
    return this.uac.request(`${this.callId} ${this.cseq} INVITE`, text);
  }

  async bye(): Promise<Final | null> {
    this.cseq++;
    const text =
      this.#headers('BYE', this.contact || this.#target, this.#remoteTo, `bye${this.cseq}`) +
      this.#body(null);
    return this.uac.request(`${this.callId} ${this.cseq} BYE`, text);
  }

  /** ACK for a final response to an INVITE: in the transaction for non-2xx, a new one for 2xx. */
  onFinal(status: number, h: Map<string, string>, body: string): void {
    const cseq = h.get('cseq') ?? '';
    if (!cseq.endsWith('INVITE')) {
      return;
    }
    const n = Number(cseq.split(' ')[0]);
    const tag = /;\s*tag=([^;>\s]+)/.exec(h.get('to') ?? '');
    this.toTag = tag?.[1] ?? this.toTag;
    const contact = /<([^>]+)>/.exec(h.get('contact') ?? '');
    this.contact = contact?.[1] ?? this.contact;
    const m = /m=audio (\d+)/.exec(body);
    if (status < 300 && m !== null) {
      this.remoteRtpPort = Number(m[1]);
    }
    // A 2xx carrying an offer (our INVITE had none) gets our answer in the ACK (RFC 3261 §13.2.2.4).
    const answer = status < 300 && this.offerlessInvite === n && body.includes('m=audio') ? this.sdp() : null;
    const branch = status < 300 ? `ack${n}` : `inv${n}`;
    const text =
      this.#headers('ACK', this.contact || this.#target, this.#remoteTo, branch).replace(
        `CSeq: 1 ACK`,
        `CSeq: ${n} ACK`,
      ) + this.#body(answer);
    this.uac.send(text);
  }

  /** Set by the scenario before an INVITE without SDP, so the 2xx's offer is answered in the ACK. */
  offerlessInvite = -1;

  onRequest(method: string, h: Map<string, string>): void {
    this.requests.set(method, (this.requests.get(method) ?? 0) + 1);
    if (method === 'ACK' || this.vanished) {
      if (method === 'BYE' && this.serverByeAt === 0) {
        this.serverByeAt = Date.now();
        this.#wakeBye();
      }
      return;
    }
    if (method === 'BYE') {
      this.uac.send(response(200, h, ''));
      this.source = 'off';
      if (this.serverByeAt === 0) {
        this.serverByeAt = Date.now();
      }
      this.#wakeBye();
      return;
    }
    if (method === 'INVITE' || method === 'UPDATE') {
      const sdp = method === 'INVITE' ? this.sdp() : '';
      const extra =
        `Contact: <sip:soak@127.0.0.1:${this.uac.localPort}>\r\n` +
        (sdp === '' ? '' : 'Content-Type: application/sdp\r\n');
      this.uac.send(response(200, h, extra, sdp));
      return;
    }
    this.uac.send(response(200, h, ''));
  }

  /** Resolves when the server has sent BYE, or after `ms` (false). */
  waitServerBye(ms: number): Promise<boolean> {
    if (this.serverByeAt > 0) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        resolve(false);
      }, ms);
      this.#byeWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  #wakeBye(): void {
    const w = this.#byeWaiters;
    this.#byeWaiters = [];
    for (const f of w) {
      f();
    }
  }

  /** Queues RFC 4733 digits; they replace the audio while they play. */
  sendDigits(digits: string): void {
    this.#dtmf.push(...digits.split(''));
    this.digitsSent += digits.length;
  }

  get dtmfPending(): number {
    return this.#dtmf.length;
  }

  /** The caller disappears: no more RTP, nothing answered, the RTP socket closed. */
  vanish(): void {
    this.vanished = true;
    this.source = 'off';
    this.closeRtp();
  }

  closeRtp(): void {
    if (this.#rtp !== undefined && !this.#closed) {
      this.#closed = true;
      this.#rtp.close();
    }
  }

  #closed = false;

  /** One 20 ms slot of the shared pacing loop. */
  tick(): void {
    this.#ts = (this.#ts + 160) >>> 0;
    if (this.#closed || this.#rtp === undefined || this.remoteRtpPort === 0) {
      return;
    }
    const digit = this.#dtmf[0];
    if (digit !== undefined) {
      this.#sendEvent(digit);
      return;
    }
    if (this.source === 'off') {
      return;
    }
    const p = this.#pkt;
    p[1] = 0; // PCMU
    (this.source === 'tone' ? TONE : SILENCE).copy(p, 12);
    this.#sendRtp(p);
  }

  #sendEvent(digit: string): void {
    const step = this.#dtmfStep++;
    if (step === 0) {
      this.#dtmfTs = this.#ts;
    }
    const end = step >= DTMF_PACKETS;
    const ev = Buffer.alloc(16);
    this.#pkt.copy(ev, 0, 0, 12);
    ev[1] = (step === 0 ? 0x80 : 0) | DTMF_PT;
    ev.writeUInt32BE(this.#dtmfTs, 4);
    ev[12] = DTMF_EVENTS[digit] ?? Number(digit);
    ev[13] = (end ? 0x80 : 0) | 10; // E bit, volume -10 dBm0
    ev.writeUInt16BE(Math.min(DTMF_PACKETS, step + 1) * 160, 14);
    this.#sendRtp(ev);
    // Three end packets (steps DTMF_PACKETS … DTMF_PACKETS + 2), then the next digit or the audio.
    if (step >= DTMF_PACKETS + 2) {
      this.#dtmf.shift();
      this.#dtmfStep = 0;
    }
  }

  #sendRtp(p: Buffer): void {
    this.#seq = (this.#seq + 1) & 0xffff;
    p.writeUInt16BE(this.#seq, 2);
    if ((p[1] ?? 0) === 0) {
      p.writeUInt32BE(this.#ts, 4);
    }
    this.rtpSent++;
    this.#rtp?.send(p, this.remoteRtpPort, '127.0.0.1');
  }
}
