/**
 * Turns TypeBox validation errors into one specific line per problem, worded for operators:
 * `http.port: expected integer 1-65535, got "abc"`, `unknown key sip.prot`,
 * `auth.authToken: required (set STREAMFORK_AUTH_AUTH_TOKEN or auth.authToken in the config file)`.
 */
import type { TSchema } from 'typebox';
import type { TLocalizedValidationError } from 'typebox/error';
import { Value } from 'typebox/value';

import { redactUrl } from '../observability/redact.js';
import { envNameFor, nullableObjectBranch, objectProperties } from './schema.js';

interface SchemaShape {
  type?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
  expected?: string;
  anyOf?: readonly TSchema[];
  items?: TSchema;
  const?: unknown;
}

function shape(schema: TSchema): SchemaShape {
  return schema;
}

function describeRange(kind: string, s: SchemaShape): string {
  if (s.minimum !== undefined && s.maximum !== undefined) {
    return `${kind} ${s.minimum}-${s.maximum}`;
  }
  if (s.minimum !== undefined) {
    return `${kind} >= ${s.minimum}`;
  }
  return s.maximum !== undefined ? `${kind} <= ${s.maximum}` : kind;
}

/** A short phrase for what a schema accepts, e.g. `integer 1-65535` or `one of "GET", "POST"`. */
export function describeSchema(schema: TSchema): string {
  const s = shape(schema);
  if (s.anyOf !== undefined) {
    const literals = s.anyOf
      .filter((b) => shape(b).const !== undefined)
      .map((b) => JSON.stringify(shape(b).const));
    const others = s.anyOf
      .filter((b) => shape(b).const === undefined && shape(b).type !== 'null')
      .map(describeSchema);
    const hasNull = s.anyOf.some((b) => shape(b).type === 'null');
    const parts = [
      ...(literals.length > 0 ? [`one of ${literals.join(', ')}`] : []),
      ...others,
      ...(hasNull ? ['null'] : []),
    ];
    return parts.join(' or ');
  }
  switch (s.type) {
    case 'integer':
      return describeRange('integer', s);
    case 'number':
      return describeRange('number', s);
    case 'boolean':
      return 'boolean';
    case 'string':
      if (s.expected !== undefined) {
        return s.expected;
      }
      if (s.pattern !== undefined) {
        return `string matching /${s.pattern}/`;
      }
      return (s.minLength ?? 0) > 0 ? 'non-empty string' : 'string';
    case 'array': {
      const items = s.items === undefined ? 'values' : describeSchema(s.items);
      return `${(s.minItems ?? 0) > 0 ? 'non-empty ' : ''}array of ${items}`;
    }
    case 'object': {
      const keys = Object.keys(objectProperties(schema) ?? {});
      return keys.length > 0 && keys.length <= 4 ? `object {${keys.join(', ')}}` : 'object';
    }
    default:
      return 'a valid value';
  }
}

