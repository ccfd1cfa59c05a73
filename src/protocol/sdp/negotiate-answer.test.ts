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

/** An offer with `session` c= (null: none), `media` c= (null: none) and the audio m= port. */
function addressed(session: string | null, media: string | null, port: number | string): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    ...(session === null ? [] : [`c=${session}`]),
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    ...(media === null ? [] : [`c=${media}`]),
    '',
  ].join('\r\n');
}

test('issue 11: an offer whose m= port is outside 1-65535 gets 488 with a Warning naming the port', () => {
  for (const port of [99999, 65536, 123456789]) {
    const r = negotiateAnswer(addressed('IN IP4 127.0.0.1', null, port), local);
    assert.ok(!r.ok, String(port));
    assert.equal(r.error.code, 'ERR_SDP_BAD_MEDIA_ADDRESS');
    assert.equal(r.error.sipStatus, 488);
    assert.equal(r.error.warning, `399 streamfork "Invalid media port ${port}"`);
  }
  for (const port of [1, 65535]) {
    const r = negotiateAnswer(addressed('IN IP4 127.0.0.1', null, port), local);
    assert.ok(r.ok, String(port));
    assert.equal(r.value.audio.remotePort, port);
  }
});

test('issue 11: a c= address that is not an IP literal of its declared family gets 488 naming it', () => {
  const cases: [string, RegExp][] = [
    ['IN IP4 999.1.1.1', /^399 streamfork "Invalid media address 999\.1\.1\.1"$/],
    ['IN IP4 1.2.3', /^399 streamfork "Invalid media address 1\.2\.3"$/],
    ['IN IP4 01.2.3.4', /^399 /],
    ['IN IP6 2001:db8::1::2', /^399 /],
    ['IN IP6 127.0.0.1', /^399 streamfork "Media address 127\.0\.0\.1 is not IP6"$/],
    ['IN IP4 ::1', /^399 streamfork "Media address ::1 is not IP4"$/],
    ['IN IP4 224.2.1.1/127', /^399 /],
    ['IN IP4 239.1.1.1', /^399 streamfork "Multicast media address 239\.1\.1\.1 not supported"$/],
    ['IN IP4 media.example.com', /^301 streamfork "Host names not supported in c=: media\.example\.com"$/],
  ];
  for (const [c, warning] of cases) {
    const r = negotiateAnswer(addressed(c, null, 5000), local);
    assert.ok(!r.ok, c);
    assert.equal(r.error.code, 'ERR_SDP_BAD_MEDIA_ADDRESS', c);
    assert.equal(r.error.sipStatus, 488, c);
    assert.match(r.error.warning, warning, c);
  }
});

test('RFC 4566 §5.7: the media-level c= overrides the session-level one, both ways', () => {
  const good = negotiateAnswer(addressed('IN IP4 999.1.1.1', 'IN IP4 127.0.0.9', 5000), local);
  assert.ok(good.ok);
  assert.equal(good.value.audio.remoteAddress, '127.0.0.9');
  const bad = negotiateAnswer(addressed('IN IP4 127.0.0.9', 'IN IP4 999.1.1.1', 5000), local);
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, 'ERR_SDP_BAD_MEDIA_ADDRESS');
  assert.match(bad.error.detail, /^m=audio c= 999\.1\.1\.1/);
});

test('RFC 3264 §8.4: hold addresses 0.0.0.0 and :: are accepted, even when we only reach IPv4', () => {
  for (const c of ['IN IP4 0.0.0.0', 'IN IP6 ::']) {
    const r = negotiateAnswer(addressed(c, null, 5000), { ...local, reachable: [4] });
    assert.ok(r.ok, c);
    assert.equal(r.value.audio.onHold, true, c);
  }
});

test('RFC 3261 §20.43: an address of a family our RTP socket cannot reach gets 488 with Warning 301', () => {
  const v6 = negotiateAnswer(addressed('IN IP6 ::1', null, 5000), { ...local, reachable: [4] });
  assert.ok(!v6.ok);
  assert.match(
    v6.error.warning,
    /^301 streamfork "Incompatible network address formats: IPv6 media address ::1"$/,
  );
  const v6ok = negotiateAnswer(addressed('IN IP6 2001:db8::7', null, 5000), { ...local, reachable: [6] });
  assert.ok(v6ok.ok);
  assert.equal(v6ok.value.audio.remoteAddress, '2001:db8::7');
  const mapped = negotiateAnswer(addressed('IN IP6 ::ffff:127.0.0.1', null, 5000), local);
  assert.ok(mapped.ok);
});

