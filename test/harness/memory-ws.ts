/**
 * WebSockets in memory, on the fake clock: `MemoryWsNetwork` is the engine's `WsConnector`
 * (ports/ws-client.ts); each accepted connection is a `MemoryLink` with an engine end (a
 * `WsConnection`) and an app end (a `ConsumerSocket`, so the strict reference consumer's
 * `ConsumerSession` reads it). Frames are delivered in order, after the sender's code returns (a
 * microtask, or `latencyMs` of fake time), never inside the sender's call, as on a real socket.
 *
 * What a real socket does and this models: refused, reset and silent (handshake timeout) connects and
 * non-101 answers, the close handshake in both directions, a drop without a close frame (1006), the
 * client's payload limit (1006 "Max payload size exceeded" for us, 1009 for the app), and an app that
 * reads slowly or not at all: what it has not read stays in the engine's `bufferedAmount`.
 */
import { EventEmitter } from 'node:events';

import type { WsConnection, WsConnectOptions, WsConnector } from '../../src/ports/ws-client.js';
import type { ConsumerSocket } from '../consumer/consumer-session.js';
import type { FakeClock } from '../fakes/fake-clock.js';

/** How an app answers a connect: `accept`, or one of the ways a connect fails. */
export type ConnectAnswer =
  | 'accept'
  /** Nobody listens: rejected at once (ECONNREFUSED). */
  | 'refuse'
  /** TCP accepted, then destroyed before the upgrade answer. */
  | 'reset'
  /** TCP accepted, the upgrade never answered: rejected after the engine's handshake timeout. */
  | 'silent'
  /** The upgrade answered with this HTTP status instead of 101. */
  | { readonly status: number };

/** What the engine asked for when it connected. */
export interface ConnectRequest {
  readonly url: string;
  readonly options: WsConnectOptions;
  /** Fake monotonic time of the attempt. */
  readonly atMs: number;
}

/** A URL's listener: decides each connect and gets the links it accepted. */
export interface MemoryListener {
  answer(request: ConnectRequest): ConnectAnswer;
  accepted(link: MemoryLink, request: ConnectRequest): void;
}

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

interface Queued {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** One connection: the engine end, the app end and what is in flight between them. */
export class MemoryLink {
  readonly url: string;
  readonly engineEnd: WsConnection;
  readonly appEnd: ConsumerSocket;
  /** Text frames the engine sent, and the largest, bytes. */
  sends = 0;
  maxFrameBytes = 0;
  /** Largest `bufferedAmount` the engine read. */
  maxBufferedSeen = 0;
  /** True once the engine dropped the connection with `terminate()`. */
  terminatedByEngine = false;
  readonly #clock: FakeClock;
  readonly #latencyMs: number;
  readonly #maxPayload: number;
  readonly #app = new EventEmitter();
  readonly #engineMessage: ((data: string | Uint8Array, isBinary: boolean) => void)[] = [];
  readonly #engineClose: ((code: number, reason: string) => void)[] = [];
  /** Frames the app has not read yet (they count in `bufferedAmount`). */
  readonly #unread: Queued[] = [];
  #unreadBytes = 0;
  /** App read rate, bytes per fake second; Infinity reads everything at once, 0 reads nothing. */
  #readRate = Infinity;
  #readCredit = 0;
  #lastReadAt: number;
  #state = OPEN;

  constructor(clock: FakeClock, url: string, options: WsConnectOptions, latencyMs: number) {
    this.#clock = clock;
    this.url = url;
    this.#latencyMs = latencyMs;
    this.#maxPayload = options.maxPayloadBytes;
    this.#lastReadAt = clock.monotonicMs();
    this.#app.on('error', () => undefined);
    this.engineEnd = this.#makeEngineEnd();
    this.appEnd = this.#makeAppEnd();
  }

  /** The app reads `bytesPerSec` of fake time from now on (0: stops reading; Infinity: reads all). */
  setReadRate(bytesPerSec: number): void {
    this.#drain();
    this.#readRate = bytesPerSec;
    this.#lastReadAt = this.#clock.monotonicMs();
    this.#readCredit = 0;
    this.#drain();
  }

