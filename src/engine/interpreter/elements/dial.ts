/**
 * `<Dial>`: calls every `<Number>` and `<User>` at once through the `CallDialer` port; the first to
 * answer is bridged with the caller (`dial-bridge.ts`), the others are cancelled. The caller hears
 * silence, a ringback tone (`dialMusic="real"`) or the dial music XML at a URL (`dial-music.ts`) while
 * they ring. When the dial ends, `action`
 * gets DialStatus, DialALegUUID, DialBLegUUID and DialHangupCause and its XML continues the call
 * (`redirect="false"`: it is only told; no action: the next element runs). docs/dial.md.
 */
import type { DialNode, NumberNode, UserNode } from '../../../protocol/plivo-xml/types.js';
import type { CallSession } from '../../call/call-session.js';
import type { LegHangup } from '../../call/media-leg.types.js';
import { fetchXml } from '../fetch-xml.js';
import type { ElementContext, ElementHandler, ElementOutcome } from '../interpreter.types.js';
import { bridgeCalls } from './dial-bridge.js';
import { confirmParty, needsConfirm } from './dial-confirm.js';
import { playDialMusic } from './dial-music.js';
import { RingbackTone } from './dial-ringback.js';
import type { PromptMedia } from './speak.js';
import type { CallDialer, PartyDialRequest, PartyDialResult } from './dial.types.js';

const CONTINUE: ElementOutcome = { next: 'continue' };

/** Ring timeout when `timeout` is absent. */
export const DEFAULT_DIAL_TIMEOUT_SEC = 60;

/** Plivo's DialStatus values. */
export type DialStatus = 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

/** How a `<Dial>` ended, as its action is told. */
export interface DialResult {
  readonly status: DialStatus;
  /** The answered party's UUID, or empty when none answered. */
  readonly bLegUuid: string;
  readonly hangupCause: string;
}

type Party = NumberNode | UserNode;

/** `sipHeaders="a=1,b=2"` → `X-PH-a: 1`, `X-PH-b: 2` (Plivo's prefix). */
export function sipHeadersOf(text: string | undefined): { name: string; value: string }[] {
  if (text === undefined || text === '') {
    return [];
  }
  return text.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    return { name: `X-PH-${pair.slice(0, eq)}`, value: pair.slice(eq + 1) };
  });
}

function param(ctx: ElementContext, name: string): string | undefined {
  return ctx.callParams().find(([key]) => key === name)?.[1];
}

function requestFor(
  node: DialNode,
  party: Party,
  ctx: ElementContext,
  signal: AbortSignal,
): PartyDialRequest {
  const callerName = party.callerName ?? node.callerName;
  return {
    to: party.element === 'Number' ? party.number : party.uri,
    from: party.callerId ?? node.callerId ?? param(ctx, 'From') ?? 'streamfork',
    ...(callerName === undefined ? {} : { callerName }),
    timeoutSec: node.timeoutSec ?? DEFAULT_DIAL_TIMEOUT_SEC,
    timeLimitSec: node.timeLimitSec,
    headers: [
      ...sipHeadersOf(node.sipHeaders),
      ...sipHeadersOf(party.element === 'User' ? party.sipHeaders : undefined),
    ],
    parentCallUuid: ctx.call.callUuid,
    signal,
  };
}

/** The DialStatus of a dial nobody answered, from its parties' causes. */
export function statusOfFailures(causes: readonly string[]): { status: DialStatus; cause: string } {
  const pick = (want: readonly string[]): string | undefined => causes.find((c) => want.includes(c));
  const busy = pick(['USER_BUSY']);
  if (busy !== undefined) {
    return { status: 'busy', cause: busy };
  }
  const noAnswer = pick(['NO_ANSWER', 'RECOVERY_ON_TIMER_EXPIRE']);
  if (noAnswer !== undefined) {
    return { status: 'no-answer', cause: noAnswer };
  }
  const canceled = pick(['ORIGINATOR_CANCEL']);
  if (canceled !== undefined && causes.every((c) => c === 'ORIGINATOR_CANCEL')) {
    return { status: 'canceled', cause: canceled };
  }
  return { status: 'failed', cause: causes[0] ?? 'NORMAL_TEMPORARY_FAILURE' };
}

type Ringing =
  | { readonly kind: 'answered'; readonly call: CallSession; readonly party: Party }
  | { readonly kind: 'failed'; readonly causes: readonly string[] };

/**
 * Rings every party at once; resolves with the first to answer (and confirm, with confirmKey or
 * confirmSound) — the others cancelled — or with every failure.
 */
