/**
 * `<Dial>` on the fake-clock harness: the element with a scripted `CallDialer` whose parties are virtual
 * legs ticked by the engine. Parallel ringing (first answer wins, the others aborted), the bridge both
 * ways (audio and DTMF), hangupOnStar, ringback, what the action gets, and what each party was asked for.
 * The SIP side (INVITE, CANCEL, 486, records) is test/interop/sip-sipp-dial.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { VirtualLeg } from '../../src/engine/call/virtual-leg.js';
import type {
  CallDialer,
  PartyDialRequest,
  PartyDialResult,
} from '../../src/engine/interpreter/elements/dial.types.js';
import { DigitMatcher, sipHeadersOf, statusOfFailures } from '../../src/engine/interpreter/elements/dial.js';
import { createElementRegistry } from '../../src/engine/interpreter/registry.js';
import { generateTone, rms, tonePower } from '../../src/media/analysis.js';
import { CallHarness } from '../harness/harness.js';
import { MemoryFiles, serviceOn } from '../harness/memory-recordings.js';

type Script =
  | {
      readonly kind: 'answer';
      readonly afterMs: number;
      readonly audio: Int16Array;
      /** The party hangs up this long after answering. */
      readonly hangupAfterMs?: number;
    }
  | { readonly kind: 'fail'; readonly afterMs: number; readonly cause: string; readonly sipStatus?: number }
  | { readonly kind: 'ring' };

interface Dialed {
  readonly req: PartyDialRequest;
  readonly callUuid: string;
  aborted: boolean;
  leg?: VirtualLeg;
}

/** A dialer that plays each party by its script, on the harness clock. */
class ScriptedDialer implements CallDialer {
  readonly dialed: Dialed[] = [];
  readonly #h: CallHarness;
  readonly #scripts: Readonly<Record<string, Script>>;

  constructor(h: CallHarness, scripts: Readonly<Record<string, Script>>) {
    this.#h = h;
    this.#scripts = scripts;
  }

  dial(req: PartyDialRequest): Promise<PartyDialResult> {
    const script = this.#scripts[req.to];
    assert.ok(script !== undefined, `no script for ${req.to}`);
    const entry: Dialed = { req, callUuid: `party-${this.dialed.length + 1}`, aborted: false };
    this.dialed.push(entry);
    return new Promise((resolve) => {
      const timers = this.#h.clock;
      const ring = timers.after(req.timeoutSec * 1000, () => {
        resolve({ ok: false, callUuid: entry.callUuid, cause: 'NO_ANSWER' });
      });
      req.signal.addEventListener('abort', () => {
        entry.aborted = true;
        ring.cancel();
        resolve({ ok: false, callUuid: entry.callUuid, cause: 'ORIGINATOR_CANCEL' });
      });
      if (script.kind === 'fail') {
        timers.after(script.afterMs, () => {
          ring.cancel();
          resolve({
            ok: false,
            callUuid: entry.callUuid,
            cause: script.cause,
            ...(script.sipStatus === undefined ? {} : { sipStatus: script.sipStatus }),
          });
        });
      } else if (script.kind === 'answer') {
        timers.after(script.afterMs, () => {
          ring.cancel();
          if (req.signal.aborted) {
            return;
          }
          const leg = new VirtualLeg({ callerAudio: script.audio });
          entry.leg = leg;
          const call = this.#h.engine.addCall(leg, entry.callUuid);
          if (script.hangupAfterMs !== undefined) {
            timers.after(script.hangupAfterMs, () => {
              leg.callerHangup();
            });
          }
          resolve({ ok: true, call });
        });
      }
    });
  }
}

const PARTY_HZ = 1000;
const CALLER_HZ = 440;

function harnessWith(scripts: Readonly<Record<string, Script>>): { h: CallHarness; dialer: ScriptedDialer } {
  const h = new CallHarness();
  const dialer = new ScriptedDialer(h, scripts);
  return { h, dialer };
}

function dialDoc(attrs: string, parties: string, after = ''): string {
  return `<Response><Dial action="http://app.test/done" ${attrs}>${parties}</Dial>${after}</Response>`;
}

