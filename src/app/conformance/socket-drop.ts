/**
 * The conformance kit's fault injector for the reconnect check: a {@link WsConnector} decorator that
 * remembers the last socket opened to a bot, so the kit can drop it without a close frame, as a network
 * fault would (the stream then resumes when the bot asked for `resumeTimeout`). The composition root
 * (src/cli/conformance.ts) wraps the runtime's connector with it.
 */
import type { WsConnectOptions, WsConnection, WsConnector } from '../../ports/ws-client.js';

export class DroppableWsConnector implements WsConnector {
  readonly #inner: WsConnector;
  #last: WsConnection | undefined;

  constructor(inner: WsConnector) {
    this.#inner = inner;
  }

  async connect(url: string, options: WsConnectOptions): Promise<WsConnection> {
    const ws = await this.#inner.connect(url, options);
    this.#last = ws;
    return ws;
  }

  /** Drops the socket opened last (no close frame). False when there is none. */
  dropLatest(): boolean {
    const ws = this.#last;
    this.#last = undefined;
    ws?.terminate();
    return ws !== undefined;
  }
}
