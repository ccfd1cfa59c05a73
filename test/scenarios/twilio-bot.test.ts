/**
 * Issue 16 item 1, end to end on the fake-clock harness: the answer document is TwiML built with the
 * official `twilio` package (`<Connect><Stream>` with `<Parameter>`s), and the app is a bot that speaks
 * Twilio Media Streams the way pipecat's Twilio serializer does (`media` with only `media.payload`,
 * `mark` with `mark.name`, `clear`, each with the streamSid from `start`). It gets `connected`, `start`
 * and the caller's `media`; its audio is heard by the caller; its marks come back when their audio has
 * played, and the pending ones when it sends `clear`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import twilio from 'twilio';

import { mulawEncode } from '../../src/media/codecs/g711.js';
import { generateTone, rms } from '../../src/media/analysis.js';
import { CallHarness } from '../harness/harness.js';
import type { ConnectAnswer, MemoryLink, MemoryListener } from '../harness/memory-ws.js';

interface Msg {
  readonly event: string;
  readonly [k: string]: unknown;
}

/** A bot on the harness's in-memory network that records what it gets and sends what the test says. */
class TwilioBot implements MemoryListener {
  readonly received: Msg[] = [];
  link: MemoryLink | undefined;
  streamSid = '';
  headers: Readonly<Record<string, string>> = {};

  answer(): ConnectAnswer {
    return 'accept';
  }

  accepted(link: MemoryLink, request: { options: { headers?: Readonly<Record<string, string>> } }): void {
    this.link = link;
    this.headers = request.options.headers ?? {};
    link.appEnd.on('message', (data) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Uint8Array);
      const msg = JSON.parse(bytes.toString('utf8')) as Msg;
      this.received.push(msg);
      if (msg.event === 'start') {
        this.streamSid = String(msg['streamSid']);
      }
    });
  }

  send(msg: Record<string, unknown>): void {
    assert.ok(this.link);
    this.link.appEnd.send(JSON.stringify({ ...msg, streamSid: this.streamSid }));
  }

  /** What pipecat's serializer sends for an audio frame: raw mu-law, base64, nothing else. */
  sendAudio(mulaw: Uint8Array): void {
    this.send({ event: 'media', media: { payload: Buffer.from(mulaw).toString('base64') } });
  }

  events(name: string): Msg[] {
    return this.received.filter((m) => m.event === name);
  }
}

function mulawTone(hz: number, ms: number): Uint8Array {
  const pcm = generateTone(hz, 8000, ms, 8000);
  const out = new Uint8Array(pcm.length);
  mulawEncode(pcm, out);
  return out;
}

