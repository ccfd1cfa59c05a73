import assert from 'node:assert/strict';
import { test } from 'node:test';

import sdpTransform from 'sdp-transform';

import { buildOffer, readAnswer } from './build-offer.js';
import { negotiateAnswer, type NegotiateAnswerOptions } from './negotiate-answer.js';
import { parseKeyParams, type SrtpMode, type SrtpPolicy } from './sdes-crypto.js';

const KEY_B64 = Buffer.from(Array.from({ length: 30 }, (_, i) => i + 1)).toString('base64');

function offerSdp(protocol: string, cryptoLines: string[]): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio 6000 ${protocol} 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    ...cryptoLines,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const policy = (mode: SrtpMode): SrtpPolicy => ({
  mode,
  keyMaterial: Uint8Array.from({ length: 60 }, (_, i) => 100 + i),
});

const opts = (mode: SrtpMode): NegotiateAnswerOptions => ({
  localAddress: '127.0.0.1',
  localPort: 40000,
  origin: { sessionId: '42', sessionVersion: 1 },
  srtp: policy(mode),
});

const line80 = `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}`;
const line32 = `a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:${KEY_B64}|2^20`;

test('RFC 4568 key params: inline key||salt with an optional lifetime; MKI, short keys and several keys are skipped', () => {
  const k = parseKeyParams('AES_CM_128_HMAC_SHA1_80', `inline:${KEY_B64}`);
  assert.deepEqual(
    Array.from(k?.key ?? []),
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    Array.from(k?.salt ?? []),
    Array.from({ length: 14 }, (_, i) => i + 17),
  );
  assert.ok(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `inline:${KEY_B64}|2^31`));
  assert.ok(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `inline:${KEY_B64}|1048576`));
  assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `inline:${KEY_B64}|2^20|1:4`), undefined);
  assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `inline:${KEY_B64}|1:4`), undefined);
  assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', 'inline:AAAA'), undefined);
  assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `inline:${KEY_B64};inline:${KEY_B64}`), undefined);
  assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `uri:${KEY_B64}`), undefined);
  assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', 'inline:!!!'), undefined);
});

test('optional: an RTP/SAVP offer is answered RTP/SAVP with one a=crypto (the offer tag and suite, our key)', () => {
  const r = negotiateAnswer(offerSdp('RTP/SAVP', [line32, line80]), opts('optional'));
  assert.ok(r.ok, JSON.stringify(r));
  const m = sdpTransform.parse(r.value.answer).media[0];
  assert.ok(m);
  assert.equal(m.protocol, 'RTP/SAVP');
  const lines = m.crypto ?? [];
  assert.equal(lines.length, 1);
  const ourKey = Buffer.from(Uint8Array.from({ length: 30 }, (_, i) => 100 + i)).toString('base64');
  assert.deepEqual(lines[0], { id: 7, suite: 'AES_CM_128_HMAC_SHA1_32', config: `inline:${ourKey}` });
  const srtp = r.value.audio.srtp;
  assert.ok(srtp);
  assert.equal(srtp.suite, 'AES_CM_128_HMAC_SHA1_32');
  assert.deepEqual(
    Array.from(srtp.remote.key),
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    Array.from(srtp.local.key),
    Array.from({ length: 16 }, (_, i) => 100 + i),
  );
});

