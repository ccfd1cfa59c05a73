/**
 * The soak's call scenarios (issue 11), one async function per kind. Each places its call through the
 * shared UAC, plays its part for a bounded time and resolves with what it saw; none throws on a server
 * answer it did not expect (a hostile call answered 200 is hung up by us and reported, not an error).
 */
import type { Kind, SoakApp } from './app.js';
import type { Call, Final, Uac } from './uac.js';

export interface Outcome {
  readonly id: number;
  readonly kind: Kind;
  /** Final status of the initial INVITE (0: none within Timer B; -1: no INVITE, e.g. malformed SIP). */
  status: number;
  /** Final statuses of our re-INVITEs, in order. */
  reinvites: number[];
  /** The server sent BYE (for a vanished caller: seconds after the caller vanished). */
  serverBye: boolean;
  vanishToByeS: number | null;
  /** Final status of our BYE (0: none; null: not sent). */
  bye: number | null;
  digitsSent: number;
  rtpSent: number;
  rtpReceived: number;
  error: string | null;
}

export interface ScenarioEnv {
  readonly uac: Uac;
  readonly app: SoakApp;
  /** How long a vanished caller's call may take to be ended by the server (hold timeout + margin), ms. */
  readonly vanishWaitMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function outcome(id: number, kind: Kind): Outcome {
  return {
    id,
    kind,
    status: 0,
    reinvites: [],
    serverBye: false,
    vanishToByeS: null,
    bye: null,
    digitsSent: 0,
    rtpSent: 0,
    rtpReceived: 0,
    error: null,
  };
}

const ok = (f: Final | null): boolean => f !== null && f.status >= 200 && f.status < 300;

/** Hangs up unless the server already did. */
async function hangUp(call: Call, o: Outcome): Promise<void> {
  call.source = 'off';
  if (call.serverByeAt > 0) {
    o.serverBye = true;
    return;
  }
  const f = await call.bye();
  o.bye = f?.status ?? 0;
  o.serverBye = call.serverByeAt > 0;
}

/** Talks (tone) for `ms`, or stops early when the server hangs up. */
async function talk(call: Call, ms: number, source: Call['source'] = 'tone'): Promise<void> {
  call.source = source;
  await call.waitServerBye(ms);
}

async function normal(call: Call, o: Outcome): Promise<void> {
  const f = await call.invite(call.sdp());
  o.status = f?.status ?? 0;
  if (ok(f)) {
    await talk(call, 20_000);
    await hangUp(call, o);
  }
}

const DIGITS = '1234567890*#';

async function dtmf(call: Call, o: Outcome): Promise<void> {
  const f = await call.invite(call.sdp({ dtmf: true }));
  o.status = f?.status ?? 0;
  if (!ok(f)) {
    return;
  }
  call.source = 'tone';
  for (let burst = 0; burst < 9 && call.serverByeAt === 0; burst++) {
    const from = (burst * 4) % DIGITS.length;
    call.sendDigits(DIGITS.slice(from, from + 4));
    await call.waitServerBye(2_000);
  }
  while (call.dtmfPending > 0 && call.serverByeAt === 0) {
    await sleep(100);
  }
  await call.waitServerBye(1_000);
  await hangUp(call, o);
}

/** The caller stays quiet while the app speaks, then talks over it (barge-in), now and then lets a turn finish. */
async function barge(call: Call, o: Outcome): Promise<void> {
  const f = await call.invite(call.sdp());
  o.status = f?.status ?? 0;
  if (!ok(f)) {
    return;
  }
  const end = Date.now() + 30_000;
  while (Date.now() < end && call.serverByeAt === 0) {
    await talk(call, 1_500, 'silence');
    await talk(call, 1_200, 'tone');
    await talk(call, 4_500, 'silence');
  }
  await hangUp(call, o);
}

/** Hold with a=inactive, then a=sendonly, then back to sendrecv. */
async function held(call: Call, o: Outcome): Promise<void> {
  const f = await call.invite(call.sdp());
  o.status = f?.status ?? 0;
  if (!ok(f)) {
    return;
  }
  await talk(call, 5_000);
  for (const [dir, source] of [
    ['inactive', 'off'],
    ['sendonly', 'tone'],
    ['sendrecv', 'tone'],
  ] as const) {
    if (call.serverByeAt > 0) {
      break;
    }
    const r = await call.reinvite(dir);
    o.reinvites.push(r?.status ?? 0);
    await talk(call, 5_000, source);
  }
  await hangUp(call, o);
}

/** Hold with a=inactive, then the caller vanishes: only the server's hold timeout can end the call. */
async function heldVanish(call: Call, o: Outcome, env: ScenarioEnv): Promise<void> {
  const f = await call.invite(call.sdp());
  o.status = f?.status ?? 0;
  if (!ok(f)) {
    return;
  }
  await talk(call, 3_000);
  const r = await call.reinvite('inactive');
  o.reinvites.push(r?.status ?? 0);
  const vanishedAt = Date.now();
  call.vanish();
  o.serverBye = await call.waitServerBye(env.vanishWaitMs);
  o.vanishToByeS = o.serverBye ? Math.round((call.serverByeAt - vanishedAt) / 100) / 10 : null;
}

/** A hostile offer or Request-URI: whatever the answer, a 2xx is hung up after a short while. */
async function hostile(call: Call, o: Outcome, sdp: string | null, ruri?: string): Promise<void> {
  const f = await call.invite(sdp, ruri);
  o.status = f?.status ?? 0;
  if (ok(f)) {
    await talk(call, 4_000, call.remoteRtpPort > 0 ? 'tone' : 'off');
    await hangUp(call, o);
  }
}

/** A good call whose answer document is bad: the server should end it with an error on the record. */
async function badXml(call: Call, o: Outcome): Promise<void> {
  const f = await call.invite(call.sdp());
  o.status = f?.status ?? 0;
  if (ok(f)) {
    await talk(call, 10_000);
    await hangUp(call, o);
  }
}

/** Malformed SIP datagrams (no call): each should be dropped or answered 400, never crash the server. */
export function malformedDatagrams(id: number, localPort: number): string[] {
  const tag = `m${id}`;
  const via = `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${tag}`;
  return [
    'INVITE sip:soak@127.0.0.1 SIP/2.0\r\n\r\n',
    `OPTIONS sip:soak@127.0.0.1 SIP/2.0\r\n${via}\r\nCSeq: abc OPTIONS\r\nCall-ID: ${tag}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 0\r\n\r\n`,
    `INVITE sip:soak@127.0.0.1 SIP/2.0\r\n${via}\r\nCSeq: 1 INVITE\r\nCall-ID: ${tag}-cl\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 99999\r\n\r\nv=0\r\n`,
    `INVITE sip:soak@127.0.0.1 SIP/2.0\r\n${via}\r\nthis line has no colon\r\nCall-ID: ${tag}-nc\r\n\r\n`,
    `\u0000\u0001\u00ff garbage ${'%'.repeat(64)}\r\n\r\n`,
    `SIP/2.0 200 OK\r\n${via}\r\nCSeq: 7 INVITE\r\nCall-ID: ${tag}-stray\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nContent-Length: 0\r\n\r\n`,
    `OPTIONS sip:soak@127.0.0.1 SIP/2.0\r\n${via}\r\nX-Long: ${'x'.repeat(8000)}\r\nCSeq: 1 OPTIONS\r\nCall-ID: ${tag}-long\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 0\r\n\r\n`,
  ];
}

/** Runs one scenario of `kind` as call `id`. */
export async function runScenario(env: ScenarioEnv, id: number, kind: Kind): Promise<Outcome> {
  const o = outcome(id, kind);
  if (kind === 'malformed') {
    for (const d of malformedDatagrams(id, env.uac.localPort)) {
      env.uac.send(Buffer.from(d, 'latin1'));
    }
    o.status = -1;
    return o;
  }
  const call = await env.uac.newCall(id, kind !== 'bad-port');
  try {
    switch (kind) {
      case 'normal':
        await normal(call, o);
        break;
      case 'dtmf':
        await dtmf(call, o);
        break;
      case 'barge':
        await barge(call, o);
        break;
      case 'held':
        await held(call, o);
        break;
      case 'held-vanish':
        await heldVanish(call, o, env);
        break;
      case 'bad-port':
        await hostile(call, o, call.sdp({ port: 99999 }));
        break;
      case 'bad-addr':
        await hostile(call, o, call.sdp({ addr: '999.1.1.1' }));
        break;
      case 'no-sdp':
        call.offerlessInvite = call.cseq;
        await hostile(call, o, null);
        break;
      case 'tel-uri':
        await hostile(call, o, call.sdp(), 'tel:+15551234567');
        break;
      case 'bad-xml':
        await badXml(call, o);
        break;
    }
  } catch (e) {
    o.error = String(e);
  } finally {
    call.source = 'off';
    o.digitsSent = call.digitsSent;
    o.rtpSent = call.rtpSent;
    o.rtpReceived = call.rtpReceived;
    o.serverBye ||= call.serverByeAt > 0;
    call.closeRtp();
    env.uac.forget(call);
  }
  return o;
}
