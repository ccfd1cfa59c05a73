/**
 * A typed builder for Plivo XML with the official Node SDK's shape (`new Response()`,
 * `response.addStream(url, attributes)` returning the new element, `toXML()`), compatibility §11.1.
 *
 * The output is byte-for-byte what the `plivo` npm package (4.79) produces for the same calls: no XML
 * declaration, no whitespace, attributes in the order given, text escaping of `&`, `<`, `>` and CR,
 * attribute escaping of `&`, `<`, TAB, LF and CR. The SDK escapes `"` in attributes and then turns every
 * `&quot;` back into `"`, which yields malformed XML; this builder refuses `"` in attribute values
 * instead, so its output always parses.
 *
 * Values are checked with the same element specs the parser uses; an invalid value is a programming
 * error and throws a PlivoXmlBuilderError (a TypeError) naming the element and the attribute.
 */
import type { XmlCode } from '../../errors/codes/xml.js';
import { checkValue } from './check.js';
import {
  dialSpec,
  dtmfSpec,
  getDigitsSpec,
  hangupSpec,
  numberSpec,
  playSpec,
  recordSpec,
  preAnswerSpec,
  redirectSpec,
  responseSpec,
  speakSpec,
  streamSpec,
  userSpec,
  waitSpec,
} from './spec/index.js';
import type { AttributeSpec, BuilderAttributes, ElementSpec } from './spec/types.js';

/** Attributes of `<Stream>` (wire names; booleans may be given as booleans or "true"/"false"). */
export type StreamAttributes = BuilderAttributes<typeof streamSpec>;
/** Attributes of `<Speak>`. */
export type SpeakAttributes = BuilderAttributes<typeof speakSpec>;
/** Attributes of `<Play>`. */
export type PlayAttributes = BuilderAttributes<typeof playSpec>;
/** Attributes of `<Wait>`. */
export type WaitAttributes = BuilderAttributes<typeof waitSpec>;
/** Attributes of `<Hangup>`. */
export type HangupAttributes = BuilderAttributes<typeof hangupSpec>;
/** Attributes of `<Redirect>`. */
export type RedirectAttributes = BuilderAttributes<typeof redirectSpec>;
/** Attributes of `<GetDigits>`. */
export type GetDigitsAttributes = BuilderAttributes<typeof getDigitsSpec>;
/** Attributes of `<DTMF>`. */
export type DTMFAttributes = BuilderAttributes<typeof dtmfSpec>;
/** Attributes of `<Dial>`. */
export type DialAttributes = BuilderAttributes<typeof dialSpec>;
/** Attributes of `<Number>`. */
export type NumberAttributes = BuilderAttributes<typeof numberSpec>;
/** Attributes of `<User>`. */
export type UserAttributes = BuilderAttributes<typeof userSpec>;
/** Attributes of `<Record>`. */
export type RecordAttributes = BuilderAttributes<typeof recordSpec>;

/** Thrown by the builder for invalid input; `code` is the catalogue code the parser would report. */
export class PlivoXmlBuilderError extends TypeError {
  readonly code: XmlCode;

  constructor(code: XmlCode, message: string) {
    super(message);
    this.name = 'PlivoXmlBuilderError';
    this.code = code;
  }
}

