/**
 * Parses and validates a Plivo XML document (compatibility §2, decisions D9 and D16) into a typed document,
 * collecting every error and warning with its code, element path and line:column.
 *
 * Safe by construction: the size limit is checked before any parsing; a DOCTYPE is an error, and the
 * underlying parser (saxes) never expands entities beyond the five predefined ones and never fetches
 * anything. It never throws: every outcome is a PlivoXmlResult.
 *
 * https://www.plivo.com/docs/voice/xml/overview
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';

import type { XmlCode } from '../../errors/codes/xml.js';
import { checkValue, quote, utf8Length } from './check.js';
import {
  ELEMENT_SPEC_BY_NAME,
  MAX_DOCUMENT_BYTES,
  SSML_ELEMENTS,
  UNSUPPORTED_ELEMENTS,
} from './spec/index.js';
import type { AttributeSpec, ElementSpec } from './spec/types.js';
import { SourceMap } from './source-map.js';
import type { PlivoXmlDocument, PlivoXmlResult, ResponseNode, XmlIssue } from './types.js';

/** Deeper nesting than this is refused (real documents nest four levels at most). */
const MAX_DEPTH = 32;
/** Parsing stops after this many errors. */
const MAX_ERRORS = 100;

type Mode = 'element' | 'ssml' | 'skip';

/** Attribute specs as a map and an entry list, built once (Object.entries per element was costly). */
interface CompiledSpec {
  readonly byName: ReadonlyMap<string, AttributeSpec>;
  readonly entries: readonly (readonly [string, AttributeSpec])[];
}

const COMPILED: ReadonlyMap<ElementSpec, CompiledSpec> = new Map(
  [...ELEMENT_SPEC_BY_NAME.values()].map((spec) => {
    const entries = Object.entries(spec.attributes);
    return [spec, { byName: new Map(entries), entries }];
  }),
);

const EMPTY: CompiledSpec = { byName: new Map(), entries: [] };

interface Frame {
  readonly name: string;
  readonly mode: Mode;
  readonly spec: ElementSpec | undefined;
  readonly path: string;
  /** Offset of `<`, and just past the start tag's `>`. */
  readonly start: number;
  readonly tagEnd: number;
  /** The enclosing `<Speak>` of an SSML frame (where its text goes). */
  readonly owner: Frame | undefined;
  readonly values: Map<string, boolean | number | string>;
  readonly children: object[];
  readonly childCounts: Map<string, number>;
  text: string;
  textStart: number;
  textReported: boolean;
  hasSsml: boolean;
}

class Abort extends Error {}

class DocumentParser {
  readonly #source: string;
  readonly #map: SourceMap;
  readonly #errors: XmlIssue[] = [];
  readonly #warnings: XmlIssue[] = [];
  readonly #stack: Frame[] = [];
  readonly #parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true });
  #malformed = false;
  #lastEnd = 0;
  #root: ResponseNode | undefined;

  constructor(source: string) {
    this.#source = source;
    this.#map = new SourceMap(source);
  }

  run(): PlivoXmlResult {
    const p = this.#parser;
    p.on('error', (err) => {
      this.#onSyntaxError(err);
    });
    p.on('doctype', () => {
      const at = this.#source.lastIndexOf('<!DOCTYPE', p.position);
      this.#error(
        'ERR_XML_DOCTYPE',
        'DOCTYPE (and entity declarations) are not allowed',
        Math.max(at, 0),
        '',
      );
      this.#lastEnd = p.position;
    });
    p.on('opentag', (tag) => {
      this.#onOpen(tag);
    });
    p.on('closetag', () => {
      this.#onClose();
    });
    p.on('text', (text) => {
      this.#onText(text);
    });
    p.on('cdata', (text) => {
      this.#onText(text);
    });
    // No comment/processinginstruction/xmldecl handlers: every handler saxes stores adds a property
    // to the parser, and past six V8 drops it into slow dictionary mode (parsing took 10x longer).
    try {
      p.write(this.#source).close();
    } catch (err) {
      if (!(err instanceof Abort)) {
        throw err;
      }
    }
    return this.#result();
  }

  #result(): PlivoXmlResult {
    if (this.#malformed) {
      this.#findBareAmpersand();
    }
    const byOffset = (a: XmlIssue, b: XmlIssue): number => a.offset - b.offset;
    const warnings = this.#warnings.sort(byOffset);
    const errors = this.#errors.sort(byOffset);
    const first = errors[0];
    if (first !== undefined) {
      return { ok: false, error: first, errors, warnings };
    }
    if (this.#root === undefined) {
      const issue = this.#makeIssue('error', 'ERR_XML_MALFORMED', 'no root element', 0, '');
      return { ok: false, error: issue, errors: [issue], warnings };
    }
    const document: PlivoXmlDocument = { response: this.#root };
    return { ok: true, value: document, warnings };
  }

