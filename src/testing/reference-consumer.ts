/**
 * The strict reference consumer: a WebSocket server that plays a customer's app for Plivo `<Stream>`
 * (compatibility §3–§6, D1–D16). It checks every frame streamfork sends against a schema
 * transcribed from the spec, records every violation with the frame and the rule, and lets a test
 * script the app's side (`playAudio`, `checkpoint`, `clearAudio`, `sendDTMF`).
 *
 * No installable npm package consumes Plivo's protocol correctly (dependencies.md §6b), so this stands in
 * for the official stream SDK's strict schemas. It is a test oracle and shares no code with streamfork's
 * own protocol implementation.
 *
 * @example
 * const consumer = await startReferenceConsumer({ path: '/stream' });
 * // ... point a <Stream> at consumer.url and place a call ...
 * const session = await consumer.waitForSession(5000);
 * await session.waitFor((_m, s) => s.inboundAudio.length >= 8000, 5000);
 * consumer.assertClean();
 * await consumer.close();
 */
import { AssertionError } from 'node:assert';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import { WebSocketServer } from 'ws';

import { ConsumerSession, type Violation, formatViolation } from './consumer-session.js';
import { type L16ByteOrder, RULES, type RuleId } from './stream-messages.js';

export { ConsumerSession, formatViolation } from './consumer-session.js';
export type { MessagePredicate, PlayAudioOptions, Violation } from './consumer-session.js';
export { RULES } from './stream-messages.js';
export type * from './stream-messages.js';

/** Options of {@link startReferenceConsumer}. */
export interface ReferenceConsumerOptions {
  /** Port to listen on. Default 0: the OS picks one; read it from `url`. */
  readonly port?: number;
  /** Address to listen on. Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Path the upgrade must use (query ignored); others are refused with 404 and a violation. Default: any path. */
  readonly path?: string;
  /**
   * Auth token. When set, every upgrade must carry `X-Plivo-Signature-V3` and `-Nonce` that
   * `plivo.validateV3Signature` accepts over `GET http://<Host header><path?query>` with no params (D8);
   * a missing or wrong signature is recorded as a violation (the connection is still accepted).
   */
  readonly authToken?: string;
  /** Accept the optional `stop` message (D7). Default false. */
  readonly allowStop?: boolean;
  /** Require epoch-millisecond timestamps (D5). Default true. */
  readonly requireEpochTimestamps?: boolean;
  /** L16 byte order used to decode audio to PCM. Default 'le' (D6). */
  readonly l16ByteOrder?: L16ByteOrder;
  /** Called synchronously for each accepted connection, before any frame is processed. */
  readonly onConnection?: (session: ConsumerSession) => void;
}

/** A running reference consumer. */
export interface ReferenceConsumer {
  /** The URL to put in `<Stream>`: ws://host:port/path. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Sessions in connection order. */
  readonly sessions: readonly ConsumerSession[];
  /** Every violation on every session and upgrade, in the order found. */
  readonly violations: readonly Violation[];
  /**
   * Resolves with the next session not yet returned by this method, once its first frame arrived or it
   * closed; rejects after `timeoutMs` (default 5000).
   */
  waitForSession(timeoutMs?: number): Promise<ConsumerSession>;
  /** Throws an AssertionError listing every violation (rule, clause, frame) when there is any. */
  assertClean(): void;
  /** Closes every session (1001) and the server. */
  close(): Promise<void>;
}

type SignatureCheck = (
  method: string,
  uri: string,
  nonce: string,
  token: string,
  signature: string,
) => boolean;

/** Starts a reference consumer on loopback. */
export async function startReferenceConsumer(
  options: ReferenceConsumerOptions = {},
): Promise<ReferenceConsumer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((_req, res) => {
    res
      .writeHead(426, { 'content-type': 'text/plain', connection: 'close' })
      .end('WebSocket upgrade required\n');
  });
  const consumer = new Consumer(server, options);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    consumer.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  consumer.setUrl(`ws://${host.includes(':') ? `[${host}]` : host}:${port}${options.path ?? '/'}`, port);
  return consumer;
}

class Consumer implements ReferenceConsumer {
  url = '';
  port = 0;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #options: ReferenceConsumerOptions;
  readonly #sessions: ConsumerSession[] = [];
  readonly #violations: Violation[] = [];
  readonly #ready = new Set<ConsumerSession>();
  readonly #sessionWaiters: (() => void)[] = [];
  #claimed = 0;
  #verify: SignatureCheck | undefined;

  constructor(server: Server, options: ReferenceConsumerOptions) {
    this.#server = server;
    this.#options = options;
  }

