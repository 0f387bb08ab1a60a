/**
 * The published report's figures (restated, with where each is tested, in docs/published-claims.md), kept as
 * data so every table can print them beside our measurements. They are claims to test, not
 * truths: its memory columns were computed from formulas ((1 − selectivity) × 100, and tuples ×
 * fields × 8 bytes), not measured.
 */
export const PUBLISHED = {
  queryPatterns: {
    high: { rows: 10_000, selectivity: 0.01, materializedNs: 2_265_860, streamingNs: 1_371_150, speedup: 1.65, memoryReduction: 0.99 },
    medium: { rows: 10_000, selectivity: 0.1, materializedNs: 2_347_020, streamingNs: 1_372_540, speedup: 1.71, memoryReduction: 0.9 },
    low: { rows: 10_000, selectivity: 0.5, materializedNs: 3_191_160, streamingNs: 1_363_220, speedup: 2.34, memoryReduction: 0.5 },
    complex: { rows: 5_000, selectivity: 0.05, materializedNs: 1_115_320, streamingNs: 665_610, speedup: 1.68, memoryReduction: 0.95 },
    multiple: { rows: 10_000, selectivity: 0.2, materializedNs: 2_719_480, streamingNs: 1_371_310, speedup: 1.98, memoryReduction: 0.8 },
  },
  composition: { materializedNs: 1_328_673, composedNs: 306_383, speedup: 4.34 },
  memory: {
    aggressive: { input: 100_000, output: 100, materializedKB: 7_812, streamingKB: 7, reduction: 0.999 },
    moderate: { input: 10_000, output: 1_000, materializedKB: 781, streamingKB: 78, reduction: 0.9 },
    'projection-only': { input: 5_000, output: 5_000, materializedKB: 390, streamingKB: 390, reduction: 0 },
  },
  symmetricJoin: { symmetricNs: 347_000, standardNs: 254_000, ratio: 347 / 254 },
  ohlc: { before: '19.6 GB', after: '< 1 GB (planned, never measured)' },
} as const;
