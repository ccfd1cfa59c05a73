/**
 * Where a SIP URI points (RFC 3263 §4 without DNS): maddr or host, the port (5060, or 5061 for sips),
 * and the transport parameter (`sips:` or `transport=tls`: TLS). Host names are returned as they are; resolving them is the adapter's job.
 */
import type { SipEndpoint, SipTransportProtocol } from './sip-message.types.js';
import { parseSipUri, uriParam } from './sip-uri.js';

/** The endpoint of a sip:/sips: URI, or undefined when it is not one. */
export function uriEndpoint(
  uri: string,
  defaultProtocol: SipTransportProtocol = 'udp',
): SipEndpoint | undefined {
  const parsed = parseSipUri(uri);
  if (!parsed.ok) {
    return undefined;
  }
  const u = parsed.value;
  const transport = uriParam(u, 'transport')?.toLowerCase();
  // RFC 3261 §26.2.2: a sips: URI is reached over TLS whatever its transport parameter says.
  const protocol: SipTransportProtocol =
    u.scheme === 'sips' || transport === 'tls'
      ? 'tls'
      : transport === 'tcp'
        ? 'tcp'
        : transport === 'udp'
          ? 'udp'
          : defaultProtocol;
  const host = uriParam(u, 'maddr') ?? u.host;
  return {
    protocol,
    address: host.replace(/^\[|\]$/g, ''),
    port: u.port ?? (u.scheme === 'sips' ? 5061 : 5060),
  };
}
