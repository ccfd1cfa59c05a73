/**
 * Turns `STREAMFORK_*` environment variables into a partial configuration object. Pure: the record is
 * passed in (only `load.ts` touches `process.env`). Values are coerced by the type of the key they set;
 * a value that cannot be coerced is kept as the raw string so that validation reports it with the key's
 * expected type.
 */
import type { TSchema } from 'typebox';

import { configLeaves, ENV_PREFIX, RESERVED_ENV, type ConfigLeaf } from './schema.js';

/** A mutable JSON-ish object used while merging configuration layers. */
export type PlainObject = Record<string, unknown>;

/** What the environment contributed. */
export interface EnvLayer {
  /** The partial config built from the variables. */
  readonly values: PlainObject;
  /** Dotted key path → the variable that set it (used to say where a bad value came from). */
  readonly sources: ReadonlyMap<string, string>;
  /** `STREAMFORK_*` variables that match no key. */
  readonly unknown: readonly string[];
}

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

function schemaType(schema: TSchema): unknown {
  return (schema as { type?: unknown }).type;
}

/** The non-null branch of `X | null`, or undefined when the schema is not null-able. */
function nonNullBranch(schema: TSchema): TSchema | undefined {
  const anyOf = (schema as { anyOf?: readonly TSchema[] }).anyOf;
  if (!anyOf?.some((s) => schemaType(s) === 'null')) {
    return undefined;
  }
  const rest = anyOf.filter((s) => schemaType(s) !== 'null');
  return rest.length === 1 ? rest[0] : { anyOf: rest };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function coerceArray(raw: string, items: TSchema | undefined): unknown {
  const trimmed = raw.trim();
  if (trimmed.startsWith('[')) {
    return parseJson(trimmed);
  }
  const parts = trimmed
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (items !== undefined && schemaType(items) === 'object') {
    // Credentials in the compact `user:pass` form; the password may itself contain ':'.
    return parts.map((p) => {
      const at = p.indexOf(':');
      return at < 0 ? p : { username: p.slice(0, at), password: p.slice(at + 1) };
    });
  }
  return parts.map((p) => coerceScalar(p, items));
}

function coerceScalar(raw: string, schema: TSchema | undefined): unknown {
  const type = schema === undefined ? undefined : schemaType(schema);
  if (type === 'integer' && /^[+-]?\d+$/.test(raw.trim())) {
    return Number(raw.trim());
  }
  if (type === 'number' && raw.trim() !== '' && Number.isFinite(Number(raw))) {
    return Number(raw);
  }
  if (type === 'boolean') {
    const lower = raw.trim().toLowerCase();
    if (truthy.has(lower)) {
      return true;
    }
    if (falsy.has(lower)) {
      return false;
    }
  }
  return raw;
}

/** Coerces one variable's text to the JSON value it stands for under `schema`. */
export function coerceEnvValue(raw: string, schema: TSchema): unknown {
  const inner = nonNullBranch(schema);
  if (inner !== undefined) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.toLowerCase() === 'null') {
      return null;
    }
    return coerceEnvValue(raw, inner);
  }
  if (schemaType(schema) === 'array') {
    return coerceArray(raw, (schema as { items?: TSchema }).items);
  }
  if (schemaType(schema) === 'object') {
    return parseJson(raw);
  }
  return coerceScalar(raw, schema);
}

function setPath(target: PlainObject, path: readonly string[], value: unknown): void {
  let node = target;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      node = next as PlainObject;
    } else {
      const created: PlainObject = {};
      node[seg] = created;
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) {
    node[last] = value;
  }
}

let leafByEnv: ReadonlyMap<string, ConfigLeaf> | undefined;

/** The key an environment variable sets, if any. */
export function leafForEnv(name: string): ConfigLeaf | undefined {
  leafByEnv ??= new Map(configLeaves().map((leaf) => [leaf.env, leaf]));
  return leafByEnv.get(name);
}

/** Builds the environment layer from a variables record (`process.env` in production). */
export function envLayer(env: Readonly<Record<string, string | undefined>>): EnvLayer {
  const values: PlainObject = {};
  const sources = new Map<string, string>();
  const unknown: string[] = [];
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || name in RESERVED_ENV) {
      continue;
    }
    const leaf = leafForEnv(name);
    if (leaf === undefined) {
      unknown.push(name);
      continue;
    }
    setPath(values, leaf.path, coerceEnvValue(raw, leaf.schema));
    sources.set(leaf.path.join('.'), name);
  }
  return { values, sources, unknown };
}
