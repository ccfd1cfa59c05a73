import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getHeader } from '../headers.js';
import { parseSipMessage } from '../parse-sip-message.js';
import type { SipHeader, SipRequest } from '../sip-message.types.js';
import {
  intervalAfter422,
  negotiateAsUas,
  readSessionExpires,
  readUacSession,
  uacSessionHeaders,
} from './session-timer.js';

const config = { sessionExpiresSec: 1800, minSeSec: 90 };

function invite(headers: SipHeader[]): SipRequest {
  return { kind: 'request', method: 'INVITE', uri: 'sip:a@b', headers, body: new Uint8Array(0) };
}

test('RFC 4028 §4: Session-Expires delta and refresher are read; compact form x; junk is ignored', () => {
  assert.deepEqual(readSessionExpires(invite([{ name: 'Session-Expires', value: '1800;refresher=UAC' }])), {
    deltaSec: 1800,
    refresher: 'uac',
  });
  const compact = parseSipMessage(
    new TextEncoder().encode(
      'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\nx:  600 \r\nContent-Length: 0\r\n\r\n',
    ),
  );
  assert.ok(compact.ok);
  assert.deepEqual(readSessionExpires(compact.value), { deltaSec: 600 });
  assert.equal(readSessionExpires(invite([{ name: 'Session-Expires', value: 'soon' }])), undefined);
  assert.equal(readSessionExpires(invite([])), undefined);
});

test('RFC 4028 §9: a Session-Expires below our Min-SE gets 422 with our Min-SE', () => {
  const d = negotiateAsUas(
    invite([
      { name: 'Supported', value: 'timer' },
      { name: 'Session-Expires', value: '60' },
    ]),
    { sessionExpiresSec: 1800, minSeSec: 120 },
  );
  assert.equal(d.type, 'reject');
  assert.deepEqual(d.headers, [{ name: 'Min-SE', value: '120' }]);
});

test('RFC 4028 §9: the UAC supports timers: its interval and refresher are reflected, with Require: timer', () => {
  const d = negotiateAsUas(
    invite([
      { name: 'Supported', value: '100rel, timer' },
      { name: 'Session-Expires', value: '600;refresher=uas' },
      { name: 'Min-SE', value: '300' },
    ]),
    config,
  );
  assert.ok(d.type === 'accept');
  assert.deepEqual(d.session, { intervalSec: 600, refresher: 'uas' });
  const response = { headers: d.headers };
  assert.equal(getHeader(response, 'Session-Expires'), '600;refresher=uas');
  assert.equal(getHeader(response, 'Require'), 'timer');
});

test('RFC 4028 §9: without a refresher the UAC refreshes; a longer interval than ours is lowered to ours, not below Min-SE', () => {
  const d = negotiateAsUas(
    invite([
      { name: 'Supported', value: 'timer' },
      { name: 'Session-Expires', value: '7200' },
      { name: 'Min-SE', value: '2000' },
    ]),
    config,
  );
  assert.ok(d.type === 'accept');
  assert.deepEqual(d.session, { intervalSec: 2000, refresher: 'uac' });
});

test('RFC 4028 §9: a UAC without timer support: we insert our interval and refresh ourselves; no Require', () => {
  const d = negotiateAsUas(invite([]), config);
  assert.ok(d.type === 'accept');
  assert.deepEqual(d.session, { intervalSec: 1800, refresher: 'uas' });
  assert.equal(getHeader({ headers: d.headers }, 'Require'), undefined);
  assert.equal(getHeader({ headers: d.headers }, 'Session-Expires'), '1800;refresher=uas');
  const off = negotiateAsUas(invite([]), { sessionExpiresSec: 0, minSeSec: 90 });
  assert.ok(off.type === 'accept');
  assert.equal(off.session, undefined);
});

test('RFC 4028 §7: UAC headers, the 2xx read back, and the retry interval after 422', () => {
  const headers = uacSessionHeaders(config);
  assert.deepEqual(headers, [
    { name: 'Supported', value: 'timer' },
    { name: 'Session-Expires', value: '1800' },
    { name: 'Min-SE', value: '90' },
  ]);
  assert.equal(
    getHeader({ headers: uacSessionHeaders(config, 900, 'uac') }, 'Session-Expires'),
    '900;refresher=uac',
  );
  const ok = { ...invite([{ name: 'Session-Expires', value: '900;refresher=uas' }]) };
  assert.deepEqual(readUacSession(ok), { intervalSec: 900, refresher: 'uas' });
  assert.deepEqual(readUacSession(invite([{ name: 'Session-Expires', value: '900' }])), {
    intervalSec: 900,
    refresher: 'uac',
  });
  assert.equal(readUacSession(invite([])), undefined);
  assert.equal(intervalAfter422(invite([{ name: 'Min-SE', value: '3600' }]), 1800), 3600);
  assert.equal(intervalAfter422(invite([{ name: 'Min-SE', value: '600' }]), 1800), undefined);
});
