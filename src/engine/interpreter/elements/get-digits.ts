/**
 * `<GetDigits>` (https://www.plivo.com/docs/voice/xml/getdigits): collects DTMF while its nested
 * prompts (Speak, Play, Wait) run, then requests `action` with the call's parameters plus `Digits`.
 *
 * Behaviour (Plivo's, where documented; our choice, marked *, where not):
 * - Digits pressed during the prompts count. The first one stops the prompts (* barge-in), then the
 *   beep (`playBeep`) is skipped and collection goes on.
 * - `timeout` (s) is the wait for the first digit after the prompts; `digitTimeout` (s) the wait after
 *   each digit. Input ends at `finishOnKey` (not included in Digits; "none" or "" turns it off), at
 *   `numDigits` digits, or at a timeout once at least one digit was pressed.
 * - A key outside `validDigits` (other than finishOnKey) makes the attempt invalid: `invalidDigitsSound`
 *   plays, then the prompts run again. An attempt with no digit also runs them again. There are
 *   1 + `retries` attempts in all (the element spec: "how many more times").
 * - With digits and `action`: `redirect="true"` fetches the action and its XML continues the call;
 *   `redirect="false"` notifies the action (signed, response ignored) and goes on with the next element.
 * - With no valid input after every attempt, or no `action`, the next element runs (Plivo behaviour).
 */
import type { GetDigitsChildNode, GetDigitsNode } from '../../../protocol/plivo-xml/types.js';
import { generateTone } from '../../../media/analysis.js';
import type { Timers } from '../../../ports/clock.js';
import type { CallSession } from '../../call/call-session.js';
import { fetchXml } from '../fetch-xml.js';
import type { ElementContext, ElementHandler, ElementOutcome } from '../interpreter.types.js';
import { sleep } from '../wait-for.js';
import { play } from './play.js';
import { playToCaller } from './prompt-player.js';
import { playUrl } from './play.js';
import { speak, type PromptMedia } from './speak.js';

const CONTINUE: ElementOutcome = { next: 'continue' };

/** The beep of `playBeep`: 1 kHz, 250 ms, about -12 dBFS. */
const BEEP = generateTone(1000, 8000, 250, 8000);

