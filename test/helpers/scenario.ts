/**
 * One call scenario for stream integration tests: owns every server and runtime a test starts and
 * closes them all (in reverse order) however the test ends, and runs the virtual call with a bound.
 */
import assert from 'node:assert/strict';

import {
  runVirtualCall,
  type VirtualCallOptions,
  type VirtualCallResult,
} from '../../src/app/virtual-call.js';
import type { Runtime } from '../../src/compose.js';
import type { StreamSettings } from '../../src/engine/fork/stream-fork.types.js';
import type { ConsumerSession, ReferenceConsumer } from '../consumer/reference-consumer.js';
import { type HttpRecorder, startHttpRecorder } from './http-recorder.js';
import { type LogEntry, testRuntime, testSettings, within } from './stream-call.js';

interface Closable {
  close(): Promise<unknown>;
}

export class Scenario {
  readonly #closers: (() => Promise<unknown>)[] = [];

  /** Registers something to close at the end; returns it. */
  own<T extends Closable>(thing: T): T {
    this.#closers.push(() => thing.close());
    return thing;
  }

  /** The customer's web app: answer XML and status callbacks. */
  async app(): Promise<HttpRecorder> {
    return this.own(await startHttpRecorder());
  }

  /** A runtime on the real adapters with test settings; closed (HTTP pool released) at the end. */
  runtime(overrides: Partial<StreamSettings> = {}): Runtime & { readonly logs: LogEntry[] } {
    const runtime = testRuntime(testSettings(overrides));
    this.#closers.push(() => runtime.close(1000));
    return runtime;
  }

  /** Closes everything, newest first; never throws. */
  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) {
      await within(close(), 5000, 'closing a test server').catch(() => undefined);
    }
  }
}

/** Runs a virtual call, rejecting if it has not ended `slackMs` after its scheduled hang-up. */
export function runCall(
  runtime: Runtime,
  opts: VirtualCallOptions & { durationMs: number },
  slackMs = 8000,
): Promise<VirtualCallResult> {
  return within(runVirtualCall(runtime, opts), opts.durationMs + slackMs, 'the virtual call');
}

/** The `media` messages a session received on a track. */
export function mediaOf(
  session: ConsumerSession,
  track?: 'inbound' | 'outbound',
): { chunk: number; timestamp: string; payload: string; track: string }[] {
  const out: { chunk: number; timestamp: string; payload: string; track: string }[] = [];
  for (const m of session.validMessages) {
    if (m.event === 'media' && (track === undefined || m.media.track === track)) {
      out.push(m.media);
    }
  }
  return out;
}

/** Resolves once `session` has received `count` more media messages than it had when called. */
export async function moreMedia(session: ConsumerSession, count: number, timeoutMs = 2000): Promise<void> {
  const target = mediaOf(session).length + count;
  await session.waitFor((_m, s) => mediaOf(s).length >= target, timeoutMs);
}

/**
 * A stream on a healthy app is unaffected by whatever happened on the call: its consumer found no
 * protocol violation (sequence numbers and chunks gap-free, sizes right), it got every media message
 * the engine sent, media flowed until the call ended, and it was closed normally (1000) at hang-up.
 */
export async function assertHealthyStream(
  consumer: Pick<ReferenceConsumer, 'assertClean'>,
  session: ConsumerSession,
  result: VirtualCallResult,
  label: string,
): Promise<void> {
  consumer.assertClean();
  const code = await within(session.closed, 3000, `${label}: the socket close`);
  assert.equal(code, 1000, `${label}: closed with 1000 at hang-up`);
  const summary = result.streams.find((s) => s.streamId === session.start?.start.streamId);
  assert.ok(summary, `${label}: the call has this stream`);
  assert.equal(summary.status, 'completed', `${label}: stream completed`);
  assert.equal(summary.endReason, 'Call hangup', `${label}: ended by the hang-up`);
  const media = mediaOf(session);
  assert.equal(media.length, summary.stats.mediaMessagesSent, `${label}: every media message sent arrived`);
  // Media flowed the whole call: the stream started within ~1 s of the call and then one frame per 20 ms.
  const first = Number(media[0]?.timestamp);
  const last = Number(media.at(-1)?.timestamp);
  assert.ok(
    media.length * 20 >= result.durationMs - 1200,
    `${label}: ${media.length} media frames (${media.length * 20} ms) for a ${result.durationMs} ms call`,
  );
  assert.ok(last - first >= result.durationMs - 1300, `${label}: media timestamps span ${last - first} ms`);
}
