/**
 * Arrange helpers for REST API tests: a runtime on the real adapters, an in-memory record store, the
 * API server on top of the real `CallCommands` (`EngineCallCommands`) and a real `CallControl` that
 * keeps the records of every fixture call and its streams, with a fake dial and transfer that record
 * their input (no SIP, no XML run), and live virtual calls.
 */
import { MemoryCallStore } from '../../../src/adapters/memory-store/memory-call-store.js';
import { buildApiServer, type ApiServerOptions } from '../../../src/api/server.js';
import { EngineCallCommands } from '../../../src/app/call-commands.js';
import { CallControl } from '../../../src/app/call-control.js';
import { newCallRecord } from '../../../src/app/call-control/records.js';
import { RecordProjector } from '../../../src/app/records/record-projector.js';
import type { CallSession } from '../../../src/engine/call/call-session.js';
import { VirtualLeg } from '../../../src/engine/call/virtual-leg.js';
import type { AudioFetcher } from '../../../src/ports/audio-fetcher.js';
import type { CommandResult, DialRequest, HttpMethod } from '../../../src/ports/call-commands.js';
import type { CallRecord } from '../../../src/ports/call-store.js';
import type { Tts } from '../../../src/ports/tts.js';
import { TEST_ACCOUNT_ID, TEST_AUTH_TOKEN, callerTone, testRuntime } from '../../helpers/stream-call.js';

export { TEST_ACCOUNT_ID, TEST_AUTH_TOKEN };

/** `Authorization` header for the given credentials (the test account's by default). */
export function basicAuth(user = TEST_ACCOUNT_ID, password = TEST_AUTH_TOKEN): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** `/v1/Account/{auth_id}` of the test account. */
export const ACCOUNT_BASE = `/v1/Account/${TEST_ACCOUNT_ID}`;

/** Destinations for which the fake dial fails, as a dialler does for a bad number. */
export const UNDIALLABLE = 'sip:nobody@invalid';

export interface LiveCall {
  readonly call: CallSession;
  readonly leg: VirtualLeg;
}

export type ApiFixture = ReturnType<typeof apiFixture>;

/** The answer URL on fixture records (never fetched). */
const FIXTURE_ANSWER_URL = 'http://127.0.0.1:9/answer';

/** The record call control writes for an answered inbound call (`newCallRecord`), for a call the fixture made. */
function liveRecord(callUuid: string, nowMs: number, from: string, to: string): CallRecord {
  const started = {
    type: 'call.started' as const,
    callUuid,
    atMs: nowMs,
    direction: 'inbound' as const,
    from,
    to,
    answerUrl: FIXTURE_ANSWER_URL,
    requestUuid: null,
    sipCallId: null,
    startedAtMs: nowMs,
    nodeId: null,
    hangupCallback: null,
  };
  return newCallRecord(started, nowMs);
}

/** No XML runs in the fixture, so nothing is spoken or fetched. */
const noTts: Tts = { synthesize: () => Promise.reject(new TypeError('api fixture: no TTS')) };
const noAudio: AudioFetcher = { fetch: () => Promise.reject(new TypeError('api fixture: no audio')) };

/** A runtime, a store and the API server (not listening unless the test calls `listen`). */
export function apiFixture(opts: ApiServerOptions = {}) {
  const runtime = testRuntime();
  const { engine } = runtime;
  const store = new MemoryCallStore();
  const dials: DialRequest[] = [];
  const transfers: { callUuid: string; url: string; method: HttpMethod }[] = [];
  let requestCounter = 0;
  const records = new RecordProjector({ store, logger: runtime.logger, events: engine.events });
  const control = new CallControl({
    engine,
    records,
    tts: noTts,
    audio: noAudio,
    logger: runtime.logger,
    ...runtime.ports,
    accountId: TEST_ACCOUNT_ID,
    authToken: TEST_AUTH_TOKEN,
  });
  const dial = (req: DialRequest): Promise<CommandResult<{ readonly requestUuid: string }>> => {
    dials.push(req);
    if (req.to === UNDIALLABLE) {
      return Promise.resolve({
        ok: false,
        reason: 'failed',
        code: 'ERR_API_DIAL_FAILED',
        message: 'no SIP trunk configured for sip:nobody@invalid',
      });
    }
    requestCounter++;
    return Promise.resolve({
      ok: true,
      requestUuid: `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`,
    });
  };
  const commands = new EngineCallCommands({
    engine,
    store,
    dial,
    control: {
      // The transfer is recorded, not run: these tests are about the API, not the XML.
      transfer: (callUuid, url, method) => {
        transfers.push({ callUuid, url, method });
        return engine.getCall(callUuid) !== undefined;
      },
      settled: (callUuid) => control.settled(callUuid),
    },
  });
  const app = buildApiServer(
    {
      store,
      commands,
      clock: runtime.ports.clock,
      uuid: () => runtime.ports.random.uuid(),
      logger: runtime.logger,
      authId: TEST_ACCOUNT_ID,
      authToken: TEST_AUTH_TOKEN,
    },
    opts,
  );
  const now = (): number => runtime.ports.clock.epochMs();

  /** A live virtual call (looping 440 Hz), its records kept by call control; resolves once recorded. */
  const addLiveCall = async (from = '+14155550100', to = '+14155550199'): Promise<LiveCall> => {
    const leg = new VirtualLeg({ callerAudio: callerTone(1000), loop: true });
    const call = engine.addCall(leg);
    const startedAtMs = now();
    const identity = {
      callUuid: call.callUuid,
      requestUuid: call.callUuid,
      from,
      to,
      direction: 'inbound' as const,
      accountId: TEST_ACCOUNT_ID,
      startedAtMs,
    };
    control.track(call, identity, { answerUrl: FIXTURE_ANSWER_URL, answerMethod: 'POST', timeoutMs: 2000 });
    await control.settled(call.callUuid);
    return { call, leg };
  };
  /** A finished call record (never in the engine). */
  const addCompletedCall = async (overrides: Partial<CallRecord> = {}): Promise<CallRecord> => {
    const t = now() - 60_000;
    const rec: CallRecord = {
      ...liveRecord(crypto.randomUUID(), t, '+14155550111', 'sip:bot@127.0.0.1'),
      status: 'completed',
      endedAt: t + 30_000,
      hangupCause: 'Invalid Answer XML',
      hangupCauseCode: null,
      hangupSource: 'Error',
      durationSec: 30,
      billDurationSec: 30,
      error: { xml: [{ code: 'ERR_XML_STREAM_URL', line: 1, column: 40 }] },
      ...overrides,
    };
    await store.insertCall(rec);
    return rec;
  };

  const close = async (): Promise<void> => {
    for (const call of [...runtime.engine.calls.values()]) {
      call.hangup('NORMAL_CLEARING', 'server');
    }
    await control.idle();
    await app.close();
    await runtime.close(500);
    await store.close();
  };

  return { runtime, store, control, commands, app, dials, transfers, addLiveCall, addCompletedCall, close };
}
