/**
 * Plivo XML: parse + validate a typical ~1 KB answer document (target: under 50 µs per document),
 * plus building one with the typed builder. Run: node --import tsx test/bench/run.ts xml
 */
import { readFileSync } from 'node:fs';

import { SaxesParser } from 'saxes';

import { Response } from '../../src/protocol/plivo-xml/builder.js';
import { parsePlivoXml } from '../../src/protocol/plivo-xml/parse.js';
import { bench, formatRow } from './bench-util.js';

const typical = readFileSync(
  new URL('../vectors/plivo-xml/good/typical-answer.xml', import.meta.url),
  'utf8',
);
const minimal = '<Response><Stream keepCallAlive="true">wss://app.example.com/ws</Stream></Response>';

function build(): string {
  const r = new Response();
  r.addSpeak('Hello, thanks for calling.');
  r.addStream('wss://app.example.com/ws?session=abc&lang=en', {
    bidirectional: true,
    keepCallAlive: true,
    contentType: 'audio/x-mulaw;rate=8000',
    statusCallbackUrl: 'https://app.example.com/stream-status',
  });
  const g = r.addGetDigits({ action: 'https://app.example.com/digits', numDigits: 4 });
  g.addSpeak('Please enter your PIN.');
  r.addHangup();
  return r.toXML();
}

export async function run(): Promise<string> {
  await Promise.resolve();
  if (!parsePlivoXml(typical).ok) {
    throw new Error('the typical document must parse');
  }
  let sink = 0;
  const rows = [
    formatRow(
      bench('parsePlivoXml, typical answer document', () => {
        sink += parsePlivoXml(typical).ok ? 1 : 0;
      }),
      `${typical.length} bytes, 9 elements`,
    ),
    formatRow(
      bench('for scale: saxes alone on the same document (no validation)', () => {
        const p = new SaxesParser({ xmlns: false, position: true });
        p.on('opentag', () => {
          sink += 1;
        });
        p.write(typical).close();
      }),
      'the tokenizer parsePlivoXml runs on',
    ),
    formatRow(
      bench('parsePlivoXml, one-line Stream document', () => {
        sink += parsePlivoXml(minimal).ok ? 1 : 0;
      }),
      `${minimal.length} bytes`,
    ),
    formatRow(
      bench('Response builder + toXML()', () => {
        sink += build().length;
      }),
      '5 elements',
    ),
  ];
  return [
    '## Plivo XML',
    '',
    '| Benchmark | Time per op | Ops/s | Notes |',
    '|---|---|---|---|',
    ...rows,
    '',
    `(checksum ${sink > 0 ? 'ok' : 'none'})`,
    '',
  ].join('\n');
}
