import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rms } from '../../media/analysis.js';
import { resampleTo8k } from '../../media/wav.js';
import { resampleTo8kInSlices } from './chunked-resample.js';
import { EspeakTts } from './espeak-tts.js';
import { espeakVoiceFor } from './voices.js';

test('Plivo voice + language → espeak-ng voice', () => {
  const cases: [string, string, string][] = [
    ['WOMAN', 'en-US', 'en-us+f3'],
    ['MAN', 'en-US', 'en-us'],
    ['WOMAN', 'en-GB', 'en-gb+f3'],
    ['MAN', 'en-AU', 'en-gb'],
    ['WOMAN', 'es-US', 'es-419+f3'],
    ['MAN', 'de-DE', 'de'],
    ['WOMAN', 'fr-FR', 'fr-fr+f3'],
    ['WOMAN', 'fr-CA', 'fr-fr+f3'],
    ['MAN', 'pt-BR', 'pt-br'],
    ['MAN', 'cmn-CN', 'cmn'],
    ['MAN', 'arb', 'ar'],
    ['WOMAN', 'it-IT', 'it+f3'],
    ['Polly.Joanna', 'en-US', 'en-us+f3'],
    ['Polly.Matthew', 'en-US', 'en-us'],
    ['MAN', 'xx-YY', 'en-us'],
  ];
  for (const [voice, language, expected] of cases) {
    assert.equal(espeakVoiceFor(voice, language), expected, `${voice} ${language}`);
  }
});

test('espeak-ng synthesizes 8 kHz speech; the second request is a cache hit', async () => {
  const tts = new EspeakTts();
  const first = await tts.synthesize({ text: 'Hello from streamfork.', voice: 'WOMAN', language: 'en-US' });
  assert.ok(first.ok, first.ok ? '' : first.detail);
  assert.ok(
    first.audio.length > 8000 * 0.8 && first.audio.length < 8000 * 4,
    `${first.audio.length} samples`,
  );
  assert.ok(rms(first.audio) > 500);
  const second = await tts.synthesize({ text: 'Hello from streamfork.', voice: 'WOMAN', language: 'en-US' });
  assert.ok(second.ok && second.cached);
  assert.equal(tts.stats.syntheses, 1);
});

test('text that looks like an option is spoken, not parsed (it goes on stdin)', async () => {
  const res = await new EspeakTts().synthesize({ text: '--help -v xx', voice: 'MAN', language: 'en-US' });
  assert.ok(res.ok, res.ok ? '' : res.detail);
});

test('a missing binary: ERR_TTS_UNAVAILABLE with "install espeak-ng"; a timeout or failure: ERR_TTS_FAILED', async () => {
  const missing = await new EspeakTts({ command: '/nonexistent/espeak-ng' }).synthesize({
    text: 'x',
    voice: 'MAN',
    language: 'en-US',
  });
  assert.ok(!missing.ok);
  assert.equal(missing.code, 'ERR_TTS_UNAVAILABLE');
  assert.match(missing.detail, /install espeak-ng/);
  const slow = await new EspeakTts({ timeoutMs: 1 }).synthesize({
    text: 'A long sentence that takes espeak more than one millisecond to say. '.repeat(20),
    voice: 'MAN',
    language: 'en-US',
  });
  assert.ok(!slow.ok);
  assert.equal(slow.code, 'ERR_TTS_FAILED');
  const capped = await new EspeakTts({ maxOutputBytes: 1000 }).synthesize({
    text: 'Too long for the cap.',
    voice: 'MAN',
    language: 'en-US',
  });
  assert.ok(!capped.ok);
  assert.equal(capped.code, 'ERR_TTS_FAILED');
});

test('resampling in slices is bit-identical to one pass, and yields between slices', async () => {
  const samples = Int16Array.from({ length: 22050 * 5 + 123 }, (_v, i) =>
    Math.round(9000 * Math.sin(i / 7) + 3000 * Math.sin(i / 3.1)),
  );
  const audio = { sampleRateHz: 22050, channels: 1, samples };
  let pauses = 0;
  const sliced = await resampleTo8kInSlices(audio, 1000, () => {
    pauses++;
    return Promise.resolve();
  });
  const whole = resampleTo8k(audio);
  assert.equal(sliced.length, whole.length);
  assert.deepEqual(sliced, whole);
  assert.equal(pauses, 6);
});
