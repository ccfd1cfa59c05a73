/**
 * IP address literals as SDP writes them in `c=` (RFC 4566 §5.7, RFC 8866 §5.7): dotted-quad IPv4
 * (RFC 791 text form, no leading zeros beyond a single `0`) and IPv6 in the text forms of RFC 4291 §2.2
 * (with `::` compression and a trailing dotted quad). Pure string checks: no resolver, no `node:net`.
 */

const IPV4_OCTET = /^(?:0|[1-9]\d{0,2})$/;
const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** True for a dotted-quad IPv4 address whose four parts are 0–255 (`999.1.1.1` is not one). */
export function isIpv4Literal(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => IPV4_OCTET.test(p) && Number(p) <= 255);
}

/** True for an IPv6 address in RFC 4291 §2.2 text form (no brackets, no zone id, no prefix length). */
export function isIpv6Literal(text: string): boolean {
  if (!text.includes(':') || text.length > 45) {
    return false;
  }
  let head = text;
  let groupsFromIpv4 = 0;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIpv4Literal(tail)) {
      return false;
    }
    // Keep the colon so `::1.2.3.4` still reads as a compression followed by the quad's two groups.
    head = `${text.slice(0, lastColon + 1)}0`;
    groupsFromIpv4 = 1;
  }
  const halves = head.split('::');
  if (halves.length > 2) {
    return false;
  }
  const groups = (half: string): string[] | undefined => {
    if (half === '') {
      return [];
    }
    const g = half.split(':');
    return g.every((x) => IPV6_GROUP.test(x)) ? g : undefined;
  };
  const left = groups(halves[0] ?? '');
  const right = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (left === undefined || right === undefined) {
    return false;
  }
  const count = left.length + right.length + groupsFromIpv4;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** 4 or 6 for an IP literal, undefined for anything else (a host name, `999.1.1.1`, `1.2.3.4/127`). */
export function ipLiteralFamily(text: string): 4 | 6 | undefined {
  if (isIpv4Literal(text)) {
    return 4;
  }
  return isIpv6Literal(text) ? 6 : undefined;
}

/** True for an IPv4 multicast (224.0.0.0/4) or IPv6 multicast (ff00::/8) literal. */
export function isMulticastLiteral(text: string): boolean {
  if (isIpv4Literal(text)) {
    const first = Number(text.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return isIpv6Literal(text) && /^ff/i.test(text);
}
