/**
 * Renders `docs/config.md` and `.env.example` from the config schema (pure; the script
 * `scripts/gen-config-docs.ts` writes the files and `docs.test.ts` fails when they are stale).
 */
import type { TSchema } from 'typebox';

import { describeSchema } from './messages.js';
import { ConfigSchema, envNameFor, nullableObjectBranch, objectProperties, RESERVED_ENV } from './schema.js';

interface Row {
  readonly path: readonly string[];
  readonly schema: TSchema;
  /** Null-able objects have no variable of their own: their keys do. */
  readonly hasEnv: boolean;
}

interface Annotated {
  description?: string;
  unit?: string;
  default?: unknown;
}

function notes(schema: TSchema): Annotated {
  return schema;
}

function rowsOf(schema: TSchema, path: readonly string[]): Row[] {
  const branch = nullableObjectBranch(schema);
  if (branch === undefined) {
    return [{ path, schema, hasEnv: true }];
  }
  const rows: Row[] = [{ path, schema, hasEnv: false }];
  for (const [key, sub] of Object.entries(objectProperties(branch) ?? {})) {
    rows.push(...rowsOf(sub, [...path, key]));
  }
  return rows;
}

function sections(): { name: string; schema: TSchema; rows: Row[] }[] {
  return Object.entries(objectProperties(ConfigSchema) ?? {}).map(([name, schema]) => ({
    name,
    schema,
    rows: Object.entries(objectProperties(schema) ?? {}).flatMap(([key, sub]) => rowsOf(sub, [name, key])),
  }));
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function defaultText(schema: TSchema): string {
  const d = notes(schema).default;
  return d === undefined ? '*required*' : `\`${JSON.stringify(d)}\``;
}

/** The Markdown reference of every key. */
export function renderConfigMarkdown(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by scripts/gen-config-docs.ts; do not edit by hand. -->',
    '',
    'streamfork reads, lowest precedence first: the defaults below, a JSON config file (`--config <file>` or',
    '`STREAMFORK_CONFIG`), `STREAMFORK_*` environment variables, then command-line overrides. Objects merge',
    'key by key; arrays and `null` replace. Unknown keys and unknown `STREAMFORK_*` variables are errors.',
    '',
    "Environment values are coerced to the key's type: integers and booleans (`true/false/1/0/yes/no`) as",
    'text, lists comma-separated (or a JSON array), `null`-able keys cleared with an empty value or `null`.',
    'Setting any key of a `null`-able object (e.g. `STREAMFORK_HTTP_TLS_CERT_FILE`) turns that object on.',
    '',
    ...Object.entries(RESERVED_ENV).map(([name, doc]) => `- \`${name}\`: ${doc}`),
    '',
  ];
  for (const section of sections()) {
    out.push(`## \`${section.name}\``, '', notes(section.schema).description ?? '', '');
    out.push(
      '| Key | Type | Default | Unit | Environment variable | Description |',
      '|---|---|---|---|---|---|',
    );
    for (const row of section.rows) {
      const n = notes(row.schema);
      out.push(
        `| \`${row.path.join('.')}\` | ${cell(describeSchema(row.schema))} | ${cell(defaultText(row.schema))} | ${n.unit ?? ''} | ${
          row.hasEnv ? `\`${envNameFor(row.path)}\`` : '(set through its keys)'
        } | ${cell(n.description ?? '')} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

function envText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',');
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An `.env` template: every variable commented out at its default, required ones set to a placeholder. */
export function renderEnvExample(): string {
  const out: string[] = [
    '# streamfork environment variables. Generated from src/config/schema.ts by scripts/gen-config-docs.ts.',
    '# Uncomment a line to override its default. See docs/config.md for the full reference.',
    '',
  ];
  for (const section of sections()) {
    out.push(`# --- ${section.name}: ${notes(section.schema).description ?? ''}`);
    for (const row of section.rows.filter((r) => r.hasEnv)) {
      const n = notes(row.schema);
      const unit = n.unit === undefined ? '' : ` [${n.unit}]`;
      out.push(`# ${row.path.join('.')}${unit}: ${n.description ?? ''}`);
      if (n.default === undefined && row.path.length === 2) {
        out.push(`${envNameFor(row.path)}=change-me`);
      } else {
        out.push(`# ${envNameFor(row.path)}=${envText(n.default)}`);
      }
    }
    out.push('');
  }
  return out.join('\n');
}
