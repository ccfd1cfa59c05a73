/**
 * `confirmSound` / `confirmKey`: a party that answers is not bridged at once. It hears the prompts of the
 * `confirmSound` XML (its Play/Speak/Wait, once) and, with `confirmKey`, must press that key within
 * `confirmTimeout` (default {@link DEFAULT_CONFIRM_TIMEOUT_SEC}; the key counts during the prompts too).
 * Until then the other parties keep ringing; a party that does not confirm is hung up and counts as
 * not answered. The caller hears the dial music meanwhile, not the party.
 */
import type { DialNode } from '../../../protocol/plivo-xml/types.js';
import type { CallSession } from '../../call/call-session.js';
import type { ElementContext } from '../interpreter.types.js';
import { fetchPrompts, playPrompts } from './dial-music.js';
import type { PromptMedia } from './speak.js';

/** How long a party has to press `confirmKey` when `confirmTimeout` is absent. */
export const DEFAULT_CONFIRM_TIMEOUT_SEC = 30;

/** True when the Dial asks its parties to confirm before the bridge. */
export function needsConfirm(node: DialNode): boolean {
  return node.confirmKey !== undefined || node.confirmSound !== undefined;
}

/** Resolves true when `party` presses `key` within `ms`, false on the timeout or when `stop` aborts. */
function waitForKey(
  ctx: ElementContext,
  party: CallSession,
  key: string,
  ms: number,
  stop: AbortSignal,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const hooks = { cancel: (): void => undefined };
    const finish = (ok: boolean): void => {
      hooks.cancel();
      resolve(ok);
    };
    const onKey = (digit: string): void => {
      if (digit === key) {
        finish(true);
      }
    };
    const onStop = (): void => {
      finish(false);
    };
    const timer = ctx.timers.after(ms, onStop);
    party.on('dtmf', onKey);
    stop.addEventListener('abort', onStop, { once: true });
    hooks.cancel = () => {
      timer.cancel();
      party.off('dtmf', onKey);
      stop.removeEventListener('abort', onStop);
    };
  });
}

/** Runs the confirmation on `party`; resolves true once it confirmed. Never rejects. */
export async function confirmParty(
  node: DialNode,
  ctx: ElementContext,
  media: PromptMedia | undefined,
  party: CallSession,
  signal: AbortSignal,
): Promise<boolean> {
  const stop = new AbortController();
  const onAbort = (): void => {
    stop.abort();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  party.on('ended', onAbort);
  const partyCtx: ElementContext = { ...ctx, call: party, signal: stop.signal };
  try {
    const key = node.confirmKey;
    const timeoutMs = (node.confirmTimeoutSec ?? DEFAULT_CONFIRM_TIMEOUT_SEC) * 1000;
    const pressed = key === undefined ? undefined : waitForKey(ctx, party, key, timeoutMs, stop.signal);
    const sound = node.confirmSound;
    const prompts =
      sound === undefined || media === undefined
        ? Promise.resolve()
        : fetchPrompts(sound, 'confirmSound', partyCtx).then((items) =>
            items === undefined ? undefined : playPrompts(items, partyCtx, media, stop.signal),
          );
    const ok = pressed === undefined ? (await prompts, !stop.signal.aborted) : await pressed;
    return ok && !party.closed;
  } finally {
    stop.abort();
    signal.removeEventListener('abort', onAbort);
    party.off('ended', onAbort);
  }
}
