/**
 * `<PreAnswer>` in the interpreter: its elements run while the call is in early media, the call is
 * answered just before the first element after it that needs the call answered (not before `<Hangup>`,
 * which rejects an unanswered call), and without an early call (virtual, outbound) they simply run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nullLogger } from '../../ports/logger.js';
import type { CallSession } from '../call/call-session.js';
import { runCallFlow } from './interpreter.js';
import type { EarlyAnswer, ElementContext, ElementOutcome } from './interpreter.types.js';
import { createElementRegistry } from './registry.js';

interface Run {
  readonly log: string[];
  readonly end: string;
}

async function run(xml: string, withEarly: boolean): Promise<Run> {
  const log: string[] = [];
  let answered = false;
  const call = {
    status: 'in-progress',
    reportXml: () => undefined,
    reportError: (code: string) => log.push(`error ${code}`),
    hangup(cause: string) {
      log.push(`hangup ${cause}${withEarly && !answered ? ' (unanswered)' : ''}`);
      this.status = 'completed';
    },
  };
  const early: EarlyAnswer = {
    get answered() {
      return answered;
    },
    answer: () => {
      log.push('answer');
      answered = true;
      return Promise.resolve();
    },
  };
  const step = (name: string) => (): Promise<ElementOutcome> => {
    log.push(`${name}${withEarly && !answered ? ' (early)' : ''}`);
    return Promise.resolve({ next: 'continue' });
  };
  const registry = createElementRegistry({
    Speak: step('Speak'),
    Play: step('Play'),
    Wait: step('Wait'),
    DTMF: step('DTMF'),
  });
  const ctx = {
    call: call as unknown as CallSession,
    logger: nullLogger,
    signal: new AbortController().signal,
    fetchTimeoutMs: 1000,
    callParams: () => [],
    ...(withEarly ? { early } : {}),
  } as unknown as ElementContext;
  const end = await runCallFlow(ctx, {
    url: 'http://app.test/answer',
    method: 'POST',
    registry,
    first: { ok: true, xml, url: 'http://app.test/answer' },
  });
  return { log, end: end.end };
}

test('<PreAnswer>: its elements run in early media; the call is answered before the next element', async () => {
  const { log, end } = await run(
    '<Response><PreAnswer><Wait length="1"/><Speak>Hold on</Speak></PreAnswer><Speak>Hi</Speak><Play>' +
      'https://cdn.example.com/a.wav</Play></Response>',
    true,
  );
  assert.deepEqual(log, [
    'Wait (early)',
    'Speak (early)',
    'answer',
    'Speak',
    'Play',
    'hangup End Of XML Instructions',
  ]);
  assert.equal(end, 'end-of-xml');
});

test('<PreAnswer> then <Hangup>: the call is rejected without being answered', async () => {
  const { log } = await run(
    '<Response><PreAnswer><Speak>Closed today</Speak></PreAnswer><Hangup reason="rejected"/></Response>',
    true,
  );
  assert.deepEqual(log, ['Speak (early)', 'hangup CALL_REJECTED (unanswered)']);
});

test('<PreAnswer> alone: the XML ends in early media, the call is never answered', async () => {
  const { log } = await run('<Response><PreAnswer><Speak>Bye</Speak></PreAnswer></Response>', true);
  assert.deepEqual(log, ['Speak (early)', 'hangup End Of XML Instructions (unanswered)']);
});

test('without early media (virtual or outbound call) PreAnswer just plays its elements', async () => {
  const { log } = await run(
    '<Response><PreAnswer><Speak>A</Speak><DTMF>1</DTMF></PreAnswer><Speak>B</Speak></Response>',
    false,
  );
  assert.deepEqual(log, ['Speak', 'DTMF', 'Speak', 'hangup End Of XML Instructions']);
});

test('an early call whose document has no PreAnswer is answered before its first element', async () => {
  const { log } = await run('<Response><Speak>A</Speak></Response>', true);
  assert.deepEqual(log, ['answer', 'Speak', 'hangup End Of XML Instructions']);
});
