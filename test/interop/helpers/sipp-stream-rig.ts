/**
 * The streamfork side of the sipp interop tests: a SIP stack whose answer URL streams every call
 * (μ-law 8k, keepCallAlive) to a reference consumer, and a scratch folder for the filled scenarios.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startSipStack, type SipStack, type SipStackOptions } from '../../helpers/sip-stack.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../../consumer/reference-consumer.js';
import { startHttpRecorder, type HttpRecorder } from '../../helpers/http-recorder.js';
import { responseXml, streamElement } from '../../helpers/stream-call.js';

export interface SippStreamRig {
  /** Scratch folder, removed by `close`. */
  readonly dir: string;
  /** Serves the answer document at `/answer`. */
  readonly app: HttpRecorder;
  /** The app's WebSocket end, at `/stream`. */
  readonly consumer: ReferenceConsumer;
  readonly stack: SipStack;
  /** Closes the stack, the consumer and the app, then removes `dir`. */
  close(): Promise<void>;
}

/** Starts the rig; `dirPrefix` names the scratch folder, `stack` adds options to the SIP stack's. */
export async function startSippStreamRig(
  dirPrefix: string,
  stack: Omit<SipStackOptions, 'answerUrl'> = {},
): Promise<SippStreamRig> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const consumer = await startReferenceConsumer({ path: '/stream' });
  const app = await startHttpRecorder();
  app.serve(
    '/answer',
    responseXml(streamElement(consumer.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true })),
  );
  const sipStack = await startSipStack({ ...stack, answerUrl: app.url('/answer') });
  return {
    dir,
    app,
    consumer,
    stack: sipStack,
    close: async () => {
      await sipStack.close();
      await consumer.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