  /** Bytes the engine sent that the app has not read. */
  get unreadBytes(): number {
    this.#drain();
    return this.#unreadBytes;
  }

  get open(): boolean {
    return this.#state === OPEN;
  }

  #makeEngineEnd(): WsConnection {
    const readBuffered = (): number => {
      const bytes = this.unreadBytes;
      this.maxBufferedSeen = Math.max(this.maxBufferedSeen, bytes);
      return bytes;
    };
    return {
      send: (text) => {
        this.#fromEngine(text);
      },
      get bufferedAmount() {
        return readBuffered();
      },
      close: (code, reason) => {
        this.#closeFrom('engine', code, reason);
      },
      terminate: () => {
        this.terminatedByEngine = true;
        this.#drop('');
      },
      onMessage: (listener) => {
        this.#engineMessage.push(listener);
      },
      onClose: (listener) => {
        this.#engineClose.push(listener);
      },
    };
  }

  #makeAppEnd(): ConsumerSocket {
    const state = (): number => this.#state;
    const emitter = this.#app;
    const socket: ConsumerSocket = {
      OPEN,
      get readyState() {
        return state();
      },
      send: (data: string | Uint8Array, options?: { binary: boolean }) => {
        this.#fromApp(data, options?.binary ?? typeof data !== 'string');
      },
      close: (code = 1000, reason = '') => {
        this.#closeFrom('app', code, reason);
      },
      terminate: () => {
        this.#drop('');
      },
      on: (event: string, listener: (...args: never[]) => void) => {
        emitter.on(event, listener as (...args: unknown[]) => void);
        return socket;
      },
    };
    return socket;
  }

  #fromEngine(text: string): void {
    if (this.#state !== OPEN) {
      return;
    }
    const data = Buffer.from(text, 'utf8');
    this.sends++;
    this.maxFrameBytes = Math.max(this.maxFrameBytes, data.length);
    this.#unread.push({ data, isBinary: false });
    this.#unreadBytes += data.length;
    this.#drain();
  }

  #fromApp(data: string | Uint8Array, isBinary: boolean): void {
    if (this.#state !== OPEN) {
      return;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (bytes.length > this.#maxPayload) {
      // The engine's client refuses the frame: it closes 1009 to the app and reports 1006 with the cause.
      this.#state = CLOSED;
      this.#later(() => {
        this.#app.emit('close', 1009, Buffer.alloc(0));
        this.#closeEngine(1006, 'Max payload size exceeded');
      });
      return;
    }
    this.#later(() => {
      for (const listener of this.#engineMessage) {
        listener(bytes, isBinary);
      }
    });
  }

  /** The close handshake: the other side answers the close frame once it has read what came before it. */
  #closeFrom(side: 'engine' | 'app', code: number, reason: string): void {
    if (this.#state !== OPEN) {
      return;
    }
    this.#state = CLOSING;
    if (side === 'engine' && this.#readRate === 0) {
      // An app that does not read never answers the close frame; the adapter gives up after 5 s.
      this.#clock.after(5000, () => {
        this.#drop('');
      });
      return;
    }
    const finish = (): void => {
      if (this.#state === CLOSED) {
        return;
      }
      this.#state = CLOSED;
      this.#app.emit('close', code, Buffer.from(reason));
      this.#closeEngine(code, reason);
    };
    // Frames the engine sent before its close reach the app first.
    this.#flushUnread();
    this.#later(finish);
  }

  /** The connection is gone without a close frame: both ends see 1006. */
  #drop(reason: string): void {
    if (this.#state === CLOSED) {
      return;
    }
    this.#state = CLOSED;
    this.#unread.length = 0;
    this.#unreadBytes = 0;
    this.#later(() => {
      this.#app.emit('close', 1006, Buffer.alloc(0));
      this.#closeEngine(1006, reason);
    });
  }

  #closeEngine(code: number, reason: string): void {
    for (const listener of this.#engineClose) {
      listener(code, reason);
    }
  }

  /** Hands the app what it has read by now at its read rate. */
  #drain(): void {
    if (this.#unread.length === 0) {
      return;
    }
    if (this.#readRate === Infinity) {
      this.#flushUnread();
      return;
    }
    const now = this.#clock.monotonicMs();
    this.#readCredit += ((now - this.#lastReadAt) * this.#readRate) / 1000;
    this.#lastReadAt = now;
    while (this.#unread.length > 0 && this.#unread[0]!.data.length <= this.#readCredit) {
      const frame = this.#unread.shift()!;
      this.#readCredit -= frame.data.length;
      this.#deliverToApp(frame);
    }
    if (this.#unread.length === 0) {
      this.#readCredit = 0;
    }
  }

  #flushUnread(): void {
    for (const frame of this.#unread.splice(0)) {
      this.#deliverToApp(frame);
    }
  }

  #deliverToApp(frame: Queued): void {
    this.#unreadBytes -= frame.data.length;
    this.#later(() => {
      this.#app.emit('message', frame.data, frame.isBinary);
    });
  }

  #later(fn: () => void): void {
    if (this.#latencyMs > 0) {
      this.#clock.after(this.#latencyMs, fn);
    } else {
      queueMicrotask(fn);
    }
  }
}

