/**
 * `streamfork call --sip sip:user@host:port`: a small UAC built from the SIP modules. It starts a local
 * SipServer (built by the caller's factory) on a free loopback port, dials the target with our PCMU/PCMA offer, sends the caller's audio
 * as RTP paced by the shared media clock (20 ms), records what comes back, sends DTMF (RFC 4733) at the
 * given times, and hangs up (BYE) after the duration. The answer URL belongs to the server called.
 */
import type { AppRuntime } from '../runtime.js';
import type { VirtualCallEvent } from '../virtual-call.js';
import { BufferSource, RecordingLeg } from './caller-leg.js';
import type { SipServerFactory } from './sip-server.js';

/** Options of {@link runSipCall}. */
export interface SipLegOptions {
  /** sip:user@host:port of the server to call. */
  readonly target: string;
  readonly from?: string;
  /** 8 kHz mono caller audio. */
  readonly callerAudio: Int16Array;
  /** Hang up after this long. Default: the lead-in plus the caller audio plus 3 s. */
  readonly durationMs?: number;
  readonly dtmf?: readonly { readonly digit: string; readonly atMs: number }[];
  /**
   * The caller starts speaking this long after the answer, as people do; audio sent before the far end's
   * `<Stream>` connects would never reach its app. Default 1000 ms.
   */
  readonly leadInMs?: number;
  /** Local address for SIP and RTP. Default 127.0.0.1. */
  readonly localHost?: string;
  readonly onEvent?: (event: VirtualCallEvent) => void;
}

/** What happened on the call. */
export interface SipCallerResult {
  readonly ok: boolean;
  readonly callUuid: string | undefined;
  readonly durationMs: number;
  readonly hangupCause: string;
  readonly hangupSource: string;
  readonly sipStatus: number | undefined;
  /** What the far end sent back (8 kHz mono); empty when the call failed. */
  readonly heard: Int16Array;
  /** 20 ms frames that carried audio from the far end. */
  readonly audioFrames: number;
  readonly sentDtmf: readonly string[];
}

/**
 * Places one SIP call from a local user agent built by `newSipServer` (the composition root's
 * `composeSipServer`); resolves when it ended. Never rejects on call failure.
 */
export async function runSipCall(
  runtime: AppRuntime,
  newSipServer: SipServerFactory,
  opts: SipLegOptions,
): Promise<SipCallerResult> {
  const { clock, timers, random } = runtime.ports;
  const host = opts.localHost ?? '127.0.0.1';
  const started = clock.monotonicMs();
  const elapsed = (): number => Math.round(clock.monotonicMs() - started);
  const emit = (type: string, detail?: Record<string, unknown>): void => {
    opts.onEvent?.({ t: elapsed(), type, ...(detail === undefined ? {} : { detail }) });
  };
  const portMin = 30000 + 2 * random.int(10000);
  const server = newSipServer({
    logger: runtime.logger,
    sip: {
      host,
      port: 0,
      transports: ['udp'],
      publicAddress: null,
      allowFrom: ['0.0.0.0/0', '::/0'],
      inboundAuth: null,
      trunk: null,
    },
    rtp: { host, portMin, portMax: portMin + 99, recvBufferBytes: 256 * 1024 },
    onInboundCall: (call) => {
      call.hangup('CALL_REJECTED', 'server');
    },
  });
  await server.start();
  let recorder: RecordingLeg | undefined;
  emit('dialing', { to: opts.target });
  try {
    const dialed = await server.dial({
      to: opts.target,
      from: opts.from ?? 'streamfork-cli',
      timeoutSec: 30,
      wrapLeg: (leg) => (recorder = new RecordingLeg(leg)),
    });
    if (!dialed.ok) {
      emit('callFailed', {
        cause: dialed.cause,
        ...(dialed.sipStatus === undefined ? {} : { sipStatus: dialed.sipStatus }),
      });
      return {
        ok: false,
        callUuid: undefined,
        durationMs: elapsed(),
        hangupCause: dialed.cause,
        hangupSource: 'callee',
        sipStatus: dialed.sipStatus,
        heard: new Int16Array(0),
        audioFrames: 0,
        sentDtmf: [],
      };
    }
    const call = dialed.call;
    emit('callStarted', { callUuid: call.callUuid });
    const leadInMs = opts.leadInMs ?? 1000;
    const speak = timers.after(leadInMs, () => {
      call.addSource(new BufferSource(opts.callerAudio));
    });
    const sentDtmf: string[] = [];
    const ended = new Promise<void>((resolve) => {
      call.on('ended', (h) => {
        emit('callEnded', { cause: h.cause, source: h.source });
        resolve();
      });
    });
    const handles = [
      speak,
      timers.after(opts.durationMs ?? leadInMs + Math.round(opts.callerAudio.length / 8) + 3000, () => {
        call.hangup('NORMAL_CLEARING', 'caller');
      }),
      ...(opts.dtmf ?? []).map((press) =>
        timers.after(press.atMs, () => {
          sentDtmf.push(press.digit);
          emit('callerDtmf', { digit: press.digit });
          call.leg.sendDtmf(press.digit);
        }),
      ),
    ];
    call.on('dtmf', (digit) => {
      emit('dtmf', { digit });
    });
    await ended;
    for (const h of handles) {
      h.cancel();
    }
    const hangup = call.hangupInfo ?? { cause: 'NORMAL_CLEARING', source: 'caller' };
    return {
      ok: true,
      callUuid: call.callUuid,
      durationMs: elapsed(),
      hangupCause: hangup.cause,
      hangupSource: hangup.source,
      sipStatus: 200,
      heard: recorder?.recorded() ?? new Int16Array(0),
      audioFrames: recorder?.audioFrames ?? 0,
      sentDtmf,
    };
  } finally {
    await server.stop('NORMAL_CLEARING');
  }
}

/** The human summary lines, in the style of the virtual call's. */
export function describeSipCall(
  r: SipCallerResult,
  target: string,
  recordFile: string | undefined,
): string[] {
  const lines = [
    '',
    r.ok
      ? `SIP call ${r.callUuid ?? ''} to ${target}: ${(r.durationMs / 1000).toFixed(1)} s, hangup cause ${r.hangupCause} (${r.hangupSource})`
      : `SIP call to ${target} failed: ${r.hangupCause}${r.sipStatus === undefined ? '' : ` (SIP ${r.sipStatus})`}`,
    `audio back: ${((r.audioFrames * 20) / 1000).toFixed(1)} s in ${r.audioFrames} frames; DTMF sent: ${r.sentDtmf.join('') || 'none'}`,
  ];
  if (recordFile !== undefined && r.ok) {
    lines.push(`heard ${(r.heard.length / 8000).toFixed(1)} s of audio -> ${recordFile}`);
  }
  return lines;
}
