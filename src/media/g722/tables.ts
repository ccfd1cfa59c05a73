/**
 * Constants of ITU-T G.722 (09/2012), 64 kbit/s (mode 1), as numbered in the Recommendation's
 * description of the encoder and decoder blocks. Fixed-point conventions follow the standard: the
 * quantiser tables are in units of the scale factor (Q15 after the multiply), the predictor
 * coefficients in Q14.
 */

/**
 * The 24-tap QMF, h0..h23 (Table 4). Symmetric (h[23 - i] = h[i]); the taps sum to 8192, so the
 * analysis leaves each sub-band at half the input's DC and the synthesis (×2, shift 11) restores it.
 * g722-encode.ts and g722-decode.ts have these taps written out in their unrolled QMF loops.
 */
export const QMF_TAPS: readonly number[] = [
  3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32, -156, 12, 53,
  -11, -11, 3,
];

/**
 * Low band, 6-bit quantiser: lower decision levels of the 30 magnitude intervals (Table 6), index 1..29
 * used as thresholds `(Q6[i] · det) >> 12`; index 0 and 30 are the interval ends.
 */
export const LOW_THRESHOLDS = Int32Array.from([
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
]);

/** Low band: 6-bit code of magnitude interval m (1..30) for a non-negative difference. */
export const LOW_CODE_POSITIVE = Int32Array.from([
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36,
  35, 34, 33, 32,
]);

/** Low band: 6-bit code of magnitude interval m (1..30) for a negative difference. */
export const LOW_CODE_NEGATIVE = Int32Array.from([
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
  6, 5, 4,
]);

/** Low band, 6-bit inverse quantiser (mode 1 output), indexed by the 6-bit code. */
export const LOW_INV6 = Int32Array.from([
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360,
  -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688,
  -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192,
  6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432,
  -136,
]);

/**
 * Low band, 4-bit inverse quantiser, indexed by the code's top four bits: what the predictor and the
 * scale-factor adaptation see (the embedded core every mode shares).
 */
export const LOW_INV4 = Int32Array.from([
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
]);

/** Low band: the 4-bit code's magnitude class (0..7) for the log scale-factor multiplier. */
export const LOW_CLASS = Int32Array.from([0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0]);

/** Low band: log scale-factor increments by magnitude class. */
export const LOW_LOG_STEP = Int32Array.from([-60, -30, 58, 172, 334, 538, 1198, 3042]);

/** Low band: upper limit of the log scale factor. */
export const LOW_LOG_MAX = 18432;

/** High band: threshold between the two magnitude levels, in units of det >> 12. */
export const HIGH_THRESHOLD = 564;

/** High band, 2-bit inverse quantiser, indexed by the code. */
export const HIGH_INV2 = Int32Array.from([-7408, -1616, 7408, 1616]);

/** High band: log scale-factor increment by code (codes 0 and 2 are the outer level). */
export const HIGH_LOG_STEP = Int32Array.from([798, -214, 798, -214]);

/** High band: upper limit of the log scale factor. */
export const HIGH_LOG_MAX = 22528;

/** Antilog table: 2^(i/32) in Q11, i = 0..31 (the mantissa of the linear scale factor). */
export const ANTILOG = Int32Array.from([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960,
  3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);
