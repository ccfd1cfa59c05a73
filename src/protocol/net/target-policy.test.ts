// Table-driven tests of the outbound target policy: address parsing, built-in denials, IPv4-mapped IPv6,
// host patterns, the most-specific-wins precedence and the errors for bad entries.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { canonicalIp, parseIp } from './ip-address.js';
import {
  checkTargetAddress,
  checkTargetName,
  defaultTargetPolicy,
  describeRefusal,
  isIpLiteral,
  parseTargetPolicy,
  type TargetPolicy,
} from './target-policy.js';

function policy(allowed: string[], denied: string[]): TargetPolicy {
  const res = parseTargetPolicy({ allowed, denied });
  assert.ok(res.ok, res.ok ? '' : res.errors.join('; '));
  return res.value;
}

test('parseIp reads IPv4 and IPv6 forms and refuses ambiguous or broken ones', () => {
  const good: [string, number, string][] = [
    ['127.0.0.1', 4, '7f000001'],
    ['255.255.255.255', 4, 'ffffffff'],
    ['::', 6, '0'.repeat(32)],
    ['::1', 6, `${'0'.repeat(31)}1`],
    ['fe80::1%eth0', 6, `fe80${'0'.repeat(27)}1`],
    ['::ffff:169.254.169.254', 6, `${'0'.repeat(20)}ffffa9fea9fe`],
    ['1:2:3:4:5:6:7:8', 6, '00010002000300040005000600070008'],
    ['fd00:ec2::254', 6, `fd000ec2${'0'.repeat(20)}0254`],
  ];
  for (const [text, family, hex] of good) {
    const ip = parseIp(text);
    assert.ok(ip, text);
    assert.equal(ip.family, family, text);
    assert.equal(Buffer.from(ip.bytes).toString('hex'), hex, text);
  }
  const bad = [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '0x7f.0.0.1',
    '1::2::3',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    'fe80::1%',
    'example.com',
    '1.2.3.4/8',
  ];
  for (const text of bad) {
    assert.equal(parseIp(text), undefined, text);
  }
  const mapped = canonicalIp(parseIp('::ffff:10.1.2.3')!);
  assert.equal(mapped.family, 4);
  assert.deepEqual(Array.from(mapped.bytes), [10, 1, 2, 3]);
});

