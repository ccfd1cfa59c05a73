/**
 * CI fuzzing of SDP parsing and offer/answer (issue 11; RFC 4566, RFC 3264). Offers are havoc mutations
 * of the captured and hand-written offers in test/vectors/sip/sdp plus the hostile ones, and
 * structure-aware offers built from m=/c=/a= parts. Properties: `negotiateAnswer` and `readAnswer`
 * never throw; a refusal carries a catalogued ERR_SDP_* code, SIP status 400 (malformed) or 488, and a
 * Warning value `NNN streamfork "text"` (RFC 3261 §20.43); an answer parses, has as many m= lines as
 * the offer (RFC 3264 §6), accepts exactly one stream (ours, on our port, with a codec the offer
 * listed) and reads back with `readAnswer` to the same codec. The checks of the remote media address
 * and port (488 for `m=audio 99999`, `c=IN IP4 999.1.1.1`) are held here too.
 */
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../src/errors/catalog.js';
import { readAnswer } from '../../src/protocol/sdp/build-offer.js';
import { negotiateAnswer, type NegotiateAnswerOptions } from '../../src/protocol/sdp/negotiate-answer.js';
import { parseSdp } from '../../src/protocol/sdp/parse-sdp.js';
import { corpus, havoc, readSeeds, runFuzz } from './harness.js';
import { sdpOffer, sipDictionary } from './sip-seeds.js';

const TARGET = 'sdp';
const local: NegotiateAnswerOptions = {
  localAddress: '203.0.113.5',
  localPort: 40000,
  origin: { sessionId: '42', sessionVersion: 1 },
};

const hostileOffers = [
  sdpOffer({ port: '99999' }),
  sdpOffer({ port: '0' }),
  sdpOffer({ port: '65536' }),
  sdpOffer({ address: '999.1.1.1' }),
  sdpOffer({ address: '0.0.0.0' }),
  sdpOffer({ address: '::' }),
  sdpOffer({ address: '256.256.256.256' }),
  sdpOffer({ extra: ['a=inactive'] }),
];
const seeds = [
  ...readSeeds(new URL('../vectors/sip/sdp/', import.meta.url), '.sdp'),
  ...hostileOffers.map((t) => Buffer.from(t, 'latin1')),
];

const sdpWords = [
  ...sipDictionary(),
  'm=audio 0 RTP/AVP 0',
  'm=video 5000 RTP/AVP 96',
  'm=audio 5000 RTP/SAVP 0',
  'm=audio 5000/2 RTP/AVP 0 8',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/16000',
  'a=rtpmap:96 telephone-event/8000',
  'a=rtpmap:101',
  'a=fmtp:101 0-15',
  'a=recvonly',
  'a=sendrecv',
  'a=ptime:0',
  'c=IN IP4 ',
  'c=IN IP6 fe80::1%eth0',
  'c=IN IP4 224.2.1.1/127/3',
  'c=IN IP4 host.example.com',
  'o=- 0 0 IN IP4 0.0.0.0',
  't=0 0',
  'v=1',
];

interface SdpFailureShape {
  readonly code: string;
  readonly sipStatus?: number;
  readonly warning?: string;
}

function checkRefusal(e: SdpFailureShape): void {
  assert.match(e.code, /^ERR_SDP_/);
  assert.ok(errorCatalog.has(e.code), `uncatalogued ${e.code}`);
  assert.ok(e.sipStatus === 400 || e.sipStatus === 488, `status ${String(e.sipStatus)}`);
  assert.match(e.warning ?? '', /^3\d\d streamfork "[^"]+"$/);
  assert.equal(e.sipStatus === 400, e.code === 'ERR_SDP_MALFORMED', `${e.code} with ${String(e.sipStatus)}`);
}

/** The structural contract of negotiateAnswer on one offer. */
function checkOffer(offer: string): void {
  const r = negotiateAnswer(offer, local);
  if (!r.ok) {
    checkRefusal(r.error);
    return;
  }
  const offered = parseSdp(offer);
  assert.ok(offered.ok, 'an offer that was answered parses');
  const answer = parseSdp(r.value.answer);
  assert.ok(answer.ok, `the answer must parse: ${answer.ok ? '' : answer.error.detail}`);
  assert.equal(
    answer.value.media.length,
    offered.value.media.length,
    'RFC 3264 §6: one m= line per offered one',
  );
  const accepted = answer.value.media.filter((m) => m.port !== 0);
  assert.equal(accepted.length, 1, 'exactly one stream accepted');
  assert.equal(accepted[0]?.port, local.localPort);
  const index = answer.value.media.findIndex((m) => m.port !== 0);
  const offeredMedia = offered.value.media[index];
  assert.ok(offeredMedia?.type === 'audio');
  assert.equal(r.value.audio.remotePort, offeredMedia.port);
  // sdp-transform reads a single payload type as a number, whatever its typings say.
  const payloads: unknown = offeredMedia.payloads;
  const offeredPts = (typeof payloads === 'number' || typeof payloads === 'string' ? String(payloads) : '')
    .split(/\s+/)
    .filter((t) => /^\d+$/.test(t))
    .map(Number);
  assert.ok(offeredPts.includes(r.value.audio.codec.payloadType), 'the codec was offered');
  const back = readAnswer(r.value.answer);
  assert.ok(back.ok, back.ok ? '' : back.error.code);
  assert.deepEqual(back.value.codec, r.value.audio.codec);
}

