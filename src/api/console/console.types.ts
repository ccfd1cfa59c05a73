/**
 * What the live web console needs beside the REST API's own dependencies: this node's call event feed
 * and audio tap (ports, wired by the composition root), the page's files, and its session settings.
 */
import type { CallAudioTap, CallEventFeed } from '../../ports/call-event-feed.js';

/** One file the console serves under /console/assets/ (or as a page). */
export interface ConsoleAsset {
  readonly body: Buffer;
  /** Its Content-Type. */
  readonly type: string;
}

export interface ConsoleDeps {
  readonly feed: CallEventFeed;
  readonly tap: CallAudioTap;
  /** `index.html`, `login.html`, `console.js`, `console.css`, … by file name. */
  readonly assets: ReadonlyMap<string, ConsoleAsset>;
  /** A session's lifetime from login (absolute, not sliding). Default 8 h. */
  readonly sessionTtlMs?: number;
  /** Comment line sent on each event feed this often. Default 15 s. */
  readonly heartbeatMs?: number;
  /** Bytes an event feed client may have unsent before it is dropped. Default 1 MiB. */
  readonly maxFeedBufferBytes?: number;
  /** Bytes a listen-in socket may have unsent; frames beyond are dropped. Default 16 KiB (about 0.5 s). */
  readonly maxAudioBufferBytes?: number;
  /** Always mark the session cookie `Secure` (behind a TLS-terminating proxy). Default: only over TLS. */
  readonly secureCookie?: boolean;
}
