/**
 * The element handler registry. Elements whose handler is not built yet are reported on the call
 * record and skipped, so a document using them still runs the rest.
 */
import type { ResponseChildNode } from '../../protocol/plivo-xml/types.js';
import { runDtmf, runHangup, runRedirect, runStream, runWait } from './elements/basic.js';
import type { ElementContext, ElementOutcome, ElementRegistry } from './interpreter.types.js';

function unsupported(node: ResponseChildNode, ctx: ElementContext): Promise<ElementOutcome> {
  const detail = `<${node.element}> at ${node.path} is not supported by this server version; skipped`;
  ctx.call.errors.push(detail);
  ctx.logger.warn({ path: node.path, code: 'ERR_XML_ELEMENT_UNSUPPORTED' }, detail);
  return Promise.resolve({ next: 'continue' });
}

export function createElementRegistry(overrides: Partial<ElementRegistry> = {}): ElementRegistry {
  return {
    Stream: runStream,
    Wait: runWait,
    Hangup: runHangup,
    Redirect: runRedirect,
    DTMF: runDtmf,
    Speak: unsupported,
    Play: unsupported,
    GetDigits: unsupported,
    ...overrides,
  };
}
