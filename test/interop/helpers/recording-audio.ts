/**
 * Judges whether a recording holds a known signal when the sender may have slipped: sipp's
 * `rtp_stream` on a loaded machine pauses now and then and resumes where it was, so the rest of its
 * audio is late by the pause and one lag cannot align the whole file. Each loud segment of the
 * reference is aligned on its own, near the global lag; the signal is there when most segments match.
 */
import { alignedCorrelation, rms } from '../../../src/media/analysis.js';

export interface SegmentMatch {
  /** Loud segments of the reference whose best correlation in the recording is >= `threshold`. */
  readonly matched: number;
  /** Loud segments compared. */
  readonly segments: number;
  /** The global alignment (one lag for the whole file), for the diagnostics. */
  readonly globalCorrelation: number;
  readonly globalLag: number;
  /** Each segment's best correlation, in order. */
  readonly correlations: readonly number[];
}

export function segmentMatch(
  reference: Int16Array,
  recording: Int16Array,
  opts: { maxLagSamples: number; segmentSamples?: number; marginSamples?: number; threshold?: number },
): SegmentMatch {
  const size = opts.segmentSamples ?? 4000;
  const margin = opts.marginSamples ?? 2400;
  const threshold = opts.threshold ?? 0.9;
  const global = alignedCorrelation(reference, recording, opts.maxLagSamples);
  const correlations: number[] = [];
  for (let at = 0; at + size <= reference.length; at += size) {
    const segment = reference.subarray(at, at + size);
    if (rms(segment) < 500) {
      continue;
    }
    const from = Math.max(0, at + global.lagSamples - margin);
    const to = Math.min(recording.length, at + global.lagSamples + size + margin);
    if (to - from < size) {
      correlations.push(0);
      continue;
    }
    correlations.push(alignedCorrelation(segment, recording.subarray(from, to), 2 * margin).correlation);
  }
  return {
    matched: correlations.filter((c) => c >= threshold).length,
    segments: correlations.length,
    globalCorrelation: global.correlation,
    globalLag: global.lagSamples,
    correlations,
  };
}

/** One line for `t.diagnostic`. */
export function describeMatch(name: string, m: SegmentMatch): string {
  return `${name}: ${m.matched}/${m.segments} segments >= threshold (global ${m.globalCorrelation.toFixed(3)} at lag ${m.globalLag}; ${m.correlations.map((c) => c.toFixed(2)).join(' ')})`;
}