test('RFC 3264 §6: a rejected stream (port 0) is skipped, and an offer of nothing but rejected streams gets 488 304', () => {
  const r = negotiateAnswer(addressed('IN IP4 999.1.1.1', null, 0), local);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'ERR_SDP_NOT_ACCEPTABLE');
  assert.match(r.error.warning, /^304 /);
});

test('issue 11: the Warning text quotes nothing from the offer that could break the header', () => {
  const r = negotiateAnswer(addressed('IN IP4 "a\\b"\x01' + 'x'.repeat(80), null, 5000), local);
  assert.ok(!r.ok);
  assert.match(r.error.warning, /^399 streamfork "Invalid media address [^"\\]{1,45}"$/);
});

test('RFC 3264 §7: readAnswer refuses an answer whose address or port is unusable', () => {
  for (const [c, port] of [
    ['IN IP4 127.0.0.1', 99999],
    ['IN IP4 999.1.1.1', 5000],
    ['IN IP4 peer.example.com', 5000],
  ] as const) {
    const r = readAnswer(addressed(c, null, port));
    assert.equal(r.ok ? '' : r.error.code, 'ERR_SDP_BAD_MEDIA_ADDRESS', `${c} ${port}`);
  }
  const v6 = readAnswer(addressed('IN IP6 ::1', null, 5000), { reachable: [4] });
  assert.equal(v6.ok ? '' : v6.error.code, 'ERR_SDP_BAD_MEDIA_ADDRESS');
  const hold = readAnswer(addressed('IN IP4 0.0.0.0', null, 5000));
  assert.ok(hold.ok);
});

test('G.722 (RFC 3551 §4.5.2): accepted only when configured, answered as static PT 9 G722/8000', () => {
  // The default stays narrowband: the real baresip offer lists G722 third and gets PCMU.
  const narrow = negotiateAnswer(offer('baresip-offer'), local);
  assert.ok(narrow.ok);
  assert.equal(narrow.value.audio.codec.name, 'PCMU');
  // Configured with our order first, G.722 wins although the offer lists PCMU and PCMA before it.
  const ours = negotiateAnswer(offer('baresip-offer'), {
    ...local,
    codecs: ['G722', 'PCMU', 'PCMA'],
    preferOfferOrder: false,
  });
  assert.ok(ours.ok);
  assert.deepEqual(ours.value.audio.codec, { name: 'G722', payloadType: 9, clockRateHz: 8000 });
  assert.match(ours.value.answer, /m=audio 40000 RTP\/AVP 9 105\r\n/);
  assert.match(ours.value.answer, /a=rtpmap:9 G722\/8000\r\n/);
  // In the offer's order PCMU comes first.
  const byOffer = negotiateAnswer(offer('baresip-offer'), { ...local, codecs: ['G722', 'PCMU'] });
  assert.ok(byOffer.ok);
  assert.equal(byOffer.value.audio.codec.name, 'PCMU');
});

test('G.722: an offer of only PT 9 (no rtpmap) is G.722; G722/16000 is not; without G722 configured it is refused', () => {
  const only9 = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 7000 RTP/AVP 9',
    '',
  ].join('\r\n');
  const g = negotiateAnswer(only9, { ...local, codecs: ['PCMU', 'G722'] });
  assert.ok(g.ok);
  assert.equal(g.value.audio.codec.name, 'G722');
  const refused = negotiateAnswer(only9, local);
  assert.ok(!refused.ok);
  assert.equal(refused.error.sipStatus, 488);
  assert.match(refused.error.detail, /none of PCMU, PCMA offered/);
  const wrongRate = only9.replace('RTP/AVP 9', 'RTP/AVP 9\r\na=rtpmap:9 G722/16000');
  assert.ok(!negotiateAnswer(wrongRate, { ...local, codecs: ['G722'] }).ok);
});

test('G.722 in our offer and in the answer we read', () => {
  const ours = buildOffer({ ...local, codecs: ['G722', 'PCMU'] });
  assert.match(ours, /m=audio 40000 RTP\/AVP 9 0 101\r\n/);
  assert.match(ours, /a=rtpmap:9 G722\/8000\r\n/);
  const answer = ours.replace('RTP/AVP 9 0 101', 'RTP/AVP 9 101');
  const read = readAnswer(answer, { codecs: ['G722', 'PCMU'] });
  assert.ok(read.ok);
  assert.deepEqual(read.value.codec, { name: 'G722', payloadType: 9, clockRateHz: 8000 });
  // An answer with G.722 to an offer that did not include it is refused.
  assert.ok(!readAnswer(answer).ok);
});
