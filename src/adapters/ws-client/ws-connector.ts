/**
 * The WebSocket client adapter over `ws` (with bufferutil when installed). Text frames only; no
 * compression (it costs CPU per frame and Plivo apps do not expect it). Redirects are not followed.
 * Every connect goes through the target policy: an IP-literal host is checked before the socket
 * opens, a name by the guarded `lookup` that `ws` hands to http.request (adapters/net/target-guard.ts).
 */
import type { ClientRequestArgs } from 'node:http';

import WebSocket from 'ws';

import type { WsConnection, WsConnectOptions, WsConnector } from '../../ports/ws-client.js';
import { TargetGuard } from '../net/target-guard.js';

class NodeWsConnection implements WsConnection {
  readonly #ws: WebSocket;
  /** The last socket error (e.g. "Max payload size exceeded"), reported with the close. */
  lastError = '';

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(text: string): void {
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(text);
    }
  }

  close(code: number, reason: string): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(code, reason);
      // A peer that never answers the close frame must not keep the socket open.
      const kill = setTimeout(() => {
        this.#ws.terminate();
      }, 5000).unref();
      // Cleared on close: pending, it would keep the socket (and through its listeners the whole call) for 5 s.
      this.#ws.once('close', () => {
        clearTimeout(kill);
      });
    }
  }

  terminate(): void {
    this.#ws.terminate();
  }

  onMessage(listener: (data: string | Uint8Array, isBinary: boolean) => void): void {
    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) {
        listener(toBytes(data), true);
      } else {
        listener(toBytes(data), false);
      }
    });
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.#ws.on('close', (code, reason) => {
      const text = reason.toString('utf8');
      listener(code, text === '' ? this.lastError : text);
    });
  }
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) {
    return Buffer.concat(data);
  }
  if (data instanceof ArrayBuffer) {
    return new Uint8Array(data);
  }
  return data;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

export interface NodeWsConnectorOptions {
  /** The outbound target policy; default: the built-in denied targets only. */
  readonly guard?: TargetGuard;
}

export class NodeWsConnector implements WsConnector {
  readonly #guard: TargetGuard;

  constructor(opts: NodeWsConnectorOptions = {}) {
    this.#guard = opts.guard ?? new TargetGuard();
  }

  connect(url: string, options: WsConnectOptions): Promise<WsConnection> {
    const refused = this.#guard.checkLiteral(hostOf(url));
    if (refused !== undefined) {
      return Promise.reject(refused);
    }
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        const clientOptions: WebSocket.ClientOptions & Pick<ClientRequestArgs, 'lookup'> = {
          headers: options.headers,
          handshakeTimeout: options.timeoutMs,
          maxPayload: options.maxPayloadBytes,
          perMessageDeflate: false,
          followRedirects: false,
          lookup: this.#guard.lookup,
        };
        ws = new WebSocket(url, clientOptions);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const onError = (err: Error): void => {
        ws.removeListener('open', onOpen);
        ws.terminate();
        reject(err);
      };
      const onOpen = (): void => {
        ws.removeListener('error', onError);
        const connection = new NodeWsConnection(ws);
        // Errors after the handshake surface as a close; keep the reason so the stream can report it.
        ws.on('error', (err) => {
          connection.lastError = err.message;
        });
        resolve(connection);
      };
      ws.once('error', onError);
      ws.once('open', onOpen);
      ws.once('unexpected-response', (_req, res) => {
        ws.removeListener('open', onOpen);
        ws.terminate();
        reject(new Error(`the app answered the upgrade with HTTP ${res.statusCode ?? 0}`));
      });
    });
  }
}