/** The engine's `WsConnector`: routes each connect to the listener registered for its URL. */
export class MemoryWsNetwork implements WsConnector {
  /** Every connect attempt, in order, whatever its outcome. */
  readonly attempts: ConnectRequest[] = [];
  /** Every accepted connection, in order. */
  readonly links: MemoryLink[] = [];
  readonly #clock: FakeClock;
  readonly #listeners = new Map<string, MemoryListener>();
  readonly #latencyMs: number;

  constructor(clock: FakeClock, latencyMs = 0) {
    this.#clock = clock;
    this.#latencyMs = latencyMs;
  }

  /** Serves `url` (query ignored). A URL nobody listens on refuses connects. */
  listen(url: string, listener: MemoryListener): void {
    this.#listeners.set(url.split('?')[0]!, listener);
  }

  /** The links to one URL (query ignored), in connect order. */
  linksTo(url: string): MemoryLink[] {
    const base = url.split('?')[0];
    return this.links.filter((l) => l.url.split('?')[0] === base);
  }

  connect(url: string, options: WsConnectOptions): Promise<WsConnection> {
    const request: ConnectRequest = { url, options, atMs: this.#clock.monotonicMs() };
    this.attempts.push(request);
    const listener = this.#listeners.get(url.split('?')[0]!);
    const answer = listener?.answer(request) ?? 'refuse';
    const host = new URL(url).host;
    if (answer === 'accept' && listener !== undefined) {
      const link = new MemoryLink(this.#clock, url, options, this.#latencyMs);
      this.links.push(link);
      listener.accepted(link, request);
      return this.#settleLater(() => link.engineEnd);
    }
    if (answer === 'refuse') {
      return this.#settleLater(() => {
        throw new Error(`connect ECONNREFUSED ${host}`);
      });
    }
    if (answer === 'reset') {
      return this.#settleLater(() => {
        throw new Error('socket hang up');
      });
    }
    if (answer === 'silent') {
      return new Promise((_resolve, reject) => {
        this.#clock.after(options.timeoutMs, () => {
          reject(new Error('Opening handshake has timed out'));
        });
      });
    }
    const status = answer === 'accept' ? 404 : answer.status;
    return this.#settleLater(() => {
      throw new Error(`the app answered the upgrade with HTTP ${status}`);
    });
  }

  #settleLater<T>(outcome: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (): void => {
        try {
          resolve(outcome());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      if (this.#latencyMs > 0) {
        this.#clock.after(this.#latencyMs, settle);
      } else {
        queueMicrotask(settle);
      }
    });
  }
}