test('two parties ring at once: the first to answer is bridged both ways, the other is cancelled; action gets completed', async () => {
  const { h, dialer } = harnessWith({
    'sip:a@pbx.test': {
      kind: 'answer',
      afterMs: 1000,
      audio: generateTone(PARTY_HZ, 8000, 6000, 8000),
      hangupAfterMs: 3000,
    },
    'sip:b@pbx.test': { kind: 'ring' },
  });
  h.web.serve('/answer', dialDoc('', '<User>sip:a@pbx.test</User><User>sip:b@pbx.test</User>'));
  h.web.serve('/done', '<Response><Hangup/></Response>');
  const call = h.start({
    durationMs: 8000,
    callerAudio: generateTone(CALLER_HZ, 8000, 8000, 8000),
    registry: createElementRegistry({}, undefined, { dialer }),
  });
  const result = await call.end();
  assert.equal(dialer.dialed.length, 2);
  const [a, b] = dialer.dialed;
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(a.aborted, false);
  assert.equal(b.aborted, true, 'the party that did not answer was cancelled');
  assert.equal(a.req.parentCallUuid, call.callUuid);
  assert.equal(a.req.timeoutSec, 60, 'default ring timeout');
  assert.equal(a.req.timeLimitSec, 14_400, 'default time limit');

  // What the caller heard: silence while ringing (no dialMusic), the party's tone during the bridge.
  const heard = result.heard;
  const ringing = heard.subarray(8000 * 0.2, 8000 * 0.9);
  const bridged = heard.subarray(8000 * 1.5, 8000 * 3.5);
  assert.equal(rms(ringing), 0, 'silence while ringing');
  assert.ok(tonePower(bridged, 8000, PARTY_HZ) > 1e6, 'the caller hears the party');
  // What the party heard: the caller's tone.
  const partyHeard = a.leg?.recorded() ?? new Int16Array(0);
  assert.ok(partyHeard.length >= 8000 * 2, `the party heard ${partyHeard.length} samples`);
  assert.ok(tonePower(partyHeard.subarray(1600), 8000, CALLER_HZ) > 1e6, 'the party hears the caller');

  const done = h.web.requestsTo('/done');
  assert.equal(done.length, 1);
  assert.equal(done[0]?.param('DialStatus'), 'completed');
  assert.equal(done[0].param('DialALegUUID'), call.callUuid);
  assert.equal(done[0].param('DialBLegUUID'), 'party-1');
  assert.equal(done[0].param('DialHangupCause'), 'NORMAL_CLEARING');
  assert.equal(result.hangupCause, 'NORMAL_CLEARING', "the action's <Hangup/> ended the call");
  h.assertNoErrorLogs();
});

test('DTMF is relayed both ways; with hangupOnStar the caller\u2019s * ends the bridge and the action XML runs', async () => {
  const { h, dialer } = harnessWith({
    '15551230001': { kind: 'answer', afterMs: 500, audio: new Int16Array(8000 * 10) },
  });
  h.web.serve('/answer', dialDoc('hangupOnStar="true"', '<Number>15551230001</Number>'));
  h.web.serve('/done', '<Response><Wait length="1"/><Hangup/></Response>');
  const call = h.start({
    durationMs: 10_000,
    registry: createElementRegistry({}, undefined, { dialer }),
    dtmf: [
      { atMs: 1000, digit: '5' },
      { atMs: 2000, digit: '*' },
    ],
  });
  await h.until(() => dialer.dialed[0]?.leg !== undefined, 2000, 'the party answered');
  const party = dialer.dialed[0]?.leg;
  assert.ok(party !== undefined);
  await h.advance(800);
  party.pressDigit('7');
  const result = await call.end();
  assert.deepEqual(party.sentDtmf, ['5'], 'the caller\u2019s 5 reached the party, the * did not');
  assert.deepEqual(result.sentDtmf, ['7'], 'the party\u2019s 7 reached the caller');
  assert.equal(party.hungUpWith, 'NORMAL_CLEARING', '* hung the party up');
  const done = h.web.requestsTo('/done');
  assert.equal(done[0]?.param('DialStatus'), 'completed');
  assert.ok(result.durationMs >= 3000, `the action's XML ran after the bridge (${result.durationMs} ms)`);
});

