/**
 * TwiML documents built with the official `twilio` package's builder (`twiml.VoiceResponse`), parsed;
 * and the dialect of answer documents decided by their elements, a mix refused by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import twilio from 'twilio';

import { detectAnswerDialect } from './detect.js';
import { parseTwiml, type TwimlVerb } from './parse.js';

const { VoiceResponse } = twilio.twiml;

function verbs(xml: string): readonly TwimlVerb[] {
  const r = parseTwiml(xml);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  return r.value.verbs;
}

test('a bot flow from VoiceResponse: Say, Connect/Stream with Parameters, Pause, Hangup', () => {
  const r = new VoiceResponse();
  r.say({ voice: 'man', language: 'en-GB', loop: 2 }, 'Connecting you to the assistant.');
  const stream = r.connect({ action: 'https://app.example.com/after' }).stream({
    url: 'wss://bot.example.com/media',
    name: 'assistant',
    statusCallback: 'https://app.example.com/status',
    statusCallbackMethod: 'GET',
  });
  stream.parameter({ name: 'FirstName', value: 'Ada' });
  stream.parameter({ name: 'Plan', value: 'gold' });
  r.pause({ length: 2 });
  r.hangup();
  const xml = r.toString();
  assert.deepEqual(detectAnswerDialect(xml), { ok: true, dialect: 'twilio' });
  assert.deepEqual(verbs(xml), [
    {
      verb: 'Say',
      path: 'Response/Say[1]',
      text: 'Connecting you to the assistant.',
      voice: 'man',
      language: 'en-GB',
      loop: 2,
    },
    {
      verb: 'Connect',
      path: 'Response/Connect[1]',
      stream: {
        url: 'wss://bot.example.com/media',
        name: 'assistant',
        track: 'inbound_track',
        statusCallback: 'https://app.example.com/status',
        statusCallbackMethod: 'GET',
        parameters: [
          ['FirstName', 'Ada'],
          ['Plan', 'gold'],
        ],
      },
      action: 'https://app.example.com/after',
      method: 'POST',
    },
    { verb: 'Pause', path: 'Response/Pause[1]', lengthSec: 2 },
    { verb: 'Hangup', path: 'Response/Hangup[1]' },
  ]);
});

test('Start/Stream (both tracks) and Stop/Stream by name, Play, Redirect', () => {
  const r = new VoiceResponse();
  r.start().stream({ url: 'wss://rec.example.com/s', name: 'rec', track: 'both_tracks' });
  r.play({ loop: 3 }, 'https://cdn.example.com/hold.wav');
  r.stop().stream({ name: 'rec' });
  r.redirect({ method: 'GET' }, 'https://app.example.com/next');
  const v = verbs(r.toString());
  assert.deepEqual(v[0], {
    verb: 'Start',
    path: 'Response/Start[1]',
    stream: {
      url: 'wss://rec.example.com/s',
      name: 'rec',
      track: 'both_tracks',
      statusCallbackMethod: 'POST',
      parameters: [],
    },
  });
  assert.deepEqual(v.slice(1), [
    { verb: 'Play', path: 'Response/Play[1]', url: 'https://cdn.example.com/hold.wav', loop: 3 },
    { verb: 'Stop', path: 'Response/Stop[1]', name: 'rec' },
    { verb: 'Redirect', path: 'Response/Redirect[1]', url: 'https://app.example.com/next', method: 'GET' },
  ]);
});

test('refusals name the problem: verbs not run here, a bidirectional stream with other tracks, bad URLs', () => {
  const dial = new VoiceResponse();
  dial.dial('+15550100');
  const r1 = parseTwiml(dial.toString());
  assert.ok(!r1.ok);
  assert.equal(r1.error.code, 'ERR_XML_UNSUPPORTED_ELEMENT');
  assert.match(r1.error.detail, /<Dial>/);

  const both = new VoiceResponse();
  both.connect().stream({ url: 'wss://bot.example.com/m', track: 'both_tracks' });
  const r2 = parseTwiml(both.toString());
  assert.ok(!r2.ok);
  assert.equal(r2.error.code, 'ERR_XML_STREAM_BIDIRECTIONAL_TRACK');

  const http = new VoiceResponse();
  http.connect().stream({ url: 'https://bot.example.com/m' });
  const r3 = parseTwiml(http.toString());
  assert.ok(!r3.ok);
  assert.equal(r3.error.code, 'ERR_XML_BAD_URL_SCHEME');

  const r4 = parseTwiml('<Response><Say>unterminated</Response>');
  assert.ok(!r4.ok);
  assert.equal(r4.error.code, 'ERR_XML_MALFORMED');

  const r5 = parseTwiml('<Response><Pause length="soon"/></Response>');
  assert.ok(!r5.ok);
  assert.equal(r5.error.code, 'ERR_XML_BAD_INTEGER');

  const r6 = parseTwiml('<Response><Connect/></Response>');
  assert.ok(!r6.ok);
  assert.match(r6.error.detail, /exactly one <Stream>/);
});

test('unknown attributes are warnings, the document still runs', () => {
  const r = parseTwiml('<Response><Say colour="blue">hi</Say></Response>');
  assert.ok(r.ok);
  assert.equal(r.warnings[0]?.code, 'ERR_XML_UNKNOWN_ATTRIBUTE');
});

test('the dialect is chosen by content; a mix is refused naming the dialect it looks like', () => {
  assert.deepEqual(detectAnswerDialect('<Response><Speak>hi</Speak><Stream>wss://a/b</Stream></Response>'), {
    ok: true,
    dialect: 'plivo',
  });
  // only elements both dialects share: the flow's dialect so far (Plivo at first)
  const shared = '<Response><Play>https://a/b.wav</Play><Hangup/></Response>';
  assert.deepEqual(detectAnswerDialect(shared), { ok: true, dialect: 'plivo' });
  assert.deepEqual(detectAnswerDialect(shared, 'twilio'), { ok: true, dialect: 'twilio' });
  const twimlWithSpeak = new VoiceResponse();
  twimlWithSpeak.say('hello');
  twimlWithSpeak.connect().stream({ url: 'wss://bot.example.com/m' });
  const mixed = twimlWithSpeak.toString().replace('</Response>', '<Speak>plivo text</Speak></Response>');
  const a = detectAnswerDialect(mixed);
  assert.ok(!a.ok);
  assert.equal(a.looksLike, 'twilio');
  assert.match(a.detail, /looks like TwiML \(Twilio\) \(<Say>, <Connect>\) but has/);
  assert.match(a.detail, /Plivo XML elements \(<Speak>\)/);
  const b = detectAnswerDialect(
    '<Response><Speak>hi</Speak><Wait length="2"/><Stream>wss://a/b</Stream><Pause length="1"/></Response>',
  );
  assert.ok(!b.ok);
  assert.equal(b.looksLike, 'plivo');
  assert.match(b.detail, /looks like Plivo XML .*but has TwiML \(Twilio\) elements \(<Pause>\)/);
});
