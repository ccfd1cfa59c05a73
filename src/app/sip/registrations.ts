/**
 * Outbound registrations (config `sip.registrations`): one {@link Registration} machine per entry, run
 * through the SIP transaction layer (the shared {@link SipContext}) and the runtime's timers. Logs every
 * state change (registrar and state; the username only under `pii`, the password never), answers which
 * inbound requests a binding admits (docs/sip.md#registration) and unregisters on stop, bounded.
 */
import { isIP } from 'node:net';

import type { TimerHandle } from '../../ports/clock.js';
import type { RegistrationView } from '../../ports/registration-status.js';
import type { TargetResolver } from '../../ports/target-resolver.js';
import {
  Registration,
  type RegistrationEffect,
  type RegistrationSnapshot,
} from '../../protocol/sip/registration/registration.js';
import type { SipEndpoint, SipRequest } from '../../protocol/sip/sip-message.types.js';
import { buildRequest } from '../../protocol/sip/build-request.js';
import { parseSipUri } from '../../protocol/sip/sip-uri.js';
import type { SipContext } from './sip-context.js';

/** One entry of `sip.registrations`. */
export interface SipRegistrationConfig {
  readonly registrar: string;
  readonly username: string;
  readonly password: string;
  readonly authUsername: string | null;
  readonly realm: string | null;
  readonly expiresSec: number;
  readonly contactUser: string | null;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** Send an OPTIONS to the registrar this often, keeping a NAT binding open (0: never). Default 0. */
  readonly keepAliveSec?: number;
}

/** Backoff steps (tests shorten them). */
export interface RegistrationTuning {
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
}

/** How long a CRLF ping waits for its pong (RFC 5626 §4.4.1: 10 s). */
const PONG_TIMEOUT_MS = 10_000;

/** How often a registrar host name that failed to resolve is tried again. */
const RESOLVE_RETRY_MS = 30_000;