test('callbackUrl: answer, digitsMatch / digitsMatchBLeg hits, then hangup, each with both legs', async () => {
  const { h, dialer } = harnessWith({
    '15551230001': { kind: 'answer', afterMs: 500, audio: new Int16Array(8000 * 10), hangupAfterMs: 3000 },
  });
  h.web.serve(
    '/answer',
    dialDoc(
      'callbackUrl="http://app.test/events" digitsMatch="12,*9" digitsMatchBLeg="99"',
      '<Number>15551230001</Number>',
    ),
  );
  h.web.serve('/events', '<Response/>');
  h.web.serve('/done', '<Response><Hangup/></Response>');
  const call = h.start({
    durationMs: 10_000,
    registry: createElementRegistry({}, undefined, { dialer }),
    dtmf: [
      { atMs: 1000, digit: '3' },
      { atMs: 1200, digit: '1' },
      { atMs: 1400, digit: '2' },
      { atMs: 1600, digit: '*' },
      { atMs: 1800, digit: '9' },
    ],
  });
  await h.until(() => dialer.dialed[0]?.leg !== undefined, 2000, 'the party answered');
  await h.advance(2000);
  dialer.dialed[0]?.leg?.pressDigit('9');
  dialer.dialed[0]?.leg?.pressDigit('9');
  await call.end();
  const events = h.web
    .requestsTo('/events')
    .map((r) => [
      r.param('DialAction'),
      r.param('DialDigitsMatch') ?? r.param('DialDigitsMatchBLeg') ?? r.param('DialBLegHangupCause') ?? '',
      r.param('DialALegUUID') === call.callUuid && r.param('DialBLegUUID') === 'party-1',
    ]);
  assert.deepEqual(events, [
    ['answer', '', true],
    ['digits', '12', true],
    ['digits', '*9', true],
    ['digits', '99', true],
    ['hangup', 'NORMAL_CLEARING', true],
  ]);
});

test('nobody answers: busy beats failed, the action gets busy and USER_BUSY; redirect="false" only notifies', async () => {
  const { h, dialer } = harnessWith({
    '15550000001': { kind: 'fail', afterMs: 300, cause: 'USER_BUSY', sipStatus: 486 },
    '15550000002': { kind: 'fail', afterMs: 100, cause: 'NORMAL_TEMPORARY_FAILURE', sipStatus: 503 },
  });
  h.web.serve(
    '/answer',
    dialDoc('redirect="false"', '<Number>15550000001</Number><Number>15550000002</Number>', '<Hangup/>'),
  );
  h.web.serve('/done', '<Response><Wait length="30"/></Response>');
  const result = await h.run({
    durationMs: 5000,
    registry: createElementRegistry({}, undefined, { dialer }),
  });
  const done = h.web.requestsTo('/done');
  assert.equal(done[0]?.param('DialStatus'), 'busy');
  assert.equal(done[0].param('DialHangupCause'), 'USER_BUSY');
  assert.equal(done[0].param('DialBLegUUID'), '');
  assert.ok(
    result.durationMs < 2000,
    `the next element (Hangup) ran, not the action's Wait (${result.durationMs} ms)`,
  );
});

test('ring timeout: every party gets the Dial\u2019s timeout; no-answer', async () => {
  const { h, dialer } = harnessWith({ 'sip:x@pbx.test': { kind: 'ring' } });
  h.web.serve('/answer', dialDoc('timeout="3"', '<User>sip:x@pbx.test</User>'));
  h.web.serve('/done', '<Response><Hangup/></Response>');
  const result = await h.run({
    durationMs: 20_000,
    registry: createElementRegistry({}, undefined, { dialer }),
  });
  assert.equal(dialer.dialed[0]?.req.timeoutSec, 3);
  assert.equal(h.web.requestsTo('/done')[0]?.param('DialStatus'), 'no-answer');
  assert.ok(result.durationMs >= 3000 && result.durationMs < 4000, `${result.durationMs} ms`);
});

test('the caller hangs up while the parties ring: every party is cancelled, the action is told canceled', async () => {
  const { h, dialer } = harnessWith({
    'sip:x@pbx.test': { kind: 'ring' },
    'sip:y@pbx.test': { kind: 'ring' },
  });
  h.web.serve('/answer', dialDoc('', '<User>sip:x@pbx.test</User><User>sip:y@pbx.test</User>'));
  h.web.serve('/done', '<Response><Speak>never</Speak></Response>');
  const call = h.start({ durationMs: 2000, registry: createElementRegistry({}, undefined, { dialer }) });
  await h.until(() => dialer.dialed.length === 2, 1000, 'both parties dialled');
  const result = await call.end();
  assert.equal(result.hangupSource, 'caller');
  await h.until(() => h.web.requestsTo('/done').length === 1, 1000, 'the action notified');
  assert.deepEqual(
    dialer.dialed.map((d) => d.aborted),
    [true, true],
  );
  assert.equal(h.web.requestsTo('/done')[0]?.param('DialStatus'), 'canceled');
});

