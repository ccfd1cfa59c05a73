/**
 * `<PreAnswer>`: runs its nested elements while the call is still unanswered (early media), then lets
 * the document go on; the interpreter answers the call before the next element that needs it. On a call
 * that is already answered (outbound, virtual, a delayed-offer INVITE) the same elements simply play.
 */
import type { PreAnswerChildNode, PreAnswerNode } from '../../../protocol/plivo-xml/types.js';
import type {
  ElementContext,
  ElementHandler,
  ElementOutcome,
  ElementRegistry,
} from '../interpreter.types.js';

export async function runPreAnswer(
  node: PreAnswerNode,
  ctx: ElementContext,
  registry: ElementRegistry,
): Promise<ElementOutcome> {
  for (const child of node.children) {
    if (ctx.signal.aborted || ctx.call.status !== 'in-progress') {
      return { next: 'hangup' };
    }
    // The registry is keyed by element name; this cast is what its mapped type guarantees.
    const handler = registry[child.element] as ElementHandler<PreAnswerChildNode>;
    let outcome: ElementOutcome;
    try {
      outcome = await handler(child, ctx);
    } catch (err) {
      ctx.logger.error({ err, path: child.path }, 'element failed; continuing with the next one');
      outcome = { next: 'continue' };
    }
    if (outcome.next !== 'continue') {
      return outcome;
    }
  }
  return { next: 'continue' };
}
