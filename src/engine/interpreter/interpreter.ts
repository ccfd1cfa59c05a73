/**
 * Runs a call's XML: fetches the answer URL, validates the document (D9: an invalid document is not
 * run at all), runs its elements in order through the handler registry, follows redirects and action
 * URLs, and hangs up when the XML runs out (D3).
 */
import type { ErrorCode } from '../../errors/catalog.js';
import { parsePlivoXml } from '../../protocol/plivo-xml/parse.js';
import type { ResponseChildNode, XmlIssue } from '../../protocol/plivo-xml/types.js';
import type { CallErrorContext } from '../call/call-session.js';
import { detectAnswerDialect, type AnswerDialect } from '../../protocol/twiml/detect.js';
import { parseTwiml } from '../../protocol/twiml/parse.js';
import { fetchXml, type FetchXmlResult } from './fetch-xml.js';
import type { ElementContext, ElementOutcome, ElementRegistry } from './interpreter.types.js';
import { runTwimlVerb } from './twiml-flow.js';

/** Plivo hangup causes used by the interpreter. */
export const HangupCauses = {
  endOfXml: 'End Of XML Instructions',
  invalidXml: 'Invalid Answer XML',
  tooManyRedirects: 'Too Many Redirects',
} as const;

export interface RunCallFlowOptions {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly fallbackUrl?: string | undefined;
  readonly fallbackMethod?: 'GET' | 'POST';
  readonly registry: ElementRegistry;
  /** Tries per URL on transport errors and 5xx (default 3, as Plivo). */
  readonly attempts?: number;
  /**
   * How the first request is sent: `plivo` (default: Plivo's parameters, V3-signed) or `twilio`
   * (Twilio's parameter names, `X-Twilio-Signature`). Later requests follow the dialect of the document
   * that made them (a TwiML `<Redirect>` or `<Connect action>` is sent Twilio's way).
   */
  readonly webhookDialect?: 'plivo' | 'twilio';
  /** Most documents fetched for one call (redirects and actions included). Default 100. */
  readonly maxDocuments?: number;
  /** The answer URL's response, already fetched (an inbound call's, before it was answered). */
  readonly first?: FetchXmlResult;
}

/**
 * How a flow ended. An `error` end names the hangup cause and the catalogue code; for a rejected
 * document (D9) it carries the document's URL and validation issues (parsed once, here), as does the
 * `call.error` event the flow reported.
 */
export type CallFlowEnd =
  | { readonly end: 'hangup' }
  | { readonly end: 'end-of-xml' }
  | {
      readonly end: 'error';
      readonly cause: string;
      readonly code: ErrorCode;
      readonly detail: string;
      readonly url?: string;
      readonly issues?: readonly XmlIssue[];
    };

async function runElement(
  node: ResponseChildNode,
  ctx: ElementContext,
  registry: ElementRegistry,
): Promise<ElementOutcome> {
  // The registry is keyed by element name; this cast is what the mapped type guarantees.
  const handler = registry[node.element] as (
    n: ResponseChildNode,
    c: ElementContext,
  ) => Promise<ElementOutcome>;
  try {
    return await handler(node, ctx);
  } catch (err) {
    ctx.logger.error({ err, path: node.path }, 'element failed; continuing with the next one');
    return { next: 'continue' };
  }
}

function fail(
  ctx: ElementContext,
  cause: string,
  code: ErrorCode,
  detail: string,
  context: CallErrorContext = {},
): CallFlowEnd {
  ctx.call.reportError(code, `${cause}: ${detail}`, context);
  ctx.logger.warn({ cause, code, detail }, 'call flow failed');
  ctx.call.hangup(cause, 'error');
  return { end: 'error', cause, code, detail, ...context };
}

/** True once the call ended (checked after every await: the caller may hang up at any time). */
function callGone(ctx: ElementContext): boolean {
  return ctx.signal.aborted || ctx.call.status !== 'in-progress';
}

/**
 * Answers a call that is still in early media (`<PreAnswer>` ran) before an element that needs the
 * call answered: everything but `<PreAnswer>` and `<Hangup>` (a hangup in early media rejects the call).
 */
async function answerEarly(ctx: ElementContext): Promise<void> {
  if (ctx.early !== undefined && !ctx.early.answered && !callGone(ctx)) {
    await ctx.early.answer();
  }
}

/** Reports a fetched document's issues on the call and in the log. */
function report(
  ctx: ElementContext,
  url: string,
  ok: boolean,
  errors: readonly XmlIssue[],
  warnings: readonly XmlIssue[],
): void {
  ctx.call.reportXml(url, ok, [...errors, ...warnings]);
  for (const w of warnings) {
    ctx.logger.warn({ code: w.code, path: w.path, line: w.line, column: w.column }, w.detail);
  }
}