// Characters XML 1.0 does not allow at all (§2.2), which no escaping can carry.
const ILLEGAL_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function escapeAttribute(text: string): string {
  // `"` never reaches here (refused); `>` stays as it is, like the SDK's output.
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

function refuse(spec: ElementSpec, code: XmlCode, detail: string): never {
  throw new PlivoXmlBuilderError(code, `Invalid <${spec.name}>: ${detail}`);
}

function toWireText(spec: ElementSpec, name: string, value: unknown): readonly [AttributeSpec, string] {
  const attr = Object.hasOwn(spec.attributes, name) ? spec.attributes[name] : undefined;
  if (attr === undefined) {
    return refuse(spec, 'ERR_XML_UNKNOWN_ATTRIBUTE', `no attribute named ${JSON.stringify(name)}`);
  }
  const fits =
    attr.type === 'boolean'
      ? typeof value === 'boolean' || value === 'true' || value === 'false'
      : attr.type === 'integer'
        ? typeof value === 'number' && Number.isInteger(value)
        : typeof value === 'string';
  if (!fits) {
    const want = attr.type === 'boolean' ? 'a boolean' : attr.type === 'integer' ? 'an integer' : 'a string';
    const got = typeof value === 'number' ? String(value) : typeof value;
    return refuse(spec, 'ERR_XML_BAD_VALUE', `${name} must be ${want}, got ${got}`);
  }
  const text = String(value);
  if (text.includes('"') || ILLEGAL_CHAR.test(text)) {
    return refuse(spec, 'ERR_XML_BAD_VALUE', `${name} contains " or a character XML cannot carry`);
  }
  return [attr, text];
}

/** One element of a document under construction. */
export class PlivoXmlElement {
  /** The element name, e.g. `Stream`. */
  readonly name: string;
  readonly #attributes: readonly (readonly [string, string])[];
  readonly #body: string;
  readonly #children: PlivoXmlElement[] = [];

  /** Checks `body` and `attributes` against `spec`; throws PlivoXmlBuilderError when invalid. */
  constructor(spec: ElementSpec, body: string, attributes: object | undefined) {
    this.name = spec.name;
    const pairs: (readonly [string, string])[] = [];
    const values: Record<string, boolean | number | string> = {};
    for (const [name, value] of Object.entries(attributes ?? {})) {
      const [attr, text] = toWireText(spec, name, value);
      const checked = checkValue(name, attr, text);
      if (!checked.ok) {
        refuse(spec, checked.problem.code, checked.problem.detail);
      }
      values[name] = checked.value;
      pairs.push([name, text]);
    }
    this.#checkRules(spec, values);
    this.#checkBody(spec, body);
    this.#attributes = pairs;
    this.#body = body;
  }

  #checkRules(spec: ElementSpec, given: Readonly<Record<string, boolean | number | string>>): void {
    if (spec.rules === undefined) {
      return;
    }
    const values = new Map<string, boolean | number | string>();
    for (const [name, attr] of Object.entries(spec.attributes)) {
      const value = Object.hasOwn(given, name) ? given[name] : attr.default;
      if (value !== undefined) {
        values.set(name, value);
      }
    }
    for (const issue of spec.rules(values)) {
      if (issue.severity === 'error') {
        refuse(spec, issue.code as XmlCode, issue.detail);
      }
    }
  }

  #checkBody(spec: ElementSpec, body: string): void {
    if (typeof body !== 'string') {
      refuse(spec, 'ERR_XML_BODY_REQUIRED', 'the text must be a string');
    }
    if (ILLEGAL_CHAR.test(body)) {
      refuse(spec, 'ERR_XML_BAD_VALUE', 'the text contains a character XML cannot carry');
    }
    const content = spec.body;
    if (content === undefined) {
      return;
    }
    const trimmed = body.trim();
    if (trimmed === '') {
      if (content.required) {
        refuse(spec, 'ERR_XML_BODY_REQUIRED', `the ${content.field} (element text) is required`);
      }
      return;
    }
    const checked = checkValue(content.field, content.value, trimmed);
    if (!checked.ok) {
      refuse(spec, checked.problem.code, checked.problem.detail);
    }
  }

  /** How many children were added so far. */
  protected get childCount(): number {
    return this.#children.length;
  }

  /** Appends a child (used by the `add*` methods of elements that may contain others). */
  protected append<T extends PlivoXmlElement>(child: T): T {
    this.#children.push(child);
    return child;
  }

  /** The element as XML text, exactly as the official Node SDK writes it. */
  toXML(): string {
    let out = `<${this.name}`;
    for (const [name, value] of this.#attributes) {
      out += ` ${name}="${escapeAttribute(value)}"`;
    }
    if (this.#children.length === 0 && this.#body === '') {
      return `${out}/>`;
    }
    out += '>';
    out += escapeText(this.#body);
    for (const child of this.#children) {
      out += child.toXML();
    }
    return `${out}</${this.name}>`;
  }
}

/** `<Stream>`. */
export class StreamElement extends PlivoXmlElement {}
/** `<Speak>`. */
export class SpeakElement extends PlivoXmlElement {}
/** `<Play>`. */
export class PlayElement extends PlivoXmlElement {}
/** `<Wait>`. */
export class WaitElement extends PlivoXmlElement {}
/** `<Hangup>`. */
export class HangupElement extends PlivoXmlElement {}
/** `<Redirect>`. */
export class RedirectElement extends PlivoXmlElement {}
/** `<Record>`. */
export class RecordElement extends PlivoXmlElement {}
/** `<DTMF>`. */
export class DTMFElement extends PlivoXmlElement {}

/** `<GetDigits>`: add the prompts to play while listening. */
export class GetDigitsElement extends PlivoXmlElement {
  /** Adds a `<Speak>` prompt; returns it. */
  addSpeak(text: string, attributes?: SpeakAttributes): SpeakElement {
    return this.append(new SpeakElement(speakSpec, text, attributes));
  }

  /** Adds a `<Play>` prompt; returns it. */
  addPlay(url: string, attributes?: PlayAttributes): PlayElement {
    return this.append(new PlayElement(playSpec, url, attributes));
  }

