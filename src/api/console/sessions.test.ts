import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConsoleSessions, MAX_SESSIONS, cookieValue, sameSecret, sessionCookie } from './sessions.js';

test('a session lives for its TTL from login, then is gone; end() logs it out', () => {
  const sessions = new ConsoleSessions(1000);
  const s = sessions.create(10_000);
  assert.match(s.id, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
  assert.notEqual(s.id, s.csrf);
  assert.equal(sessions.get(s.id, 10_999)?.id, s.id);
  assert.equal(sessions.get(s.id, 11_000), undefined, 'expired at createdAt + ttl');
  assert.equal(sessions.size, 0, 'an expired session is forgotten when seen');
  const t = sessions.create(20_000);
  sessions.end(t.id);
  assert.equal(sessions.get(t.id, 20_001), undefined);
  assert.equal(sessions.get(undefined, 0), undefined);
  assert.equal(sessions.get('', 0), undefined);
});

test('at most MAX_SESSIONS: a new login past it ends the oldest; expired ones go first', () => {
  const sessions = new ConsoleSessions(60_000);
  const first = sessions.create(0);
  for (let i = 1; i < MAX_SESSIONS; i++) {
    sessions.create(1);
  }
  assert.equal(sessions.size, MAX_SESSIONS);
  const next = sessions.create(2);
  assert.equal(sessions.size, MAX_SESSIONS);
  assert.equal(sessions.get(first.id, 3), undefined, 'the oldest was ended');
  assert.equal(sessions.get(next.id, 3)?.id, next.id);
  // All expire: the next login prunes them all.
  sessions.create(120_000);
  assert.equal(sessions.size, 1);
});

test('cookie parsing and the Set-Cookie attributes', () => {
  assert.equal(cookieValue('a=1; sf_console=abc; b=2', 'sf_console'), 'abc');
  assert.equal(cookieValue('xsf_console=abc', 'sf_console'), undefined);
  assert.equal(cookieValue(undefined, 'sf_console'), undefined);
  assert.equal(
    sessionCookie('v', 60, false),
    'sf_console=v; Path=/console; HttpOnly; SameSite=Strict; Max-Age=60',
  );
  assert.ok(sessionCookie('', 0, true).endsWith('; Max-Age=0; Secure'));
  assert.ok(sameSecret('a', 'a'));
  assert.ok(!sameSecret('a', 'b'));
  assert.ok(!sameSecret('a', 'aa'));
});
