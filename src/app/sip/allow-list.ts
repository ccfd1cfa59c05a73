/**
 * The inbound allow-list: source addresses or CIDRs that may send SIP requests (config `sip.allowFrom`).
 * IPv4-mapped IPv6 sources (`::ffff:10.0.0.1`) are checked as IPv4.
 */
import { BlockList, isIP } from 'node:net';

/** Matches source addresses against a list of addresses and CIDRs. */
export class AllowList {
  readonly #list = new BlockList();

  /** @throws RangeError for an entry that is neither an address nor a CIDR. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', prefixText] = entry.trim().split('/');
      const family = isIP(address);
      if (family === 0) {
        throw new RangeError(`sip.allowFrom: "${entry}" is not an IP address or CIDR`);
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new RangeError(`sip.allowFrom: "${entry}" has a bad prefix length`);
      }
      this.#list.addSubnet(address, prefix, type);
    }
  }

  /** True when `address` is inside one of the entries. */
  allows(address: string): boolean {
    const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
    const family = isIP(plain);
    if (family === 0) {
      return false;
    }
    return this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}
