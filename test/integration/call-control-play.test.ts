/**
 * `<Play>` through CallControl: a WAV served by a loopback HTTP server is heard (loop="2" = twice its
 * length), fetched once thanks to the cache; a 404 puts ERR_PLAY_FETCH_FAILED on the call's record and
 * the call goes on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { generateTone } from '../../src/media/analysis.js';
import { serializeWav } from '../../src/media/wav.js';
import { audibleMs, startHarness, within, xml, type Harness } from './call-control-harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
  // 500 ms of 440 Hz at 16 kHz: the fetcher resamples it to the call rate.
  h.app.route('/tone.wav', {
    body: serializeWav(generateTone(440, 16000, 500, 8000), 16000),
    contentType: 'audio/wav',
  });
});

after(async () => {
  await h.close();
});

test('<Play loop="2"> of a 500 ms WAV is heard for 1 s; the second <Play> of the URL is served from the cache', async () => {
  const url = h.app.url('/tone.wav');
  h.app.route('/play', {
    body: xml(`<Play loop="2">${url}</Play>`, '<Wait length="1"/>', `<Play>${url}</Play>`),
  });
  const placed = h.place({ answerPath: '/play' });
  const hangup = await within(placed.ended, 10000, 'the call');
  assert.equal(hangup.cause, 'End Of XML Instructions');
  const heard = placed.leg.recorded();
  const total = audibleMs(heard);
  assert.ok(total >= 1440 && total <= 1560, `heard ${total} ms of tone; expected 1500 (2 × 500 + 500)`);
  // The first 1.3 s hold the looped play: 1000 ms of tone, contiguous.
  const first = audibleMs(heard.subarray(0, 8000 * 1.3));
  assert.ok(first >= 960 && first <= 1040, `loop="2" heard for ${first} ms`);
  assert.equal(h.app.requestsTo('/tone.wav').length, 1, 'fetched once, then cached');
  assert.equal(h.audio.stats.hits >= 1, true);
});

test('<Play> of a 404 URL: ERR_PLAY_FETCH_FAILED on the record, the element is skipped, the call goes on', async () => {
  h.app.route('/play404', {
    body: xml(`<Play>${h.app.url('/missing.wav')}</Play>`, `<Play>${h.app.url('/tone.wav')}</Play>`),
  });
  const placed = h.place({ answerPath: '/play404' });
  const hangup = await within(placed.ended, 10000, 'the call');
  assert.equal(hangup.cause, 'End Of XML Instructions');
  const heardMs = audibleMs(placed.leg.recorded());
  assert.ok(heardMs >= 460 && heardMs <= 540, `the next <Play> was heard (${heardMs} ms)`);
  await within(h.control.idle(), 5000, 'records');
  const rec = await h.store.getCall(placed.call.callUuid);
  const text = JSON.stringify(rec?.error);
  assert.match(text, /ERR_PLAY_FETCH_FAILED/);
  assert.match(text, /HTTP 404/);
  assert.equal(rec?.hangupCause, 'End Of XML Instructions');
});