function segments(instancePath: string): string[] {
  return instancePath === ''
    ? []
    : instancePath
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The sub-schema and value at a JSON pointer, following the object branch of `X | null` unions. */
function resolve(
  root: TSchema,
  value: unknown,
  path: readonly string[],
): { schema: TSchema | undefined; value: unknown } {
  let schema: TSchema | undefined = root;
  let node = value;
  for (const seg of path) {
    if (schema === undefined) {
      break;
    }
    const branch = nullableObjectBranch(schema);
    if (branch !== undefined && typeof node === 'object' && node !== null) {
      schema = branch;
    }
    const props = objectProperties(schema);
    const items: TSchema | undefined = shape(schema).items;
    schema = props !== undefined ? props[seg] : items;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return { schema, value: node };
}

function shown(path: readonly string[], value: unknown): string {
  const last = path[path.length - 1] ?? '';
  if (/password|token/i.test(last) && typeof value === 'string') {
    return '(redacted)';
  }
  if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*@/.test(value)) {
    // A URL with credentials (`storage.url`): keep where it points, not who logs in with what.
    return JSON.stringify(redactUrl(value));
  }
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Where a value for `dotted` (or one of its parents) came from, as a suffix. */
function sourceSuffix(dotted: string, sources: ReadonlyMap<string, string>): string {
  for (const [key, env] of sources) {
    if (key === dotted || key.startsWith(`${dotted}.`) || dotted.startsWith(`${key}.`)) {
      return ` (from ${env})`;
    }
  }
  return '';
}

function withPrefix(
  prefix: string,
  errors: readonly TLocalizedValidationError[],
): TLocalizedValidationError[] {
  return errors.map((e) => ({ ...e, instancePath: `${prefix}${e.instancePath}` }));
}

function objectErrors(
  schema: TSchema,
  value: unknown,
  prefix: string,
  depth: number,
): TLocalizedValidationError[] {
  const props = objectProperties(schema);
  if (
    props === undefined ||
    depth === 0 ||
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value)
  ) {
    return withPrefix(prefix, Value.Errors(schema, value));
  }
  const record = value as Record<string, unknown>;
  const out: TLocalizedValidationError[] = [];
  const extra = Object.keys(record).filter((k) => !(k in props));
  if (extra.length > 0) {
    out.push({
      keyword: 'additionalProperties',
      schemaPath: '#',
      instancePath: prefix,
      params: { additionalProperties: extra },
      message: 'must not have additional properties',
    });
  }
  const required = ((schema as { required?: readonly string[] }).required ?? []).filter(
    (k) => record[k] === undefined,
  );
  if (required.length > 0) {
    out.push({
      keyword: 'required',
      schemaPath: '#',
      instancePath: prefix,
      params: { requiredProperties: required },
      message: 'must have required properties',
    });
  }
  for (const [key, sub] of Object.entries(props)) {
    if (record[key] !== undefined) {
      out.push(...objectErrors(sub, record[key], `${prefix}/${key}`, depth - 1));
    }
  }
  return out;
}

/**
 * Every validation error of a config value. TypeBox caps one `Errors` call at a few errors (a global
 * setting we leave alone), so sections and keys are checked one by one to report every bad key at once.
 */
export function collectErrors(root: TSchema, value: unknown): TLocalizedValidationError[] {
  return objectErrors(root, value, '', 2);
}

/**
 * Formats validation errors, one line per offending key. `sources` maps dotted keys to the environment
 * variable that set them, so a bad value from the environment names its variable.
 */
export function formatErrors(
  root: TSchema,
  value: unknown,
  errors: readonly TLocalizedValidationError[],
  sources: ReadonlyMap<string, string> = new Map(),
): string[] {
  const lines = new Set<string>();
  const specific = new Set<string>();
  for (const e of errors) {
    const path = segments(e.instancePath);
    if (e.keyword === 'additionalProperties') {
      for (const key of e.params.additionalProperties) {
        lines.add(`unknown key ${[...path, key].join('.')}`);
      }
      specific.add(e.instancePath);
    } else if (e.keyword === 'required') {
      for (const key of e.params.requiredProperties) {
        const full = [...path, key];
        lines.add(
          `${full.join('.')}: required (set ${envNameFor(full)} or ${full.join('.')} in the config file)`,
        );
      }
      specific.add(e.instancePath);
    }
  }
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'additionalProperties' || e.keyword === 'required' || e.keyword === 'boolean') {
      continue;
    }
    // A union's own error is noise when one of its branches reported something more precise.
    const deeper = errors.some(
      (o) => o.instancePath.startsWith(`${e.instancePath}/`) && o.keyword !== 'boolean',
    );
    if (seen.has(e.instancePath) || specific.has(e.instancePath) || deeper) {
      continue;
    }
    seen.add(e.instancePath);
    const path = segments(e.instancePath);
    const dotted = path.join('.');
    const at = resolve(root, value, path);
    const expected = at.schema === undefined ? e.message : describeSchema(at.schema);
    lines.add(
      `${dotted}: expected ${expected}, got ${shown(path, at.value)}${sourceSuffix(dotted, sources)}`,
    );
  }
  return [...lines];
}