  /** Adds a `<Wait>`; returns it. */
  addWait(attributes?: WaitAttributes): WaitElement {
    return this.append(new WaitElement(waitSpec, '', attributes));
  }
}

/** `<PreAnswer>`: add the early-media elements, played before the call is answered. */
export class PreAnswerElement extends PlivoXmlElement {
  /** Adds a `<Speak>`; returns it. */
  addSpeak(text: string, attributes?: SpeakAttributes): SpeakElement {
    return this.append(new SpeakElement(speakSpec, text, attributes));
  }

  /** Adds a `<Play>` with the audio URL as its text; returns it. */
  addPlay(url: string, attributes?: PlayAttributes): PlayElement {
    return this.append(new PlayElement(playSpec, url, attributes));
  }

  /** Adds a `<Wait>`; returns it. */
  addWait(attributes?: WaitAttributes): WaitElement {
    return this.append(new WaitElement(waitSpec, '', attributes));
  }

  /** Adds a `<GetDigits>`; add its prompts to the returned element. */
  addGetDigits(attributes?: GetDigitsAttributes): GetDigitsElement {
    return this.append(new GetDigitsElement(getDigitsSpec, '', attributes));
  }

  /** Adds a `<DTMF>` with the digits as its text; returns it. */
  addDTMF(digits: string, attributes?: DTMFAttributes): DTMFElement {
    return this.append(new DTMFElement(dtmfSpec, digits, attributes));
  }
}

/** `<Number>`. */
export class NumberElement extends PlivoXmlElement {}
/** `<User>`. */
export class UserElement extends PlivoXmlElement {}

/** `<Dial>`: add the parties to call (`<Number>`, `<User>`); the parser refuses a Dial without any. */
export class DialElement extends PlivoXmlElement {
  /** Adds a `<Number>` (dialled through the trunk); returns it. */
  addNumber(number: string, attributes?: NumberAttributes): NumberElement {
    return this.append(new NumberElement(numberSpec, number, attributes));
  }

  /** Adds a `<User>` (a sip: URI); returns it. */
  addUser(uri: string, attributes?: UserAttributes): UserElement {
    return this.append(new UserElement(userSpec, uri, attributes));
  }
}

/** `<Response>`, the document root. Each `add*` method appends an element and returns it. */
export class Response extends PlivoXmlElement {
  constructor() {
    super(responseSpec, '', undefined);
  }

  /** Adds `<Stream>` with the WebSocket URL as its text. */
  addStream(url: string, attributes?: StreamAttributes): StreamElement {
    return this.append(new StreamElement(streamSpec, url, attributes));
  }

  /** Adds `<Speak>`. */
  addSpeak(text: string, attributes?: SpeakAttributes): SpeakElement {
    return this.append(new SpeakElement(speakSpec, text, attributes));
  }

  /** Adds `<Play>` with the audio URL as its text. */
  addPlay(url: string, attributes?: PlayAttributes): PlayElement {
    return this.append(new PlayElement(playSpec, url, attributes));
  }

  /** Adds `<Wait>`. */
  addWait(attributes?: WaitAttributes): WaitElement {
    return this.append(new WaitElement(waitSpec, '', attributes));
  }

  /** Adds `<Hangup>`. */
  addHangup(attributes?: HangupAttributes): HangupElement {
    return this.append(new HangupElement(hangupSpec, '', attributes));
  }

  /** Adds `<Redirect>` with the next document's URL as its text. */
  addRedirect(url: string, attributes?: RedirectAttributes): RedirectElement {
    return this.append(new RedirectElement(redirectSpec, url, attributes));
  }

  /** Adds `<GetDigits>`; add its prompts to the returned element. */
  addGetDigits(attributes?: GetDigitsAttributes): GetDigitsElement {
    return this.append(new GetDigitsElement(getDigitsSpec, '', attributes));
  }

  /** Adds `<Dial>`; add its parties to the returned element. */
  addDial(attributes?: DialAttributes): DialElement {
    return this.append(new DialElement(dialSpec, '', attributes));
  }

  /** Adds `<Record>`. */
  addRecord(attributes?: RecordAttributes): RecordElement {
    return this.append(new RecordElement(recordSpec, '', attributes));
  }

  /** Adds `<DTMF>` with the digits as its text. */
  addDTMF(digits: string, attributes?: DTMFAttributes): DTMFElement {
    return this.append(new DTMFElement(dtmfSpec, digits, attributes));
  }

  /** Adds `<PreAnswer>` (it must be the first element); add its early media to the returned element. */
  addPreAnswer(): PreAnswerElement {
    if (this.childCount > 0) {
      refuse(preAnswerSpec, 'ERR_XML_NOT_FIRST', 'it must be the first element of the document');
    }
    return this.append(new PreAnswerElement(preAnswerSpec, '', undefined));
  }
}
