import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  hangupCauseCatalog,
  hangupCauseCodeOf,
  hangupSourceCatalog,
  hangupSourceName,
  renderHangupCausesDoc,
} from './hangup-causes.js';

const SRC = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Literals the scan meets that are not causes: hangup sources (LegHangup['source'], and the record's
 * `Error` source name), and the SIP client event type compared inside a #fail() argument.
 */
const SOURCES = new Set([...Object.keys(hangupSourceCatalog), 'Error', 'timeout']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      return sourceFiles(path);
    }
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Every cause literal the code can put on a call: arguments of hangup()/sendBye()/#fail(), `cause:` and
 * `cause =` values, causes.ts's SIP status mapping, and the cause constants.
 */
function causesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (cause: string, file: string): void => {
    if (!SOURCES.has(cause) && !found.has(cause)) {
      found.set(cause, file.slice(SRC.length));
    }
  };
  const literals = (text: string): string[] => [...text.matchAll(/'([^'\n]+)'/g)].map((m) => m[1] ?? '');
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\.hangup|sendBye|#fail|callerHangup)\(([^)]*)\)/g)) {
      for (const c of literals(m[1] ?? '')) {
        add(c, file);
      }
    }
    for (const m of text.matchAll(/\bcause(?::| =) ('[^'\n]+'(?: : '[^'\n]+')?)/g)) {
      for (const c of literals(m[1] ?? '')) {
        add(c, file);
      }
    }
    for (const m of text.matchAll(/_CAUSES?\b[^=\n]*= (\{[^}]*\}|'[^'\n]+')/g)) {
      for (const c of literals(m[1] ?? '')) {
        add(c, file);
      }
    }
    if (file.endsWith(join('app', 'sip', 'causes.ts'))) {
      for (const m of text.matchAll(/return (?:status >= 500 \? )?('[A-Z_]+')(?: : ('[A-Z_]+'))?/g)) {
        for (const c of literals(`${m[1] ?? ''} ${m[2] ?? ''}`)) {
          add(c, file);
        }
      }
    }
    if (file.endsWith(join('interpreter', 'interpreter.ts'))) {
      const block = /HangupCauses = \{([^}]*)\}/.exec(text)?.[1] ?? '';
      for (const c of literals(block)) {
        add(c, file);
      }
    }
  }
  return found;
}

test('issue 11: every hangup cause the code can record has a code in the catalogue', () => {
  const causes = causesInSource();
  // The scan must see the causes it is meant to see, or it proves nothing.
  for (const known of [
    'NORMAL_CLEARING',
    'Invalid Answer XML',
    'USER_BUSY',
    'MEDIA_TIMEOUT',
    'Server Restart',
  ]) {
    assert.ok(causes.has(known), `the scan missed ${known}`);
  }
  const missing = [...causes].filter(([cause]) => hangupCauseCodeOf(cause) === null);
  assert.deepEqual(missing, [], 'causes without a code (cause, file)');
});

test('Plivo hangup-cause table: codes of the documented causes', () => {
  const codes = Object.fromEntries([...hangupCauseCatalog].map(([cause, e]) => [cause, e.code]));
  assert.equal(codes['Normal Hangup'], 4000);
  assert.equal(codes['End Of XML Instructions'], 4010);
  assert.equal(codes['USER_BUSY'], 3010);
  assert.equal(codes['NO_ANSWER'], 3000);
  assert.equal(codes['Invalid Answer XML'], 8011);
  assert.equal(codes['Answer URL Unreachable'], 7011);
  assert.equal(codes['INVALID_NUMBER_FORMAT'], 2000);
  assert.equal(hangupCauseCodeOf('no such cause'), null);
});

test('our own codes stay inside their Plivo category and never reuse a Plivo code', () => {
  const plivoCodes = new Set([...hangupCauseCatalog.values()].filter((e) => !e.own).map((e) => e.code));
  for (const [cause, e] of hangupCauseCatalog) {
    assert.ok(Number.isInteger(e.code) && e.code >= 0 && e.code < 10_000, cause);
    if (e.own) {
      assert.ok(!plivoCodes.has(e.code), `${cause}: own code ${e.code} is also a Plivo code`);
    }
  }
});

test('docs/hangup-causes.md matches the catalogue (run `npm run gen:docs` after changing it)', () => {
  const committed = readFileSync(new URL('../../../docs/hangup-causes.md', import.meta.url), 'utf8');
  assert.equal(committed, renderHangupCausesDoc());
});

test('the hangup source name is a pure mapping of the typed source: <Hangup> and a server hangup differ whatever the cause', () => {
  assert.equal(hangupSourceName('xml-hangup'), 'Answer XML');
  assert.equal(hangupSourceName('server'), 'Plivo');
  assert.equal(hangupSourceName('xml-end'), 'Plivo');
  assert.equal(hangupSourceName('api'), 'API Request');
  assert.equal(hangupSourceName('caller'), 'Caller');
  assert.equal(hangupSourceName('callee'), 'Call recipient');
  assert.equal(hangupSourceName('error'), 'Error');
  assert.match(renderHangupCausesDoc(), /## Hangup sources[\s\S]*\| `xml-hangup` \| `Answer XML` \|/);
});
