/**
 * `<Record>` (https://www.plivo.com/docs/voice/xml/record), through the `CallRecordings` port.
 *
 * Behaviour (Plivo's, where documented; our choice, marked *, where not):
 * - Default: a beep (`playBeep`), then the call is recorded until `maxLength` seconds, `timeout`
 *   seconds of silence from the caller, a key of `finishOnKey` (sent as `Digits`; * empty when the
 *   recording ended otherwise) or the hangup. Then `action` gets the recording's parameters: with
 *   `redirect="true"` its XML continues the call; with `redirect="false"` it is notified and the next
 *   element runs. A call that hung up fetches no action (* nothing would run it); `callbackUrl`
 *   is told in every case, once the file is complete.
 * - `recordSession="true"`: the rest of the call is recorded in the background until the hangup
 *   (* `maxLength` does not cut it: its default of 60 s would end most whole-call recordings) and the
 *   next element runs at once; `action` is notified when the recording ends (* no redirect: the
 *   document has moved on).
 * - `recordChannelType="stereo"`: the caller on the left, what the caller hears on the right.
 * - `startOnDialAnswer="true"`: the next element runs at once; the recording starts when the call's
 *   next `<Dial>` bridge answers and ends with that bridge (* or the call), in the background, and
 *   `action` (* notified, no redirect) and `callbackUrl` are told then. No bridge, no recording.
 * - A recording that cannot start (its file cannot be created) is reported on the call record
 *   (ERR_RECORDING_FAILED) and the next element runs.
 */
import { generateTone } from '../../../media/analysis.js';
import type { RecordNode } from '../../../protocol/plivo-xml/types.js';
import { FRAME_MS } from '../../recording/call-recorder.js';
import {
  recordingParams,
  type CallRecordings,
  type FinishedRecording,
  type RecordOptions,
} from '../../recording/call-recordings.js';
import { fetchXml } from '../fetch-xml.js';
import type { ElementContext, ElementHandler, ElementOutcome } from '../interpreter.types.js';
import { playToCaller } from './prompt-player.js';

const CONTINUE: ElementOutcome = { next: 'continue' };

/** The beep of `playBeep`: 1 kHz, 250 ms, about -12 dBFS (as `<GetDigits>`'s). */
const BEEP = generateTone(1000, 8000, 250, 8000);

const FRAMES_PER_SEC = 1000 / FRAME_MS;

/** The flow was aborted or the call ended (read after an await, where narrowing would keep the old value). */
function over(ctx: ElementContext): boolean {
  return ctx.signal.aborted || ctx.call.closed;
}

function actionParams(f: FinishedRecording, digits: string): readonly (readonly [string, string])[] {
  return [...recordingParams(f), ['Digits', digits]];
}

/** Tells `action` about a recording and ignores its answer. */
function notifyAction(
  ctx: ElementContext,
  node: RecordNode,
  url: string,
  params: readonly (readonly [string, string])[],
): void {
  void fetchXml({
    http: ctx.http,
    random: ctx.random,
    authToken: ctx.authToken,
    url,
    method: node.method,
    params: [...ctx.callParams(), ...params],
    attempts: 1,
    timeoutMs: ctx.fetchTimeoutMs,
  }).then((res) => {
    if (!res.ok) {
      ctx.logger.warn({ url, cause: res.cause, detail: res.detail }, '<Record> action notification failed');
    }
  });
}

function optionsOf(node: RecordNode, source: RecordOptions['source']): RecordOptions {
  return {
    channels: node.recordChannelType === 'stereo' ? 2 : 1,
    source,
    ...(source === 'xml'
      ? { maxFrames: node.maxLengthSec * FRAMES_PER_SEC, silenceFrames: node.timeoutSec * FRAMES_PER_SEC }
      : {}),
    ...(node.callbackUrl === undefined
      ? {}
      : { callbackUrl: node.callbackUrl, callbackMethod: node.callbackMethod }),
  };
}

async function recordSession(
  node: RecordNode,
  ctx: ElementContext,
  recordings: CallRecordings,
): Promise<void> {
  const started = await recordings.record(ctx.call, optionsOf(node, 'session'));
  ctx.logger.info({ path: node.path, recordingId: started.recordingId }, '<Record recordSession> started');
  const action = node.action;
  if (action !== undefined) {
    void started.finished.then((f) => {
      notifyAction(ctx, node, action, actionParams(f, ''));
    });
  }
}

