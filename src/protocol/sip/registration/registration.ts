/**
 * One outbound registration binding as a sans-I/O state machine (RFC 3261 §10.2): REGISTER with our
 * Contact, digest answers to 401/407 (§22.2, RFC 2617/7616 via {@link DigestClient}), the granted expiry
 * read from the 200 (the Contact's `expires` for our binding, else `Expires`, §10.2.4), refresh before it
 * runs out, 423 Interval Too Brief answered with the registrar's Min-Expires (§10.3 step 7), re-register
 * after a failure with capped exponential backoff, and unregister (`Expires: 0`) on stop (§10.2.2).
 * One Call-ID and From tag per binding for its whole life, CSeq +1 on every REGISTER (§10.2).
 *
 * Input: `(event, nowMs)`; output: effects (send this REGISTER, arm or cancel the one timer, state
 * changed). The caller runs the transaction layer and the timer and feeds back what happened.
 *
 * Refresh: at `max(granted / 2, granted - 30 s)` after the 200 (a 3600 s binding refreshes 30 s early,
 * a 60 s one at 30 s). Backoff after a failure (timeout, transport error, a final status other than
 * 2xx/401/407/423, or a challenge loop): `min(base * 2^(n-1), max)` for the n-th failure in a row,
 * default 2, 4, 8, 16, 32, 64, 128, 256, 300, 300 … s; a 503 or 5xx with Retry-After waits at least that.
 * A success resets the count.
 *
 * Behind a NAT (docs/nat.md, with `contactAt`): the 200's top Via tells where the registrar saw us from
 * (`received`, and `rport` as RFC 3581 §4 fills it). When that is not our Contact's host:port, the binding
 * registers again at once with a Contact at that public address (and the old one with `expires=0`), so
 * the registrar's calls reach the NAT's mapping. A `flow-failed` event (a keep-alive got no answer)
 * re-registers at once instead of waiting for the refresh.
 */
import { buildRequest, type LocalVia } from '../build-request.js';
import { DigestClient } from '../digest/digest-client.js';
import { parseDigestParams } from '../digest/digest-params.js';
import { findParam } from '../header-params.js';
import { getContacts, getHeader, getTopVia } from '../headers.js';
import type { SipHeader, SipRequest, SipResponse } from '../sip-message.types.js';
import { viaReceived, viaRport } from '../via.js';

/** Where a binding stands. */
export type RegistrationState =
  'idle' | 'registering' | 'registered' | 'retrying' | 'unregistering' | 'stopped';

/** What the binding is configured with. */
export interface RegistrationConfig {
  /** Request-URI of the REGISTER: the registrar's domain, e.g. `sip:pbx.example.com:5060` (§10.2). */
  readonly registrarUri: string;
  /** The address-of-record, e.g. `sip:alice@pbx.example.com` (To and From). */
  readonly aor: string;
  /** Our Contact value, e.g. `<sip:alice-3f1a@192.0.2.10:5060>`. */
  readonly contact: string;
  /**
   * Our Contact at another host and port: given, the binding learns its public address from the 200's
   * Via `received`/`rport` (RFC 3581) and registers that Contact instead. Absent: the Contact stays.
   */
  readonly contactAt?: (host: string, port: number) => string;
  readonly username: string;
  readonly password: string;
  /** Only answer challenges for this realm (absent: any realm). */
  readonly realm?: string;
  /** Expiry we ask for, seconds (> 0). */
  readonly expiresSec: number;
  readonly callId: string;
  readonly fromTag: string;
  /** A fresh Via (new branch) for each REGISTER. */
  readonly via: () => LocalVia;
  /** A fresh digest cnonce. */
  readonly cnonce: () => string;
  /** First backoff step, ms. Default 2000. */
  readonly backoffBaseMs?: number;
  /** Longest backoff step, ms. Default 300 000. */
  readonly backoffMaxMs?: number;
}

/** An event fed to the machine. */
export type RegistrationEvent =
  | { readonly type: 'start' }
  | { readonly type: 'response'; readonly response: SipResponse }
  /** The REGISTER's transaction timed out (Timer F) or its transport failed. */
  | { readonly type: 'failed'; readonly reason: 'timeout' | 'transport-error' }
  /** The timer armed last fired. */
  | { readonly type: 'timer' }
  /** The flow to the registrar failed (a CRLF keep-alive got no pong, RFC 5626 §4.4.1): register now. */
  | { readonly type: 'flow-failed' }
  | { readonly type: 'stop' };

/** What went wrong last: a status (403, 408 for a timeout…) and a short reason. */
export interface RegistrationError {
  readonly status: number | undefined;
  readonly reason: string;
}

