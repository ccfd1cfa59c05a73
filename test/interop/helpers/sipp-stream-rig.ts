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
import { fillScenario, freeUdpPort, HOST, runTool, sippArgs, type ToolRun } from './sipp.js';

export interface SippStreamRig {
  /** Scratch folder, removed by `close`. */
  readonly dir: string;
  /** Serves the answer document at `/answer`. */
  readonly app: HttpRecorder;
  /** The app's WebSocket end, at `/stream`. */
  readonly consumer: ReferenceConsumer;
  readonly stack: SipStack;
  /**
   * sipp places one call to the stack with the scenario `name` (its `@KEY@` placeholders filled from
   * `values`), giving up after `timeoutSec`; resolves when sipp exits (`runTool` kills it after
   * `timeoutSec` + 10 s).
   */
  callWithScenario(
    name: string,
    values: Readonly<Record<string, string>>,
    timeoutSec: number,
  ): Promise<ToolRun>;
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
    callWithScenario: async (name, values, timeoutSec) => {
      const file = fillScenario(name, dir, values);
      const target = `${HOST}:${sipStack.port}`;
      const args = [
        ...sippArgs(target, await freeUdpPort(), await freeUdpPort(true), timeoutSec),
        '-sf',
        file,
        '-m',
        '1',
      ];
      return runTool('sipp', args, (timeoutSec + 10) * 1000, dir);
    },
    close: async () => {
      await sipStack.close();
      await consumer.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
