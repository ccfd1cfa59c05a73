/**
 * Handlers for `<Stream>`, `<Wait>`, `<Hangup>`, `<Redirect>` and `<DTMF>`.
 */
import type {
  DtmfNode,
  HangupNode,
  RedirectNode,
  StreamNode,
  WaitNode,
} from '../../../protocol/plivo-xml/types.js';
import { ServerError } from '../../../errors/server-error.js';
import type { StreamSpec } from '../../fork/stream-fork.types.js';
import type { ElementContext, ElementOutcome } from '../interpreter.types.js';
import { sleep, untilAborted } from '../wait-for.js';

const CONTINUE: ElementOutcome = { next: 'continue' };

/** The StreamSpec for a `<Stream>` element (defaults were applied by the parser). */
export function streamSpecOf(node: StreamNode): StreamSpec {
  return {
    serviceUrl: node.url,
    bidirectional: node.bidirectional,
    audioTrack: node.audioTrack,
    streamTimeoutSec: node.streamTimeoutSec,
    statusCallbackUrl: node.statusCallbackUrl,
    statusCallbackMethod: node.statusCallbackMethod,
    contentType: node.contentType,
    extraHeaders: node.extraHeaders,
    keepCallAlive: node.keepCallAlive,
    ...(node.resumeTimeoutSec > 0 ? { resumeTimeoutSec: node.resumeTimeoutSec } : {}),
    ...(node.noiseCancellation ? { noiseCancellationLevel: node.noiseCancellationLevel } : {}),
    ...(node.playbackExtras ? { playbackExtras: true } : {}),
  };
}

/** D3: with keepCallAlive the XML waits here until the stream ends; otherwise it goes on at once. */
export async function runStream(node: StreamNode, ctx: ElementContext): Promise<ElementOutcome> {
  let fork;
  try {
    fork = ctx.call.startStream(streamSpecOf(node));
  } catch (err) {
    const detail = err instanceof ServerError ? err.message : String(err);
    ctx.logger.warn(
      { path: node.path, detail },
      '<Stream> could not start; continuing with the next element',
    );
    return CONTINUE;
  }
  if (node.keepCallAlive) {
    await untilAborted(fork.ended, ctx.signal);
  }
  return CONTINUE;
}

export async function runWait(node: WaitNode, ctx: ElementContext): Promise<ElementOutcome> {
  await sleep(ctx.timers, node.lengthSec * 1000, ctx.signal);
  return CONTINUE;
}

const HANGUP_CAUSES = { rejected: 'CALL_REJECTED', busy: 'USER_BUSY' } as const;

export function runHangup(node: HangupNode, ctx: ElementContext): Promise<ElementOutcome> {
  const cause = node.reason === undefined ? 'NORMAL_CLEARING' : HANGUP_CAUSES[node.reason];
  if (node.scheduleSec !== undefined) {
    const handle = ctx.timers.after(node.scheduleSec * 1000, () => {
      ctx.call.hangup(cause, 'xml-hangup');
    });
    ctx.signal.addEventListener('abort', () => {
      handle.cancel();
    });
    return Promise.resolve(CONTINUE);
  }
  ctx.call.hangup(cause, 'xml-hangup');
  return Promise.resolve({ next: 'hangup' });
}

export function runRedirect(node: RedirectNode, _ctx: ElementContext): Promise<ElementOutcome> {
  return Promise.resolve({ next: 'fetch', url: node.url, method: node.method });
}

/** Milliseconds a DTMF string takes to send: ~100 ms tone + ~100 ms gap per digit, w = 0.5 s, W = 1 s. */
export function dtmfDurationMs(digits: string): number {
  let ms = 0;
  for (const d of digits) {
    ms += d === 'w' ? 500 : d === 'W' ? 1000 : 200;
  }
  return ms;
}

export async function runDtmf(node: DtmfNode, ctx: ElementContext): Promise<ElementOutcome> {
  ctx.call.leg.sendDtmf(node.digits);
  if (!node.async) {
    await sleep(ctx.timers, dtmfDurationMs(node.digits), ctx.signal);
  }
  return CONTINUE;
}
