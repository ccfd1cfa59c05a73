/**
 * The outbound target policy (config `http.allowedTargets` / `http.deniedTargets`, docs/security.md
 * "Outbound requests (SSRF)"): which hosts streamfork may connect to for answer/callback/`<Play>` URLs,
 * `<Stream>` WebSockets and SIP URIs dialled without a trunk. Pure: the adapters resolve names and ask
 * this module about the URL's host name and about every address it resolved to.
 *
 * Entries are CIDRs (`10.0.0.0/8`, `fd00::/8`), single addresses (`10.1.2.3`, `::1`) or host patterns
 * (`bots.example.com`, `*.example.com` for any name below example.com, `*` for every name).
 *
 * The decision, the same for names and for addresses: the most specific matching entry decides
 * (the longest prefix; an exact name over a wildcard, a longer wildcard suffix over a shorter one). At
 * equal specificity the operator's `deniedTargets` beats the operator's `allowedTargets`, which beats a
 * built-in entry. Nothing matching: allowed. A target passes only if its name (when it has one) and every
 * address it resolved to pass: a name rule never lifts an address rule, so a name cannot be pointed at a
 * denied address (DNS rebinding) to get around it.
 */
import { canonicalIp, parseIp, type IpAddress } from './ip-address.js';

/** Where an entry came from, in the order ties are broken (highest wins). */
export type RuleSource = 'builtin' | 'allowed' | 'denied';

interface RuleBase {
  /** The entry as written (shown in errors and refusals). */
  readonly text: string;
  readonly source: RuleSource;
  /** Why a built-in entry exists. */
  readonly note?: string;
}

interface AddressRule extends RuleBase {
  readonly kind: 'address';
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

interface NameRule extends RuleBase {
  readonly kind: 'name';
  /** Lower-case labels without the `*.`; empty with `wildcard` for `*`. */
  readonly suffix: string;
  readonly wildcard: boolean;
}

export type TargetRule = AddressRule | NameRule;

export interface TargetPolicy {
  readonly addressRules: readonly AddressRule[];
  readonly nameRules: readonly NameRule[];
}

/** Why a target was refused: the rule that decided, as written, and the list it came from. */
export interface TargetRefusal {
  readonly rule: string;
  readonly source: RuleSource;
  readonly note?: string;
}

const LIST_NAMES: Readonly<Record<RuleSource, string>> = {
  builtin: 'the built-in denied targets',
  allowed: 'http.allowedTargets',
  denied: 'http.deniedTargets',
};

/** The config key (or "the built-in denied targets") a refusal came from, for messages. */
export function describeRefusal(refusal: TargetRefusal): string {
  const why = refusal.note === undefined ? '' : ` (${refusal.note})`;
  return `matched "${refusal.rule}" in ${LIST_NAMES[refusal.source]}${why}`;
}

/**
 * Denied unless the operator allows them: link-local, cloud metadata services, addresses no server has
 * (unspecified, multicast, broadcast and the reserved 240/4). IPv4-mapped IPv6 forms are covered by
 * matching on the canonical address. Loopback and private ranges are not here: bots on loopback or the
 * LAN are the normal self-hosted setup.
 */
export const BUILTIN_DENIED_TARGETS: readonly (readonly [entry: string, note: string])[] = [
  ['0.0.0.0/8', 'unspecified; Linux connects 0.0.0.0 to the local host'],
  ['::/128', 'unspecified'],
  ['169.254.0.0/16', 'IPv4 link-local, home of most cloud metadata services'],
  ['fe80::/10', 'IPv6 link-local'],
  ['169.254.169.254/32', 'metadata service of AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle, Hetzner'],
  ['169.254.170.2/32', 'AWS ECS task metadata and credentials'],
  ['fd00:ec2::254/128', 'AWS instance metadata over IPv6'],
  ['fd20:ce::254/128', 'Google Compute Engine metadata over IPv6'],
  ['100.100.100.200/32', 'Alibaba Cloud metadata service'],
  ['192.0.0.192/32', 'Oracle Cloud metadata service'],
  ['168.63.129.16/32', 'Azure WireServer (platform host endpoint)'],
  ['224.0.0.0/4', 'IPv4 multicast'],
  ['ff00::/8', 'IPv6 multicast'],
  ['240.0.0.0/4', 'reserved IPv4, including the broadcast address 255.255.255.255'],
  ['metadata.google.internal', 'Google Compute Engine metadata name'],
  ['instance-data', 'AWS metadata name'],
];

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

function prefixBitsSet(bytes: Uint8Array, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) {
      return true;
    }
  }
  return false;
}

function parseAddressEntry(entry: string, source: RuleSource): AddressRule | string | undefined {
  const slash = entry.indexOf('/');
  const addressText = (slash === -1 ? entry : entry.slice(0, slash)).replace(/^\[(.*)\]$/, '$1');
  const parsed = parseIp(addressText);
  if (parsed === undefined) {
    return slash === -1 ? undefined : 'not an IP address before the "/"';
  }
  if (addressText.includes('%')) {
    return 'a zone index (%...) has no meaning in a rule';
  }
  const max = parsed.family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : entry.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return `the prefix length must be a whole number from 0 to ${max}`;
  }
  let prefix = Number(prefixText);
  let ip: IpAddress = parsed;
  const canonical = canonicalIp(parsed);
  if (canonical.family === 4 && parsed.family === 6) {
    if (prefix < 96) {
      return 'an IPv4-mapped range must have a prefix of at least 96 (it is matched as IPv4)';
    }
    ip = canonical;
    prefix -= 96;
  }
  if (prefixBitsSet(ip.bytes, prefix)) {
    return `bits are set past the /${prefixText} prefix (write the network address)`;
  }
  return { kind: 'address', text: entry, source, family: ip.family, bytes: ip.bytes, prefix };
}

