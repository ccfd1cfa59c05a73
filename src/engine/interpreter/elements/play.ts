/**
 * `<Play>` (https://www.plivo.com/docs/voice/xml/play): fetches the file through the AudioFetcher port
 * (cached there) and plays it `loop` times. A fetch or decode failure is logged, put on the call's
 * errors, and the element is skipped (the call goes on).
 */
import type { PlayNode } from '../../../protocol/plivo-xml/types.js';
import type { ElementContext, ElementHandler, ElementOutcome } from '../interpreter.types.js';
import { playToCaller } from './prompt-player.js';
import { reportPromptError, type PromptMedia } from './speak.js';

const CONTINUE: ElementOutcome = { next: 'continue' };

/** Plays the audio at `url` `loop` times (0: until `signal` aborts). Never rejects. */
export async function playUrl(
  url: string,
  loop: number,
  path: string,
  ctx: ElementContext,
  media: PromptMedia,
  signal: AbortSignal,
): Promise<void> {
  const res = await media.audio.fetch(url, signal);
  if (signal.aborted) {
    return;
  }
  if (!res.ok) {
    reportPromptError(ctx, path, res.code, res.detail);
    return;
  }
  await playToCaller(ctx.call, res.audio, loop, signal);
}

export function play(
  node: PlayNode,
  ctx: ElementContext,
  media: PromptMedia,
  signal: AbortSignal,
): Promise<void> {
  return playUrl(node.url, node.loop, node.path, ctx, media, signal);
}

export function playHandler(media: PromptMedia): ElementHandler<PlayNode> {
  return async (node, ctx) => {
    await play(node, ctx, media, ctx.signal);
    return CONTINUE;
  };
}
