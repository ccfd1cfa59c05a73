/**
 * The configuration loader: the only module that reads `process.env` or config files (STYLE.md 5.7).
 *
 * Layers, lowest first: schema defaults < JSON config file < `STREAMFORK_*` environment variables <
 * overrides (the CLI). Objects merge key by key; arrays and `null` replace. The result is validated
 * against `ConfigSchema` (unknown keys are errors) and returned deep-frozen.
 */
import { readFileSync } from 'node:fs';

import { Value } from 'typebox/value';

import { ServerError } from '../errors/server-error.js';
import { parseTargetPolicy } from '../protocol/net/target-policy.js';
import { envLayer, type PlainObject } from './env.js';
import { collectErrors, formatErrors } from './messages.js';
import {
  ConfigSchema,
  nullableObjectBranch,
  objectProperties,
  type Config,
  type DeepPartial,
} from './schema.js';
import type { TSchema } from 'typebox';

/** Where configuration comes from; every field is optional. */
export interface LoadConfigOptions {
  /** Path of a JSON config file. Default: `$STREAMFORK_CONFIG` when set, else no file. */
  readonly file?: string | undefined;
  /** Environment variables. Default: `process.env`. Pass `{}` in tests for isolation. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Highest-precedence values, e.g. from command-line flags. */
  readonly overrides?: DeepPartial<Config> | undefined;
  /** Lowest-precedence values, below the file (embedded defaults decided at run time, e.g. a generated token). */
  readonly defaults?: DeepPartial<Config> | undefined;
}

/** The outcome of loading: a frozen config, or every problem found (one line each). */
export type LoadConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly code: 'ERR_CONFIG_INVALID'; readonly errors: readonly string[] };

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `source` into a copy of `target`: objects recurse, everything else (arrays, null) replaces. */
function merge(target: unknown, source: unknown): unknown {
  if (!isPlainObject(source) || !isPlainObject(target)) {
    return structuredClone(source);
  }
  const out: PlainObject = { ...target };
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined) {
      out[key] = merge(out[key], value);
    }
  }
  return out;
}

/** Freezes an object graph in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
  }
  return value;
}

function readFileLayer(file: string): { ok: true; value: PlainObject } | { ok: false; error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, error: `config file ${file}: cannot read it (${code})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (err) {
    return { ok: false, error: `config file ${file}: invalid JSON (${(err as Error).message})` };
  }
  if (!isPlainObject(parsed)) {
    return { ok: false, error: `config file ${file}: expected a JSON object at the top level` };
  }
  return { ok: true, value: parsed };
}

/**
 * Fills missing keys from `default` annotations, descending into sections and into the object branch of
 * `X | null` keys that hold an object, and into the entries of arrays of objects. (TypeBox's `Value.Default` skips a union branch that does not
 * validate yet, which would turn one bad key into several misleading `required` errors.)
 */
function applyDefaults(schema: TSchema, value: unknown): unknown {
  const branch = nullableObjectBranch(schema);
  if (branch !== undefined) {
    return isPlainObject(value) ? applyDefaults(branch, value) : value;
  }
  const items = (schema as { items?: TSchema }).items;
  if (items !== undefined && Array.isArray(value)) {
    // Arrays of objects (`sip.registrations`): each entry gets its own defaults.
    return value.map((entry: unknown) => applyDefaults(items, entry));
  }
  const props = objectProperties(schema);
  if (props === undefined || !isPlainObject(value)) {
    return value;
  }
  const out: PlainObject = { ...value };
  for (const [key, sub] of Object.entries(props)) {
    const fallback = (sub as { default?: unknown }).default;
    if (out[key] === undefined && fallback !== undefined) {
      out[key] = structuredClone(fallback);
    }
    if (out[key] !== undefined) {
      out[key] = applyDefaults(sub, out[key]);
    }
  }
  return out;
}

/** Rules that span keys, checked once every key is individually valid. */
function crossKeyErrors(config: Config): string[] {
  const errors: string[] = [];
  config.sip.registrations.forEach((r, i) => {
    if (r.transport === 'tls') {
      if (config.sip.tls === null) {
        errors.push(`sip.registrations.${i}.transport: tls needs sip.tls (a certificate and key)`);
      }
    } else if (!config.sip.transports.includes(r.transport)) {
      errors.push(`sip.registrations.${i}.transport: ${r.transport} is not in sip.transports`);
    }
  });
  const { portMin, portMax } = config.rtp;
  if (portMax - portMin < 1) {
    errors.push(`rtp.portMax: expected at least rtp.portMin + 1 (${portMin + 1}), got ${portMax}`);
  }
  if (config.answer.fallbackUrl !== null && config.answer.answerUrl === null) {
    errors.push('answer.fallbackUrl: set without answer.answerUrl');
  }
  if (config.storage.driver === 'postgres' && config.storage.url === null) {
    errors.push('storage.url: required with storage.driver postgres (set STREAMFORK_STORAGE_URL)');
  }
  const targets = parseTargetPolicy({
    allowed: config.http.allowedTargets,
    denied: config.http.deniedTargets,
  });
  if (!targets.ok) {
    errors.push(...targets.errors);
  }
  return errors;
}

/** Loads, merges, validates and freezes the configuration. Never throws. */
export function loadConfig(options: LoadConfigOptions = {}): LoadConfigResult {
  const env = options.env ?? process.env;
  const errors: string[] = [];
  let merged: unknown = merge({}, options.defaults ?? {});

  const file = options.file ?? env['STREAMFORK_CONFIG'];
  if (file !== undefined && file !== '') {
    const layer = readFileLayer(file);
    if (layer.ok) {
      merged = merge(merged, layer.value);
    } else {
      errors.push(layer.error);
    }
  }
  const fromEnv = envLayer(env);
  errors.push(...fromEnv.unknown.map((name) => `unknown environment variable ${name}`));
  merged = merge(merged, fromEnv.values);
  merged = merge(merged, options.overrides ?? {});

  const withDefaults = applyDefaults(ConfigSchema, merged);
  if (!Value.Check(ConfigSchema, withDefaults)) {
    const found = formatErrors(
      ConfigSchema,
      withDefaults,
      collectErrors(ConfigSchema, withDefaults),
      fromEnv.sources,
    );
    errors.push(...(found.length > 0 ? found : ['configuration is invalid']));
    return { ok: false, code: 'ERR_CONFIG_INVALID', errors };
  }
  const config = withDefaults as Config;
  errors.push(...crossKeyErrors(config));
  if (errors.length > 0) {
    return { ok: false, code: 'ERR_CONFIG_INVALID', errors };
  }
  return { ok: true, config: deepFreeze(config) };
}

/** `loadConfig`, throwing `ServerError(ERR_CONFIG_INVALID)` with every problem in the message. */
export function loadConfigOrThrow(options: LoadConfigOptions = {}): Config {
  const result = loadConfig(options);
  if (!result.ok) {
    throw new ServerError('ERR_CONFIG_INVALID', `invalid configuration:\n  ${result.errors.join('\n  ')}`);
  }
  return result.config;
}

/**
 * A valid config for tests: defaults, no environment, no file, a fixed auth token, plus `overrides`.
 * Throws on invalid overrides (a bug in the test).
 */
export function configForTesting(overrides: DeepPartial<Config> = {}): Config {
  const base: DeepPartial<Config> = { auth: { authToken: 'test-auth-token' }, storage: { driver: 'memory' } };
  return loadConfigOrThrow({ env: {}, overrides: merge(base, overrides) as DeepPartial<Config> });
}
