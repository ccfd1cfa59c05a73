/**
 * Renders docs/xml.md from the element specs and the xml error codes, so the reference cannot drift
 * from what the parser and builder do (scripts/gen-xml-docs.ts writes it; docs.test.ts checks it).
 */
import { xmlCodes } from '../../errors/codes/xml.js';
import { ELEMENT_SPECS, MAX_DOCUMENT_BYTES, UNSUPPORTED_ELEMENTS } from './spec/index.js';
import { MAX_DURATION_SEC, type AttributeSpec, type ElementSpec } from './spec/types.js';

const WARNING_CODES: ReadonlySet<string> = new Set([
  'ERR_XML_UNKNOWN_ATTRIBUTE',
  'ERR_XML_LEGACY_VALUE',
  'ERR_XML_ATTRIBUTE_IGNORED',
]);

/** Escapes text for a Markdown table cell; `<` outside code spans would read as HTML. */
function cell(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replace(/</g, '&lt;') : part))
    .join('`')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
}

function code(text: string): string {
  return `\`${text}\``;
}

function typeOf(attr: AttributeSpec): string {
  switch (attr.type) {
    case 'boolean': {
      return 'boolean';
    }
    case 'integer': {
      return 'integer';
    }
    case 'enum': {
      return 'enum';
    }
    case 'url': {
      return `URL (${attr.schemes.join(', ')})`;
    }
    case 'string': {
      return 'string';
    }
  }
}

function allowed(attr: AttributeSpec): string {
  switch (attr.type) {
    case 'boolean': {
      return '`true`, `false` (any case)';
    }
    case 'integer': {
      if (attr.max !== undefined) {
        return `${attr.min ?? 0} to ${attr.max}`;
      }
      return attr.min === undefined ? 'any' : `≥ ${attr.min}`;
    }
    case 'enum': {
      const values = attr.values.map(code).join(', ');
      const legacy = Object.keys(attr.legacyAliases ?? {}).map((v) => `${code(v)} (legacy, warns)`);
      const extra = attr.caseInsensitive === true ? ' (any case)' : '';
      return [values + extra, ...legacy].join('; ');
    }
    case 'url': {
      return `absolute ${attr.schemes.join('/')} URL`;
    }
    case 'string': {
      const parts = [
        attr.patternDoc,
        attr.maxBytes === undefined ? undefined : `at most ${attr.maxBytes} bytes`,
      ];
      return parts.filter((p) => p !== undefined).join('; ') || 'any text';
    }
  }
}

function renderElement(spec: ElementSpec): string {
  const lines = [`## \`<${spec.name}>\``, '', cell(spec.doc), ''];
  if (spec.body !== undefined) {
    const req = spec.body.required ? 'required' : 'optional';
    lines.push(
      `**Text content** (${req}, typed field ${code(spec.body.field)}): ${cell(spec.body.value.doc)} ` +
        `Allowed: ${cell(allowed(spec.body.value))}.`,
      '',
    );
  } else {
    lines.push('**Text content:** none (only whitespace).', '');
  }
  const children = spec.children.map((c) => `\`<${c}>\``);
  if (spec.ssmlChildren === true) {
    children.push('SSML markup (passed through)');
  }
  lines.push(`**Children:** ${children.length === 0 ? 'none' : children.join(', ')}.`, '');
  const attrs = Object.entries(spec.attributes);
  if (attrs.length === 0) {
    lines.push('**Attributes:** none.', '');
    return lines.join('\n');
  }
  lines.push(
    '| Attribute | Type | Default | Allowed values | Unit | Typed field | Description |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [name, attr] of attrs) {
    const def = attr.default === undefined ? '(none)' : code(String(attr.default));
    const unit = attr.type === 'integer' ? (attr.unit ?? '') : '';
    lines.push(
      `| ${code(name)} | ${typeOf(attr)} | ${cell(def)} | ${cell(allowed(attr))} | ${unit} | ` +
        `${code(attr.field ?? name)} | ${cell(attr.doc)} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** The full text of docs/xml.md. */
export function renderXmlDocs(): string {
  const parts = [
    '# Plivo XML reference',
    '',
    '<!-- Generated from src/protocol/plivo-xml/spec by scripts/gen-xml-docs.ts. Do not edit by hand. -->',
    '',
    'The elements streamfork runs, their attributes, and how `parsePlivoXml` checks them. Attribute and',
    'element names are case-sensitive. Values are checked as follows:',
    '',
    '- **boolean**: `true` or `false` in any letter case, surrounding spaces ignored; anything else is an error.',
    '- **integer**: decimal digits with an optional sign; decimals and words are errors, then the range is checked.',
    `- **Durations** (every attribute in seconds or milliseconds) are at most ${MAX_DURATION_SEC} s (24 h, when Plivo`,
    '  cuts any call); a longer value is an `ERR_XML_OUT_OF_RANGE` error naming the attribute and its range.',
    '- **URL**: an absolute URL with one of the listed schemes, after trimming.',
    '- **Text content** is trimmed and XML-unescaped before it is checked.',
    '- Unknown attributes are **warnings** (ignored); every other problem is an **error**, and a document',
    '  with errors is not run at all (decision D9). All errors are reported, each with its code, element',
    '  path (e.g. `Response/Stream[1]`) and line:column.',
    `- Documents over ${MAX_DOCUMENT_BYTES / 1024} KB are refused before parsing; a DOCTYPE is an error, so no`,
    '  entity is ever expanded and nothing external is fetched.',
    '',
    `Plivo elements this server does not run (an error): ${[...UNSUPPORTED_ELEMENTS].map((e) => `\`<${e}>\``).join(', ')}.`,
    '',
    ...ELEMENT_SPECS.map(renderElement),
    '## Error and warning codes',
    '',
    '| Code | Severity | Meaning |',
    '|---|---|---|',
    ...Object.entries(xmlCodes).map(
      ([name, entry]) =>
        `| ${code(name)} | ${WARNING_CODES.has(name) ? 'warning' : 'error'} | ${cell(entry.message)} |`,
    ),
    '',
  ];
  return parts.join('\n');
}