test('dialMusic="real": the caller hears the ringback tone (440 + 480 Hz, 2 s on) until the answer', async () => {
  const { h, dialer } = harnessWith({
    'sip:a@pbx.test': { kind: 'answer', afterMs: 2500, audio: new Int16Array(8000 * 4), hangupAfterMs: 500 },
  });
  h.web.serve('/answer', dialDoc('dialMusic="real"', '<User>sip:a@pbx.test</User>'));
  h.web.serve('/done', '<Response><Hangup/></Response>');
  const result = await h.run({
    durationMs: 6000,
    registry: createElementRegistry({}, undefined, { dialer }),
  });
  const on = result.heard.subarray(8000 * 0.5, 8000 * 1.5);
  const off = result.heard.subarray(8000 * 2.1, 8000 * 2.4);
  assert.ok(tonePower(on, 8000, 440) > 1e6 && tonePower(on, 8000, 480) > 1e6, 'ringback while ringing');
  assert.equal(rms(off), 0, 'the cadence\u2019s silent part');
  const bridged = result.heard.subarray(8000 * 2.6, 8000 * 2.9);
  assert.ok(tonePower(bridged, 8000, 440) < 1e3, 'no ringback once answered');
});

test('dialMusic URL: its Play is looped to the caller while the party rings, and stops at the answer', async () => {
  const { h, dialer } = harnessWith({
    'sip:a@pbx.test': { kind: 'answer', afterMs: 3000, audio: new Int16Array(8000 * 4), hangupAfterMs: 500 },
  });
  const fetched: string[] = [];
  const media = {
    audio: {
      fetch: (url: string) => {
        fetched.push(url);
        return Promise.resolve({
          ok: true as const,
          audio: generateTone(700, 8000, 400, 8000),
          cached: false,
        });
      },
    },
    tts: {
      synthesize: () =>
        Promise.resolve({ ok: false as const, code: 'ERR_TTS_FAILED' as const, detail: 'none' }),
    },
  };
  h.web.serve('/answer', dialDoc('dialMusic="http://app.test/music"', '<User>sip:a@pbx.test</User>'));
  h.web.serve('/music', '<Response><Play>http://cdn.test/hold.wav</Play><Wait length="1"/></Response>');
  h.web.serve('/done', '<Response><Hangup/></Response>');
  const result = await h.run({ durationMs: 6000, registry: createElementRegistry({}, media, { dialer }) });
  assert.equal(h.web.requestsTo('/music').length, 1, 'the music XML is fetched once');
  assert.ok(fetched.length >= 2, `the Play ran in a loop (${fetched.length} times)`);
  const firstPass = result.heard.subarray(8000 * 0.05, 8000 * 0.4);
  const waitPart = result.heard.subarray(8000 * 0.5, 8000 * 1.3);
  const secondPass = result.heard.subarray(8000 * 1.45, 8000 * 1.8);
  assert.ok(tonePower(firstPass, 8000, 700) > 1e6, 'the music plays');
  assert.equal(rms(waitPart), 0, 'its Wait is silence');
  assert.ok(tonePower(secondPass, 8000, 700) > 1e6, 'and it starts over');
  const bridged = result.heard.subarray(8000 * 3.1, 8000 * 3.4);
  assert.ok(tonePower(bridged, 8000, 700) < 1e3, 'no music once answered');
});