/** A readable snapshot (logs, the REST endpoint). */
export interface RegistrationSnapshot {
  readonly state: RegistrationState;
  /** Monotonic ms when the binding runs out, while registered. */
  readonly expiresAtMs: number | undefined;
  /** The expiry the registrar granted last, s. */
  readonly grantedSec: number | undefined;
  readonly lastError: RegistrationError | undefined;
  /** Failures in a row since the last success. */
  readonly failures: number;
  /** Monotonic ms of the next REGISTER (refresh or retry), when one is planned. */
  readonly nextAttemptAtMs: number | undefined;
}

/** An effect for the caller to carry out. */
export type RegistrationEffect =
  | { readonly type: 'send'; readonly request: SipRequest }
  | { readonly type: 'arm-timer'; readonly delayMs: number }
  | { readonly type: 'cancel-timer' }
  | {
      readonly type: 'state';
      readonly from: RegistrationState;
      readonly to: RegistrationState;
      readonly snapshot: RegistrationSnapshot;
    };

const DEFAULT_BACKOFF_BASE_MS = 2000;
const DEFAULT_BACKOFF_MAX_MS = 300_000;
/** Challenges answered per REGISTER round: one, plus one more when the registrar says the nonce was stale. */
const MAX_CHALLENGES = 2;

/** The refresh delay for a granted expiry (s → ms): `max(granted/2, granted-30)`. */
export function refreshDelayMs(grantedSec: number): number {
  return Math.max(grantedSec / 2, grantedSec - 30) * 1000;
}

/** The n-th (1-based) backoff step, ms. */
export function backoffMs(
  failures: number,
  baseMs = DEFAULT_BACKOFF_BASE_MS,
  maxMs = DEFAULT_BACKOFF_MAX_MS,
): number {
  return Math.min(baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)), maxMs);
}

function uriOf(contact: string): string {
  const m = /<([^>]*)>/.exec(contact);
  return (m?.[1] ?? contact).trim();
}

/** `sip:user@host:port;params` → `user@host:port` lower-cased, to match our binding in a 200's Contacts. */
function bindingKey(uri: string): string {
  return (uri.replace(/^sips?:/i, '').split(';')[0] ?? '').toLowerCase();
}

function nonNegativeInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d{1,10}\s*$/.test(text)) {
    return undefined;
  }
  return Number(text.trim());
}

/** One registration binding. */
export class Registration {
  readonly #cfg: RegistrationConfig;
  readonly #digest: DigestClient;
  #state: RegistrationState = 'idle';
  #cseq = 0;
  /** The expiry we ask for; raised by a 423. */
  #askSec: number;
  #grantedSec: number | undefined;
  #expiresAtMs: number | undefined;
  #nextAttemptAtMs: number | undefined;
  #failures = 0;
  #lastError: RegistrationError | undefined;
  /** The REGISTER in flight (its CSeq tells its responses from stale ones). */
  #pending: SipRequest | undefined;
  #challenges = 0;
  #timerArmed = false;
  /** The Contact we register (the configured one until a NAT's public address is learnt). */
  #contact: string;
  /** A Contact we replaced, removed (`expires=0`) with the next REGISTER. */
  #staleContact: string | undefined;

  constructor(cfg: RegistrationConfig) {
    this.#cfg = cfg;
    this.#contact = cfg.contact;
    this.#askSec = cfg.expiresSec;
    this.#digest = new DigestClient({ username: cfg.username, password: cfg.password }, cfg.cnonce);
  }

  get state(): RegistrationState {
    return this.#state;
  }

  /** The Contact registered (or being registered) now. */
  get contact(): string {
    return this.#contact;
  }

  snapshot(): RegistrationSnapshot {
    return {
      state: this.#state,
      expiresAtMs: this.#state === 'registered' ? this.#expiresAtMs : undefined,
      grantedSec: this.#grantedSec,
      lastError: this.#lastError,
      failures: this.#failures,
      nextAttemptAtMs: this.#nextAttemptAtMs,
    };
  }