/** What sipmedia's validation must guarantee: an answered offer names a usable RTP destination. */
function checkRemoteMedia(offer: string): void {
  const r = negotiateAnswer(offer, local);
  if (!r.ok) {
    checkRefusal(r.error);
    return;
  }
  const { remotePort, remoteAddress, onHold } = r.value.audio;
  assert.ok(
    Number.isInteger(remotePort) && remotePort >= 1 && remotePort <= 65535,
    `answered port ${remotePort}`,
  );
  const literal = isIP(remoteAddress) !== 0;
  const hostname = /^(?=.*[a-z])[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i.test(remoteAddress);
  assert.ok(literal || hostname || onHold, `answered address ${JSON.stringify(remoteAddress)}`);
}

const structured = fc
  .record({
    session: fc.constantFrom('192.0.2.10', '999.1.1.1', '0.0.0.0', '::1', 'host.example', '', undefined),
    media: fc.array(
      fc.record({
        type: fc.constantFrom('audio', 'audio', 'video', 'application', 'image'),
        port: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constantFrom(0, 1, 65535, 65536, 99999)),
        proto: fc.constantFrom('RTP/AVP', 'RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'udptl'),
        pts: fc.array(fc.constantFrom('0', '8', '18', '96', '101', '127', '128', 'x'), {
          minLength: 1,
          maxLength: 4,
        }),
        rtpmaps: fc.array(
          fc.tuple(
            fc.constantFrom('0', '8', '96', '101'),
            fc.constantFrom(
              'PCMU/8000',
              'PCMA/8000',
              'pcmu/8000',
              'PCMU/16000',
              'telephone-event/8000',
              'opus/48000/2',
            ),
          ),
          { maxLength: 3 },
        ),
        address: fc.option(
          fc.constantFrom('198.51.100.1', '999.1.1.1', '0.0.0.0', '::', 'fe80::1', '1.2.3'),
          {
            nil: undefined,
          },
        ),
        direction: fc.option(fc.constantFrom('sendrecv', 'sendonly', 'recvonly', 'inactive'), {
          nil: undefined,
        }),
      }),
      { minLength: 0, maxLength: 4 },
    ),
  })
  .map(({ session, media }) => {
    const lines = ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-'];
    if (session !== undefined) {
      lines.push(`c=IN ${session.includes(':') ? 'IP6' : 'IP4'} ${session}`);
    }
    lines.push('t=0 0');
    for (const m of media) {
      lines.push(`m=${m.type} ${m.port} ${m.proto} ${m.pts.join(' ')}`);
      if (m.address !== undefined) {
        lines.push(`c=IN ${m.address.includes(':') ? 'IP6' : 'IP4'} ${m.address}`);
      }
      lines.push(...m.rtpmaps.map(([pt, codec]) => `a=rtpmap:${pt} ${codec}`));
      if (m.direction !== undefined) {
        lines.push(`a=${m.direction}`);
      }
    }
    return `${lines.join('\r\n')}\r\n`;
  });

const offers = fc.oneof(
  { arbitrary: havoc(seeds, sdpWords).map((b) => Buffer.from(b).toString('latin1')), weight: 3 },
  { arbitrary: structured, weight: 2 },
);

test('fuzz: negotiateAnswer on 12,000 mutated and generated offers: no throw, the documented refusal or a well-formed answer', () => {
  runFuzz('negotiate', offers, checkOffer, { target: TARGET, runs: 12_000, ext: 'sdp' });
});

function checkAnswer(text: string): void {
  const r = readAnswer(text);
  if (!r.ok) {
    assert.ok(errorCatalog.has(r.error.code) && r.error.code.startsWith('ERR_SDP_'), r.error.code);
  } else {
    assert.ok(Number.isInteger(r.value.codec.payloadType), `payload type ${r.value.codec.payloadType}`);
  }
}

test('fuzz: readAnswer on 10,000 mutated answers: no throw, catalogued ERR_SDP_ codes', () => {
  runFuzz('read-answer', offers, checkAnswer, { target: TARGET, runs: 10_000, ext: 'sdp' });
});

test('issue 11 item 1: m=audio 99999 and c=IN IP4 999.1.1.1 are refused with 488', () => {
  for (const offer of [
    sdpOffer({ port: '99999' }),
    sdpOffer({ port: '65536' }),
    sdpOffer({ address: '999.1.1.1' }),
  ]) {
    const r = negotiateAnswer(offer, local);
    assert.ok(!r.ok, `answered: ${offer}`);
    assert.equal(r.error.sipStatus, 488);
    checkRefusal(r.error);
  }
});

test('fuzz: an answered offer always names a usable RTP port and address (10,000 offers)', () => {
  runFuzz('remote-media', offers, checkRemoteMedia, {
    target: TARGET,
    runs: 10_000,
    ext: 'sdp',
    save: false,
  });
});

const checks: Readonly<Record<string, (text: string) => void>> = {
  negotiate: checkOffer,
  'read-answer': checkAnswer,
  'remote-media': checkRemoteMedia,
};

for (const entry of corpus(TARGET)) {
  const check = checks[entry.sidecar.property] ?? checkOffer;
  test(`corpus ${TARGET}/${entry.name} (${entry.sidecar.property}): ${entry.sidecar.note}`, () => {
    check(entry.bytes.toString('latin1'));
  });
}