test('confirmKey: a party that answers but does not press the key is hung up; the one that confirms is bridged', async () => {
  const { h, dialer } = harnessWith({
    'sip:slow@pbx.test': { kind: 'answer', afterMs: 500, audio: new Int16Array(8000 * 10) },
    'sip:ok@pbx.test': {
      kind: 'answer',
      afterMs: 1000,
      audio: generateTone(PARTY_HZ, 8000, 10_000, 8000),
      hangupAfterMs: 3000,
    },
  });
  const media = {
    audio: {
      fetch: () =>
        Promise.resolve({ ok: true as const, audio: generateTone(600, 8000, 300, 8000), cached: false }),
    },
    tts: {
      synthesize: () =>
        Promise.resolve({ ok: false as const, code: 'ERR_TTS_FAILED' as const, detail: 'none' }),
    },
  };
  h.web.serve(
    '/answer',
    dialDoc(
      'confirmKey="5" confirmTimeout="2" confirmSound="http://app.test/confirm"',
      '<User>sip:slow@pbx.test</User><User>sip:ok@pbx.test</User>',
    ),
  );
  h.web.serve('/confirm', '<Response><Play>http://cdn.test/press5.wav</Play></Response>');
  h.web.serve('/done', '<Response><Hangup/></Response>');
  const call = h.start({ durationMs: 10_000, registry: createElementRegistry({}, media, { dialer }) });
  await h.until(() => dialer.dialed[1]?.leg !== undefined, 3000, 'the second party answered');
  const slow = dialer.dialed[0]?.leg;
  const ok = dialer.dialed[1]?.leg;
  assert.ok(slow !== undefined && ok !== undefined);
  await h.advance(600);
  ok.pressDigit('5');
  const result = await call.end();
  assert.ok(tonePower(ok.recorded().subarray(0, 2400), 8000, 600) > 1e6, 'the party heard the confirm sound');
  assert.equal(slow.hungUpWith, 'LOSE_RACE', 'the unconfirmed party is hung up once the other won');
  const done = h.web.requestsTo('/done');
  assert.equal(done[0]?.param('DialStatus'), 'completed');
  assert.equal(done[0].param('DialBLegUUID'), 'party-2');
  const bridged = result.heard.subarray(8000 * 2.0, 8000 * 3.5);
  assert.ok(tonePower(bridged, 8000, PARTY_HZ) > 1e6, 'the caller hears the confirmed party');
  const beforeConfirm = result.heard.subarray(8000 * 1.05, 8000 * 1.5);
  assert.ok(tonePower(beforeConfirm, 8000, PARTY_HZ) < 1e3, 'not before it confirmed');
});

test('confirmKey never pressed: the party is hung up after confirmTimeout and the Dial is no-answer', async () => {
  const { h, dialer } = harnessWith({
    'sip:a@pbx.test': { kind: 'answer', afterMs: 500, audio: new Int16Array(8000 * 10) },
  });
  h.web.serve('/answer', dialDoc('confirmKey="#" confirmTimeout="2"', '<User>sip:a@pbx.test</User>'));
  h.web.serve('/done', '<Response><Hangup/></Response>');
  const result = await h.run({
    durationMs: 10_000,
    registry: createElementRegistry({}, undefined, { dialer }),
  });
  assert.equal(dialer.dialed[0]?.leg?.hungUpWith, 'NO_ANSWER');
  assert.equal(h.web.requestsTo('/done')[0]?.param('DialStatus'), 'no-answer');
  assert.ok(result.durationMs >= 2500 && result.durationMs < 3500, `${result.durationMs} ms`);
});

test('what each party is asked for: callerId/callerName (the party\u2019s over the Dial\u2019s), X-PH- headers, timeLimit', async () => {
  const { h, dialer } = harnessWith({
    '15550000001': { kind: 'fail', afterMs: 100, cause: 'USER_BUSY', sipStatus: 486 },
    'sip:u@pbx.test': { kind: 'fail', afterMs: 100, cause: 'USER_BUSY', sipStatus: 486 },
  });
  h.web.serve(
    '/answer',
    dialDoc(
      'callerId="15559990000" callerName="Desk" timeLimit="120" sipHeaders="team=sales,lvl=2"',
      '<Number callerId="15558887777">15550000001</Number>' +
        '<User callerName="Agent Line" sipHeaders="ticket=42">sip:u@pbx.test</User>',
    ),
  );
  h.web.serve('/done', '<Response><Hangup/></Response>');
  await h.run({ durationMs: 3000, registry: createElementRegistry({}, undefined, { dialer }) });
  const [n, u] = dialer.dialed.map((d) => d.req);
  assert.ok(n !== undefined && u !== undefined);
  assert.equal(n.from, '15558887777');
  assert.equal(n.callerName, 'Desk');
  assert.equal(u.from, '15559990000');
  assert.equal(u.callerName, 'Agent Line');
  assert.equal(n.timeLimitSec, 120);
  assert.deepEqual(n.headers, [
    { name: 'X-PH-team', value: 'sales' },
    { name: 'X-PH-lvl', value: '2' },
  ]);
  assert.deepEqual(u.headers, [
    { name: 'X-PH-team', value: 'sales' },
    { name: 'X-PH-lvl', value: '2' },
    { name: 'X-PH-ticket', value: '42' },
  ]);
});