  /** Feeds one event; returns what to do. */
  input(event: RegistrationEvent, nowMs: number): RegistrationEffect[] {
    const out: RegistrationEffect[] = [];
    switch (event.type) {
      case 'start': {
        if (this.#state === 'idle') {
          this.#register(out, undefined);
        }
        break;
      }
      case 'timer': {
        this.#timerArmed = false;
        this.#nextAttemptAtMs = undefined;
        if (this.#state === 'registered' || this.#state === 'retrying') {
          this.#register(out, undefined);
        }
        break;
      }
      case 'response': {
        this.#onResponse(event.response, out, nowMs);
        break;
      }
      case 'flow-failed': {
        if (this.#state === 'registered' && this.#pending === undefined) {
          this.#cancelTimer(out);
          this.#register(out, undefined);
        }
        break;
      }
      case 'failed': {
        if (this.#pending === undefined) {
          break;
        }
        this.#pending = undefined;
        const error = { status: event.reason === 'timeout' ? 408 : 503, reason: event.reason };
        if (this.#state === 'unregistering') {
          this.#lastError = error;
          this.#to('stopped', out);
        } else {
          this.#onFailure(out, nowMs, error, 0);
        }
        break;
      }
      case 'stop': {
        this.#stop(out);
        break;
      }
    }
    return out;
  }