test('a pipecat-style Twilio bot: connected/start/media in, its audio heard, marks echoed when played and on clear', async () => {
  const h = new CallHarness();
  const bot = new TwilioBot();
  const url = 'ws://apps.test/twilio-bot';
  h.ws.listen(url, bot);

  const twiml = new twilio.twiml.VoiceResponse();
  const stream = twiml.connect().stream({ url, name: 'assistant' });
  stream.parameter({ name: 'FirstName', value: 'Ada' });
  stream.parameter({ name: 'Plan', value: 'gold' });
  h.web.serve('/answer', twiml.toString());

  const call = h.start({ durationMs: 6000, callerAudio: new Int16Array(6 * 8000).fill(1000) });
  await h.until(() => bot.events('media').length >= 10, 3000, 'caller media at the bot');

  // connected, then start with Twilio's fields; then media, inbound only (a <Connect> stream)
  assert.equal(bot.received[0]?.event, 'connected');
  const start = bot.received[1];
  assert.equal(start?.event, 'start');
  const s = start['start'] as Record<string, unknown>;
  assert.match(String(s['streamSid']), /^MZ[0-9a-f]{32}$/);
  assert.match(String(s['callSid']), /^CA[0-9a-f]{32}$/);
  assert.deepEqual(s['tracks'], ['inbound']);
  assert.deepEqual(s['mediaFormat'], { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
  assert.deepEqual(s['customParameters'], { FirstName: 'Ada', Plan: 'gold' });
  assert.ok(bot.headers['X-Twilio-Signature'] !== undefined, 'the upgrade is signed');
  const media = bot.events('media').map((m) => m['media'] as Record<string, string>);
  assert.ok(media.every((m) => m['track'] === 'inbound'));
  assert.deepEqual(
    media.slice(0, 3).map((m) => m['chunk']),
    ['1', '2', '3'],
  );
  assert.equal(typeof media[0]?.['timestamp'], 'string');
  assert.equal(Buffer.from(String(media[0]?.['payload']), 'base64').length, 160);

  // the bot answers: 400 ms of tone, a mark, 2 s more, a second mark
  const answeredAt = h.now;
  bot.sendAudio(mulawTone(440, 400));
  bot.send({ event: 'mark', mark: { name: 'first' } });
  bot.sendAudio(mulawTone(440, 2000));
  bot.send({ event: 'mark', mark: { name: 'second' } });
  await h.until(() => bot.events('mark').length >= 1, 2000, 'the first mark to come back');
  const firstMark = bot.events('mark')[0];
  assert.deepEqual((firstMark?.['mark'] as Record<string, string>)['name'], 'first');
  const playedMs = h.now - answeredAt;
  assert.ok(playedMs >= 380 && playedMs <= 500, `first mark after its 400 ms played: ${playedMs} ms`);

  // barge-in: clear while "second" is pending; Twilio sends the pending mark back at once
  await h.advance(300);
  bot.send({ event: 'clear' });
  await h.until(() => bot.events('mark').length >= 2, 200, 'the pending mark on clear');
  assert.equal((bot.events('mark')[1]?.['mark'] as Record<string, string>)['name'], 'second');

  // a WAV file as a payload is refused, never played
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(3196, 0x10)]);
  bot.sendAudio(wav);

  const result = await call.end();
  const heard = result.heard;
  const window = (fromMs: number, ms: number): number =>
    rms(heard.subarray(((fromMs - 0) * 8000) / 1000, ((fromMs + ms) * 8000) / 1000));
  const answeredCallMs = answeredAt - (h.now - result.durationMs);
  assert.ok(window(answeredCallMs + 100, 200) > 1000, 'the caller heard the bot');
  assert.ok(window(answeredCallMs + 1200, 2000) < 50, 'nothing of the cleared audio (or the WAV) is heard');
  const stats = result.streams[0]?.stats;
  assert.equal(stats?.appErrors, 1, 'one refused message: the WAV payload');
  assert.equal(stats.lastAppError, 'ERR_STREAM_FORMAT_MISMATCH');
  assert.equal(stats.checkpointsAcked, 1, 'only the played mark counts as played');
  assert.equal(stats.clears, 1);
  const stop = bot.events('stop');
  assert.equal(stop.length, 1, 'Twilio ends the stream with stop');
});

