import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import sdpTransform from 'sdp-transform';

import { buildOffer, readAnswer } from './build-offer.js';
import { negotiateAnswer, type NegotiateAnswerOptions } from './negotiate-answer.js';

const dir = new URL('../../../test/vectors/sip/sdp/', import.meta.url);
const offer = (name: string): string => readFileSync(new URL(`${name}.sdp`, dir), 'utf8');
const local: NegotiateAnswerOptions = {
  localAddress: '127.0.0.1',
  localPort: 40000,
  origin: { sessionId: '42', sessionVersion: 1 },
};

test('RFC 3264 §6.1: the sipp -sn uac PCMU offer is answered with PCMU, ptime 20, sendrecv', () => {
  const r = negotiateAnswer(offer('sipp-uac-offer'), local);
  assert.ok(r.ok);
  assert.deepEqual(r.value.audio.codec, { name: 'PCMU', payloadType: 0, clockRateHz: 8000 });
  assert.equal(r.value.audio.telephoneEvent, undefined);
  assert.equal(r.value.audio.remoteAddress, '127.0.0.1');
  assert.equal(r.value.audio.remotePort, 6000);
  assert.equal(r.value.audio.localDirection, 'sendrecv');
  assert.equal(r.value.audio.onHold, false);
  const answer = sdpTransform.parse(r.value.answer);
  assert.equal(answer.media.length, 1);
  assert.equal(answer.media[0]?.port, 40000);
  assert.equal(String(answer.media[0].payloads), '0');
  assert.equal(answer.media[0].ptime, 20);
  assert.equal(answer.connection?.ip, '127.0.0.1');
  assert.match(r.value.answer, /\r\na=sendrecv\r\n/);
});

test('RFC 3264 §6.1 / RFC 4733 §7.1.1: the real baresip offer yields PCMU and keeps telephone-event PT 105 with fmtp 0-15', () => {
  const r = negotiateAnswer(offer('baresip-offer'), local);
  assert.ok(r.ok);
  assert.equal(r.value.audio.codec.name, 'PCMU');
  assert.deepEqual(r.value.audio.telephoneEvent, { payloadType: 105, events: '0-15' });
  assert.match(r.value.answer, /m=audio 40000 RTP\/AVP 0 105\r\n/);
  assert.match(r.value.answer, /a=rtpmap:105 telephone-event\/8000\r\na=fmtp:105 0-15\r\n/);
  assert.doesNotMatch(r.value.answer, /opus|L16|G722/);
});

test("RFC 3264 §6.1: the offer's order wins by default; our order wins with preferOfferOrder=false", () => {
  const byOffer = negotiateAnswer(offer('baresip-pcma-first-offer'), local);
  assert.ok(byOffer.ok);
  assert.equal(byOffer.value.audio.codec.name, 'PCMA');
  const byUs = negotiateAnswer(offer('baresip-pcma-first-offer'), {
    ...local,
    preferOfferOrder: false,
    codecs: ['PCMU', 'PCMA'],
  });
  assert.ok(byUs.ok);
  assert.equal(byUs.value.audio.codec.name, 'PCMU');
  const onlyPcma = negotiateAnswer(offer('sipp-uac-offer'), { ...local, codecs: ['PCMA'] });
  assert.ok(!onlyPcma.ok);
  assert.equal(onlyPcma.error.sipStatus, 488);
  assert.match(onlyPcma.error.warning, /^305 streamfork "Incompatible media format"$/);
});

test('RFC 3264 §8.4: a sendonly offer is hold and is answered recvonly; c=0.0.0.0 is hold too', () => {
  const sendonly = negotiateAnswer(offer('hold-sendonly-offer'), local);
  assert.ok(sendonly.ok);
  assert.equal(sendonly.value.audio.onHold, true);
  assert.equal(sendonly.value.audio.localDirection, 'recvonly');
  assert.match(sendonly.value.answer, /a=recvonly/);
  assert.deepEqual(sendonly.value.audio.telephoneEvent, { payloadType: 101, events: '0-16' });
  const c0 = negotiateAnswer(offer('hold-c0-offer'), local);
  assert.ok(c0.ok);
  assert.equal(c0.value.audio.onHold, true);
  assert.equal(c0.value.audio.remoteAddress, '0.0.0.0');
});