  /**
   * saxes reads an entity name up to the next `;`, so a bare `&` (the usual mistake in URLs, spec
   * §2.1) is reported far away, often at the end. Point at the first bare `&` before that report.
   */
  #findBareAmpersand(): void {
    const firstError = this.#errors.reduce((min, e) => Math.min(min, e.offset), this.#source.length);
    const src = this.#source.slice(0, firstError);
    const skipped: [number, number][] = [];
    for (const m of src.matchAll(/<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)/g)) {
      skipped.push([m.index, m.index + m[0].length]);
    }
    for (const m of src.matchAll(/&(?!#[0-9]+;|#x[0-9a-fA-F]+;|[A-Za-z_:][-A-Za-z0-9_.:]*;)/g)) {
      if (!skipped.some(([from, to]) => m.index >= from && m.index < to)) {
        this.#errors.push(
          this.#makeIssue('error', 'ERR_XML_MALFORMED', 'unescaped "&" (write &amp;)', m.index, ''),
        );
        return;
      }
    }
  }

  #makeIssue(
    severity: 'error' | 'warning',
    code: XmlCode,
    detail: string,
    offset: number,
    path: string,
    attribute?: string,
  ): XmlIssue {
    const pos = this.#map.at(offset);
    const base = { severity, code, detail, path, line: pos.line, column: pos.column, offset: pos.offset };
    return attribute === undefined ? base : { ...base, attribute };
  }

  #error(code: XmlCode, detail: string, offset: number, path: string, attribute?: string): void {
    this.#errors.push(this.#makeIssue('error', code, detail, offset, path, attribute));
    if (this.#errors.length >= MAX_ERRORS) {
      throw new Abort();
    }
  }

  #warning(code: XmlCode, detail: string, offset: number, path: string, attribute?: string): void {
    if (this.#warnings.length < MAX_ERRORS) {
      this.#warnings.push(this.#makeIssue('warning', code, detail, offset, path, attribute));
    }
  }

  /** Semantic problems are only worth reporting while the document is still well-formed. */
  #report(
    severity: 'error' | 'warning',
    code: XmlCode,
    detail: string,
    offset: number,
    path: string,
    attr?: string,
  ): void {
    if (this.#malformed) {
      return;
    }
    if (severity === 'error') {
      this.#error(code, detail, offset, path, attr);
    } else {
      this.#warning(code, detail, offset, path, attr);
    }
  }

  #onSyntaxError(err: Error): void {
    this.#malformed = true;
    // saxes has just consumed the offending character; point at it.
    const offset = Math.max(0, Math.min(this.#parser.position - 1, this.#source.length));
    const char = this.#source.charAt(offset);
    const message = err.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
    const detail = char.trim() === '' ? message : `${message} (at ${quote(char)})`;
    const top = this.#stack.at(-1);
    this.#error('ERR_XML_MALFORMED', detail, offset, top?.path ?? '');
  }

  #onOpen(tag: SaxesTagPlain): void {
    const tagEnd = this.#parser.position;
    const start = Math.max(0, this.#source.lastIndexOf('<', tagEnd - 1));
    this.#lastEnd = tagEnd;
    const parent = this.#stack.at(-1);
    const name = tag.name;
    let path = name;
    if (parent !== undefined) {
      const n = (parent.childCounts.get(name) ?? 0) + 1;
      parent.childCounts.set(name, n);
      path = `${parent.path}/${name}[${n}]`;
    }
    const mode = this.#classify(name, parent, start, path);
    const spec = mode === 'element' ? ELEMENT_SPEC_BY_NAME.get(name) : undefined;
    const owner = mode === 'ssml' ? (parent?.mode === 'ssml' ? parent.owner : parent) : undefined;
    if (owner !== undefined) {
      owner.hasSsml = true;
    }
    const frame: Frame = {
      name,
      mode,
      spec,
      path,
      start,
      tagEnd,
      owner,
      values: new Map(),
      children: [],
      childCounts: new Map(),
      text: '',
      textStart: -1,
      textReported: false,
      hasSsml: false,
    };
    this.#stack.push(frame);
    if (spec !== undefined) {
      this.#checkAttributes(frame, spec, tag.attributes);
    }
  }

  /** Decides how an element is treated, reporting it when it does not belong where it is. */
  #classify(name: string, parent: Frame | undefined, start: number, path: string): Mode {
    if (this.#stack.length >= MAX_DEPTH) {
      if (parent?.mode !== 'skip') {
        this.#report('error', 'ERR_XML_TOO_DEEP', `more than ${MAX_DEPTH} levels of nesting`, start, path);
      }
      return 'skip';
    }
    if (parent === undefined) {
      if (name === 'Response') {
        return 'element';
      }
      this.#report(
        'error',
        'ERR_XML_ROOT_NOT_RESPONSE',
        `the root element is <${name}>, not <Response>`,
        start,
        path,
      );
      return 'skip';
    }
    if (parent.mode === 'skip') {
      return 'skip';
    }
    const inSpeak = parent.mode === 'ssml' || parent.spec?.ssmlChildren === true;
    if (inSpeak && SSML_ELEMENTS.has(name)) {
      return 'ssml';
    }
    const spec = ELEMENT_SPEC_BY_NAME.get(name);
    if (spec !== undefined && parent.mode === 'element' && parent.spec?.children.includes(name) === true) {
      if (spec.first === true && [...parent.childCounts.values()].some((n, i) => n > 1 || i > 0)) {
        const detail = `<${name}> must be the first element in <${parent.name}>`;
        this.#report('error', 'ERR_XML_NOT_FIRST', detail, start, path);
      }
      return 'element';
    }
    if (spec !== undefined || (inSpeak && !UNSUPPORTED_ELEMENTS.has(name))) {
      const where = parent.mode === 'ssml' ? `SSML <${parent.name}>` : `<${parent.name}>`;
      this.#report(
        'error',
        'ERR_XML_CHILD_NOT_ALLOWED',
        `<${name}> cannot be nested in ${where}`,
        start,
        path,
      );
    } else if (UNSUPPORTED_ELEMENTS.has(name)) {
      this.#report(
        'error',
        'ERR_XML_UNSUPPORTED_ELEMENT',
        `<${name}> is not supported by this server`,
        start,
        path,
      );
    } else {
      this.#report('error', 'ERR_XML_UNKNOWN_ELEMENT', `<${name}> is not a Plivo XML element`, start, path);
    }
    return 'skip';
  }

  /** Finds where an attribute is written inside a start tag (for its line:column). */
  #attributeOffset(frame: Frame, name: string): number {
    const src = this.#source;
    let i = src.indexOf(name, frame.start + 1);
    while (i !== -1 && i < frame.tagEnd) {
      const before = src.charCodeAt(i - 1);
      let j = i + name.length;
      while (j < frame.tagEnd && /\s/.test(src.charAt(j))) {
        j++;
      }
      if (
        (before === 0x20 || before === 0x09 || before === 0x0a || before === 0x0d) &&
        src.charAt(j) === '='
      ) {
        return i;
      }
      i = src.indexOf(name, i + 1);
    }
    return frame.start;
  }

  #checkAttributes(frame: Frame, spec: ElementSpec, given: Readonly<Record<string, string>>): void {
    const compiled = COMPILED.get(spec) ?? EMPTY;
    // saxes keeps attributes in a null-prototype (dictionary) object; Object.keys is the fast way in.
    const names = Object.keys(given);
    for (let i = 0; i < names.length; i++) {
      const name = names[i] ?? '';
      const raw = given[name] ?? '';
      const attr = compiled.byName.get(name);
      if (attr === undefined) {
        const at = this.#attributeOffset(frame, name);
        this.#report(
          'warning',
          'ERR_XML_UNKNOWN_ATTRIBUTE',
          `<${spec.name}> has no attribute ${quote(name)}; ignored`,
          at,
          frame.path,
          name,
        );
        continue;
      }
      const checked = checkValue(name, attr, raw);
      if (!checked.ok) {
        const at = this.#attributeOffset(frame, name);
        this.#report('error', checked.problem.code, checked.problem.detail, at, frame.path, name);
        continue;
      }
      if (checked.warning !== undefined) {
        const at = this.#attributeOffset(frame, name);
        this.#report('warning', checked.warning.code, checked.warning.detail, at, frame.path, name);
      }
      frame.values.set(name, checked.value);
    }
    for (const [name, attr] of compiled.entries) {
      if (attr.default !== undefined && !frame.values.has(name) && !Object.hasOwn(given, name)) {
        frame.values.set(name, attr.default);
      }
    }
    if (spec.rules !== undefined) {
      for (const issue of spec.rules(frame.values)) {
        if (Object.hasOwn(given, issue.attribute) || issue.severity === 'error') {
          const at = this.#attributeOffset(frame, issue.attribute);
          this.#report(issue.severity, issue.code as XmlCode, issue.detail, at, frame.path, issue.attribute);
        }
      }
    }
  }

  #onText(text: string): void {
    const from = this.#lastEnd;
    this.#lastEnd = this.#parser.position;
    const top = this.#stack.at(-1);
    if (top === undefined || top.mode === 'skip') {
      return;
    }
    const target = top.mode === 'ssml' ? top.owner : top;
    if (target?.spec?.body !== undefined) {
      target.text += text;
      if (target.textStart === -1 && text.trim() !== '') {
        target.textStart = this.#firstNonSpace(from);
      }
      return;
    }
    if (!top.textReported && text.trim() !== '') {
      top.textReported = true;
      const detail = `<${top.name}> takes no text, found ${quote(text.trim())}`;
      this.#report('error', 'ERR_XML_UNEXPECTED_TEXT', detail, this.#firstNonSpace(from), top.path);
    }
  }

  /** The first character of content at or after `from`, skipping whitespace, comments and PIs. */
  #firstNonSpace(from: number): number {
    const src = this.#source;
    let i = from;
    for (;;) {
      while (i < src.length && /\s/.test(src.charAt(i))) {
        i++;
      }
      const close = src.startsWith('<!--', i) ? '-->' : src.startsWith('<?', i) ? '?>' : undefined;
      if (close === undefined) {
        return i;
      }
      const end = src.indexOf(close, i);
      if (end === -1) {
        return i;
      }
      i = end + close.length;
    }
  }

  #onClose(): void {
    const closeEnd = this.#parser.position;
    this.#lastEnd = closeEnd;
    const frame = this.#stack.pop();
    const spec = frame?.mode === 'element' ? frame.spec : undefined;
    if (frame === undefined || spec === undefined || this.#malformed) {
      return;
    }
    const node = this.#buildNode(frame, spec, closeEnd);
    const parent = this.#stack.at(-1);
    if (parent === undefined) {
      this.#root = node as ResponseNode;
    } else {
      parent.children.push(node);
    }
  }

  #buildNode(frame: Frame, spec: ElementSpec, closeEnd: number): object {
    const node: Record<string, unknown> = {
      element: frame.name,
      path: frame.path,
      position: this.#map.at(frame.start),
    };
    const body = spec.body;
    if (body !== undefined) {
      const raw = frame.text.trim();
      if (raw === '') {
        if (body.required) {
          const detail = `<${frame.name}> is empty; its ${body.field} goes in the element text`;
          this.#report('error', 'ERR_XML_BODY_REQUIRED', detail, frame.start, frame.path);
        }
      } else {
        const checked = checkValue(body.field, body.value, raw);
        if (checked.ok) {
          node[body.field] = checked.value;
        } else {
          this.#report('error', checked.problem.code, checked.problem.detail, frame.textStart, frame.path);
        }
      }
      if (frame.hasSsml) {
        const closeStart = this.#source.lastIndexOf('</', closeEnd - 1);
        node['ssml'] = this.#source.slice(frame.tagEnd, Math.max(frame.tagEnd, closeStart));
      }
    }
    for (const [name, attr] of (COMPILED.get(spec) ?? EMPTY).entries) {
      const value = frame.values.get(name);
      if (value !== undefined) {
        node[attr.field ?? name] = value;
      }
    }
    if (spec.children.length > 0) {
      node['children'] = frame.children;
    }
    return node;
  }
}