function ringAll(
  node: DialNode,
  ctx: ElementContext,
  dialer: CallDialer,
  media: PromptMedia | undefined,
): Promise<Ringing> {
  const parties = node.children;
  const aborts = parties.map(() => new AbortController());
  const cancelAll = (except: number): void => {
    aborts.forEach((c, i) => {
      if (i !== except) {
        c.abort();
      }
    });
  };
  const onCallerGone = (): void => {
    cancelAll(-1);
  };
  ctx.signal.addEventListener('abort', onCallerGone, { once: true });
  return new Promise<Ringing>((resolve) => {
    let pending = parties.length;
    let won = false;
    const causes: string[] = [];
    const canWin = (): boolean => !won && !ctx.signal.aborted && !ctx.call.closed;
    const done = (): void => {
      pending--;
      if (pending === 0 && !won) {
        ctx.signal.removeEventListener('abort', onCallerGone);
        resolve({ kind: 'failed', causes });
      }
    };
    const win = (i: number, party: Party, call: CallSession): void => {
      won = true;
      cancelAll(i);
      ctx.signal.removeEventListener('abort', onCallerGone);
      resolve({ kind: 'answered', call, party });
    };
    const settle = (i: number, party: Party, signal: AbortSignal, res: PartyDialResult): void => {
      if (!res.ok) {
        causes.push(res.cause);
        done();
        return;
      }
      if (!canWin()) {
        // Answered after another party won (or after the caller left): it lost the race.
        res.call.hangup('LOSE_RACE', 'server');
        done();
        return;
      }
      if (!needsConfirm(node)) {
        win(i, party, res.call);
        done();
        return;
      }
      void confirmParty(node, ctx, media, res.call, signal).then((confirmed) => {
        if (confirmed && canWin()) {
          win(i, party, res.call);
        } else {
          const cause = won ? 'LOSE_RACE' : ctx.signal.aborted ? 'ORIGINATOR_CANCEL' : 'NO_ANSWER';
          res.call.hangup(cause, 'server');
          causes.push(cause);
        }
        done();
      });
    };
    parties.forEach((party, i) => {
      const signal = aborts[i]?.signal ?? ctx.signal;
      void dialer.dial(requestFor(node, party, ctx, signal)).then(
        (res) => {
          settle(i, party, signal, res);
        },
        () => {
          settle(i, party, signal, { ok: false, callUuid: '', cause: 'Internal Error' });
        },
      );
    });
  });
}

/**
 * `digitsMatch`/`digitsMatchBLeg`: watches one side's keys for any of the comma-separated digit strings;
 * a match is reported (and the watch starts over).
 */
export class DigitMatcher {
  readonly #patterns: readonly string[];
  readonly #longest: number;
  #recent = '';

  constructor(spec: string) {
    this.#patterns = spec.split(',').filter((p) => p !== '');
    this.#longest = Math.max(0, ...this.#patterns.map((p) => p.length));
  }

  /** Adds a key; returns the digit string it completed, if any. */
  press(digit: string): string | undefined {
    this.#recent = (this.#recent + digit).slice(-this.#longest);
    const hit = this.#patterns.find((p) => this.#recent.endsWith(p));
    if (hit !== undefined) {
      this.#recent = '';
    }
    return hit;
  }
}

/** Reports `digitsMatch`/`digitsMatchBLeg` hits to callbackUrl while bridged; returns the unhook. */
function watchDigits(node: DialNode, ctx: ElementContext, party: CallSession): () => void {
  const url = node.callbackUrl;
  const hooks: (() => void)[] = [];
  const watch = (call: CallSession, spec: string | undefined, param: string): void => {
    if (url === undefined || spec === undefined) {
      return;
    }
    const matcher = new DigitMatcher(spec);
    const onKey = (digit: string): void => {
      const hit = matcher.press(digit);
      if (hit !== undefined) {
        notify(ctx, url, node.callbackMethod, [
          ['DialAction', 'digits'],
          ['DialALegUUID', ctx.call.callUuid],
          ['DialBLegUUID', party.callUuid],
          [param, hit],
        ]);
      }
    };
    call.on('dtmf', onKey);
    hooks.push(() => {
      call.off('dtmf', onKey);
    });
  };
  watch(ctx.call, node.digitsMatch, 'DialDigitsMatch');
  watch(party, node.digitsMatchBLeg, 'DialDigitsMatchBLeg');
  return () => {
    for (const unhook of hooks) {
      unhook();
    }
  };
}

type BridgeEnd =
  { readonly by: 'party'; readonly hangup: LegHangup } | { readonly by: 'star' } | { readonly by: 'caller' };

/** Bridges the caller with the party until one of them leaves or the caller presses `*`. */
async function bridge(node: DialNode, ctx: ElementContext, party: CallSession): Promise<DialResult> {
  const a = ctx.call;
  let stop: () => void = () => undefined;
  const end = await new Promise<BridgeEnd>((resolve) => {
    if (party.closed) {
      resolve({ by: 'party', hangup: party.hangupInfo ?? { cause: 'NORMAL_CLEARING', source: 'callee' } });
      return;
    }
    const onPartyEnded = (hangup: LegHangup): void => {
      resolve({ by: 'party', hangup });
    };
    const onCallerGone = (): void => {
      resolve({ by: 'caller' });
    };
    const link = bridgeCalls(a, party, {
      hangupOnStar: node.hangupOnStar,
      onStar: () => {
        resolve({ by: 'star' });
      },
    });
    party.on('ended', onPartyEnded);
    ctx.signal.addEventListener('abort', onCallerGone, { once: true });
    a.reportBridge(party, true);
    const unwatch = watchDigits(node, ctx, party);
    stop = () => {
      unwatch();
      link.close();
      party.off('ended', onPartyEnded);
      ctx.signal.removeEventListener('abort', onCallerGone);
    };
  });
  stop();
  a.reportBridge(party, false);
  if (end.by !== 'party') {
    // The caller left or pressed *: the party is hung up from the caller's side.
    party.hangup('NORMAL_CLEARING', 'caller');
  }
  const cause = end.by === 'party' ? end.hangup.cause : (party.hangupInfo?.cause ?? 'NORMAL_CLEARING');
  return { status: 'completed', bLegUuid: party.callUuid, hangupCause: cause };
}

