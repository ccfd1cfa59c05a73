/**
 * A TwiML answer document, parsed and checked (sans-I/O). The subset a streaming bot flow needs:
 * `<Response>` with `<Connect><Stream>` (bidirectional, blocks until the app closes), `<Start><Stream>`
 * and `<Stop><Stream>` (forked, non-blocking), nested `<Parameter name value>`, and `<Say>`, `<Play>`,
 * `<Pause>`, `<Hangup>`, `<Redirect>`. Every other TwiML verb is refused by name (the document is not
 * run, as for Plivo XML, D9). Issues use the XML catalogue codes and carry line and column.
 * Twilio reference: https://www.twilio.com/docs/voice/twiml
 */
import { SaxesParser } from 'saxes';

import type { XmlCode } from '../../errors/codes/xml.js';
import type { XmlIssue } from '../plivo-xml/types.js';

/** A Twilio stream's `track`. */
export type TwimlTrack = 'inbound_track' | 'outbound_track' | 'both_tracks';

export interface TwimlStream {
  readonly url: string;
  readonly name?: string | undefined;
  readonly track: TwimlTrack;
  readonly statusCallback?: string | undefined;
  readonly statusCallbackMethod: 'GET' | 'POST';
  /** `<Parameter>` children in document order (start.customParameters). */
  readonly parameters: readonly (readonly [string, string])[];
}

export type TwimlVerb =
  | {
      readonly verb: 'Connect';
      readonly path: string;
      readonly stream: TwimlStream;
      readonly action?: string | undefined;
      readonly method: 'GET' | 'POST';
    }
  | { readonly verb: 'Start'; readonly path: string; readonly stream: TwimlStream }
  | { readonly verb: 'Stop'; readonly path: string; readonly name?: string | undefined }
  | {
      readonly verb: 'Say';
      readonly path: string;
      readonly text: string;
      readonly voice?: string | undefined;
      readonly language?: string | undefined;
      readonly loop: number;
    }
  | { readonly verb: 'Play'; readonly path: string; readonly url: string; readonly loop: number }
  | { readonly verb: 'Pause'; readonly path: string; readonly lengthSec: number }
  | { readonly verb: 'Hangup'; readonly path: string }
  | {
      readonly verb: 'Redirect';
      readonly path: string;
      readonly url: string;
      readonly method: 'GET' | 'POST';
    };

export interface TwimlDocument {
  readonly verbs: readonly TwimlVerb[];
}

export type TwimlResult =
  | { readonly ok: true; readonly value: TwimlDocument; readonly warnings: readonly XmlIssue[] }
  | {
      readonly ok: false;
      readonly error: XmlIssue;
      readonly errors: readonly XmlIssue[];
      readonly warnings: readonly XmlIssue[];
    };

/** TwiML voice verbs this server does not run (refused by name rather than as unknown elements). */
const OTHER_TWIML_VERBS = new Set([
  'Dial',
  'Enqueue',
  'Gather',
  'Leave',
  'Pay',
  'Prompt',
  'Queue',
  'Record',
  'Refer',
  'Reject',
  'Sms',
  'Siprec',
  'Transcription',
  'Conversation',
  'VirtualAgent',
  'Room',
  'ConversationRelay',
  'Echo',
]);