  #stop(out: RegistrationEffect[]): void {
    if (this.#state === 'stopped' || this.#state === 'unregistering') {
      return;
    }
    this.#cancelTimer(out);
    // Only a binding the registrar may hold needs removing: one granted, or one whose REGISTER is in flight.
    const mayHold =
      this.#state === 'registered' || this.#pending !== undefined || this.#grantedSec !== undefined;
    if (this.#state === 'idle' || !mayHold) {
      this.#pending = undefined;
      this.#to('stopped', out);
      return;
    }
    this.#to('unregistering', out);
    this.#challenges = 0;
    this.#send(out, 0, undefined);
  }

  #register(out: RegistrationEffect[], auth: SipHeader | undefined): void {
    if (this.#state !== 'registered') {
      this.#to('registering', out);
    }
    if (auth === undefined) {
      this.#challenges = 0;
    }
    this.#send(out, this.#askSec, auth);
  }

  #send(out: RegistrationEffect[], expiresSec: number, auth: SipHeader | undefined): void {
    const via = this.#cfg.via();
    const request = buildRequest({
      method: 'REGISTER',
      uri: this.#cfg.registrarUri,
      from: `<${this.#cfg.aor}>`,
      fromTag: this.#cfg.fromTag,
      to: `<${this.#cfg.aor}>`,
      callId: this.#cfg.callId,
      cseq: ++this.#cseq,
      via,
      contact:
        this.#staleContact === undefined
          ? this.#contact
          : `${this.#contact}, ${this.#staleContact};expires=0`,
      headers: [
        { name: 'Expires', value: String(expiresSec) },
        { name: 'Allow', value: 'INVITE, ACK, BYE, CANCEL, OPTIONS' },
        { name: 'User-Agent', value: 'streamfork' },
        ...(auth === undefined ? [] : [auth]),
      ],
    });
    this.#pending = request;
    out.push({ type: 'send', request });
  }

  #onResponse(response: SipResponse, out: RegistrationEffect[], nowMs: number): void {
    const pending = this.#pending;
    const cseq = getHeader(response, 'CSeq')?.trim().split(/\s+/)[0];
    if (pending === undefined || response.status < 200 || cseq !== String(this.#cseq)) {
      return;
    }
    this.#pending = undefined;
    const s = response.status;
    if (s === 401 || s === 407) {
      const refused = this.#answerChallenge(pending, response, out);
      if (refused === undefined) {
        return;
      }
      if (this.#state === 'unregistering') {
        this.#to('stopped', out);
        return;
      }
      this.#onFailure(out, nowMs, { status: s, reason: refused }, 0);
      return;
    }
    if (this.#state === 'unregistering') {
      this.#lastError = s < 300 ? this.#lastError : { status: s, reason: response.reason };
      this.#grantedSec = undefined;
      this.#to('stopped', out);
      return;
    }
    if (s >= 200 && s < 300) {
      this.#onRegistered(response, out, nowMs);
      return;
    }
    if (s === 423) {
      const min = nonNegativeInt(getHeader(response, 'Min-Expires'));
      if (min !== undefined && min > this.#askSec && min <= 86_400 * 7) {
        this.#askSec = min;
        this.#register(out, undefined);
        return;
      }
      this.#onFailure(out, nowMs, { status: s, reason: 'interval too brief, no usable Min-Expires' }, 0);
      return;
    }
    const retryAfter =
      s >= 500 ? nonNegativeInt(getHeader(response, 'Retry-After')?.split(/[;(]/)[0]) : undefined;
    this.#onFailure(out, nowMs, { status: s, reason: response.reason }, (retryAfter ?? 0) * 1000);
  }

  /** Answers a 401/407; the reason when the loop bound is reached or the challenge cannot be answered. */
  #answerChallenge(
    pending: SipRequest,
    response: SipResponse,
    out: RegistrationEffect[],
  ): string | undefined {
    const header = response.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const params = parseDigestParams(getHeader(response, header) ?? '');
    const stale = params?.get('stale')?.toLowerCase() === 'true';
    const realm = params?.get('realm');
    if (this.#cfg.realm !== undefined && realm !== this.#cfg.realm) {
      return `challenge for realm ${realm ?? '(none)'}, not the configured ${this.#cfg.realm}`;
    }
    // A first challenge is expected; a second one means the credentials were refused unless the nonce was stale.
    if (this.#challenges >= MAX_CHALLENGES || (this.#challenges >= 1 && !stale)) {
      return 'credentials refused';
    }
    const auth = this.#digest.authorize(pending, response);
    if (!auth.ok) {
      return `cannot answer the challenge: ${auth.error.detail}`;
    }
    this.#challenges++;
    if (this.#state === 'unregistering') {
      this.#send(out, 0, auth.value);
    } else {
      this.#register(out, auth.value);
    }
    return undefined;
  }

  #onRegistered(response: SipResponse, out: RegistrationEffect[], nowMs: number): void {
    const ours = bindingKey(uriOf(this.#contact));
    const contact = getContacts(response).find((c) => bindingKey(c.uri) === ours);
    const granted =
      nonNegativeInt(contact === undefined ? undefined : findParam(contact.params, 'expires')) ??
      nonNegativeInt(getHeader(response, 'Expires')) ??
      this.#askSec;
    if (granted === 0) {
      // A 200 that lists our binding with expires=0 (or says Expires: 0) did not keep it.
      this.#onFailure(out, nowMs, { status: response.status, reason: 'registrar granted 0 s' }, 0);
      return;
    }
    this.#grantedSec = granted;
    this.#expiresAtMs = nowMs + granted * 1000;
    this.#failures = 0;
    this.#lastError = undefined;
    const delay = refreshDelayMs(granted);
    this.#arm(out, nowMs, delay);
    this.#to('registered', out);
    this.#staleContact = undefined;
    const learnt = this.#learntContact(response);
    if (learnt !== undefined) {
      this.#staleContact = this.#contact;
      this.#contact = learnt;
      this.#cancelTimer(out);
      this.#register(out, undefined);
    }
  }

  /** Our Contact at the public address the 200's Via reports, when that is not where our Contact is. */
  #learntContact(response: SipResponse): string | undefined {
    const via = getTopVia(response);
    const contactAt = this.#cfg.contactAt;
    if (via === undefined || contactAt === undefined) {
      return undefined;
    }
    const rport = viaRport(via);
    const received = viaReceived(via);
    if (received === undefined && typeof rport !== 'number') {
      return undefined;
    }
    const host = received ?? via.host.replace(/^\[|\]$/g, '');
    const port = typeof rport === 'number' ? rport : (via.port ?? 5060);
    const candidate = contactAt(host.includes(':') ? `[${host}]` : host, port);
    return bindingKey(uriOf(candidate)) === bindingKey(uriOf(this.#contact)) ? undefined : candidate;
  }

  #onFailure(out: RegistrationEffect[], nowMs: number, error: RegistrationError, atLeastMs: number): void {
    this.#failures++;
    this.#lastError = error;
    if (this.#expiresAtMs !== undefined && nowMs >= this.#expiresAtMs) {
      this.#grantedSec = undefined;
    }
    const delay = Math.max(
      backoffMs(this.#failures, this.#cfg.backoffBaseMs, this.#cfg.backoffMaxMs),
      Math.min(atLeastMs, this.#cfg.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS),
    );
    this.#arm(out, nowMs, delay);
    this.#to('retrying', out);
  }

  #arm(out: RegistrationEffect[], nowMs: number, delayMs: number): void {
    this.#cancelTimer(out);
    this.#timerArmed = true;
    this.#nextAttemptAtMs = nowMs + delayMs;
    out.push({ type: 'arm-timer', delayMs });
  }

  #cancelTimer(out: RegistrationEffect[]): void {
    if (this.#timerArmed) {
      this.#timerArmed = false;
      this.#nextAttemptAtMs = undefined;
      out.push({ type: 'cancel-timer' });
    }
  }

  #to(state: RegistrationState, out: RegistrationEffect[]): void {
    const from = this.#state;
    this.#state = state;
    if (from !== state || state === 'retrying' || state === 'registered') {
      out.push({ type: 'state', from, to: state, snapshot: this.snapshot() });
    }
  }
}
