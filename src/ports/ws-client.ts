/** An open WebSocket from streamfork (the client) to an app. Text frames only. */
export interface WsConnection {
  /** Sends one text frame. */
  send(text: string): void;
  /** Bytes queued in user space and not yet handed to the kernel (ws `bufferedAmount`). */
  readonly bufferedAmount: number;
  /** Closes with a close frame. */
  close(code: number, reason: string): void;
  /** Drops the connection at once (used for consumers that stopped reading). */
  terminate(): void;
  onMessage(listener: (data: string | Uint8Array, isBinary: boolean) => void): void;
  /** Fired once, whoever closed. `code` 1006 when the connection dropped without a close frame. */
  onClose(listener: (code: number, reason: string) => void): void;
}

export interface WsConnectOptions {
  readonly headers: Readonly<Record<string, string>>;
  /** Handshake timeout. */
  readonly timeoutMs: number;
  /** Largest message accepted from the app, in bytes. */
  readonly maxPayloadBytes: number;
}

export interface WsConnector {
  /** Resolves when the upgrade completed; rejects with a reason on refusal, timeout or a non-101 answer. */
  connect(url: string, options: WsConnectOptions): Promise<WsConnection>;
}
