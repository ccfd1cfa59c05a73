/**
 * `dialMusic` with a URL: what the caller hears while `<Dial>`'s parties ring. The URL is requested
 * (POST, with the call's parameters, signed like any request of the call) and answers a Plivo XML
 * document whose `<Play>`, `<Speak>` and `<Wait>` elements are played in order, over and over, until a
 * party answers or the dial ends. Other elements in it are ignored; a failed fetch or an invalid
 * document is reported on the call and the caller hears silence (the dial goes on).
 */
import { parsePlivoXml } from '../../../protocol/plivo-xml/parse.js';
import type { PlayNode, SpeakNode, WaitNode } from '../../../protocol/plivo-xml/types.js';
import { fetchXml } from '../fetch-xml.js';
import type { ElementContext } from '../interpreter.types.js';
import { sleep } from '../wait-for.js';
import { play } from './play.js';
import { speak, type PromptMedia } from './speak.js';

/** The prompt elements dial music and confirm sounds may hold. */
export type MusicNode = PlayNode | SpeakNode | WaitNode;

function isMusic(node: { readonly element: string }): node is MusicNode {
  return node.element === 'Play' || node.element === 'Speak' || node.element === 'Wait';
}

/** Fetches the XML at `url` and returns its Play/Speak/Wait elements, or undefined (reported on the call). */
export async function fetchPrompts(
  url: string,
  what: string,
  ctx: ElementContext,
): Promise<readonly MusicNode[] | undefined> {
  const res = await fetchXml({
    http: ctx.http,
    random: ctx.random,
    authToken: ctx.authToken,
    url,
    method: 'POST',
    params: ctx.callParams(),
    attempts: 1,
    timeoutMs: ctx.fetchTimeoutMs,
  });
  if (!res.ok) {
    ctx.call.reportError(res.code, `<Dial> ${what} ${url}: ${res.detail}`);
    return undefined;
  }
  const doc = parsePlivoXml(res.xml);
  if (!doc.ok) {
    ctx.call.reportError(doc.error.code, `<Dial> ${what} ${url}: ${doc.error.detail}`);
    return undefined;
  }
  return doc.value.response.children.filter(isMusic);
}

/** Plays `items` once, in order, to `ctx.call`, until done or `signal` aborts. Never rejects. */
export async function playPrompts(
  items: readonly MusicNode[],
  ctx: ElementContext,
  media: PromptMedia,
  signal: AbortSignal,
): Promise<void> {
  for (const node of items) {
    if (signal.aborted) {
      return;
    }
    if (node.element === 'Play') {
      await play(node, ctx, media, signal);
    } else if (node.element === 'Speak') {
      await speak(node, ctx, media, signal);
    } else {
      await sleep(ctx.timers, node.lengthSec * 1000, signal);
    }
  }
}

/** Plays the dial music at `url` until `signal` aborts. Never rejects. */
export async function playDialMusic(
  url: string,
  ctx: ElementContext,
  media: PromptMedia,
  signal: AbortSignal,
): Promise<void> {
  const items = await fetchPrompts(url, 'dialMusic', ctx);
  // Read through a function: the awaits below change it, which narrowing cannot see.
  const stopped = (): boolean => signal.aborted;
  while (items !== undefined && items.length > 0 && !stopped()) {
    const passStart = ctx.clock.monotonicMs();
    await playPrompts(items, ctx, media, signal);
    if (ctx.clock.monotonicMs() === passStart) {
      // Nothing took any time (every prompt failed): do not spin.
      return;
    }
  }
}