test('optional: plain RTP/AVP is answered plain; RTP/AVP with a=crypto (best effort) is answered with crypto', () => {
  const plain = negotiateAnswer(offerSdp('RTP/AVP', []), opts('optional'));
  assert.ok(plain.ok);
  assert.equal(plain.value.audio.srtp, undefined);
  assert.doesNotMatch(plain.value.answer, /a=crypto/);
  const best = negotiateAnswer(offerSdp('RTP/AVP', [line80]), opts('optional'));
  assert.ok(best.ok);
  assert.match(best.value.answer, /m=audio 40000 RTP\/AVP /);
  assert.match(best.value.answer, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
  assert.equal(best.value.audio.srtp?.suite, 'AES_CM_128_HMAC_SHA1_80');
});

test('off: an RTP/SAVP-only offer is refused with 488; a=crypto on RTP/AVP is ignored', () => {
  const r = negotiateAnswer(offerSdp('RTP/SAVP', [line80]), opts('off'));
  assert.ok(!r.ok);
  assert.equal(r.error.sipStatus, 488);
  assert.match(r.error.warning, /^302 /);
  const avp = negotiateAnswer(offerSdp('RTP/AVP', [line80]), opts('off'));
  assert.ok(avp.ok);
  assert.equal(avp.value.audio.srtp, undefined);
  assert.doesNotMatch(avp.value.answer, /a=crypto/);
  // Without any srtp option the answerer behaves as off.
  const { srtp: _unused, ...noSrtp } = opts('off');
  assert.ok(!negotiateAnswer(offerSdp('RTP/SAVP', [line80]), noSrtp).ok);
});

test('required: a plain offer is refused with 488 naming SRTP; SAVP without a usable crypto line is refused too', () => {
  const r = negotiateAnswer(offerSdp('RTP/AVP', []), opts('required'));
  assert.ok(!r.ok);
  assert.equal(r.error.sipStatus, 488);
  assert.match(r.error.warning, /SRTP required/);
  const mki = negotiateAnswer(
    offerSdp('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY_B64}|2^20|1:4`]),
    opts('required'),
  );
  assert.ok(!mki.ok);
  assert.equal(mki.error.sipStatus, 488);
  assert.match(mki.error.warning, /No usable crypto suite/);
  const unknown = negotiateAnswer(
    offerSdp('RTP/SAVP', [`a=crypto:1 AEAD_AES_256_GCM inline:${KEY_B64}`]),
    opts('optional'),
  );
  assert.ok(!unknown.ok);
  const ok = negotiateAnswer(offerSdp('RTP/SAVP', [line80]), opts('required'));
  assert.ok(ok.ok);
});

test('our offer per mode, and reading the answer: keys pair up in both directions', () => {
  const base = { localAddress: '127.0.0.1', localPort: 30000, origin: { sessionId: '1', sessionVersion: 1 } };
  assert.doesNotMatch(buildOffer({ ...base, srtp: policy('off') }), /a=crypto|SAVP/);
  const optional = buildOffer({ ...base, srtp: policy('optional') });
  assert.match(optional, /m=audio 30000 RTP\/AVP /);
  assert.match(
    optional,
    /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\S+\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:/,
  );
  const required = buildOffer({ ...base, srtp: policy('required') });
  assert.match(required, /m=audio 30000 RTP\/SAVP /);

  // The peer (another streamfork answerer with its own keys) answers; we read its answer.
  const peerPolicy: SrtpPolicy = { mode: 'required', keyMaterial: new Uint8Array(60).fill(7) };
  const answered = negotiateAnswer(required, { ...opts('required'), srtp: peerPolicy });
  assert.ok(answered.ok);
  const read = readAnswer(answered.value.answer, { srtp: policy('required') });
  assert.ok(read.ok, JSON.stringify(read));
  assert.deepEqual(read.value.srtp?.remote.key, answered.value.audio.srtp?.local.key);
  assert.deepEqual(read.value.srtp?.local.key, answered.value.audio.srtp?.remote.key);

  // A plain answer to a required offer is refused; to an optional one it is plain RTP.
  const plainAnswer = negotiateAnswer(optional, opts('off'));
  assert.ok(plainAnswer.ok);
  assert.ok(!readAnswer(plainAnswer.value.answer, { srtp: policy('required') }).ok);
  const plainRead = readAnswer(plainAnswer.value.answer, { srtp: policy('optional') });
  assert.ok(plainRead.ok);
  assert.equal(plainRead.value.srtp, undefined);
  // A SAVP answer when we are off is refused.
  assert.ok(!readAnswer(answered.value.answer).ok);
});
