/**
 * The typed Plivo XML document the parser returns, and the parser's result and issue types.
 * Node shapes are derived from the element specs (spec/*.ts), so a new attribute appears here by
 * being declared there.
 */
import type { XmlCode } from '../../errors/codes/xml.js';
import type {
  dialSpec,
  dtmfSpec,
  getDigitsSpec,
  hangupSpec,
  numberSpec,
  playSpec,
  recordSpec,
  redirectSpec,
  speakSpec,
  streamSpec,
  userSpec,
  waitSpec,
} from './spec/index.js';
import type { TypedAttributes } from './spec/types.js';

/** Where something is in the source text: 1-based line and column, 0-based UTF-16 offset. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** What every element node carries. */
export interface NodeBase<Name extends string> {
  readonly element: Name;
  /** The element path, e.g. `Response/GetDigits[1]/Speak[2]` (1-based among same-name siblings). */
  readonly path: string;
  /** Position of the element's `<`. */
  readonly position: SourcePosition;
}

/** `<Stream>`: `{ url, bidirectional, audioTrack, streamTimeoutSec, statusCallbackUrl?, ... }`. */
export type StreamNode = NodeBase<'Stream'> & { readonly url: string } & TypedAttributes<typeof streamSpec>;

/** `<Speak>`: the text (SSML markup removed) and, when markup is present, the raw inner SSML. */
export type SpeakNode = NodeBase<'Speak'> & {
  readonly text: string;
  readonly ssml?: string;
} & TypedAttributes<typeof speakSpec>;

/** `<Play>`: the audio file URL and loop count. */
export type PlayNode = NodeBase<'Play'> & { readonly url: string } & TypedAttributes<typeof playSpec>;

/** `<Wait>`: `{ lengthSec, silence, minSilenceMs, beep }`. */
export type WaitNode = NodeBase<'Wait'> & TypedAttributes<typeof waitSpec>;

/** `<Hangup>`: `{ reason?, scheduleSec? }`. */
export type HangupNode = NodeBase<'Hangup'> & TypedAttributes<typeof hangupSpec>;

/** `<Redirect>`: the next document's URL and the method. */
export type RedirectNode = NodeBase<'Redirect'> & { readonly url: string } & TypedAttributes<
    typeof redirectSpec
  >;

/** `<DTMF>`: the digits to send and `async`. */
export type DtmfNode = NodeBase<'DTMF'> & { readonly digits: string } & TypedAttributes<typeof dtmfSpec>;

/** `<Record>`: its settings (no children). */
export type RecordNode = NodeBase<'Record'> & TypedAttributes<typeof recordSpec>;

/** A prompt nested in `<GetDigits>`. */
export type GetDigitsChildNode = SpeakNode | PlayNode | WaitNode;

/** `<GetDigits>`: its settings and its prompts in order. */
export type GetDigitsNode = NodeBase<'GetDigits'> & {
  readonly children: readonly GetDigitsChildNode[];
} & TypedAttributes<typeof getDigitsSpec>;

/** An element nested in `<PreAnswer>` (played before the call is answered). */
export type PreAnswerChildNode = SpeakNode | PlayNode | WaitNode | GetDigitsNode | DtmfNode;

/** `<PreAnswer>`: the early-media elements in order (it has no attributes). */
export type PreAnswerNode = NodeBase<'PreAnswer'> & { readonly children: readonly PreAnswerChildNode[] };
/** `<Number>` in `<Dial>`: the telephone number and its settings. */
export type NumberNode = NodeBase<'Number'> & { readonly number: string } & TypedAttributes<
    typeof numberSpec
  >;

/** `<User>` in `<Dial>`: the SIP URI and its settings. */
export type UserNode = NodeBase<'User'> & { readonly uri: string } & TypedAttributes<typeof userSpec>;

/** `<Dial>`: its settings and the parties to call at once (at least one). */
export type DialNode = NodeBase<'Dial'> & {
  readonly children: readonly (NumberNode | UserNode)[];
} & TypedAttributes<typeof dialSpec>;

/** An element directly under `<Response>`. */
export type ResponseChildNode =
  | StreamNode
  | SpeakNode
  | PlayNode
  | WaitNode
  | HangupNode
  | RedirectNode
  | GetDigitsNode
  | DtmfNode
  | RecordNode
  | PreAnswerNode
  | DialNode;

/** `<Response>`: the elements to run, in order. */
export type ResponseNode = NodeBase<'Response'> & { readonly children: readonly ResponseChildNode[] };

/** A validated document. */
export interface PlivoXmlDocument {
  readonly response: ResponseNode;
}

/** One problem found in a document; errors stop the document from running, warnings do not (D9). */
export interface XmlIssue {
  readonly severity: 'error' | 'warning';
  /** A catalogued ERR_XML_* code. */
  readonly code: XmlCode;
  /** One sentence about this input. */
  readonly detail: string;
  /** The element path, e.g. `Response/Stream[1]`; empty when the problem is outside any element. */
  readonly path: string;
  /** The attribute concerned, if any. */
  readonly attribute?: string;
  readonly line: number;
  readonly column: number;
  /** 0-based UTF-16 offset into the source, as in ParseFailure. */
  readonly offset: number;
}

/**
 * What `parsePlivoXml` returns: a typed document plus warnings, or every error found (`error` is the
 * first of them, so this is also a `ParseResult<PlivoXmlDocument, XmlIssue>`).
 */
export type PlivoXmlResult =
  | { readonly ok: true; readonly value: PlivoXmlDocument; readonly warnings: readonly XmlIssue[] }
  | {
      readonly ok: false;
      readonly error: XmlIssue;
      readonly errors: readonly XmlIssue[];
      readonly warnings: readonly XmlIssue[];
    };
