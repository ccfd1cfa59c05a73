/**
 * A hand-written SIP UAC on one loopback UDP socket, for sending exactly the INVITEs a hostile or
 * careless peer would (bad SDP, no SDP, odd Request-URIs) and completing the dialogs by hand: INVITE,
 * ACK (with or without a body), BYE, and 200 to the server's BYE. Plus a UDP socket that counts the RTP
 * the server sends. Every wait is bounded.
 */
import dgram from 'node:dgram';

import { until } from './stream-call.js';

const HOST = '127.0.0.1';

/** One dialog the peer set up. */
export interface RawDialog {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly cseq: number;
}

/** An audio offer/answer: `c=` line value and the m= port (any text, to send bad ones). */
export function audioSdp(c: string, port: number | string, extra: readonly string[] = []): string {
  return [
    'v=0',
    `o=- 1 ${Date.now() % 100000} IN IP4 ${HOST}`,
    's=-',
    `c=${c}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=sendrecv',
    ...extra,
    '',
  ].join('\r\n');
}

export const statusOf = (r: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(r)?.[1]);

export const headerOf = (r: string, name: string): string | undefined =>
  new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(r)?.[1];

/** The body of a SIP message. */
export const bodyOf = (r: string): string => r.slice(r.indexOf('\r\n\r\n') + 4);

export class RawSipPeer {
  readonly inbox: string[] = [];
  #seq = 0;
  readonly #socket: dgram.Socket;
  readonly #port: number;
  readonly #target: number;

  private constructor(socket: dgram.Socket, target: number) {
    this.#socket = socket;
    this.#port = socket.address().port;
    this.#target = target;
    socket.on('message', (m) => this.inbox.push(m.toString('latin1')));
  }

  /** A peer talking to the SIP server on `127.0.0.1:target`. */
  static async open(target: number): Promise<RawSipPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
    return new RawSipPeer(socket, target);
  }

  close(): void {
    this.#socket.close();
  }

  /** The peer's own UDP port (for dialling it). */
  get port(): number {
    return this.#port;
  }

  /** Answers `request` (as received) with `status`, a To-tag and an optional SDP body. */
  reply(request: string, status: number, reason: string, body = ''): void {
    const to = headerOf(request, 'To') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...request.split('\r\n').filter((l) => /^Via:/i.test(l)),
      `From: ${headerOf(request, 'From') ?? ''}`,
      `To: ${to.includes(';tag=') ? to : `${to};tag=raw${this.#seq}`}`,
      `Call-ID: ${headerOf(request, 'Call-ID') ?? ''}`,
      `CSeq: ${headerOf(request, 'CSeq') ?? ''}`,
      `Contact: <sip:raw@${HOST}:${this.#port}>`,
      ...(body === '' ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    this.sendText(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  request(
    method: string,
    d: { callId: string; fromTag: string; toTag?: string; cseq: number },
    body = '',
    requestUri = `sip:stream@${HOST}`,
  ): string {
    const lines = [
      `${method} ${requestUri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${this.#port};branch=z9hG4bK-raw${++this.#seq};rport`,
      'Max-Forwards: 70',
      `From: <sip:tester@${HOST}>;tag=${d.fromTag}`,
      `To: <sip:stream@${HOST}>${d.toTag === undefined ? '' : `;tag=${d.toTag}`}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${d.cseq} ${method}`,
      `Contact: <sip:tester@${HOST}:${this.#port}>`,
      ...(body === '' ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  }

  sendText(text: string): void {
    this.#socket.send(Buffer.from(text, 'latin1'), this.#target, HOST);
  }

  /** Sends `text` and waits for (and takes) the first message matching `want`. */
  async send(text: string, want: (r: string) => boolean, what: string): Promise<string> {
    this.sendText(text);
    return this.received(want, what);
  }

  /** Waits for (and takes) the first message matching `want`. */
  async received(want: (r: string) => boolean, what: string, timeoutMs = 3000): Promise<string> {
    await until(() => this.inbox.some(want), timeoutMs, what);
    const r = this.inbox.find(want) ?? '';
    this.inbox.splice(this.inbox.indexOf(r), 1);
    return r;
  }

  /**
   * INVITE with `body` (empty: no SDP) and waits for the final response; on a 2xx sends the ACK with
   * `ackBody` (a function of the 200 for a delayed offer) unless `ack` is false.
   */
  async invite(
    body: string,
    opts: { requestUri?: string; ackBody?: (ok: string) => string; ack?: boolean } = {},
  ): Promise<{ response: string; dialog: RawDialog | undefined }> {
    const callId = `raw-${++this.#seq}-${process.pid}@${HOST}`;
    const base = { callId, fromTag: `f${this.#seq}`, cseq: 1 };
    const response = await this.send(
      this.request('INVITE', base, body, opts.requestUri),
      finalFor(callId, 'INVITE'),
      'the INVITE answer',
    );
    if (statusOf(response) !== 200) {
      return { response, dialog: undefined };
    }
    const toTag = /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(response)?.[1] ?? '';
    const dialog = { ...base, toTag };
    if (opts.ack !== false) {
      this.sendText(this.request('ACK', dialog, opts.ackBody?.(response) ?? ''));
    }
    return { response, dialog };
  }

  /** An out-of-dialog OPTIONS (the health probe a proxy sends); resolves to the final response. */
  options(timeoutMs = 3000): Promise<string> {
    const callId = `raw-options-${++this.#seq}-${process.pid}@${HOST}`;
    this.sendText(this.request('OPTIONS', { callId, fromTag: `o${this.#seq}`, cseq: 1 }, '', `sip:${HOST}`));
    return this.received(finalFor(callId, 'OPTIONS'), 'the OPTIONS answer', timeoutMs);
  }

  /** Our BYE in `d`; resolves to the server's final response. */
  bye(d: RawDialog, cseq: number): Promise<string> {
    return this.send(this.request('BYE', { ...d, cseq }), finalFor(d.callId, 'BYE'), 'the BYE answer');
  }

  /** Waits for the server's BYE on `callId` and answers it 200. */
  async answerBye(callId: string, timeoutMs = 3000): Promise<string> {
    const bye = await this.received(
      (r) => r.startsWith('BYE ') && r.includes(`Call-ID: ${callId}`),
      'the server BYE',
      timeoutMs,
    );
    const reply = [
      'SIP/2.0 200 OK',
      `Via: ${headerOf(bye, 'Via') ?? ''}`,
      `From: ${headerOf(bye, 'From') ?? ''}`,
      `To: ${headerOf(bye, 'To') ?? ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${headerOf(bye, 'CSeq') ?? ''}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    this.sendText(reply);
    return bye;
  }
}

/** A final response to `method` on `callId`. */
export const finalFor =
  (callId: string, method: string) =>
  (r: string): boolean =>
    /^SIP\/2\.0 [2-6]\d\d/.test(r) && r.includes(`Call-ID: ${callId}`) && r.includes(` ${method}\r\n`);

/** A UDP socket on loopback that counts the datagrams it receives (the RTP a call sends). */
export async function rtpCounter(): Promise<{ port: number; count(): number; close(): void }> {
  const socket = dgram.createSocket('udp4');
  let n = 0;
  socket.on('message', () => n++);
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  return {
    port: socket.address().port,
    count: () => n,
    close: () => socket.close(),
  };
}

/** A UDP SIP peer on `host` that answers every INVITE with 486 Busy Here, recording each INVITE it got. */
export interface BusySipPeer {
  readonly socket: dgram.Socket;
  readonly port: number;
  readonly invites: string[];
}

export async function startBusySipPeer(host: string): Promise<BusySipPeer> {
  const socket = dgram.createSocket('udp4');
  const invites: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const text = msg.toString('latin1');
    if (!text.startsWith('INVITE ')) {
      return;
    }
    invites.push(text);
    // RFC 3261 §8.2.6: Via, From, To (with our tag), Call-ID and CSeq copied from the request.
    const header = (name: string): string =>
      text
        .split('\r\n')
        .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
        .join('\r\n');
    const reply = [
      'SIP/2.0 486 Busy Here',
      header('Via'),
      header('From'),
      `${header('To')};tag=busy1`,
      header('Call-ID'),
      header('CSeq'),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.send(Buffer.from(reply, 'latin1'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { socket, port: socket.address().port, invites };
}
