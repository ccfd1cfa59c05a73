/**
 * Arrange helpers for REST API tests: a runtime on the real adapters, an in-memory record store, the
 * API server on top, a fake `dial`/`transfer` that record their input, and live virtual calls whose
 * records are written the way the call-control layer writes them (inserted when answered, completed
 * with cause and source when they end).
 */
import { MemoryCallStore } from '../../../src/adapters/memory-store/memory-call-store.js';
import type { DialRequest, DialResult, HttpMethod } from '../../../src/api/api.types.js';
import { buildApiServer, type ApiServerOptions } from '../../../src/api/server.js';
import { newCallRecord } from '../../../src/app/call-control/records.js';
import type { CallSession } from '../../../src/engine/call/call-session.js';
import type { LegHangup } from '../../../src/engine/call/media-leg.types.js';
import { VirtualLeg } from '../../../src/engine/call/virtual-leg.js';
import type { CallRecord } from '../../../src/ports/call-store.js';
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

/** The record call control writes for an answered inbound call (`newCallRecord`), for a call the fixture made. */
function liveRecord(callUuid: string, nowMs: number, from: string, to: string): CallRecord {
  const identity = {
    callUuid,
    requestUuid: callUuid,
    from,
    to,
    direction: 'inbound' as const,
    accountId: TEST_ACCOUNT_ID,
    startedAtMs: nowMs,
  };
  return newCallRecord(identity, 'http://127.0.0.1:9/answer', nowMs, null);
}

/** A runtime, a store and the API server (not listening unless the test calls `listen`). */
export function apiFixture(opts: ApiServerOptions = {}) {
  const runtime = testRuntime();
  const store = new MemoryCallStore();
  const dials: DialRequest[] = [];
  const transfers: { callUuid: string; url: string; method: HttpMethod }[] = [];
  let requestCounter = 0;
  const app = buildApiServer(
    {
      engine: runtime.engine,
      store,
      logger: runtime.logger,
      authId: TEST_ACCOUNT_ID,
      authToken: TEST_AUTH_TOKEN,
      dial: (req): Promise<DialResult> => {
        dials.push(req);
        if (req.to === UNDIALLABLE) {
          return Promise.resolve({
            ok: false,
            code: 'ERR_API_DIAL_FAILED',
            message: 'no SIP trunk configured for sip:nobody@invalid',
          });
        }
        requestCounter++;
        return Promise.resolve({
          ok: true,
          requestUuid: `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`,
        });
      },
      transfer: (callUuid, url, method) => {
        transfers.push({ callUuid, url, method });
        return runtime.engine.getCall(callUuid) !== undefined;
      },
    },
    opts,
  );
  const now = (): number => runtime.engine.deps.clock.epochMs();

  /** A live virtual call (looping 440 Hz), with its record in the store. */
  const addLiveCall = async (from = '+14155550100', to = '+14155550199'): Promise<LiveCall> => {
    const leg = new VirtualLeg({ callerAudio: callerTone(1000), loop: true });
    const call = runtime.engine.addCall(leg);
    await store.insertCall(liveRecord(call.callUuid, now(), from, to));
    call.on('ended', (hangup) => {
      void recordEnd(call.callUuid, hangup);
    });
    return { call, leg };
  };

  /** What call control would write when a fixture call ends. */
  const recordEnd = async (callUuid: string, hangup: LegHangup): Promise<void> => {
    const end = now();
    const rec = await store.getCall(callUuid);
    const sec = rec === undefined ? 0 : Math.max(0, Math.ceil((end - rec.startedAt) / 1000));
    await store.updateCall(callUuid, {
      status: 'completed',
      endedAt: end,
      hangupCause: hangup.cause,
      hangupSource: hangup.source === 'api' ? 'API Request' : 'Caller',
      durationSec: sec,
      billDurationSec: sec,
    });
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
      call.hangup('NORMAL_CLEARING');
    }
    await app.close();
    await runtime.close(500);
    await store.close();
  };

  return { runtime, store, app, dials, transfers, addLiveCall, addCompletedCall, close };
}