function stripBrackets(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/** One running binding. */
class Binding {
  readonly #ctx: SipContext;
  readonly #cfg: SipRegistrationConfig;
  readonly #index: number;
  readonly #tuning: RegistrationTuning;
  readonly contactUser: string;
  readonly host: string;
  readonly port: number;
  #address: string | undefined;
  #machine: Registration | undefined;
  #timer: TimerHandle | undefined;
  #keepAlive: TimerHandle | undefined;
  /** Keep-alive OPTIONS sent and answered (any final status), for tests and logs. */
  readonly keepAlives = { sent: 0, answered: 0 };
  #resolveError: string | undefined;
  #stopped = false;
  #onStopped: (() => void) | undefined;

  constructor(ctx: SipContext, cfg: SipRegistrationConfig, index: number, tuning: RegistrationTuning) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.#index = index;
    this.#tuning = tuning;
    this.contactUser = cfg.contactUser ?? `sf-${ctx.token(8)}`;
    const uri = parseSipUri(cfg.registrar);
    this.host = uri.ok ? uri.value.host : cfg.registrar;
    this.port =
      (uri.ok ? uri.value.port : undefined) ??
      ((uri.ok && uri.value.scheme === 'sips') || cfg.transport === 'tls' ? 5061 : 5060);
  }

  get #log(): { registrar: string; binding: number } {
    return { registrar: `${this.host}:${this.port}`, binding: this.#index };
  }

  /** The registrar's address once resolved. */
  get address(): string | undefined {
    return this.#address;
  }

  get registered(): boolean {
    return this.#machine?.state === 'registered';
  }

  async start(targets: TargetResolver): Promise<void> {
    const host = stripBrackets(this.host);
    if (isIP(host) !== 0) {
      this.#address = host;
    } else {
      const r = await targets.resolve(host);
      if (this.#stopped) {
        return;
      }
      if (!r.ok) {
        this.#resolveError = r.detail;
        this.#ctx.logger.warn({ ...this.#log, detail: r.detail }, 'SIP registrar does not resolve; retrying');
        this.#timer = this.#ctx.ports.timers.after(RESOLVE_RETRY_MS, () => {
          this.#timer = undefined;
          void this.start(targets);
        });
        return;
      }
      this.#resolveError = undefined;
      this.#address = r.address;
    }
    const ctx = this.#ctx;
    const protocol = this.#cfg.transport;
    this.#machine = new Registration({
      registrarUri: this.#registrarUri(),
      aor: `sip:${this.#cfg.username}@${this.host}`,
      contact: ctx.contact(protocol, this.contactUser),
      // Behind a NAT (docs/nat.md): register the public address the registrar saw us from, on UDP only
      // (over TCP/TLS the source port is the connection's, not one the registrar could connect to).
      ...(protocol === 'udp' && !ctx.publicAddressConfigured
        ? { contactAt: (host: string, port: number) => `<sip:${this.contactUser}@${host}:${port}>` }
        : {}),
      username: this.#cfg.authUsername ?? this.#cfg.username,
      password: this.#cfg.password,
      ...(this.#cfg.realm === null ? {} : { realm: this.#cfg.realm }),
      expiresSec: this.#cfg.expiresSec,
      callId: `${ctx.token(12)}@${ctx.advertisedHost}`,
      fromTag: ctx.token(),
      via: () => ctx.via(protocol),
      cnonce: () => ctx.token(8),
      ...this.#tuning,
    });
    this.#feed({ type: 'start' });
    this.#armKeepAlive();
  }

  #registrarUri(): string {
    const port = this.port === 5060 ? '' : `:${this.port}`;
    const transport = this.#cfg.transport;
    return `sip:${this.host}${port}${transport === 'udp' ? '' : `;transport=${transport}`}`;
  }

  /**
   * A keep-alive to the registrar every `keepAliveSec` (docs/nat.md#keep-alives): over TCP and TLS a
   * double-CRLF ping on the registration's connection (RFC 5626 §4.4.1; no pong within 10 s, or no
   * connection left, means the flow failed: register again at once), over UDP an OPTIONS (RFC 3261 §11).
   */
  #armKeepAlive(): void {
    const every = this.#cfg.keepAliveSec ?? 0;
    if (every <= 0 || this.#stopped) {
      return;
    }
    this.#keepAlive = this.#ctx.ports.timers.after(every * 1000, () => {
      this.#keepAlive = undefined;
      if (this.#stopped) {
        return;
      }
      const ping = this.#ctx.flowKeepAlive;
      if (this.#cfg.transport !== 'udp' && ping !== undefined) {
        this.#pingFlow(ping, Math.min(PONG_TIMEOUT_MS, every * 1000));
      } else {
        this.#sendOptions();
      }
      this.#armKeepAlive();
    });
  }

  #pingFlow(ping: NonNullable<SipContext['flowKeepAlive']>, pongTimeoutMs: number): void {
    const address = this.#address;
    if (address === undefined || this.#machine === undefined) {
      return;
    }
    this.keepAlives.sent++;
    void ping(this.#destination(address), pongTimeoutMs).then((result) => {
      if (result === 'pong') {
        this.keepAlives.answered++;
        return;
      }
      if (this.#stopped) {
        return;
      }
      this.#ctx.logger.warn(
        { ...this.#log, result },
        'SIP keep-alive: the flow to the registrar failed; registering again',
      );
      this.#feed({ type: 'flow-failed' });
    });
  }

  /** OPTIONS to the registrar (keep-alive over UDP): answers are counted, not needed. */
  #sendOptions(): void {
    const ctx = this.#ctx;
    const uri = this.#registrarUri();
    const request = buildRequest({
      method: 'OPTIONS',
      uri,
      from: `<sip:${this.#cfg.username}@${this.host}>`,
      fromTag: ctx.token(),
      to: `<${uri}>`,
      callId: `${ctx.token(12)}@${ctx.advertisedHost}`,
      cseq: 1,
      via: ctx.via(this.#cfg.transport),
      headers: [{ name: 'User-Agent', value: 'streamfork' }],
    });
    this.keepAlives.sent++;
    const address = this.#address;
    if (address !== undefined) {
      ctx.send(request, this.#destination(address), (e) => {
        if (e.type === 'response' && e.response.status >= 200) {
          this.keepAlives.answered++;
        } else if (e.type === 'timeout' || e.type === 'transport-error') {
          ctx.logger.debug({ ...this.#log, result: e.type }, 'SIP keep-alive OPTIONS unanswered');
        }
      });
    }
  }

  #feed(event: Parameters<Registration['input']>[0]): void {
    const machine = this.#machine;
    if (machine === undefined) {
      return;
    }
    this.#apply(machine.input(event, this.#ctx.nowMs()));
  }

  #apply(effects: readonly RegistrationEffect[]): void {
    const ctx = this.#ctx;
    for (const effect of effects) {
      switch (effect.type) {
        case 'send': {
          this.#send(effect.request);
          break;
        }
        case 'arm-timer': {
          this.#timer?.cancel();
          this.#timer = ctx.ports.timers.after(effect.delayMs, () => {
            this.#timer = undefined;
            this.#feed({ type: 'timer' });
          });
          break;
        }
        case 'cancel-timer': {
          this.#timer?.cancel();
          this.#timer = undefined;
          break;
        }
        case 'state': {
          this.#logState(effect);
          if (effect.to === 'stopped') {
            this.#onStopped?.();
          }
          break;
        }
      }
    }
  }

  #logState(effect: Extract<RegistrationEffect, { type: 'state' }>): void {
    const s = effect.snapshot;
    const fields = {
      ...this.#log,
      pii: { username: this.#cfg.username },
      state: effect.to,
      previous: effect.from,
      ...(s.grantedSec === undefined ? {} : { grantedSec: s.grantedSec }),
      ...(s.lastError === undefined ? {} : { status: s.lastError.status, reason: s.lastError.reason }),
      ...(s.nextAttemptAtMs === undefined
        ? {}
        : { retryInMs: Math.round(s.nextAttemptAtMs - this.#ctx.nowMs()) }),
      failures: s.failures,
    };
    if (effect.to === 'retrying') {
      this.#ctx.logger.warn(fields, 'SIP registration failed');
    } else if (effect.from === effect.to) {
      this.#ctx.logger.debug(fields, 'SIP registration refreshed');
    } else {
      this.#ctx.logger.info(fields, `SIP registration ${effect.to}`);
    }
  }

  /** Where the registrar is: its resolved address, and over TLS its host name for SNI and the certificate. */
  #destination(address: string): SipEndpoint {
    const name = stripBrackets(this.host);
    return {
      protocol: this.#cfg.transport,
      address,
      port: this.port,
      ...(this.#cfg.transport === 'tls' && name !== address ? { serverName: name } : {}),
    };
  }

  #send(request: SipRequest): void {
    const address = this.#address;
    if (address === undefined) {
      return;
    }
    this.#ctx.send(request, this.#destination(address), (e) => {
      switch (e.type) {
        case 'response': {
          this.#feed({ type: 'response', response: e.response });
          return;
        }
        case 'timeout':
        case 'transport-error': {
          this.#feed({ type: 'failed', reason: e.type });
          return;
        }
        case 'terminated': {
          return;
        }
      }
    });
  }

  /** Unregisters (when a binding may be held); resolves once stopped or after `timeoutMs`. */
  stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    this.#keepAlive?.cancel();
    this.#keepAlive = undefined;
    const machine = this.#machine;
    if (machine === undefined) {
      this.#timer?.cancel();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const guard = this.#ctx.ports.timers.after(timeoutMs, () => {
        this.#ctx.logger.warn(this.#log, 'SIP unregister not confirmed in time');
        resolve();
      });
      this.#onStopped = () => {
        guard.cancel();
        resolve();
      };
      this.#feed({ type: 'stop' });
      if (machine.state === 'stopped') {
        guard.cancel();
        resolve();
      }
    }).finally(() => {
      this.#timer?.cancel();
      this.#timer = undefined;
    });
  }

  view(): RegistrationView {
    const s: RegistrationSnapshot | undefined = this.#machine?.snapshot();
    const toEpoch = (mono: number | undefined): string | null =>
      mono === undefined
        ? null
        : new Date(this.#ctx.ports.clock.epochMs() + (mono - this.#ctx.nowMs())).toISOString();
    return {
      id: String(this.#index),
      registrar: `${this.host}:${this.port}`,
      transport: this.#cfg.transport,
      state: s?.state ?? (this.#resolveError === undefined ? 'idle' : 'retrying'),
      expiresAt: toEpoch(s?.expiresAtMs),
      grantedSec: s?.grantedSec ?? null,
      nextAttemptAt: toEpoch(s?.nextAttemptAtMs),
      failures: s?.failures ?? 0,
      lastErrorStatus: s?.lastError?.status ?? null,
      lastErrorReason: s?.lastError?.reason ?? this.#resolveError ?? null,
    };
  }
}

/** Every configured binding of one SIP server. */
export class SipRegistrations {
  readonly #bindings: Binding[];

  constructor(ctx: SipContext, configs: readonly SipRegistrationConfig[], tuning: RegistrationTuning = {}) {
    this.#bindings = configs.map((c, i) => new Binding(ctx, c, i, tuning));
  }

  /** Starts every binding (resolution of host names runs in the background). */
  start(targets: TargetResolver): void {
    for (const b of this.#bindings) {
      void b.start(targets);
    }
  }

  /**
   * Whether an inbound request is admitted by a registration (on top of `sip.allowFrom`): it comes from a
   * configured registrar's address, or, while that binding is registered, its Request-URI names the
   * binding's Contact user.
   */
  admits(request: SipRequest, source: SipEndpoint): boolean {
    const plain = source.address.startsWith('::ffff:') ? source.address.slice(7) : source.address;
    if (this.#bindings.some((b) => b.address === plain)) {
      return true;
    }
    const uri = parseSipUri(request.uri);
    const user = uri.ok ? uri.value.user : undefined;
    return user !== undefined && this.#bindings.some((b) => b.registered && b.contactUser === user);
  }

  /** Unregisters every binding at once; resolves when all are done or `timeoutMs` passed. */
  async stop(timeoutMs: number): Promise<void> {
    await Promise.all(this.#bindings.map((b) => b.stop(timeoutMs)));
  }

  views(): RegistrationView[] {
    return this.#bindings.map((b) => b.view());
  }
}