function invalid(ctx: ElementContext, url: string, errors: readonly XmlIssue[]): CallFlowEnd {
  const detail = errors
    .map((e) => `${e.line}:${e.column} ${e.code} ${e.path === '' ? '' : `${e.path}: `}${e.detail}`)
    .join('; ');
  return fail(ctx, HangupCauses.invalidXml, 'ERR_CALL_XML_INVALID', detail, { url, issues: errors });
}

/**
 * Checks one fetched document in its dialect (chosen by its elements: TwiML or Plivo XML; a mix is
 * refused, naming the dialect it looks like; only shared elements: the flow's dialect so far, `style`) and runs it: the outcome of its last element, or the
 * flow's end when the document was refused or the call went away.
 */
async function runDocument(
  ctx: ElementContext,
  url: string,
  xml: string,
  registry: ElementRegistry,
  style: AnswerDialect,
): Promise<{ next: ElementOutcome; dialect: AnswerDialect } | CallFlowEnd> {
  const dialect = detectAnswerDialect(xml, style);
  if (!dialect.ok) {
    const issue: XmlIssue = {
      severity: 'error',
      code: 'ERR_XML_WRONG_DIALECT',
      detail: dialect.detail,
      path: 'Response',
      line: 1,
      column: 0,
      offset: 0,
    };
    report(ctx, url, false, [issue], []);
    return invalid(ctx, url, [issue]);
  }
  let steps: (() => Promise<ElementOutcome>)[];
  if (dialect.dialect === 'twilio') {
    const parsed = parseTwiml(xml);
    report(ctx, url, parsed.ok, parsed.ok ? [] : parsed.errors, parsed.warnings);
    if (!parsed.ok) {
      return invalid(ctx, url, parsed.errors);
    }
    steps = parsed.value.verbs.map((v) => async () => {
      await answerEarly(ctx);
      return runTwimlVerb(v, ctx, registry);
    });
  } else {
    const parsed = parsePlivoXml(xml);
    report(ctx, url, parsed.ok, parsed.ok ? [] : parsed.errors, parsed.warnings);
    if (!parsed.ok) {
      return invalid(ctx, url, parsed.errors);
    }
    steps = parsed.value.response.children.map((n) => async () => {
      if (n.element !== 'PreAnswer' && n.element !== 'Hangup') {
        await answerEarly(ctx);
      }
      return runElement(n, ctx, registry);
    });
  }
  let next: ElementOutcome = { next: 'continue' };
  for (const step of steps) {
    if (callGone(ctx)) {
      return { end: 'hangup' };
    }
    next = await step();
    if (next.next !== 'continue') {
      break;
    }
  }
  return { next, dialect: dialect.dialect };
}

/** The call's parameters for a request sent in `style`. */
function webhookParams(ctx: ElementContext, style: AnswerDialect): readonly (readonly [string, string])[] {
  return style === 'twilio' && ctx.twilioCallParams !== undefined ? ctx.twilioCallParams() : ctx.callParams();
}

/** Runs the call's XML until it hangs up or ends. Never rejects. */
export async function runCallFlow(ctx: ElementContext, opts: RunCallFlowOptions): Promise<CallFlowEnd> {
  let target: { url: string; method: 'GET' | 'POST'; extra: readonly (readonly [string, string])[] } = {
    url: opts.url,
    method: opts.method,
    extra: [],
  };
  let fallback = opts.fallbackUrl;
  let style = opts.webhookDialect ?? 'plivo';
  for (let doc = 0; doc < (opts.maxDocuments ?? 100); doc++) {
    const prefetched = doc === 0 ? opts.first : undefined;
    const fetched =
      prefetched ??
      (await fetchXml({
        http: ctx.http,
        random: ctx.random,
        authToken: ctx.authToken,
        url: target.url,
        method: target.method,
        params: [...webhookParams(ctx, style), ...target.extra],
        style,
        fallbackUrl: fallback,
        ...(opts.fallbackMethod === undefined ? {} : { fallbackMethod: opts.fallbackMethod }),
        ...(opts.attempts === undefined ? {} : { attempts: opts.attempts }),
        timeoutMs: ctx.fetchTimeoutMs,
      }));
    fallback = undefined;
    if (ctx.signal.aborted) {
      return { end: 'hangup' };
    }
    if (!fetched.ok) {
      return fail(ctx, fetched.cause, fetched.code, fetched.detail);
    }
    const ran = await runDocument(ctx, fetched.url, fetched.xml, opts.registry, style);
    if ('end' in ran) {
      return ran;
    }
    const { next } = ran;
    style = ran.dialect;
    if (next.next === 'hangup' || callGone(ctx)) {
      return { end: 'hangup' };
    }
    if (next.next === 'fetch') {
      target = { url: next.url, method: next.method, extra: next.params ?? [] };
      continue;
    }
    ctx.call.hangup(HangupCauses.endOfXml, 'xml-end');
    return { end: 'end-of-xml' };
  }
  return fail(
    ctx,
    HangupCauses.tooManyRedirects,
    'ERR_CALL_TOO_MANY_DOCUMENTS',
    `more than ${opts.maxDocuments ?? 100} documents`,
  );
}