/** Fire-and-forget request (callbackUrl, or action with redirect="false"): the answer is not run. */
function notify(ctx: ElementContext, url: string, method: 'GET' | 'POST', params: [string, string][]): void {
  void fetchXml({
    http: ctx.http,
    random: ctx.random,
    authToken: ctx.authToken,
    url,
    method,
    params: [...ctx.callParams(), ...params],
    attempts: 1,
    timeoutMs: ctx.fetchTimeoutMs,
  }).then((res) => {
    if (!res.ok) {
      ctx.logger.warn({ url, cause: res.cause, detail: res.detail }, '<Dial> notification failed');
    }
  });
}

function partyCallback(
  node: DialNode,
  ctx: ElementContext,
  action: 'answer' | 'hangup',
  party: CallSession,
): void {
  if (node.callbackUrl === undefined) {
    return;
  }
  notify(ctx, node.callbackUrl, node.callbackMethod, [
    ['DialAction', action],
    ['DialALegUUID', ctx.call.callUuid],
    ['DialBLegUUID', party.callUuid],
    ['DialBLegStatus', action],
    ...(action === 'hangup'
      ? ([['DialBLegHangupCause', party.hangupInfo?.cause ?? 'NORMAL_CLEARING']] as [string, string][])
      : []),
  ]);
}

/** Starts what the caller hears while the parties ring; the returned function stops it. */
function startDialMusic(node: DialNode, ctx: ElementContext, media: PromptMedia | undefined): () => void {
  const music = node.dialMusic;
  if (music === 'real') {
    const tone = new RingbackTone();
    ctx.call.addSource(tone);
    return () => {
      ctx.call.removeSource(tone);
    };
  }
  if (music === undefined || media === undefined) {
    return () => undefined;
  }
  const stop = new AbortController();
  const onCallerGone = (): void => {
    stop.abort();
  };
  ctx.signal.addEventListener('abort', onCallerGone, { once: true });
  void playDialMusic(music, ctx, media, stop.signal);
  return () => {
    ctx.signal.removeEventListener('abort', onCallerGone);
    stop.abort();
  };
}

/** Runs one `<Dial>`: ring, bridge, then what its action says. */
export async function runDial(
  node: DialNode,
  ctx: ElementContext,
  dialer: CallDialer,
  media?: PromptMedia,
): Promise<DialResult> {
  const stopMusic = startDialMusic(node, ctx, media);
  let ringing: Ringing;
  try {
    ringing = await ringAll(node, ctx, dialer, media);
  } finally {
    stopMusic();
  }
  if (ringing.kind === 'failed') {
    const { status, cause } = statusOfFailures(ringing.causes);
    ctx.logger.info({ path: node.path, status, cause }, '<Dial> nobody answered');
    return { status, bLegUuid: '', hangupCause: cause };
  }
  const party = ringing.call;
  ctx.logger.info({ path: node.path, bLegUuid: party.callUuid }, '<Dial> answered; bridging');
  partyCallback(node, ctx, 'answer', party);
  const digits = ringing.party.sendDigits;
  if (digits !== undefined) {
    party.leg.sendDtmf(digits);
  }
  const result = await bridge(node, ctx, party);
  partyCallback(node, ctx, 'hangup', party);
  ctx.logger.info({ path: node.path, cause: result.hangupCause }, '<Dial> bridge ended');
  return result;
}

/** The `<Dial>` handler on a dialer; `media` plays a `dialMusic` URL (without it: silence). */
export function dialHandler(dialer: CallDialer, media?: PromptMedia): ElementHandler<DialNode> {
  return async (node, ctx) => {
    const result = await runDial(node, ctx, dialer, media);
    if (node.action === undefined) {
      return CONTINUE;
    }
    const params: [string, string][] = [
      ['DialStatus', result.status],
      ['DialALegUUID', ctx.call.callUuid],
      ['DialBLegUUID', result.bLegUuid],
      ['DialHangupCause', result.hangupCause],
    ];
    if (!node.redirect || ctx.signal.aborted || ctx.call.closed) {
      // The caller has left (or redirect="false"): the action is told, its XML is not run.
      notify(ctx, node.action, node.method, params);
      return CONTINUE;
    }
    return { next: 'fetch', url: node.action, method: node.method, params };
  };
}