  get sessions(): readonly ConsumerSession[] {
    return this.#sessions;
  }

  get violations(): readonly Violation[] {
    return this.#violations;
  }

  setUrl(url: string, port: number): void {
    this.url = url;
    this.port = port;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const requestUrl = req.url ?? '/';
    const requestLine = `${req.method ?? 'GET'} ${requestUrl}`;
    const expected = this.#options.path;
    if (expected !== undefined && requestUrl.split('?')[0] !== expected) {
      this.#record(
        { rule: 'upgrade.path', detail: `upgrade to ${requestUrl}, expected ${expected}` },
        -1,
        requestLine,
      );
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const signatureProblem = this.#checkSignature(req, requestUrl);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new ConsumerSession({
        index: this.#sessions.length,
        socket: ws,
        upgradeHeaders: req.headers,
        requestUrl,
        l16ByteOrder: this.#options.l16ByteOrder ?? 'le',
        allowStop: this.#options.allowStop ?? false,
        requireEpochTimestamps: this.#options.requireEpochTimestamps ?? true,
        report: (violation) => {
          this.#violations.push(violation);
        },
      });
      this.#sessions.push(session);
      if (signatureProblem !== undefined) {
        session.recordViolation('upgrade.signature', signatureProblem, requestLine);
      }
      const markReady = (): void => {
        this.#ready.add(session);
        this.#wakeSessionWaiters();
      };
      ws.once('message', markReady);
      void session.closed.then(markReady);
      this.#options.onConnection?.(session);
    });
  }

  waitForSession(timeoutMs = 5000): Promise<ConsumerSession> {
    const index = this.#claimed;
    this.#claimed += 1;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const session = this.#sessions[index];
        if (session !== undefined && this.#ready.has(session)) {
          clearTimeout(timer);
          resolve(session);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        const at = this.#sessionWaiters.indexOf(onWake);
        if (at >= 0) {
          this.#sessionWaiters.splice(at, 1);
        }
        reject(
          new Error(
            `waitForSession: no session #${index} with a first frame within ${timeoutMs} ms (${this.#sessions.length} connected)`,
          ),
        );
      }, timeoutMs);
      const onWake = (): void => {
        if (check()) {
          this.#sessionWaiters.splice(this.#sessionWaiters.indexOf(onWake), 1);
        }
      };
      if (!check()) {
        this.#sessionWaiters.push(onWake);
      }
    });
  }

  assertClean(): void {
    if (this.#violations.length === 0) {
      return;
    }
    const lines = this.#violations.map(formatViolation);
    throw new AssertionError({
      message: `reference consumer: ${this.#violations.length} Plivo stream protocol violation(s):\n${lines.join('\n')}`,
    });
  }

  async close(): Promise<void> {
    const closing = this.#sessions.map(async (session) => {
      if (session.closeCode !== undefined) {
        return;
      }
      const timer = setTimeout(() => {
        session.terminate();
      }, 500);
      await session.close(1001, 'consumer closing');
      clearTimeout(timer);
    });
    await Promise.all(closing);
    this.#wss.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
      this.#server.closeAllConnections();
    });
  }

  #wakeSessionWaiters(): void {
    for (const wake of [...this.#sessionWaiters]) {
      wake();
    }
  }

  #record(finding: { rule: RuleId; detail: string }, session: number, raw: string): void {
    this.#violations.push({ ...finding, clause: RULES[finding.rule], session, frame: -1, raw });
  }

  /** Returns undefined when the signature is fine (or not required), else what is wrong. */
  #checkSignature(req: IncomingMessage, requestUrl: string): string | undefined {
    const token = this.#options.authToken;
    if (token === undefined) {
      return undefined;
    }
    const signature = req.headers['x-plivo-signature-v3'];
    const nonce = req.headers['x-plivo-signature-v3-nonce'];
    if (typeof signature !== 'string' || typeof nonce !== 'string') {
      return 'X-Plivo-Signature-V3 or X-Plivo-Signature-V3-Nonce is missing';
    }
    const uri = `http://${req.headers.host ?? ''}${requestUrl}`;
    this.#verify ??= loadSignatureCheck();
    return this.#verify('GET', uri, nonce, token, signature)
      ? undefined
      : `signature does not match GET ${uri}`;
  }
}

function loadSignatureCheck(): SignatureCheck {
  // The plivo SDK is CommonJS without type declarations; only its exported validator is used.
  const require = createRequire(import.meta.url);
  const plivo = require('plivo') as { validateV3Signature: SignatureCheck };
  return plivo.validateV3Signature;
}
