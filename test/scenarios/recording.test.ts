/**
 * Call recording on the fake-clock harness (issue 14 item 3), through the real `RecordingService`,
 * the `<Record>` handler and the memory recording store, with files in memory:
 * - `<Record recordSession recordChannelType="stereo">` with a bidirectional bot that plays a tone:
 *   the left channel is exactly the caller's audio, the right one exactly what the caller heard (the
 *   virtual leg's own capture), and the file has one frame per media tick of the call, within one.
 * - A disk that fills up mid-call (ENOSPC): the recording is marked failed with the reason, the call
 *   gets ERR_RECORDING_FAILED and goes on to its normal end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createElementRegistry } from '../../src/engine/interpreter/registry.js';
import { generateTone } from '../../src/media/analysis.js';
import { mulawDecode, mulawEncode } from '../../src/media/codecs/g711.js';
import { nullLogger } from '../../src/ports/logger.js';
import { MemoryRecordingStore } from '../../src/adapters/memory-store/memory-recording-store.js';
import { RecordingService } from '../../src/app/recording/recording-service.js';
import { CallHarness } from '../harness/harness.js';
import { MemoryFiles, serviceOn } from '../harness/memory-recordings.js';

const FRAME = 160;

function channel(bytes: Uint8Array, ch: 0 | 1): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = (bytes.length - 44) / 4;
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    out[i] = view.getInt16(44 + 4 * i + 2 * ch, true);
  }
  return out;
}

/** Where `needle` starts in `hay` (exact match), or -1. */
function indexOfSamples(hay: Int16Array, needle: Int16Array): number {
  outer: for (let at = 0; at + needle.length <= hay.length; at++) {
    for (let i = 0; i < needle.length; i++) {
      if (hay[at + i] !== needle[i]) {
        continue outer;
      }
    }
    return at;
  }
  return -1;
}

test('<Record recordSession stereo>: caller left, what the caller heard right, one frame per tick of the call', async () => {
  const h = new CallHarness();
  const files = new MemoryFiles();
  const { service, store } = serviceOn(h, files);
  const bot = h.app('/bot');
  h.web.serve(
    '/answer',
    `<Response><Record recordSession="true" recordChannelType="stereo" maxLength="2" action="${h.web.url('/rec-done')}"/>` +
      `<Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">${bot.url}</Stream></Response>`,
  );
  // The caller: a ramp of distinct values (any frame is recognisable), 6 s.
  const callerAudio = Int16Array.from({ length: 8000 * 6 }, (_, i) => ((i * 7) % 20000) - 10000);
  const call = h.start({
    callerAudio,
    durationMs: 6000,
    registry: createElementRegistry({}, undefined, { recordings: service }),
  });
  await h.until(() => bot.sessions[0] !== undefined, 5000, 'the bot connected');
  const tone = generateTone(500, 8000, 1000, 8000);
  const wire = new Uint8Array(tone.length);
  mulawEncode(tone, wire);
  bot.session(0).playAudio(wire);
  const result = await call.end();
  await service.idle();

  const [rec] = (await store.listRecordings({ limit: 10, offset: 0 })).items;
  assert.ok(rec);
  assert.equal(rec.state, 'completed');
  assert.equal(rec.source, 'session');
  assert.equal(rec.channels, 2);
  const bytes = files.files.get(`${rec.recordingId}.wav`);
  assert.ok(bytes);
  const left = channel(bytes, 0);
  const right = channel(bytes, 1);
  const frames = left.length / FRAME;
  assert.equal(rec.durationMs, frames * 20);
  assert.ok(
    Math.abs(frames - call.session.frames) <= 1,
    `${frames} frames recorded, ${call.session.frames} ticks in the call`,
  );
  // What the caller heard, sample for sample (the recording began at the first tick it saw).
  const heard = result.heard;
  const offset = heard.length - right.length;
  assert.ok(offset >= 0 && offset <= 2 * FRAME, `recording starts ${offset} samples into the call`);
  assert.deepEqual(right, heard.subarray(offset, offset + right.length));
  const decoded = new Int16Array(wire.length);
  mulawDecode(wire, decoded);
  assert.ok(indexOfSamples(right, decoded.subarray(0, 800)) >= 0, 'the bot’s audio is on the right channel');
  // The caller, frame for frame: a run of 1 s of the caller's audio appears as it was sent.
  const probe = callerAudio.subarray(8000 * 2, 8000 * 3);
  assert.ok(indexOfSamples(left, probe) >= 0, 'the caller’s audio is on the left channel, unchanged');
  // The action was told when the recording ended (with the call).
  const done = h.web.requestsTo('/rec-done')[0];
  assert.ok(done, 'the action was notified');
  assert.equal(done.param('RecordingID'), rec.recordingId);
  assert.equal(done.param('RecordingDurationMs'), String(rec.durationMs));
  assert.equal(done.param('RecordUrl'), `http://api.test/v1/Account/MATEST/Recording/${rec.recordingId}.wav`);
});

test('a disk that fills up mid-call fails the recording; the call goes on to its normal end', async () => {
  const h = new CallHarness();
  // The header and the first second of mono audio fit, the second second does not.
  const files = new MemoryFiles(44 + 16_000 + 100);
  const { service, store } = serviceOn(h, files);
  h.web.serve('/answer', '<Response><Record recordSession="true"/><Wait length="5"/></Response>');
  const errors: string[] = [];
  h.engine.events.subscribe((e) => {
    if (e.type === 'call.error') {
      errors.push(e.code);
    }
  });
  const result = await h.run({
    durationMs: 8000,
    registry: createElementRegistry({}, undefined, { recordings: service }),
  });
  await service.idle();
  assert.equal(result.hangupCause, 'End Of XML Instructions', 'the call ended normally, after its Wait');
  const [rec] = (await store.listRecordings({ limit: 10, offset: 0 })).items;
  assert.ok(rec);
  assert.equal(rec.state, 'failed');
  assert.match(rec.failureReason ?? '', /ENOSPC/);
  assert.deepEqual(errors, ['ERR_RECORDING_FAILED']);
});

test('a record store that fails loses the record, not the recording nor the call', async () => {
  const h = new CallHarness();
  const files = new MemoryFiles();
  class FailingStore extends MemoryRecordingStore {
    override insertRecording(): Promise<void> {
      return Promise.reject(new Error('ERR_STORAGE_IO: disk I/O error'));
    }
  }
  const store = new FailingStore();
  const service = new RecordingService({
    engine: h.engine,
    calls: { getCall: () => Promise.resolve(undefined) },
    store,
    files,
    clock: h.clock,
    random: h.random,
    logger: nullLogger,
    accountId: 'MATEST',
    baseUrl: () => 'http://api.test',
  });
  h.web.serve('/answer', '<Response><Record recordSession="true"/><Wait length="2"/></Response>');
  const result = await h.run({
    durationMs: 4000,
    registry: createElementRegistry({}, undefined, { recordings: service }),
  });
  await service.idle();
  assert.equal(result.hangupCause, 'End Of XML Instructions');
  const [file] = [...files.files.values()];
  assert.ok(file !== undefined && file.length > 44 + 16_000, 'the audio was recorded');
  assert.equal((await store.listRecordings({ limit: 10, offset: 0 })).total, 0);
});
