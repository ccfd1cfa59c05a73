/**
 * The public shape of `SipLeg` (sip-leg.ts): how a dialog is made and its events.
 */
import type { RtpSocket } from '../../ports/rtp-socket.js';
import type { SdpOrigin } from '../../protocol/sdp/sdp.types.js';
import type { SessionInterval } from '../../protocol/sip/dialog/session-timer.js';
import type { SipDialog } from '../../protocol/sip/dialog/sip-dialog.js';
import type { SipEndpoint, SipTransportProtocol } from '../../protocol/sip/sip-message.types.js';
import type { SipContext } from './sip-context.js';
import type { SrtpPolicy } from '../../protocol/sdp/sdes-crypto.js';

/** How a dialog came to be. */
export interface SipLegInit {
  readonly ctx: SipContext;
  readonly dialog: SipDialog;
  readonly protocol: SipTransportProtocol;
  readonly socket: RtpSocket;
  readonly callUuid: string;
  /** Our SDP o= identity and the SDP we sent last (offer or answer). */
  readonly origin: SdpOrigin;
  readonly localSdp: string;
  /** This call's maximum duration after answer (Plivo `time_limit`); default `ctx.limits.maxCallDurationMs`. */
  readonly timeLimitMs?: number;
  /** The RFC 4028 session interval the set-up negotiated, if any. */
  readonly session?: SessionInterval;
  /** This call's SDES-SRTP policy (mode and key material), kept for re-INVITEs; absent when `rtp.srtp` is off. */
  readonly srtp?: SrtpPolicy;
  /**
   * Where in-dialog requests go instead of the Contact while the dialog has no route set: the far end
   * is behind a NAT (`protocol/sip/dialog/nat-flow.ts`, docs/nat.md). Absent: RFC 3261 §12 routing.
   */
  readonly natFlow?: SipEndpoint;
}

export interface SipLegEvents {
  /**
   * The dialog is over (BYE done either way, set-up abandoned, shutdown), whoever ended it; its leg (or
   * bare RTP socket) was released first. Fired once.
   */
  closed: () => void;
}