test('the built-in policy: metadata, link-local, unspecified, multicast, broadcast denied; loopback and LAN allowed', () => {
  const p = defaultTargetPolicy();
  const cases: [string, 'allow' | 'deny'][] = [
    ['127.0.0.1', 'allow'],
    ['127.0.0.2', 'allow'],
    ['::1', 'allow'],
    ['10.0.0.5', 'allow'],
    ['192.168.1.10', 'allow'],
    ['fd12:3456::1', 'allow'],
    ['100.100.100.201', 'allow'],
    ['93.184.216.34', 'allow'],
    ['169.254.169.254', 'deny'],
    ['169.254.170.2', 'deny'],
    ['169.254.1.1', 'deny'],
    ['fe80::1', 'deny'],
    ['fe80::1%eth0', 'deny'],
    ['febf::1', 'deny'],
    ['fd00:ec2::254', 'deny'],
    ['fd20:ce::254', 'deny'],
    ['100.100.100.200', 'deny'],
    ['192.0.0.192', 'deny'],
    ['168.63.129.16', 'deny'],
    ['0.0.0.0', 'deny'],
    ['0.1.2.3', 'deny'],
    ['::', 'deny'],
    ['224.0.0.1', 'deny'],
    ['239.255.255.250', 'deny'],
    ['ff02::1', 'deny'],
    ['255.255.255.255', 'deny'],
    ['::ffff:169.254.169.254', 'deny'],
    ['::ffff:a9fe:a9fe', 'deny'],
    ['::ffff:0.0.0.0', 'deny'],
    ['::ffff:127.0.0.1', 'allow'],
    ['not-an-ip', 'deny'],
  ];
  for (const [address, expected] of cases) {
    const refusal = checkTargetAddress(p, address);
    assert.equal(refusal === undefined ? 'allow' : 'deny', expected, address);
  }
  const meta = checkTargetAddress(p, '169.254.169.254');
  assert.equal(meta?.rule, '169.254.169.254/32', 'the most specific built-in entry is the one named');
  assert.match(describeRefusal(meta), /"169\.254\.169\.254\/32" in the built-in denied targets \(metadata/);
  assert.equal(checkTargetName(p, 'metadata.google.internal')?.rule, 'metadata.google.internal');
  assert.equal(checkTargetName(p, 'METADATA.google.internal.')?.rule, 'metadata.google.internal');
  assert.equal(checkTargetName(p, 'localhost'), undefined);
});

test('precedence: the most specific entry wins; at a tie denied beats allowed, which beats built-in', () => {
  const cases: [string[], string[], string, 'allow' | 'deny', string?][] = [
    // A hole in an operator's deny block, and a deny inside an operator's allow block.
    [['10.1.2.3'], ['10.0.0.0/8'], '10.1.2.3', 'allow'],
    [['10.1.2.3'], ['10.0.0.0/8'], '10.1.2.4', 'deny', '10.0.0.0/8'],
    [['10.0.0.0/8'], ['10.9.0.0/16'], '10.9.1.1', 'deny', '10.9.0.0/16'],
    [['10.0.0.0/8'], ['10.9.0.0/16'], '10.8.1.1', 'allow'],
    // Deny everything, allow a few: the allow-list setup.
    [['192.0.2.0/24', '2001:db8::/32'], ['0.0.0.0/0', '::/0'], '192.0.2.7', 'allow'],
    [['192.0.2.0/24', '2001:db8::/32'], ['0.0.0.0/0', '::/0'], '198.51.100.1', 'deny', '0.0.0.0/0'],
    [['192.0.2.0/24', '2001:db8::/32'], ['0.0.0.0/0', '::/0'], '2001:db8::5', 'allow'],
    [['192.0.2.0/24', '2001:db8::/32'], ['0.0.0.0/0', '::/0'], '::1', 'deny', '::/0'],
    // A tie between the operator's own lists goes to deny.
    [['10.0.0.0/8'], ['10.0.0.0/8'], '10.0.0.1', 'deny', '10.0.0.0/8'],
    // The operator can reopen a built-in range with an entry at least as specific...
    [['169.254.0.0/16'], [], '169.254.10.1', 'allow'],
    [['fe80::/10'], [], 'fe80::5', 'allow'],
    // ...but the more specific metadata entry still holds until it is named too.
    [['169.254.0.0/16'], [], '169.254.169.254', 'deny', '169.254.169.254/32'],
    [['169.254.169.254'], [], '169.254.169.254', 'allow'],
    // Loopback is allowed by default and deniable, also in its mapped form.
    [[], ['127.0.0.2/32'], '127.0.0.2', 'deny', '127.0.0.2/32'],
    [[], ['127.0.0.2/32'], '::ffff:127.0.0.2', 'deny', '127.0.0.2/32'],
    [[], ['127.0.0.2/32'], '127.0.0.1', 'allow'],
    // A rule written in mapped form matches the IPv4 address.
    [[], ['::ffff:10.0.0.0/104'], '10.3.3.3', 'deny', '::ffff:10.0.0.0/104'],
    [[], ['[2001:db8::]/32'], '2001:db8::1', 'deny', '[2001:db8::]/32'],
  ];
  for (const [allowed, denied, address, expected, rule] of cases) {
    const refusal = checkTargetAddress(policy(allowed, denied), address);
    const label = `allowed=${allowed.join(',')} denied=${denied.join(',')} ${address}`;
    assert.equal(refusal === undefined ? 'allow' : 'deny', expected, label);
    if (rule !== undefined) {
      assert.equal(refusal?.rule, rule, label);
    }
  }
});

test('host patterns: exact names, wildcards below a domain, "*", most specific first', () => {
  const cases: [string[], string[], string, 'allow' | 'deny', string?][] = [
    [[], ['*.example.com'], 'a.example.com', 'deny', '*.example.com'],
    [[], ['*.example.com'], 'a.b.example.com', 'deny', '*.example.com'],
    [[], ['*.example.com'], 'example.com', 'allow'],
    [[], ['*.example.com'], 'badexample.com', 'allow'],
    [[], ['example.com'], 'EXAMPLE.com.', 'deny', 'example.com'],
    [['bots.example.com'], ['*.example.com'], 'bots.example.com', 'allow'],
    [['*.bots.example.com'], ['*.example.com'], 'x.bots.example.com', 'allow'],
    [['*.example.com'], ['evil.example.com'], 'evil.example.com', 'deny', 'evil.example.com'],
    [['bots.example.com'], ['*'], 'bots.example.com', 'allow'],
    [['bots.example.com'], ['*'], 'other.example.org', 'deny', '*'],
    [['*'], ['*'], 'x.y', 'deny', '*'],
    [['metadata.google.internal'], [], 'metadata.google.internal', 'allow'],
  ];
  for (const [allowed, denied, host, expected, rule] of cases) {
    const refusal = checkTargetName(policy(allowed, denied), host);
    const label = `allowed=${allowed.join(',')} denied=${denied.join(',')} ${host}`;
    assert.equal(refusal === undefined ? 'allow' : 'deny', expected, label);
    if (rule !== undefined) {
      assert.equal(refusal?.rule, rule, label);
    }
  }
});

test('bad entries are reported together, each with its key, index and reason', () => {
  const res = parseTargetPolicy({
    allowed: ['10.0.0.0/33', '', 'http://bots.example.com'],
    denied: [
      '10.0.0.1/8',
      'ex*ample.com',
      'fe80::/129',
      'zzz/8',
      '::ffff:10.0.0.0/64',
      'a..b',
      'fe80::1%eth0',
      '10.0.0.0/08',
    ],
  });
  assert.ok(!res.ok);
  const errors = res.errors;
  const expected: RegExp[] = [
    /^http\.allowedTargets\[0\]: "10\.0\.0\.0\/33": the prefix length must be a whole number from 0 to 32$/,
    /^http\.allowedTargets\[1\]: "": an empty entry$/,
    /^http\.allowedTargets\[2\]: "http:\/\/bots\.example\.com": a URL; write only its host$/,
    /^http\.deniedTargets\[0\]: "10\.0\.0\.1\/8": bits are set past the \/8 prefix/,
    /^http\.deniedTargets\[1\]: "ex\*ample\.com": a wildcard is allowed only as the whole first label/,
    /^http\.deniedTargets\[2\]: "fe80::\/129": the prefix length must be a whole number from 0 to 128$/,
    /^http\.deniedTargets\[3\]: "zzz\/8": not an IP address before the "\/"$/,
    /^http\.deniedTargets\[4\]: "::ffff:10\.0\.0\.0\/64": an IPv4-mapped range must have a prefix of at least 96/,
    /^http\.deniedTargets\[5\]: "a\.\.b": not a CIDR, an IP address or a host name/,
    /^http\.deniedTargets\[6\]: "fe80::1%eth0": a zone index/,
    /^http\.deniedTargets\[7\]: "10\.0\.0\.0\/08": the prefix length must be/,
  ];
  assert.equal(errors.length, expected.length, errors.join('\n'));
  expected.forEach((re, i) => {
    assert.match(errors[i] ?? '', re);
  });
});

test('isIpLiteral tells address hosts from names', () => {
  for (const host of ['127.0.0.1', '[::1]', '::1', 'fe80::1%lo']) {
    assert.equal(isIpLiteral(host), true, host);
  }
  for (const host of ['localhost', 'example.com', '127.0.0.1.nip.io', '']) {
    assert.equal(isIpLiteral(host), false, host);
  }
});
