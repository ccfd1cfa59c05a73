/**
 * Checks one attribute (or body) value against its spec. Shared by the parser, which reports the
 * outcome with a position, and the builder, which throws it as a TypeError.
 *
 * Booleans: `true`/`false` in any letter case, surrounding whitespace ignored (compatibility §2.3 leaves the
 * choice open; anything else is an error rather than a silent default, so typos surface).
 */
import type { XmlCode } from '../../errors/codes/xml.js';
import type { AttributeSpec, EnumAttributeSpec, IntegerAttributeSpec } from './spec/types.js';

/** A value accepted, possibly with a warning; or refused, with a code and a sentence. */
export type ValueCheck =
  | { readonly ok: true; readonly value: boolean | number | string; readonly warning?: CheckProblem }
  | { readonly ok: false; readonly problem: CheckProblem };

/** Why a value was refused or warned about. */
export interface CheckProblem {
  readonly code: XmlCode;
  readonly detail: string;
}

/** The UTF-8 length of a string, without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes += 1;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/** Quotes a value for a message, shortened so that a huge value cannot flood a log. */
export function quote(raw: string): string {
  return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
}

function refuse(code: XmlCode, detail: string): ValueCheck {
  return { ok: false, problem: { code, detail } };
}

const TRUE: ValueCheck = { ok: true, value: true };
const FALSE: ValueCheck = { ok: true, value: false };
const INTEGER = /^[+-]?[0-9]+$/;

function checkInteger(name: string, spec: IntegerAttributeSpec, raw: string): ValueCheck {
  const text = raw.trim();
  if (!INTEGER.test(text)) {
    return refuse('ERR_XML_BAD_INTEGER', `${name} must be a whole number, got ${quote(raw)}`);
  }
  const value = Number(text);
  const min = spec.min ?? Number.MIN_SAFE_INTEGER;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (value < min || value > max || !Number.isSafeInteger(value)) {
    const range = spec.max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
    return refuse('ERR_XML_OUT_OF_RANGE', `${name} must be ${range}, got ${text}`);
  }
  return { ok: true, value };
}

function checkEnum(name: string, spec: EnumAttributeSpec, raw: string): ValueCheck {
  // Fast path: the value is written exactly as listed (the usual case).
  if (spec.values.includes(raw)) {
    return { ok: true, value: raw };
  }
  let text = raw.trim();
  if (spec.compactSemicolons === true) {
    text = text.replace(/\s*;\s*/g, ';');
  }
  const key = spec.caseInsensitive === true ? text.toLowerCase() : text;
  for (const allowed of spec.values) {
    if ((spec.caseInsensitive === true ? allowed.toLowerCase() : allowed) === key) {
      return { ok: true, value: allowed };
    }
  }
  const alias = spec.legacyAliases?.[text];
  if (alias !== undefined) {
    return {
      ok: true,
      value: alias,
      warning: { code: 'ERR_XML_LEGACY_VALUE', detail: `${name}="${text}" is legacy; treated as "${alias}"` },
    };
  }
  return refuse('ERR_XML_BAD_ENUM', `${name} must be one of ${spec.values.join(', ')}; got ${quote(raw)}`);
}

function checkUrl(name: string, schemes: readonly string[], raw: string): ValueCheck {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse(
      'ERR_XML_BAD_URL',
      `${name} must be an absolute ${schemes.join('/')} URL, got ${quote(raw)}`,
    );
  }
  const scheme = url.protocol.slice(0, -1);
  if (!schemes.includes(scheme)) {
    return refuse('ERR_XML_BAD_URL_SCHEME', `${name} must use ${schemes.join(' or ')}, not ${scheme}:`);
  }
  return { ok: true, value: text };
}

/** Checks `raw` (the attribute text after XML unescaping) against `spec`. Never throws. */
export function checkValue(name: string, spec: AttributeSpec, raw: string): ValueCheck {
  switch (spec.type) {
    case 'boolean': {
      if (raw === 'true' || raw === 'false') {
        return raw === 'true' ? TRUE : FALSE;
      }
      const text = raw.trim().toLowerCase();
      if (text === 'true' || text === 'false') {
        return { ok: true, value: text === 'true' };
      }
      return refuse('ERR_XML_BAD_BOOLEAN', `${name} must be "true" or "false", got ${quote(raw)}`);
    }
    case 'integer': {
      return checkInteger(name, spec, raw);
    }
    case 'enum': {
      return checkEnum(name, spec, raw);
    }
    case 'url': {
      return checkUrl(name, spec.schemes, raw);
    }
    case 'string': {
      if (spec.maxBytes !== undefined && utf8Length(raw) > spec.maxBytes) {
        return refuse(
          'ERR_XML_TOO_LONG',
          `${name} must be at most ${spec.maxBytes} bytes, got ${utf8Length(raw)}`,
        );
      }
      if (spec.pattern !== undefined && !spec.pattern.test(raw)) {
        return refuse(
          'ERR_XML_BAD_VALUE',
          `${name} must be ${spec.patternDoc ?? String(spec.pattern)}, got ${quote(raw)}`,
        );
      }
      return { ok: true, value: raw };
    }
  }
}
