/**
 * Offsets to 1-based line and column, for messages. A line ends at LF, CR LF or a lone CR (XML 1.0
 * §2.11 end-of-line handling); columns count UTF-16 code units from 1.
 */
import type { SourcePosition } from './types.js';

/** Converts offsets in one source text to positions; the line table is built on first use. */
export class SourceMap {
  readonly #source: string;
  #lineStarts: number[] | undefined;

  constructor(source: string) {
    this.#source = source;
  }

  /** The position of `offset` (clamped to the text). */
  at(offset: number): SourcePosition {
    const starts = this.#lineStarts ?? this.#build();
    const clamped = Math.max(0, Math.min(offset, this.#source.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= clamped) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return { line: lo + 1, column: clamped - (starts[lo] ?? 0) + 1, offset: clamped };
  }

  #build(): number[] {
    const text = this.#source;
    const starts = [0];
    if (!text.includes('\r')) {
      let i = text.indexOf('\n');
      while (i !== -1) {
        starts.push(i + 1);
        i = text.indexOf('\n', i + 1);
      }
    } else {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
          starts.push(i + 1);
        }
      }
    }
    this.#lineStarts = starts;
    return starts;
  }
}
