/**
 * The element handler registry. Prompt elements (`<Speak>`, `<Play>`, `<GetDigits>`) need the media
 * ports; without them they are reported on the call record and skipped, so a document using them
 * still runs the rest.
 */
import type { ResponseChildNode } from '../../protocol/plivo-xml/types.js';
import { runDtmf, runHangup, runRedirect, runStream, runWait } from './elements/basic.js';
import { dialHandler } from './elements/dial.js';
import type { CallDialer } from './elements/dial.types.js';
import { getDigitsHandler } from './elements/get-digits.js';
import { playHandler } from './elements/play.js';
import { recordHandler } from './elements/record.js';
import type { CallRecordings } from '../recording/call-recordings.js';
import { runPreAnswer } from './elements/pre-answer.js';
import { speakHandler, type PromptMedia } from './elements/speak.js';
import type { ElementContext, ElementOutcome, ElementRegistry } from './interpreter.types.js';

export type { PromptMedia } from './elements/speak.js';
export type { CallDialer } from './elements/dial.types.js';

/** The services elements beyond the prompts need; an absent one makes its element reported and skipped. */
export interface ElementServices {
  /** Places `<Dial>`'s calls. */
  readonly dialer?: CallDialer | undefined;
  /** Runs `<Record>`. */
  readonly recordings?: CallRecordings | undefined;
}

function unsupported(node: ResponseChildNode, ctx: ElementContext): Promise<ElementOutcome> {
  const detail = `<${node.element}> at ${node.path} is not supported by this server version; skipped`;
  ctx.call.reportError('ERR_XML_UNSUPPORTED_ELEMENT', detail);
  ctx.logger.warn({ path: node.path, code: 'ERR_XML_UNSUPPORTED_ELEMENT' }, detail);
  return Promise.resolve({ next: 'continue' });
}

/**
 * The registry for a call. `media` (TTS and audio fetching) enables `<Speak>`, `<Play>` and
 * `<GetDigits>`; `services.dialer` (the SIP layer's, through the port) enables `<Dial>`,
 * `services.recordings` enables `<Record>`; `overrides` replace single handlers (tests).
 */
export function createElementRegistry(
  overrides: Partial<ElementRegistry> = {},
  media?: PromptMedia,
  services: ElementServices = {},
): ElementRegistry {
  const registry: ElementRegistry = {
    Stream: runStream,
    Wait: runWait,
    Hangup: runHangup,
    Redirect: runRedirect,
    DTMF: runDtmf,
    Speak: media === undefined ? unsupported : speakHandler(media),
    Play: media === undefined ? unsupported : playHandler(media),
    GetDigits: media === undefined ? unsupported : getDigitsHandler(media),
    Record: services.recordings === undefined ? unsupported : recordHandler(services.recordings),
    PreAnswer: (node, ctx) => runPreAnswer(node, ctx, registry),
    Dial: services.dialer === undefined ? unsupported : dialHandler(services.dialer, media),
    ...overrides,
  };
  return registry;
}