test('RFC 3264 §6: the video m-line is rejected with port 0 and the audio one accepted with PCMA, sendonly for recvonly', () => {
  const r = negotiateAnswer(offer('video-and-audio-offer'), local);
  assert.ok(r.ok);
  const answer = sdpTransform.parse(r.value.answer);
  assert.equal(answer.media.length, 2);
  assert.equal(answer.media[0]?.type, 'video');
  assert.equal(answer.media[0].port, 0);
  assert.equal(answer.media[1]?.port, 40000);
  assert.equal(r.value.audio.codec.name, 'PCMA');
  assert.equal(r.value.audio.localDirection, 'sendonly');
  assert.equal(r.value.audio.remotePort, 5006);
});

test('RFC 3264 §8: on a re-INVITE the session version increments only when the answer changes', () => {
  const first = negotiateAnswer(offer('sipp-uac-offer'), local);
  assert.ok(first.ok);
  const same = negotiateAnswer(offer('sipp-uac-offer'), {
    ...local,
    origin: first.value.origin,
    previousAnswer: first.value.answer,
  });
  assert.ok(same.ok);
  assert.equal(same.value.origin.sessionVersion, 1);
  assert.equal(same.value.answer, first.value.answer);
  const hold = negotiateAnswer(offer('hold-sendonly-offer'), {
    ...local,
    origin: first.value.origin,
    previousAnswer: first.value.answer,
  });
  assert.ok(hold.ok);
  assert.equal(hold.value.origin.sessionVersion, 2);
  assert.match(hold.value.answer, /^o=streamfork 42 2 IN IP4 127\.0\.0\.1\r$/m);
});

test('RFC 3264 §6 / RFC 3261 §20.43: offers with nothing we support give 488 with a Warning; junk gives 400', () => {
  const video = negotiateAnswer(
    'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n',
    local,
  );
  assert.ok(!video.ok);
  assert.equal(video.error.code, 'ERR_SDP_NOT_ACCEPTABLE');
  assert.match(video.error.warning, /^304 /);
  const srtp = negotiateAnswer(
    'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n',
    local,
  );
  assert.ok(!srtp.ok);
  assert.match(srtp.error.warning, /^302 /);
  for (const junk of [
    '',
    'hello',
    'v=1\r\n',
    'v=0\r\nm=audio x y z\r\n',
    'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 0\r\n',
  ]) {
    const r = negotiateAnswer(junk, local);
    assert.ok(!r.ok, junk);
    assert.ok([400, 488].includes(r.error.sipStatus), junk);
  }
});

test('RFC 3264 §5 / §7: our offer has PCMU, PCMA and telephone-event 101; readAnswer picks the answered codec', () => {
  const ours = buildOffer({
    localAddress: '127.0.0.1',
    localPort: 41000,
    origin: { sessionId: '7', sessionVersion: 1 },
  });
  assert.match(ours, /m=audio 41000 RTP\/AVP 0 8 101\r\n/);
  assert.match(ours, /a=fmtp:101 0-16\r\n/);
  assert.match(ours, /a=ptime:20\r\n/);
  // Answer our offer with our own answerer: the round trip agrees on PCMU and telephone-event 101.
  const answered = negotiateAnswer(ours, { ...local, localAddress: '127.0.0.2', localPort: 42000 });
  assert.ok(answered.ok);
  const read = readAnswer(answered.value.answer);
  assert.ok(read.ok);
  assert.equal(read.value.codec.name, 'PCMU');
  assert.equal(read.value.remoteAddress, '127.0.0.2');
  assert.equal(read.value.remotePort, 42000);
  assert.deepEqual(read.value.telephoneEvent, { payloadType: 101, events: '0-16' });
  const g729 = readAnswer(
    'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\n',
  );
  assert.equal(g729.ok ? '' : g729.error.code, 'ERR_SDP_BAD_ANSWER');
  const rejected = readAnswer(
    'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n',
  );
  assert.equal(rejected.ok ? '' : rejected.error.code, 'ERR_SDP_BAD_ANSWER');
});