/** Buffers the call's DTMF digits for one `<GetDigits>` run. */
export class DigitCollector {
  readonly #call: CallSession;
  readonly #queue: string[] = [];
  #waiters: (() => void)[] = [];
  readonly #listener = (digit: string): void => {
    this.#queue.push(digit);
    for (const wake of this.#waiters.splice(0)) {
      wake();
    }
  };

  constructor(call: CallSession) {
    this.#call = call;
    call.on('dtmf', this.#listener);
  }

  get pending(): number {
    return this.#queue.length;
  }

  clear(): void {
    this.#queue.length = 0;
  }

  /** Calls `fn` once when a digit is (or already was) buffered; returns a function that cancels it. */
  onDigit(fn: () => void): () => void {
    if (this.#queue.length > 0) {
      fn();
      return () => undefined;
    }
    this.#waiters.push(fn);
    return () => {
      this.#waiters = this.#waiters.filter((w) => w !== fn);
    };
  }

  /** The next digit, or undefined after `timeoutMs` or when `signal` aborts. */
  next(timers: Timers, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined || signal.aborted) {
      return Promise.resolve(queued);
    }
    return new Promise((resolve) => {
      const done = (): void => {
        cancelDigit();
        timer.cancel();
        signal.removeEventListener('abort', done);
        resolve(this.#queue.shift());
      };
      const cancelDigit = this.onDigit(done);
      const timer = timers.after(timeoutMs, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  dispose(): void {
    this.#call.off('dtmf', this.#listener);
    this.#waiters = [];
  }
}

async function runPrompt(
  node: GetDigitsChildNode,
  ctx: ElementContext,
  media: PromptMedia,
  signal: AbortSignal,
): Promise<void> {
  switch (node.element) {
    case 'Speak': {
      await speak(node, ctx, media, signal);
      return;
    }
    case 'Play': {
      await play(node, ctx, media, signal);
      return;
    }
    case 'Wait': {
      await sleep(ctx.timers, node.lengthSec * 1000, signal);
      return;
    }
  }
}

/** Runs the prompts until they end, the first digit arrives (barge-in) or the flow aborts. */
async function runPrompts(
  node: GetDigitsNode,
  ctx: ElementContext,
  media: PromptMedia,
  digits: DigitCollector,
): Promise<void> {
  const prompts = new AbortController();
  const stop = (): void => {
    prompts.abort();
  };
  ctx.signal.addEventListener('abort', stop, { once: true });
  const cancelBarge = digits.onDigit(stop);
  try {
    for (const child of node.children) {
      if (prompts.signal.aborted) {
        break;
      }
      await runPrompt(child, ctx, media, prompts.signal);
    }
    if (node.playBeep && !prompts.signal.aborted) {
      await playToCaller(ctx.call, BEEP, 1, prompts.signal);
    }
  } finally {
    cancelBarge();
    ctx.signal.removeEventListener('abort', stop);
  }
}

type Attempt =
  | { readonly kind: 'digits'; readonly digits: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly key: string };

/** Collects one attempt's input after (and during) the prompts. */
async function collect(node: GetDigitsNode, ctx: ElementContext, digits: DigitCollector): Promise<Attempt> {
  const finishKey = node.finishOnKey === 'none' ? '' : node.finishOnKey;
  let got = '';
  for (;;) {
    const timeoutMs = (got === '' ? node.timeoutSec : node.digitTimeoutSec) * 1000;
    const key = await digits.next(ctx.timers, timeoutMs, ctx.signal);
    if (key === undefined || (finishKey !== '' && key === finishKey)) {
      break;
    }
    if (!node.validDigits.includes(key)) {
      return { kind: 'invalid', key };
    }
    got += key;
    if (got.length >= node.numDigits) {
      break;
    }
  }
  return got === '' ? { kind: 'none' } : { kind: 'digits', digits: got };
}

/** Runs attempts until valid input or 1 + retries attempts; returns the digits or undefined. */
async function gather(
  node: GetDigitsNode,
  ctx: ElementContext,
  media: PromptMedia,
): Promise<string | undefined> {
  const digits = new DigitCollector(ctx.call);
  try {
    for (let attempt = 0; attempt <= node.retries && !ctx.signal.aborted; attempt++) {
      digits.clear();
      await runPrompts(node, ctx, media, digits);
      const result = await collect(node, ctx, digits);
      if (result.kind === 'digits') {
        return result.digits;
      }
      ctx.logger.info(
        { path: node.path, attempt: attempt + 1, result: result.kind },
        '<GetDigits> attempt without valid input',
      );
      if (result.kind === 'invalid' && node.invalidDigitsSound !== undefined) {
        await playUrl(node.invalidDigitsSound, 1, node.path, ctx, media, ctx.signal);
      }
    }
    return undefined;
  } finally {
    digits.dispose();
  }
}

/** `redirect="false"`: tell the action the digits, ignore its answer. */
function notifyAction(ctx: ElementContext, url: string, method: 'GET' | 'POST', digits: string): void {
  void fetchXml({
    http: ctx.http,
    random: ctx.random,
    authToken: ctx.authToken,
    url,
    method,
    params: [...ctx.callParams(), ['Digits', digits]],
    attempts: 1,
    timeoutMs: ctx.fetchTimeoutMs,
  }).then((res) => {
    if (!res.ok) {
      ctx.logger.warn(
        { url, cause: res.cause, detail: res.detail },
        '<GetDigits> action notification failed',
      );
    }
  });
}

export function getDigitsHandler(media: PromptMedia): ElementHandler<GetDigitsNode> {
  return async (node, ctx) => {
    const digits = await gather(node, ctx, media);
    if (ctx.signal.aborted) {
      return CONTINUE;
    }
    if (digits === undefined) {
      ctx.logger.info({ path: node.path }, '<GetDigits> got no input; continuing with the next element');
      return CONTINUE;
    }
    ctx.logger.info(
      { path: node.path, count: digits.length, ...(node.log ? { pii: { digits } } : {}) },
      '<GetDigits> collected digits',
    );
    if (node.action === undefined) {
      return CONTINUE;
    }
    if (!node.redirect) {
      notifyAction(ctx, node.action, node.method, digits);
      return CONTINUE;
    }
    return { next: 'fetch', url: node.action, method: node.method, params: [['Digits', digits]] };
  };
}