test('<Record startOnDialAnswer> records the bridge only: from the party\u2019s answer to the bridge\u2019s end, caller left, party right; action told', async () => {
  const { h, dialer } = harnessWith({
    'sip:a@pbx.test': {
      kind: 'answer',
      afterMs: 1000,
      audio: generateTone(PARTY_HZ, 8000, 6000, 8000),
      hangupAfterMs: 2000,
    },
  });
  const files = new MemoryFiles();
  const { service, store } = serviceOn(h, files);
  h.web.serve(
    '/answer',
    `<Response><Record startOnDialAnswer="true" recordChannelType="stereo" action="http://app.test/rec"/>` +
      `<Dial><User>sip:a@pbx.test</User></Dial><Wait length="2"/></Response>`,
  );
  h.web.serve('/rec', '<Response/>');
  const call = h.start({
    durationMs: 8000,
    callerAudio: generateTone(CALLER_HZ, 8000, 8000, 8000),
    registry: createElementRegistry({}, undefined, { dialer, recordings: service }),
  });
  await call.end();
  await service.idle();
  const [rec] = (await store.listRecordings({ limit: 10, offset: 0 })).items;
  assert.ok(rec, 'one recording');
  assert.equal(rec.state, 'completed');
  assert.equal(rec.channels, 2);
  // The bridge lasted 2 s (the party hung up 2 s after answering), not the whole 5 s call.
  assert.ok(
    rec.durationMs !== null && Math.abs(rec.durationMs - 2000) <= 60,
    `recorded ${rec.durationMs} ms of a 2 s bridge`,
  );
  const bytes = files.files.get(`${rec.recordingId}.wav`);
  assert.ok(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = (bytes.length - 44) / 4;
  const left = Int16Array.from({ length: frames }, (_, i) => view.getInt16(44 + 4 * i, true));
  const right = Int16Array.from({ length: frames }, (_, i) => view.getInt16(46 + 4 * i, true));
  assert.ok(tonePower(left.subarray(800), 8000, CALLER_HZ) > 1e6, 'the caller on the left');
  assert.ok(
    tonePower(right.subarray(800), 8000, PARTY_HZ) > 1e6,
    'the party (what the caller heard) on the right',
  );
  assert.ok(tonePower(right.subarray(800), 8000, CALLER_HZ) < 1e4, 'not the caller on the right');
  const told = h.web.requestsTo('/rec');
  assert.equal(told.length, 1, 'the action is told once, when the bridge ended');
  assert.equal(told[0]?.param('RecordingID'), rec.recordingId);
  h.assertNoErrorLogs();
});

test('<Record startOnDialAnswer> on a call whose Dial nobody answers records nothing', async () => {
  const { h, dialer } = harnessWith({ 'sip:a@pbx.test': { kind: 'fail', afterMs: 500, cause: 'USER_BUSY' } });
  const { service, store } = serviceOn(h, new MemoryFiles());
  h.web.serve(
    '/answer',
    '<Response><Record startOnDialAnswer="true"/><Dial><User>sip:a@pbx.test</User></Dial></Response>',
  );
  await h.run({
    durationMs: 3000,
    registry: createElementRegistry({}, undefined, { dialer, recordings: service }),
  });
  await service.idle();
  assert.equal((await store.listRecordings({ limit: 10, offset: 0 })).total, 0);
});

test('without a dialer <Dial> is reported as unsupported and skipped', async () => {
  const h = new CallHarness();
  h.web.serve('/answer', dialDoc('', '<User>sip:a@pbx.test</User>', '<Hangup/>'));
  const result = await h.run({ durationMs: 2000 });
  assert.ok(
    result.errors.some((e) => e.includes('not supported')),
    result.errors.join('; '),
  );
});

test('statusOfFailures and sipHeadersOf', () => {
  assert.deepEqual(statusOfFailures(['NO_ANSWER', 'USER_BUSY']), { status: 'busy', cause: 'USER_BUSY' });
  assert.deepEqual(statusOfFailures(['NO_ANSWER', 'CALL_REJECTED']), {
    status: 'no-answer',
    cause: 'NO_ANSWER',
  });
  assert.deepEqual(statusOfFailures(['ORIGINATOR_CANCEL']), {
    status: 'canceled',
    cause: 'ORIGINATOR_CANCEL',
  });
  assert.deepEqual(statusOfFailures(['CALL_REJECTED', 'ORIGINATOR_CANCEL']), {
    status: 'failed',
    cause: 'CALL_REJECTED',
  });
  const m = new DigitMatcher('12,345');
  assert.deepEqual(
    ['1', '1', '2', '3', '4', '5', '2'].map((d) => m.press(d)),
    [undefined, undefined, '12', undefined, undefined, '345', undefined],
  );
  assert.deepEqual(sipHeadersOf(undefined), []);
  assert.deepEqual(sipHeadersOf('a=1,b='), [
    { name: 'X-PH-a', value: '1' },
    { name: 'X-PH-b', value: '' },
  ]);
});