function tooLarge(bytes: number): PlivoXmlResult {
  const issue: XmlIssue = {
    severity: 'error',
    code: 'ERR_XML_TOO_LARGE',
    detail: `the document is ${bytes} bytes; the limit is ${MAX_DOCUMENT_BYTES}`,
    path: '',
    line: 1,
    column: 1,
    offset: 0,
  };
  return { ok: false, error: issue, errors: [issue], warnings: [] };
}

/**
 * Parses and validates Plivo XML. Returns the typed document (defaults applied) and any warnings, or
 * every error found. Never throws.
 */
export function parsePlivoXml(text: string): PlivoXmlResult {
  if (typeof text !== 'string') {
    const issue = internal('the input is not a string');
    return { ok: false, error: issue, errors: [issue], warnings: [] };
  }
  // A UTF-16 length above the limit means at least that many UTF-8 bytes; count only when needed.
  if (text.length > MAX_DOCUMENT_BYTES) {
    return tooLarge(text.length > MAX_DOCUMENT_BYTES * 3 ? text.length : utf8Length(text));
  }
  if (text.length * 3 > MAX_DOCUMENT_BYTES) {
    const bytes = utf8Length(text);
    if (bytes > MAX_DOCUMENT_BYTES) {
      return tooLarge(bytes);
    }
  }
  try {
    return new DocumentParser(text).run();
  } catch (err) {
    const issue = internal(`the parser failed: ${err instanceof Error ? err.message : String(err)}`);
    return { ok: false, error: issue, errors: [issue], warnings: [] };
  }
}

function internal(detail: string): XmlIssue {
  return { severity: 'error', code: 'ERR_XML_MALFORMED', detail, path: '', line: 1, column: 1, offset: 0 };
}
