/**
 * What the G.722 encoder and decoder share: one sub-band's ADPCM state as an `Int32Array` (the hot
 * loops in g722-encode.ts and g722-decode.ts copy it into locals for a whole frame and write it back at
 * the end), and tables derived once from the Recommendation's (tables.ts) so the loops do one lookup
 * where the block diagram has two steps.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Table reads are in bounds by construction. */
import {
  ANTILOG,
  HIGH_LOG_MAX,
  LOW_CLASS,
  LOW_CODE_NEGATIVE,
  LOW_CODE_POSITIVE,
  LOW_LOG_MAX,
  LOW_LOG_STEP,
  LOW_THRESHOLDS,
} from './tables.js';

/**
 * Slots of a sub-band state, in this order: predicted signal s, zero part sz, log scale factor ∇ (nb),
 * linear scale factor Δ (det), pole coefficients a1 a2 (Q14), reconstructed signal r(n-1),
 * partially reconstructed p(n-1) p(n-2), zero coefficients b1..b6 (Q14), quantised differences
 * d(n-1)..d(n-6).
 */
export const BAND_SLOTS = 21;
const DET = 3;

/** Initial linear scale factors (the value of SCALEL / SCALEH at ∇ = 0). */
export const LOW_INITIAL_DET = 32;
export const HIGH_INITIAL_DET = 8;

/** A fresh sub-band state. */
export function newBand(initialDet: number): Int32Array {
  const band = new Int32Array(BAND_SLOTS);
  band[DET] = initialDet;
  return band;
}

/** Back to the initial state. */
export function resetBand(band: Int32Array, initialDet: number): void {
  band.fill(0);
  band[DET] = initialDet;
}

/**
 * Linear scale factor from the log one (blocks SCALEL / SCALEH): 2^(nb / 2048) in the band's units,
 * `base` 8 for the low band and 10 for the high band. It depends on nb >> 6 only.
 */
function scaleFactor(nb: number, base: number): number {
  const mantissa = ANTILOG[(nb >> 6) & 31]!;
  const shift = base - (nb >> 11);
  return (shift < 0 ? mantissa << -shift : mantissa >> shift) << 2;
}

/** Low band Δ by ∇ >> 6 (∇ in 0..LOW_LOG_MAX). */
export const LOW_DET = Int32Array.from({ length: (LOW_LOG_MAX >> 6) + 1 }, (_, i) => scaleFactor(i << 6, 8));
/** High band Δ by ∇ >> 6 (∇ in 0..HIGH_LOG_MAX). */
export const HIGH_DET = Int32Array.from({ length: (HIGH_LOG_MAX >> 6) + 1 }, (_, i) =>
  scaleFactor(i << 6, 10),
);
/** Low band ∇ increment by the top four bits of the code (LOW_CLASS then LOW_LOG_STEP). */
export const LOW_LOG_STEP4 = Int32Array.from(LOW_CLASS, (c) => LOW_LOG_STEP[c]!);

/** The largest quotient LOW_INTERVAL tells apart: one past the top decision level. */
export const LOW_INTERVAL_MAX = LOW_THRESHOLDS[29]! + 1;

/**
 * Low band quantiser by quotient: for u = ⌈(|e| + 1)·4096 / Δ⌉ (u ≤ LOW_INTERVAL_MAX), the smallest
 * magnitude interval m in 1..29 whose level Q6[m] is at least u, else 30. Same answer as searching
 * for the first m with |e| < (Q6[m]·Δ) >> 12.
 */
export const LOW_INTERVAL = Uint8Array.from({ length: LOW_INTERVAL_MAX + 1 }, (_, u) => {
  let m = 1;
  while (m < 30 && LOW_THRESHOLDS[m]! < u) {
    m++;
  }
  return m;
});

/** Low band code by interval m (1..30) plus 32 for a negative difference (Table 6, both signs). */
export const LOW_CODE_SIGNED = Int32Array.from({ length: 64 }, (_, i) =>
  i < 32 ? (LOW_CODE_POSITIVE[i] ?? 0) : (LOW_CODE_NEGATIVE[i - 32] ?? 0),
);

/** sat16(v + v): the doubled, int16-limited operand of FILTEP and FILTEZ. */
export function dbl(v: number): number {
  const w = v + v;
  return w > 32767 ? 32767 : w < -32768 ? -32768 : w;
}

/** Limits to int16. */
export function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}