test("Twilio webhooks: the answer request (webhookDialect twilio) and a TwiML <Redirect> carry Twilio's parameters and an X-Twilio-Signature that validateRequest accepts; so does the stream's upgrade", async () => {
  const h = new CallHarness();
  const token = h.engine.options.stream.authToken;
  const bot = new TwilioBot();
  const wsUrl = 'ws://apps.test/signed-bot?room=1';
  h.ws.listen(wsUrl, bot);
  const first = new twilio.twiml.VoiceResponse();
  first.redirect({ method: 'POST' }, h.web.url('/next'));
  h.web.serve('/answer', first.toString());
  const second = new twilio.twiml.VoiceResponse();
  second.connect().stream({ url: wsUrl, statusCallback: h.web.url('/stream-status') });
  h.web.serve('/next', second.toString());
  h.web.serve('/stream-status', '');

  const call = h.start({ durationMs: 1000, webhookDialect: 'twilio' });
  await call.end();
  const requests = [...h.web.requestsTo('/answer'), ...h.web.requestsTo('/next')];
  assert.equal(requests.length, 2);
  for (const r of requests) {
    const form = r.req.form ?? [];
    assert.deepEqual(
      form.map(([k]) => k),
      ['CallSid', 'AccountSid', 'From', 'To', 'CallStatus', 'Direction', 'ApiVersion'],
    );
    assert.match(r.param('CallSid') ?? '', /^CA[0-9a-f]{32}$/);
    const sig = r.req.headers?.['X-Twilio-Signature'];
    assert.ok(sig !== undefined, 'signed');
    assert.ok(
      twilio.validateRequest(token, sig, r.req.url, Object.fromEntries(form)),
      `valid for ${r.req.url}`,
    );
    assert.ok(!twilio.validateRequest(`${token}x`, sig, r.req.url, Object.fromEntries(form)));
    assert.equal(
      r.req.headers?.['X-Plivo-Signature-V3'],
      undefined,
      'no Plivo signature on a Twilio webhook',
    );
  }
  const upgrade = bot.headers['X-Twilio-Signature'];
  assert.ok(upgrade !== undefined);
  assert.ok(twilio.validateRequest(token, upgrade, 'http://apps.test/signed-bot?room=1', {}));
  // The stream's status callbacks are signed the Twilio way too (through the outbox).
  await h.until(() => h.web.requestsTo('/stream-status').length >= 2, 2000, 'stream-started and -stopped');
  const statuses = h.web.requestsTo('/stream-status');
  assert.deepEqual(
    statuses.map((r) => r.param('StreamEvent')),
    ['stream-started', 'stream-stopped'],
  );
  for (const r of statuses) {
    const sig = r.req.headers?.['X-Twilio-Signature'];
    const form = Object.fromEntries(r.req.form ?? []);
    assert.ok(sig !== undefined, 'the status callback is signed');
    assert.ok(twilio.validateRequest(token, sig, r.req.url, form), `status callback valid: ${r.req.url}`);
    assert.ok(!twilio.validateRequest(`${token}x`, sig, r.req.url, form));
    assert.equal(r.req.headers?.['X-Plivo-Signature-V3'], undefined);
  }
});

test('a Plivo answer request stays Plivo (V3 signature, Plivo names); a <Redirect> from a TwiML document is sent Twilio style', async () => {
  const h = new CallHarness();
  const first = new twilio.twiml.VoiceResponse();
  first.pause({ length: 1 });
  first.redirect(h.web.url('/next'));
  h.web.serve('/answer', first.toString());
  h.web.serve('/next', '<Response><Hangup/></Response>');
  await h.run({ durationMs: 3000 });
  const [answer] = h.web.requestsTo('/answer');
  const [next] = h.web.requestsTo('/next');
  assert.ok(answer?.req.headers?.['X-Plivo-Signature-V3'] !== undefined);
  assert.equal(answer.param('CallUUID') !== undefined, true);
  assert.equal(answer.param('CallSid'), undefined);
  assert.ok(next?.req.headers?.['X-Twilio-Signature'] !== undefined);
  assert.match(next.param('CallSid') ?? '', /^CA/);
});

test('a TwiML document with a Plivo element is refused before anything runs, naming the dialect it looks like', async () => {
  const h = new CallHarness();
  const doc = new twilio.twiml.VoiceResponse();
  doc.say('hello');
  doc.connect().stream({ url: 'ws://apps.test/never' });
  h.web.serve('/answer', doc.toString().replace('</Response>', '<Wait length="1"/></Response>'));
  const result = await h.run({ durationMs: 2000 });
  assert.ok(result.flow.end === 'error');
  assert.equal(result.flow.code, 'ERR_CALL_XML_INVALID');
  assert.match(
    result.flow.detail,
    /ERR_XML_WRONG_DIALECT.*looks like TwiML \(Twilio\).*Plivo XML elements \(<Wait>\)/,
  );
  assert.equal(result.streams.length, 0);
});