/** A parsed element before checking. */
interface El {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: El[];
  text: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

const MAX_BYTES = 100 * 1024;
const MAX_DEPTH = 8;

/** Parses the elements into a tree, or returns the first syntax problem. */
function tree(source: string): El | XmlIssue {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: El[] = [];
  let root: El | undefined;
  let problem: XmlIssue | undefined;
  const at = (code: XmlCode, detail: string, path = ''): XmlIssue => ({
    severity: 'error',
    code,
    detail,
    path,
    line: parser.line,
    column: parser.column,
    offset: parser.position,
  });
  parser.on('error', (err) => {
    problem ??= at('ERR_XML_MALFORMED', err.message.split('\n')[0] ?? 'not well-formed');
  });
  parser.on('doctype', () => {
    problem ??= at('ERR_XML_DOCTYPE', 'DOCTYPE (and entity declarations) are not allowed');
  });
  parser.on('opentag', (tag) => {
    const parent = stack[stack.length - 1];
    const index = parent === undefined ? 0 : parent.children.filter((c) => c.name === tag.name).length;
    const el: El = {
      name: tag.name,
      attrs: tag.attributes,
      children: [],
      text: '',
      path: parent === undefined ? tag.name : `${parent.path}/${tag.name}[${index + 1}]`,
      line: parser.line,
      column: parser.column,
      offset: parser.position,
    };
    if (stack.length >= MAX_DEPTH) {
      problem ??= at('ERR_XML_TOO_DEEP', `elements nested deeper than ${MAX_DEPTH}`, el.path);
    }
    if (parent === undefined) {
      root = el;
    } else {
      parent.children.push(el);
    }
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (text: string): void => {
    const top = stack[stack.length - 1];
    if (top !== undefined) {
      top.text += text;
    }
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  try {
    parser.write(source).close();
  } catch {
    // reported through the error handler
  }
  if (problem !== undefined) {
    return problem;
  }
  if (root === undefined) {
    return at('ERR_XML_ROOT_NOT_RESPONSE', 'the document has no root element');
  }
  return root;
}

class Checker {
  readonly errors: XmlIssue[] = [];
  readonly warnings: XmlIssue[] = [];

  issue(severity: 'error' | 'warning', code: XmlCode, el: El, detail: string, attribute?: string): void {
    (severity === 'error' ? this.errors : this.warnings).push({
      severity,
      code,
      detail,
      path: el.path,
      ...(attribute === undefined ? {} : { attribute }),
      line: el.line,
      column: el.column,
      offset: el.offset,
    });
  }

  /** Warns about attributes outside `known`. */
  attributes(el: El, known: readonly string[]): void {
    for (const a of Object.keys(el.attrs)) {
      if (!known.includes(a)) {
        this.issue(
          'warning',
          'ERR_XML_UNKNOWN_ATTRIBUTE',
          el,
          `<${el.name}> has no attribute "${a}"; ignored`,
          a,
        );
      }
    }
  }

  noChildren(el: El): void {
    for (const c of el.children) {
      this.issue('error', 'ERR_XML_CHILD_NOT_ALLOWED', c, `<${c.name}> cannot be nested in <${el.name}>`);
    }
  }

  url(el: El, value: string | undefined, schemes: readonly string[], what: string): string | undefined {
    if (value === undefined || value.trim() === '') {
      this.issue('error', 'ERR_XML_BODY_REQUIRED', el, `<${el.name}> needs ${what}`);
      return undefined;
    }
    let parsed: URL;
    try {
      parsed = new URL(value.trim());
    } catch {
      this.issue(
        'error',
        'ERR_XML_BAD_URL',
        el,
        `<${el.name}> ${what} "${value.slice(0, 80)}" is not an absolute URL`,
      );
      return undefined;
    }
    if (!schemes.includes(parsed.protocol)) {
      const want = schemes.map((s) => s.replace(':', '')).join(' or ');
      this.issue(
        'error',
        'ERR_XML_BAD_URL_SCHEME',
        el,
        `<${el.name}> ${what} must be ${want}, not ${parsed.protocol}`,
      );
      return undefined;
    }
    return value.trim();
  }

  integer(el: El, attr: string, dflt: number, min: number, max: number): number {
    const raw = el.attrs[attr];
    if (raw === undefined) {
      return dflt;
    }
    if (!/^\d+$/.test(raw.trim())) {
      this.issue(
        'error',
        'ERR_XML_BAD_INTEGER',
        el,
        `${attr}="${raw.slice(0, 20)}" is not a whole number`,
        attr,
      );
      return dflt;
    }
    const n = Number(raw.trim());
    if (n < min || n > max) {
      this.issue('error', 'ERR_XML_OUT_OF_RANGE', el, `${attr}="${n}" must be from ${min} to ${max}`, attr);
      return dflt;
    }
    return n;
  }

  method(el: El, attr: string): 'GET' | 'POST' {
    const raw = el.attrs[attr];
    if (raw === undefined) {
      return 'POST';
    }
    const up = raw.trim().toUpperCase();
    if (up !== 'GET' && up !== 'POST') {
      this.issue('error', 'ERR_XML_BAD_ENUM', el, `${attr}="${raw.slice(0, 20)}" must be GET or POST`, attr);
      return 'POST';
    }
    return up;
  }

  stream(el: El, connect: boolean): TwimlStream | undefined {
    this.attributes(el, ['url', 'name', 'track', 'statusCallback', 'statusCallbackMethod']);
    const url = this.url(el, el.attrs['url'], ['ws:', 'wss:'], 'a url attribute');
    const rawTrack = el.attrs['track'] ?? 'inbound_track';
    let track: TwimlTrack = 'inbound_track';
    if (rawTrack === 'inbound_track' || rawTrack === 'outbound_track' || rawTrack === 'both_tracks') {
      track = rawTrack;
    } else {
      this.issue(
        'error',
        'ERR_XML_BAD_ENUM',
        el,
        `track="${rawTrack.slice(0, 20)}" must be inbound_track, outbound_track or both_tracks`,
        'track',
      );
    }
    if (connect && track !== 'inbound_track') {
      this.issue(
        'error',
        'ERR_XML_STREAM_BIDIRECTIONAL_TRACK',
        el,
        'a <Connect><Stream> is bidirectional and carries the inbound track only (track="inbound_track")',
        'track',
      );
    }
    const cb = el.attrs['statusCallback'];
    const statusCallback =
      cb === undefined ? undefined : this.url(el, cb, ['http:', 'https:'], 'statusCallback');
    const parameters: [string, string][] = [];
    for (const c of el.children) {
      if (c.name !== 'Parameter') {
        this.issue(
          'error',
          'ERR_XML_CHILD_NOT_ALLOWED',
          c,
          `<${c.name}> cannot be nested in <Stream>; only <Parameter>`,
        );
        continue;
      }
      this.attributes(c, ['name', 'value']);
      this.noChildren(c);
      const name = c.attrs['name'];
      if (name === undefined || name === '') {
        this.issue('error', 'ERR_XML_BODY_REQUIRED', c, '<Parameter> needs a name attribute', 'name');
        continue;
      }
      parameters.push([name, c.attrs['value'] ?? '']);
    }
    if (url === undefined) {
      return undefined;
    }
    return {
      url,
      ...(el.attrs['name'] === undefined ? {} : { name: el.attrs['name'] }),
      track,
      ...(statusCallback === undefined ? {} : { statusCallback }),
      statusCallbackMethod: this.method(el, 'statusCallbackMethod'),
      parameters,
    };
  }

  /** The one `<Stream>` inside `<Connect>`/`<Start>`/`<Stop>`. */
  onlyStream(el: El): El | undefined {
    const streams = el.children.filter((c) => c.name === 'Stream');
    for (const c of el.children) {
      if (c.name !== 'Stream') {
        const code = OTHER_TWIML_VERBS.has(c.name)
          ? 'ERR_XML_UNSUPPORTED_ELEMENT'
          : 'ERR_XML_CHILD_NOT_ALLOWED';
        this.issue('error', code, c, `<${el.name}><${c.name}> is not supported; only <${el.name}><Stream>`);
      }
    }
    if (streams.length !== 1) {
      this.issue(
        'error',
        'ERR_XML_BODY_REQUIRED',
        el,
        `<${el.name}> needs exactly one <Stream>, not ${streams.length}`,
      );
      return undefined;
    }
    return streams[0];
  }

  verb(el: El): TwimlVerb | undefined {
    const path = el.path;
    switch (el.name) {
      case 'Connect': {
        this.attributes(el, ['action', 'method']);
        const s = this.onlyStream(el);
        const stream = s === undefined ? undefined : this.stream(s, true);
        const actionRaw = el.attrs['action'];
        const action =
          actionRaw === undefined ? undefined : this.url(el, actionRaw, ['http:', 'https:'], 'action');
        return stream === undefined
          ? undefined
          : {
              verb: 'Connect',
              path,
              stream,
              ...(action === undefined ? {} : { action }),
              method: this.method(el, 'method'),
            };
      }
      case 'Start': {
        this.attributes(el, ['action', 'method']);
        const s = this.onlyStream(el);
        const stream = s === undefined ? undefined : this.stream(s, false);
        return stream === undefined ? undefined : { verb: 'Start', path, stream };
      }
      case 'Stop': {
        this.attributes(el, []);
        const s = this.onlyStream(el);
        if (s === undefined) {
          return undefined;
        }
        this.attributes(s, ['name']);
        this.noChildren(s);
        const name = s.attrs['name'];
        return { verb: 'Stop', path, ...(name === undefined ? {} : { name }) };
      }
      case 'Say': {
        this.attributes(el, ['voice', 'language', 'loop']);
        this.noChildren(el);
        const text = el.text.trim();
        if (text === '') {
          this.issue('error', 'ERR_XML_BODY_REQUIRED', el, '<Say> needs the text to speak');
        }
        return {
          verb: 'Say',
          path,
          text,
          voice: el.attrs['voice'],
          language: el.attrs['language'],
          loop: this.integer(el, 'loop', 1, 0, 1000),
        };
      }
      case 'Play': {
        this.attributes(el, ['loop']);
        this.noChildren(el);
        const url = this.url(el, el.text, ['http:', 'https:'], 'the audio URL as its text');
        const loop = this.integer(el, 'loop', 1, 0, 1000);
        return url === undefined ? undefined : { verb: 'Play', path, url, loop };
      }
      case 'Pause':
        this.attributes(el, ['length']);
        this.noChildren(el);
        return { verb: 'Pause', path, lengthSec: this.integer(el, 'length', 1, 0, 86400) };
      case 'Hangup':
        this.attributes(el, []);
        this.noChildren(el);
        return { verb: 'Hangup', path };
      case 'Redirect': {
        this.attributes(el, ['method']);
        this.noChildren(el);
        const url = this.url(el, el.text, ['http:', 'https:'], 'the URL as its text');
        return url === undefined
          ? undefined
          : { verb: 'Redirect', path, url, method: this.method(el, 'method') };
      }
      default:
        if (OTHER_TWIML_VERBS.has(el.name)) {
          this.issue(
            'error',
            'ERR_XML_UNSUPPORTED_ELEMENT',
            el,
            `<${el.name}> is TwiML this server does not run`,
          );
        } else {
          this.issue('error', 'ERR_XML_UNKNOWN_ELEMENT', el, `<${el.name}> is not a TwiML verb`);
        }
        return undefined;
    }
  }
}

/** Parses and checks a TwiML document. Never throws. */
export function parseTwiml(source: string): TwimlResult {
  const warnings: XmlIssue[] = [];
  let errors: XmlIssue[];
  const verbs: TwimlVerb[] = [];
  if (Buffer.byteLength(source) > MAX_BYTES) {
    const e: XmlIssue = {
      severity: 'error',
      code: 'ERR_XML_TOO_LARGE',
      detail: `the document is larger than ${MAX_BYTES} bytes`,
      path: '',
      line: 1,
      column: 0,
      offset: 0,
    };
    errors = [e];
  } else {
    const root = tree(source);
    if (!('name' in root)) {
      errors = [root];
    } else {
      const check = new Checker();
      if (root.name !== 'Response') {
        check.issue(
          'error',
          'ERR_XML_ROOT_NOT_RESPONSE',
          root,
          `the root element is <${root.name}>, not <Response>`,
        );
      } else {
        for (const el of root.children) {
          const verb = check.verb(el);
          if (verb !== undefined) {
            verbs.push(verb);
          }
        }
      }
      errors = check.errors;
      warnings.push(...check.warnings);
    }
  }
  const first = errors[0];
  if (first !== undefined) {
    return { ok: false, error: first, errors, warnings };
  }
  return { ok: true, value: { verbs }, warnings };
}
