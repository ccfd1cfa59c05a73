/**
 * Where the far end wants its RTP: the address of the media-level `c=` (else the session-level one,
 * RFC 4566 §5.7) and the `m=` port (§5.14), checked before we answer or accept the SDP, so a hostile or
 * broken description is refused at offer/answer time (488) instead of failing every packet later.
 *
 * Rules:
 * - The port is an integer 1–65535. Port 0 is a rejected stream (RFC 3264 §5.1, §6) and never reaches
 *   this check: the answerer skips such m= lines.
 * - The address is an IPv4 or IPv6 literal of the family `c=` declares (`IN IP4` / `IN IP6`).
 * - A host name (FQDN) is refused: RFC 4566 allows one, but resolving it means a DNS lookup in the
 *   signalling path (or one per packet at send time), and a name can point anywhere. Real trunks and
 *   phones write literals.
 * - Multicast is refused: we answer unicast RTP only (a multicast `c=` carries a TTL and is a session,
 *   not a peer).
 * - The hold addresses `0.0.0.0` and `::` (RFC 3264 §8.4, the RFC 2543 convention) are accepted
 *   whatever our family: nothing is sent to them.
 * - When the caller says which families we can send to (`reachable`), an address of another family is
 *   refused with Warning 301.
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { fail, ok, type ParseResult } from '../../errors/result.js';
import { ipLiteralFamily, isMulticastLiteral } from './ip-literal.js';
import { isHoldAddress } from './sdp-audio.js';

/** The far end's RTP transport address as the SDP gives it. */
export interface RemoteMedia {
  readonly address: string;
  readonly port: number;
}

/** Why the SDP's media address or port cannot be used: a Warning code (RFC 3261 §20.43) and its text. */
export interface RemoteMediaProblem {
  readonly code: 'ERR_SDP_BAD_MEDIA_ADDRESS';
  readonly detail: string;
  /** 301 (address format we cannot use) or 399 (invalid value). */
  readonly warnCode: 301 | 399;
  /** The Warning text, naming the problem (no quotes or backslashes, bounded length). */
  readonly warnText: string;
}

/** Options of {@link checkRemoteMedia}. */
export interface RemoteMediaOptions {
  /** The address families our RTP socket can send to; absent: any. */
  readonly reachable?: readonly (4 | 6)[];
}

/** Makes untrusted text safe inside a quoted Warning text: printable ASCII, no quotes, at most 40 chars. */
function shown(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]|["\\]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}

function problem(
  warnCode: 301 | 399,
  warnText: string,
  detail: string,
): ParseResult<never, RemoteMediaProblem> {
  return fail({ code: 'ERR_SDP_BAD_MEDIA_ADDRESS', detail, warnCode, warnText });
}

/** Checks the address and port of one active m= line (port != 0). Never throws. */
export function checkRemoteMedia(
  sdp: SessionDescription,
  media: MediaDescription,
  options: RemoteMediaOptions = {},
): ParseResult<RemoteMedia, RemoteMediaProblem> {
  const port: unknown = media.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    const text = shown(String(port));
    return problem(399, `Invalid media port ${text}`, `m=${media.type} port ${text} is not 1-65535`);
  }
  const connection = media.connection ?? sdp.connection;
  const raw: unknown = connection?.ip;
  if (typeof raw !== 'string' || raw === '') {
    return problem(399, 'No media address', `m=${media.type} has no c= address`);
  }
  const address = raw;
  const family = ipLiteralFamily(address);
  const where = media.connection === undefined ? 'session c=' : `m=${media.type} c=`;
  if (family === undefined) {
    const looksLikeName = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(address) && /[A-Za-z]/.test(address);
    return looksLikeName
      ? problem(
          301,
          `Host names not supported in c=: ${shown(address)}`,
          `${where} ${address} is a host name; only IP literals are accepted`,
        )
      : problem(399, `Invalid media address ${shown(address)}`, `${where} ${address} is not an IP address`);
  }
  const declared = connection?.version;
  if (declared !== family) {
    return problem(
      399,
      `Media address ${shown(address)} is not IP${String(declared)}`,
      `${where} declares IP${String(declared)} but ${address} is an IPv${family} address`,
    );
  }
  if (isHoldAddress(address)) {
    return ok({ address, port });
  }
  if (isMulticastLiteral(address)) {
    return problem(
      399,
      `Multicast media address ${shown(address)} not supported`,
      `${where} ${address} is multicast`,
    );
  }
  if (options.reachable !== undefined && !options.reachable.includes(family)) {
    return problem(
      301,
      `Incompatible network address formats: IPv${family} media address ${shown(address)}`,
      `${where} ${address} is IPv${family}; our RTP socket sends over IPv${options.reachable.join('/IPv')}`,
    );
  }
  return ok({ address, port });
}
