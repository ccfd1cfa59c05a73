/**
 * Applies the outbound target policy (protocol/net/target-policy.ts) where it cannot be got around: at
 * connect time, after DNS. `lookup` replaces `dns.lookup` for net/tls sockets (undici's connector, the
 * `ws` client), so the address checked is the address connected to and a name cannot rebind between a
 * check and the connect. Sockets skip `lookup` for IP literals, so callers check those with
 * {@link TargetGuard.checkLiteral} first. `resolve` is the same check for SIP URIs (the INVITE is sent
 * to the address returned).
 *
 * Refusals say which host and which rule, never which address the name resolved to (that is
 * information about the internal network).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';

import {
  checkTargetAddress,
  checkTargetName,
  defaultTargetPolicy,
  describeRefusal,
  isIpLiteral,
  type TargetPolicy,
  type TargetRefusal,
} from '../../protocol/net/target-policy.js';

/** The error code of a refused target (catalogue `ERR_TARGET_DENIED`). */
export const TARGET_DENIED = 'ERR_TARGET_DENIED';

/** A connect refused by the target policy. `message` starts with the code. */
export class TargetDeniedError extends Error {
  readonly code = TARGET_DENIED;
  readonly host: string;
  readonly refusal: TargetRefusal;

  constructor(host: string, refusal: TargetRefusal, resolved: boolean) {
    const what = resolved ? `host "${host}" resolves to an address that` : `host "${host}"`;
    super(`${TARGET_DENIED}: ${what} ${describeRefusal(refusal)}; the connection was refused`);
    this.name = 'TargetDeniedError';
    this.host = host;
    this.refusal = refusal;
  }
}

/** Finds the TargetDeniedError in an error's cause chain. */
export function targetDeniedIn(err: unknown): TargetDeniedError | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof TargetDeniedError) {
      return e;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Resolves a name to every address (dns.lookup with `all: true`); injectable for tests. */
export type Resolver = (host: string, family: 0 | 4 | 6) => Promise<readonly LookupAddress[]>;

const systemResolver: Resolver = (host, family) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, family }, (err, addresses) => {
      if (err === null) {
        resolve(addresses);
      } else {
        reject(err);
      }
    });
  });

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

function stripBrackets(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1');
}

export type GuardedResolution =
  | { readonly ok: true; readonly address: string; readonly family: 4 | 6 }
  | { readonly ok: false; readonly denied: boolean; readonly detail: string };

export class TargetGuard {
  readonly policy: TargetPolicy;
  readonly #resolver: Resolver;

  constructor(policy: TargetPolicy = defaultTargetPolicy(), resolver: Resolver = systemResolver) {
    this.policy = policy;
    this.#resolver = resolver;
  }

  /** For an IP-literal host (brackets allowed): the refusal, if any. Names give undefined (see lookup). */
  checkLiteral(host: string): TargetDeniedError | undefined {
    const plain = stripBrackets(host);
    if (!isIpLiteral(plain)) {
      return undefined;
    }
    const refusal = checkTargetAddress(this.policy, plain);
    return refusal === undefined ? undefined : new TargetDeniedError(plain, refusal, false);
  }

  /** Resolves `host` and checks its name and every address; a denial of any address refuses the host. */
  async #resolveChecked(host: string, family: 0 | 4 | 6): Promise<readonly LookupAddress[]> {
    const literal = this.checkLiteral(host);
    if (literal !== undefined) {
      throw literal;
    }
    if (isIpLiteral(stripBrackets(host))) {
      const address = stripBrackets(host);
      return [{ address, family: address.includes(':') ? 6 : 4 }];
    }
    const byName = checkTargetName(this.policy, host);
    if (byName !== undefined) {
      throw new TargetDeniedError(host, byName, false);
    }
    const addresses = await this.#resolver(host, family);
    for (const a of addresses) {
      const refusal = checkTargetAddress(this.policy, a.address);
      if (refusal !== undefined) {
        throw new TargetDeniedError(host, refusal, true);
      }
    }
    if (addresses.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    }
    return addresses;
  }

  /** A drop-in for `dns.lookup` in net/tls connect options. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const asked = options.family;
    const family = asked === 4 || asked === 'IPv4' ? 4 : asked === 6 || asked === 'IPv6' ? 6 : 0;
    this.#resolveChecked(hostname, family).then(
      (addresses) => {
        if (options.all === true) {
          callback(null, [...addresses]);
        } else {
          const first = addresses[0] ?? { address: '', family: 4 };
          callback(null, first.address, first.family);
        }
      },
      (err: unknown) => {
        callback(err instanceof Error ? err : new Error(String(err)), '', 0);
      },
    );
  };

  /** Resolves and checks a host for a connection made by address (SIP); never rejects. */
  async resolve(host: string): Promise<GuardedResolution> {
    try {
      const addresses = await this.#resolveChecked(host, 0);
      // IPv4 first: the SIP sockets are IPv4 unless bound to an IPv6 address.
      const first = addresses.find((a) => a.family === 4) ?? addresses[0];
      if (first === undefined) {
        return { ok: false, denied: false, detail: `${host}: no address` };
      }
      return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
    } catch (err) {
      if (err instanceof TargetDeniedError) {
        return { ok: false, denied: true, detail: err.message };
      }
      const e = err as { code?: string; message?: string };
      return { ok: false, denied: false, detail: `${host}: ${e.code ?? e.message ?? String(err)}` };
    }
  }
}
