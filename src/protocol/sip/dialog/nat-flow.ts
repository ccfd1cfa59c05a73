/**
 * In-dialog requests to a far end behind a NAT (docs/nat.md#in-dialog-requests). RFC 3261 §12.2.1.1
 * sends them to the route set, else to the remote target (the peer's Contact). A phone or PBX behind a
 * NAT writes its private address in Contact, which nobody outside can reach, and without a proxy that
 * Record-Routes there is no route set to save it. Then, as carriers' SBCs do (and RFC 5626 §5.3 for a
 * flow), the requests go back to where the dialog's request came from: the NAT's public address and
 * port (UDP), or the connection it opened (TCP, TLS). The Request-URI stays the remote target.
 */
import { getContacts, getRecordRoutes, getTopVia } from '../headers.js';
import type { SipEndpoint, SipRequest, SipResponse } from '../sip-message.types.js';
import { uriEndpoint } from '../uri-endpoint.js';
import { viaRport } from '../via.js';

/** IPv4 as a 32-bit number, or undefined when not a dotted quad. */
function ipv4(address: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (m === null) {
    return undefined;
  }
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) {
    return undefined;
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

function inPrefix(value: number, base: string, bits: number): boolean {
  const b = ipv4(base) ?? 0;
  const size = 2 ** (32 - bits);
  return Math.floor(value / size) === Math.floor(b / size);
}

/**
 * True for an address a NAT hides: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared space
 * (100.64/10, carrier-grade NAT), IPv4 link-local (169.254/16), IPv6 unique-local (fc00::/7) and
 * link-local (fe80::/10).
 */
export function isPrivateAddress(address: string): boolean {
  const v4 = ipv4(address);
  if (v4 !== undefined) {
    return (
      inPrefix(v4, '10.0.0.0', 8) ||
      inPrefix(v4, '172.16.0.0', 12) ||
      inPrefix(v4, '192.168.0.0', 16) ||
      inPrefix(v4, '100.64.0.0', 10) ||
      inPrefix(v4, '169.254.0.0', 16)
    );
  }
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  return /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a);
}

/**
 * UAS side: where in-dialog requests of the dialog `request` (an INVITE) created should go, when that is
 * not its Contact: `source` (the packet's source, or the connection) when the request carried no
 * Record-Route and its Contact is not where it came from (another host; or, on UDP with `rport` asked
 * for, RFC 3581, another port). Undefined: route by the dialog (route set, remote target) as RFC 3261
 * says.
 */
export function uasNatFlow(request: SipRequest, source: SipEndpoint): SipEndpoint | undefined {
  if (getRecordRoutes(request).length > 0) {
    return undefined;
  }
  const contact = getContacts(request)[0];
  const target = contact === undefined ? undefined : uriEndpoint(contact.uri, source.protocol);
  if (target === undefined) {
    return undefined;
  }
  if (target.address.toLowerCase() === source.address.toLowerCase()) {
    const via = getTopVia(request);
    const rport = via === undefined ? undefined : viaRport(via);
    if (source.protocol !== 'udp' || rport === undefined || target.port === source.port) {
      return undefined;
    }
  }
  return { protocol: source.protocol, address: source.address, port: source.port };
}

/**
 * UAC side: the 2xx to our INVITE (`response`, sent to `destination`) names a private Contact (a callee
 * behind a NAT that the destination, a public address, fronts) and no Record-Route: in-dialog requests
 * (the ACK included) go to `destination`. Undefined otherwise.
 */
export function uacNatFlow(response: SipResponse, destination: SipEndpoint): SipEndpoint | undefined {
  if (getRecordRoutes(response).length > 0 || isPrivateAddress(destination.address)) {
    return undefined;
  }
  const contact = getContacts(response)[0];
  const target = contact === undefined ? undefined : uriEndpoint(contact.uri, destination.protocol);
  if (target === undefined || !isPrivateAddress(target.address)) {
    return undefined;
  }
  return destination;
}
