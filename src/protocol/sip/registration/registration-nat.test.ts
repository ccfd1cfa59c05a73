import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildResponse } from '../build-response.js';
import { getHeader } from '../headers.js';
import type { SipEndpoint, SipRequest } from '../sip-message.types.js';
import { stampTopVia } from '../transaction/transaction-key.js';
import { Registration, type RegistrationConfig, type RegistrationEffect } from './registration.js';

const CONTACT = '<sip:alice-7f@192.0.2.10:5070>';

function config(over: Partial<RegistrationConfig> = {}, learn = true): RegistrationConfig {
  let n = 0;
  const base: RegistrationConfig = {
    registrarUri: 'sip:pbx.test',
    aor: 'sip:alice@pbx.test',
    contact: CONTACT,
    contactAt: (host, port) => `<sip:alice-7f@${host}:${port}>`,
    username: 'alice',
    password: 'x',
    expiresSec: 600,
    callId: 'reg-nat@192.0.2.10',
    fromTag: 'ft1',
    via: () => ({ transport: 'UDP', host: '192.0.2.10', port: 5070, branch: `z9hG4bKnat${++n}` }),
    cnonce: () => 'c0ffee00',
    ...over,
  };
  if (learn) {
    return base;
  }
  const { contactAt: _unused, ...fixed } = base;
  return fixed;
}

function sent(effects: readonly RegistrationEffect[]): SipRequest[] {
  return effects.flatMap((e) => (e.type === 'send' ? [e.request] : []));
}

/** The registrar's 200, its Via stamped with where it saw the REGISTER from (RFC 3581 §4). */
function okFrom(request: SipRequest, source: SipEndpoint): ReturnType<typeof buildResponse> {
  return buildResponse(stampTopVia(request, source), 200, {
    toTag: 'rt',
    headers: [{ name: 'Expires', value: '300' }],
  });
}

const NAT: SipEndpoint = { protocol: 'udp', address: '203.0.113.50', port: 40001 };

test('behind a NAT: the 200 Via received/rport gives our public address; we register it and drop the private Contact', () => {
  const reg = new Registration(config());
  const [first] = sent(reg.input({ type: 'start' }, 0));
  assert.ok(first !== undefined);
  assert.equal(getHeader(first, 'Contact'), CONTACT);
  const again = sent(reg.input({ type: 'response', response: okFrom(first, NAT) }, 10));
  assert.equal(again.length, 1, 'registers again at once');
  const second = again[0];
  assert.ok(second !== undefined);
  assert.equal(
    getHeader(second, 'Contact'),
    `<sip:alice-7f@203.0.113.50:40001>, ${CONTACT};expires=0`,
    'the public Contact, and the private one removed',
  );
  assert.equal(reg.state, 'registered', 'stays registered meanwhile');
  assert.equal(reg.contact, '<sip:alice-7f@203.0.113.50:40001>');
  // The same public address again: settled.
  assert.deepEqual(sent(reg.input({ type: 'response', response: okFrom(second, NAT) }, 20)), []);
  // The refresh carries only the public Contact.
  const [refresh] = sent(reg.input({ type: 'timer' }, 300_000));
  assert.ok(refresh !== undefined);
  assert.equal(getHeader(refresh, 'Contact'), '<sip:alice-7f@203.0.113.50:40001>');
  // The NAT's mapping changes (a new public port): learnt again.
  const moved = sent(
    reg.input({ type: 'response', response: okFrom(refresh, { ...NAT, port: 40777 }) }, 300_010),
  );
  assert.equal(
    getHeader(moved[0] ?? refresh, 'Contact'),
    `<sip:alice-7f@203.0.113.50:40777>, <sip:alice-7f@203.0.113.50:40001>;expires=0`,
  );
});

test('not behind a NAT (the registrar saw our Contact address) or no contactAt: the Contact stays', () => {
  const direct = new Registration(config());
  const [a] = sent(direct.input({ type: 'start' }, 0));
  assert.ok(a !== undefined);
  const same: SipEndpoint = { protocol: 'udp', address: '192.0.2.10', port: 5070 };
  assert.deepEqual(sent(direct.input({ type: 'response', response: okFrom(a, same) }, 10)), []);
  assert.equal(direct.contact, CONTACT);

  const fixed = new Registration(config({}, false));
  const [b] = sent(fixed.input({ type: 'start' }, 0));
  assert.ok(b !== undefined);
  assert.deepEqual(sent(fixed.input({ type: 'response', response: okFrom(b, NAT) }, 10)), []);
  assert.equal(fixed.contact, CONTACT);
});

test('flow-failed (a keep-alive without pong) re-registers at once while registered, and only then', () => {
  const reg = new Registration(config({}, false));
  const [first] = sent(reg.input({ type: 'start' }, 0));
  assert.ok(first !== undefined);
  assert.deepEqual(sent(reg.input({ type: 'flow-failed' }, 5)), [], 'a REGISTER is already in flight');
  reg.input({ type: 'response', response: okFrom(first, NAT) }, 10);
  assert.equal(reg.state, 'registered');
  const effects = reg.input({ type: 'flow-failed' }, 1000);
  assert.ok(
    effects.some((e) => e.type === 'cancel-timer'),
    'the refresh timer gives way',
  );
  const [now] = sent(effects);
  assert.equal(now?.method, 'REGISTER');
  assert.equal(reg.state, 'registered');
});
