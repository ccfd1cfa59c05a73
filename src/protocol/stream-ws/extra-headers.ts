/**
 * The `extra_headers` string sent on `start`, `media` and `dtmf` (compatibility §4.1, D4).
 */

/** How `extraHeaders` from the XML/REST request is put on the wire (D4). */
export type ExtraHeadersMode = 'semicolon' | 'verbatim';

/**
 * D4: the `k=v` pairs of the XML/REST `extraHeaders` attribute (`a=1,b=2`), re-joined with `;` in their
 * original order (mode `semicolon`, the default), or the attribute passed through unchanged (mode
 * `verbatim`). Pairs are split on `,` (and on `;`, so an already semicolon-joined value is kept as is);
 * whitespace around a pair and empty pairs are dropped. Returns `""` when there is nothing to send.
 */
export function extraHeadersWire(raw: string | undefined, mode: ExtraHeadersMode): string {
  if (raw === undefined || raw === '') {
    return '';
  }
  if (mode === 'verbatim') {
    return raw;
  }
  const pairs: string[] = [];
  for (const piece of raw.split(/[,;]/)) {
    const pair = piece.trim();
    if (pair !== '') {
      pairs.push(pair);
    }
  }
  return pairs.join(';');
}
