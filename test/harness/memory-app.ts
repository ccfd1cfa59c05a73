/**
 * A customer's WebSocket app in memory: the strict reference consumer's `ConsumerSession` (it checks
 * every frame against the Plivo stream rules) on each `MemoryLink` the app accepts, plus the faults a
 * test scripts: refuse, reset or ignore connects (per attempt), stop reading or read slowly, close or
 * drop mid-call (through the session: `close(code)`, `terminate()`).
 */
import { AssertionError } from 'node:assert';

import { ConsumerSession, type Violation, formatViolation } from '../consumer/consumer-session.js';
import type { L16ByteOrder } from '../consumer/stream-messages.js';
import type { ConnectAnswer, ConnectRequest, MemoryLink, MemoryListener } from './memory-ws.js';

export interface MemoryAppOptions {
  /**
   * How connect attempt `attempt` (1-based, counted per app) is answered; a value applies to every
   * attempt. Default `accept`.
   */
  readonly connect?: ConnectAnswer | ((attempt: number) => ConnectAnswer);
  /** Bytes per fake second the app reads (0: never reads after the handshake). Default: all at once. */
  readonly readBytesPerSec?: number;
  /** Accept the optional `stop` message (D7). Default false. */
  readonly allowStop?: boolean;
  /** Require epoch-millisecond timestamps (D5). Default true. */
  readonly requireEpochTimestamps?: boolean;
  readonly l16ByteOrder?: L16ByteOrder;
  /** Called with each accepted session before any frame reaches it. */
  readonly onSession?: (session: ConsumerSession, link: MemoryLink) => void;
}

export class MemoryApp implements MemoryListener {
  readonly url: string;
  readonly sessions: ConsumerSession[] = [];
  readonly links: MemoryLink[] = [];
  /** Every connect attempt the app saw, accepted or not. */
  readonly attempts: ConnectRequest[] = [];
  readonly violations: Violation[] = [];
  readonly #options: MemoryAppOptions;

  constructor(url: string, options: MemoryAppOptions = {}) {
    this.url = url;
    this.#options = options;
  }

  answer(request: ConnectRequest): ConnectAnswer {
    this.attempts.push(request);
    const connect = this.#options.connect ?? 'accept';
    return typeof connect === 'function' ? connect(this.attempts.length) : connect;
  }

  accepted(link: MemoryLink, request: ConnectRequest): void {
    const path = new URL(request.url);
    const session = new ConsumerSession({
      index: this.sessions.length,
      socket: link.appEnd,
      upgradeHeaders: lowerCaseHeaders(request.options.headers),
      requestUrl: `${path.pathname}${path.search}`,
      l16ByteOrder: this.#options.l16ByteOrder ?? 'le',
      allowStop: this.#options.allowStop ?? false,
      requireEpochTimestamps: this.#options.requireEpochTimestamps ?? true,
      report: (violation) => {
        this.violations.push(violation);
      },
    });
    this.sessions.push(session);
    this.links.push(link);
    if (this.#options.readBytesPerSec !== undefined) {
      link.setReadRate(this.#options.readBytesPerSec);
    }
    this.#options.onSession?.(session, link);
  }

  /** Session `index`; throws when the app has not been connected that often. */
  session(index = 0): ConsumerSession {
    const session = this.sessions[index];
    if (session === undefined) {
      throw new AssertionError({
        message: `${this.url}: no session #${index} (${this.sessions.length} connected)`,
      });
    }
    return session;
  }

  /** Throws an AssertionError listing every protocol violation the app saw. */
  assertClean(): void {
    if (this.violations.length > 0) {
      throw new AssertionError({
        message: `${this.url}: ${this.violations.length} stream protocol violation(s):\n${this.violations.map(formatViolation).join('\n')}`,
      });
    }
  }
}

function lowerCaseHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