function parseNameEntry(entry: string, source: RuleSource): NameRule | string {
  const lower = entry.toLowerCase().replace(/\.$/, '');
  if (lower === '*') {
    return { kind: 'name', text: entry, source, suffix: '', wildcard: true };
  }
  const wildcard = lower.startsWith('*.');
  const name = wildcard ? lower.slice(2) : lower;
  if (name.includes('*')) {
    return 'a wildcard is allowed only as the whole first label ("*.example.com")';
  }
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    return 'not a CIDR, an IP address or a host name (letters, digits, "-", "_" in dot-separated labels)';
  }
  return { kind: 'name', text: entry, source, suffix: name, wildcard };
}

/** Parses one entry; a string is the reason it is not one. */
export function parseTargetRule(raw: string, source: RuleSource): TargetRule | string {
  const entry = raw.trim();
  if (entry === '') {
    return 'an empty entry';
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    return 'a URL; write only its host';
  }
  const address = parseAddressEntry(entry, source);
  if (address !== undefined) {
    return address;
  }
  return parseNameEntry(entry, source);
}

export type TargetPolicyResult =
  | { readonly ok: true; readonly value: TargetPolicy }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Builds the policy from the two config lists plus the built-in entries; every bad entry is reported. */
export function parseTargetPolicy(lists: {
  readonly allowed: readonly string[];
  readonly denied: readonly string[];
}): TargetPolicyResult {
  const addressRules: AddressRule[] = [];
  const nameRules: NameRule[] = [];
  const errors: string[] = [];
  const add = (rule: TargetRule): void => {
    if (rule.kind === 'address') {
      addressRules.push(rule);
    } else {
      nameRules.push(rule);
    }
  };
  for (const [entry, note] of BUILTIN_DENIED_TARGETS) {
    const rule = parseTargetRule(entry, 'builtin');
    if (typeof rule !== 'string') {
      add({ ...rule, note });
    }
  }
  for (const [key, source, list] of [
    ['http.allowedTargets', 'allowed', lists.allowed],
    ['http.deniedTargets', 'denied', lists.denied],
  ] as const) {
    list.forEach((entry, i) => {
      const rule = parseTargetRule(entry, source);
      if (typeof rule === 'string') {
        errors.push(`${key}[${i}]: "${entry}": ${rule}`);
      } else {
        add(rule);
      }
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { addressRules, nameRules } };
}

/** The policy with only the built-in entries (what an adapter uses when given none). */
export function defaultTargetPolicy(): TargetPolicy {
  const res = parseTargetPolicy({ allowed: [], denied: [] });
  return res.ok ? res.value : { addressRules: [], nameRules: [] };
}

const SOURCE_RANK: Readonly<Record<RuleSource, number>> = { builtin: 0, allowed: 1, denied: 2 };

function decide(matches: readonly (readonly [TargetRule, number])[]): TargetRefusal | undefined {
  let best: TargetRule | undefined;
  let bestScore = -1;
  for (const [rule, score] of matches) {
    const better =
      score > bestScore ||
      (score === bestScore && best !== undefined && SOURCE_RANK[rule.source] > SOURCE_RANK[best.source]);
    if (better) {
      best = rule;
      bestScore = score;
    }
  }
  if (best === undefined || best.source === 'allowed') {
    return undefined;
  }
  return { rule: best.text, source: best.source, ...(best.note === undefined ? {} : { note: best.note }) };
}

function inPrefix(rule: AddressRule, ip: IpAddress): boolean {
  if (rule.family !== ip.family) {
    return false;
  }
  const whole = rule.prefix >> 3;
  for (let i = 0; i < whole; i++) {
    if (rule.bytes[i] !== ip.bytes[i]) {
      return false;
    }
  }
  const rest = rule.prefix & 7;
  if (rest === 0) {
    return true;
  }
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((rule.bytes[whole] ?? 0) & mask) === ((ip.bytes[whole] ?? 0) & mask);
}

/** Checks one address (text, IPv6 without brackets); undefined when it may be connected to. */
export function checkTargetAddress(policy: TargetPolicy, address: string): TargetRefusal | undefined {
  const parsed = parseIp(address);
  if (parsed === undefined) {
    return { rule: address, source: 'builtin', note: 'not an IP address' };
  }
  const ip = canonicalIp(parsed);
  const matches: (readonly [AddressRule, number])[] = [];
  for (const rule of policy.addressRules) {
    if (inPrefix(rule, ip)) {
      matches.push([rule, rule.prefix]);
    }
  }
  return decide(matches);
}

/** Checks a host name (not an address literal); undefined when its name is not refused. */
export function checkTargetName(policy: TargetPolicy, host: string): TargetRefusal | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  const labels = name === '' ? 0 : name.split('.').length;
  const matches: (readonly [NameRule, number])[] = [];
  for (const rule of policy.nameRules) {
    const ruleLabels = rule.suffix === '' ? 0 : rule.suffix.split('.').length;
    if (!rule.wildcard && name === rule.suffix) {
      matches.push([rule, ruleLabels * 2 + 1]);
    } else if (
      rule.wildcard &&
      (rule.suffix === '' || name.endsWith(`.${rule.suffix}`)) &&
      labels > ruleLabels
    ) {
      matches.push([rule, ruleLabels * 2]);
    }
  }
  return decide(matches);
}

/** True when `host` is an IP address literal (IPv6 with or without brackets). */
export function isIpLiteral(host: string): boolean {
  return parseIp(host.replace(/^\[(.*)\]$/, '$1')) !== undefined;
}
