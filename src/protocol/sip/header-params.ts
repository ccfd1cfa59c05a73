/**
 * Low-level header value helpers (RFC 3261 §7.3.1, §25.1): comma-separated lists and `;name=value`
 * parameters with quoted-string values.
 */
import type { SipParam } from './sip-uri.js';

/**
 * Splits a header value on commas that are outside quoted strings and `<...>` (RFC 3261 §7.3.1).
 * Empty elements are dropped.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') {
        i++;
      } else if (ch === '"') {
        quoted = false;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === '<') {
      angle = true;
    } else if (ch === '>') {
      angle = false;
    } else if (ch === ',' && !angle) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

const tokenRe = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** True when `text` is an RFC 3261 `token` (§25.1). */
export function isToken(text: string): boolean {
  return tokenRe.test(text);
}

/**
 * Parses `;name[=value]` parameters (RFC 3261 §25.1 `generic-param`); `text` starts at the first `;`
 * (or is empty). Values may be tokens, hosts or quoted strings (kept with their quotes). Undefined on error.
 */
export function parseHeaderParams(text: string): SipParam[] | undefined {
  const out: SipParam[] = [];
  let i = 0;
  const n = text.length;
  const skipWs = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) {
      i++;
    }
  };
  skipWs();
  while (i < n) {
    if (text[i] !== ';') {
      return undefined;
    }
    i++;
    skipWs();
    const nameStart = i;
    while (i < n && /[A-Za-z0-9\-.!%*_+`'~]/.test(text[i] ?? '')) {
      i++;
    }
    const name = text.slice(nameStart, i);
    if (name === '') {
      return undefined;
    }
    skipWs();
    if (text[i] !== '=') {
      out.push({ name });
      continue;
    }
    i++;
    skipWs();
    const valueStart = i;
    if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        i += text[i] === '\\' ? 2 : 1;
      }
      if (i >= n) {
        return undefined;
      }
      i++;
    } else {
      while (i < n && /[A-Za-z0-9\-.!%*_+`'~:[\]]/.test(text[i] ?? '')) {
        i++;
      }
      if (i === valueStart) {
        return undefined;
      }
    }
    out.push({ name, value: text.slice(valueStart, i) });
    skipWs();
  }
  return out;
}

/** Serializes parameters as `;name=value;flag`. */
export function serializeHeaderParams(params: readonly SipParam[]): string {
  return params.map((p) => (p.value === undefined ? `;${p.name}` : `;${p.name}=${p.value}`)).join('');
}

/** A parameter value by case-insensitive name: `''` for a flag, undefined when absent. */
export function findParam(params: readonly SipParam[], name: string): string | undefined {
  const lower = name.toLowerCase();
  const p = params.find((x) => x.name.toLowerCase() === lower);
  return p === undefined ? undefined : (p.value ?? '');
}

/** Returns `params` with `name` set to `value` (replacing an existing one, else appended). */
export function withParam(params: readonly SipParam[], name: string, value: string | undefined): SipParam[] {
  const lower = name.toLowerCase();
  const next: SipParam = value === undefined ? { name } : { name, value };
  const idx = params.findIndex((x) => x.name.toLowerCase() === lower);
  if (idx < 0) {
    return [...params, next];
  }
  return params.map((p, i) => (i === idx ? next : p));
}
