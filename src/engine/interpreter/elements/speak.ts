/**
 * `<Speak>` (https://www.plivo.com/docs/voice/xml/speak): text to speech through the Tts port, played
 * with the prompt player. SSML markup is not rendered: the parser's plain `text` is spoken. When the
 * engine is missing or fails, the error is logged, reported as a `call.error`, and the element is
 * skipped (the call goes on).
 */
import type { ErrorCode } from '../../../errors/catalog.js';
import type { SpeakNode } from '../../../protocol/plivo-xml/types.js';
import type { AudioFetcher } from '../../../ports/audio-fetcher.js';
import type { Tts } from '../../../ports/tts.js';
import type { ElementContext, ElementHandler, ElementOutcome } from '../interpreter.types.js';
import { playToCaller } from './prompt-player.js';

/** The media ports prompt elements use. */
export interface PromptMedia {
  readonly tts: Tts;
  readonly audio: AudioFetcher;
}

const CONTINUE: ElementOutcome = { next: 'continue' };

/** Reports a prompt failure on the call (`call.error` and log); the element is then skipped. */
export function reportPromptError(ctx: ElementContext, path: string, code: ErrorCode, detail: string): void {
  const element = path.slice(path.lastIndexOf('/') + 1).replace(/\[\d+\]$/, '');
  ctx.call.reportError(code, `${code}: <${element}> at ${path}: ${detail}`);
  ctx.logger.warn({ code, path, detail }, `<${element}> failed; skipped`);
}

/** Speaks one `<Speak>` until done or `signal` aborts. Never rejects. */
export async function speak(
  node: SpeakNode,
  ctx: ElementContext,
  media: PromptMedia,
  signal: AbortSignal,
): Promise<void> {
  if (node.text.trim() === '') {
    return;
  }
  const startedMs = ctx.clock.monotonicMs();
  const res = await media.tts.synthesize(
    { text: node.text, voice: node.voice, language: node.language },
    signal,
  );
  if (signal.aborted) {
    return;
  }
  if (!res.ok) {
    reportPromptError(ctx, node.path, res.code, res.detail);
    return;
  }
  ctx.logger.debug(
    {
      path: node.path,
      cached: res.cached,
      ttsMs: Math.round(ctx.clock.monotonicMs() - startedMs),
      samples: res.audio.length,
    },
    '<Speak> synthesized',
  );
  await playToCaller(ctx.call, res.audio, node.loop, signal);
}

export function speakHandler(media: PromptMedia): ElementHandler<SpeakNode> {
  return async (node, ctx) => {
    await speak(node, ctx, media, ctx.signal);
    return CONTINUE;
  };
}