/**
 * `startOnDialAnswer`: records the call's next `<Dial>` bridge, from the party's answer until the
 * bridge ends (or the call does), in the background; `action` and `callbackUrl` are told when it ends,
 * as for `recordSession`. A call that ends with no bridge records nothing.
 */
function recordNextBridge(node: RecordNode, ctx: ElementContext, recordings: CallRecordings): void {
  const call = ctx.call;
  const onBridged = (): void => {
    call.off('bridged', onBridged);
    void recordings.record(call, optionsOf(node, 'session')).then(
      (started) => {
        ctx.logger.info(
          { path: node.path, recordingId: started.recordingId },
          '<Record startOnDialAnswer> started',
        );
        const onUnbridged = (): void => {
          call.off('unbridged', onUnbridged);
          void started.stop('stopped');
        };
        call.on('unbridged', onUnbridged);
        void started.finished.then((f) => {
          call.off('unbridged', onUnbridged);
          if (node.action !== undefined) {
            notifyAction(ctx, node, node.action, actionParams(f, ''));
          }
        });
      },
      (err: unknown) => {
        const message = `<Record startOnDialAnswer> at ${node.path} could not record: ${err instanceof Error ? err.message : String(err)}`;
        if (!call.closed) {
          call.reportError('ERR_RECORDING_FAILED', message);
        }
        ctx.logger.warn({ err, path: node.path }, message);
      },
    );
  };
  const onClosed = (): void => {
    call.off('bridged', onBridged);
    call.off('closed', onClosed);
  };
  call.on('bridged', onBridged);
  call.on('closed', onClosed);
  ctx.logger.info({ path: node.path }, '<Record startOnDialAnswer>: waiting for a <Dial> bridge');
}

/** Records until a stop condition; resolves with the recording and the key that ended it ('' if none). */
async function recordNow(
  node: RecordNode,
  ctx: ElementContext,
  recordings: CallRecordings,
): Promise<{ finished: FinishedRecording; digits: string }> {
  const started = await recordings.record(ctx.call, optionsOf(node, 'xml'));
  const keys = node.finishOnKey === 'none' ? '' : node.finishOnKey;
  let digits = '';
  const onDtmf = (digit: string): void => {
    if (digits === '' && keys.includes(digit)) {
      digits = digit;
      void started.stop('finish-key');
    }
  };
  const onAbort = (): void => {
    void started.stop('stopped');
  };
  ctx.call.on('dtmf', onDtmf);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return { finished: await started.finished, digits };
  } finally {
    ctx.call.off('dtmf', onDtmf);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

export function recordHandler(recordings: CallRecordings): ElementHandler<RecordNode> {
  return async (node, ctx) => {
    if (node.startOnDialAnswer) {
      recordNextBridge(node, ctx, recordings);
      return CONTINUE;
    }
    try {
      if (node.recordSession) {
        await recordSession(node, ctx, recordings);
        return CONTINUE;
      }
      if (node.playBeep) {
        await playToCaller(ctx.call, BEEP, 1, ctx.signal);
      }
      if (ctx.signal.aborted) {
        return CONTINUE;
      }
      const { finished, digits } = await recordNow(node, ctx, recordings);
      ctx.logger.info(
        {
          path: node.path,
          recordingId: finished.recordingId,
          reason: finished.reason,
          ms: finished.durationMs,
        },
        '<Record> finished',
      );
      if (over(ctx) || node.action === undefined) {
        return CONTINUE;
      }
      const params = actionParams(finished, digits);
      if (!node.redirect) {
        notifyAction(ctx, node, node.action, params);
        return CONTINUE;
      }
      return { next: 'fetch', url: node.action, method: node.method, params };
    } catch (err) {
      const message = `<Record> at ${node.path} could not record: ${err instanceof Error ? err.message : String(err)}`;
      if (!ctx.call.closed) {
        ctx.call.reportError('ERR_RECORDING_FAILED', message);
      }
      ctx.logger.warn({ err, path: node.path }, message);
      return CONTINUE;
    }
  };
}
