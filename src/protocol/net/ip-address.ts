/**
 * IP address text to bytes, without node:net (the sans-I/O core may not import it): IPv4 dotted quads
 * (four decimal parts only, no octal or hex shorthands) and IPv6 (RFC 4291 §2.2, with `::`, an embedded
 * IPv4 tail and an optional `%zone`). IPv4-mapped IPv6 (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) is what
 * the same host is reached by over an IPv6 socket, so {@link canonicalIp} turns it into the IPv4 address.
 */

/** An address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

function parseIpv4Parts(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return false;
  }
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? '';
    // Leading zeros are refused: some resolvers read them as octal, so their meaning is ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) {
      return false;
    }
    const n = Number(part);
    if (n > 255) {
      return false;
    }
    out[at + i] = n;
  }
  return true;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') {
    return [];
  }
  const groups: number[] = [];
  for (const g of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
      return undefined;
    }
    groups.push(parseInt(g, 16));
  }
  return groups;
}

function parseIpv6(input: string): Uint8Array | undefined {
  const zone = input.indexOf('%');
  let text = zone === -1 ? input : input.slice(0, zone);
  if (zone !== -1 && zone === input.length - 1) {
    return undefined;
  }
  const bytes = new Uint8Array(16);
  let tailGroups: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon !== -1 && text.includes('.', lastColon)) {
    // An embedded IPv4 tail fills the last 32 bits.
    if (!parseIpv4Parts(text.slice(lastColon + 1), bytes, 12)) {
      return undefined;
    }
    tailGroups = [(bytes[12] ?? 0) * 256 + (bytes[13] ?? 0), (bytes[14] ?? 0) * 256 + (bytes[15] ?? 0)];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const double = text.indexOf('::');
  let groups: number[];
  if (double === -1) {
    const all = parseGroups(text);
    if (all?.length !== 8) {
      return undefined;
    }
    groups = all;
  } else {
    if (text.slice(double + 1).includes('::')) {
      return undefined;
    }
    const head = parseGroups(text.slice(0, double));
    const tail = parseGroups(text.slice(double + 2));
    if (head === undefined || tail === undefined || head.length + tail.length > 7) {
      return undefined;
    }
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  if (tailGroups.length === 2) {
    groups[6] = tailGroups[0] ?? 0;
    groups[7] = tailGroups[1] ?? 0;
  }
  for (let i = 0; i < 8; i++) {
    const g = groups[i] ?? 0;
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  }
  return bytes;
}

/** Parses an IPv4 or IPv6 address (IPv6 without brackets); undefined when it is neither. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes === undefined ? undefined : { family: 6, bytes };
  }
  const bytes = new Uint8Array(4);
  return parseIpv4Parts(text, bytes, 0) ? { family: 4, bytes } : undefined;
}

/** True for `::ffff:0:0/96`, the IPv4-mapped IPv6 block. */
function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) {
    if (bytes[i] !== 0) {
      return false;
    }
  }
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The address as it is matched: IPv4-mapped IPv6 becomes its IPv4 address, everything else as is. */
export function canonicalIp(ip: IpAddress): IpAddress {
  return ip.family === 6 && isMapped(ip.bytes) ? { family: 4, bytes: ip.bytes.slice(12) } : ip;
}
