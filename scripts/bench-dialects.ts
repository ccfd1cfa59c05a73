/**
 * Per-frame cost of the stream dialects (issue 16, Measure: dialect overhead): one outbound `media`
 * message built and one app audio message parsed, Plivo vs Twilio, 500 000 frames each, twice.
 * Run: `node --import tsx scripts/bench-dialects.ts`. Results: docs/benchmarks/twilio.md.
 */
import { BUILT_IN_STREAM_DIALECTS } from '../src/protocol/stream-dialects.js';
import { mediaFormatOf } from '../src/protocol/stream-ws/formats.js';
const ctx = {
  callId: '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11',
  streamId: '20170ada-f610-433b-8758-c02a2aab3662',
  tracks: ['inbound'] as const,
  format: mediaFormatOf('audio/x-mulaw;rate=8000'),
  spec: {
    serviceUrl: 'wss://a/b',
    bidirectional: true,
    audioTrack: 'inbound' as const,
    streamTimeoutSec: 86400,
    statusCallbackMethod: 'POST' as const,
    contentType: 'audio/x-mulaw;rate=8000',
  },
  settings: {
    accountId: 'MAXXXXXXXXXXXXXXXXXX',
    authToken: 't',
    extraHeadersMode: 'semicolon' as const,
    l16LittleEndian: true,
    sendStop: true,
    maxMessageBytes: 1 << 20,
    signWebSocketUrlAs: 'scheme-mapped' as const,
  },
};
const frame = new Uint8Array(160).map((_, i) => (i * 37) & 0xff);
for (const name of ['plivo', 'twilio', 'plivo', 'twilio'] as const) {
  const d = BUILT_IN_STREAM_DIALECTS[name]({ ...ctx, tracks: ['inbound'] });
  d.start(1_700_000_000_000);
  const sid = name === 'twilio' ? 'MZ20170adaf610433b8758c02a2aab3662' : '';
  const inbound =
    name === 'twilio'
      ? JSON.stringify({
          event: 'media',
          streamSid: sid,
          media: { payload: Buffer.from(frame).toString('base64') },
        })
      : JSON.stringify({
          event: 'playAudio',
          media: {
            contentType: 'audio/x-mulaw',
            sampleRate: 8000,
            payload: Buffer.from(frame).toString('base64'),
          },
        });
  const N = 500_000;
  let t = process.hrtime.bigint();
  let n = 0;
  for (let i = 0; i < N; i++) {
    n += d.media('inbound', 1_700_000_000_000 + i * 20, frame).length;
  }
  const outNs = Number(process.hrtime.bigint() - t) / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const c = d.parse(inbound, false);
    if (c.type !== 'play') {
      throw new Error(JSON.stringify(c));
    }
  }
  const inNs = Number(process.hrtime.bigint() - t) / N;
  console.log(
    `${name}: media() ${outNs.toFixed(0)} ns/frame, parse(play) ${inNs.toFixed(0)} ns/frame (${n})`,
  );
}
