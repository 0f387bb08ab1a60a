/**
 * Descriptive statistics for timing samples. Everything here is deterministic: the same samples
 * give the same numbers (reports are rendered byte for byte from results files).
 */

/** Sorted copy. */
export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** The median (mean of the two middle values for an even count); NaN for no samples. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Arithmetic mean. */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The q-quantile (0..1) by linear interpolation between order statistics. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs), pos = (s.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Standard normal quantile for the common two-sided confidence levels. */
function zFor(confidence: number): number {
  const table: Record<string, number> = { '0.9': 1.6449, '0.95': 1.96, '0.99': 2.5758 };
  const z = table[String(confidence)];
  if (z === undefined) throw new Error(`unsupported confidence level ${confidence}; use 0.9, 0.95 or 0.99`);
  return z;
}

/**
 * Distribution-free confidence interval for the median, from order statistics: the ranks
 * n/2 ∓ z·√n/2 (the normal approximation to the binomial). No assumption about the shape of the
 * timing distribution, which is skewed and often multi-modal. With fewer than 6 samples it is the
 * full range.
 */
export function medianCI(xs: readonly number[], confidence = 0.95): [number, number] {
  const s = sorted(xs), n = s.length;
  if (n === 0) return [NaN, NaN];
  if (n < 6) return [s[0]!, s[n - 1]!];
  const half = (zFor(confidence) * Math.sqrt(n)) / 2;
  const lo = Math.max(0, Math.floor(n / 2 - half) - 1);
  const hi = Math.min(n - 1, Math.ceil(n / 2 + half) - 1);
  return [s[lo]!, s[hi]!];
}

/** A small seeded PRNG (mulberry32) for resampling, so bootstrap intervals and calibration draws are reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Confidence interval for the ratio of medians `median(a) / median(b)` by a seeded percentile
 * bootstrap (2,000 resamples). Used for speedups: a ratio of two skewed distributions has no
 * convenient closed form.
 */
export function ratioCI(a: readonly number[], b: readonly number[], confidence = 0.95, seed = 1): [number, number] {
  if (a.length === 0 || b.length === 0) return [NaN, NaN];
  const r = prng(seed), reps = 2000, ratios: number[] = new Array(reps);
  const pick = (xs: readonly number[]) => {
    const out = new Array<number>(xs.length);
    for (let i = 0; i < xs.length; i++) out[i] = xs[(r() * xs.length) | 0]!;
    return out;
  };
  for (let i = 0; i < reps; i++) ratios[i] = median(pick(a)) / median(pick(b));
  const tail = (1 - confidence) / 2;
  return [quantile(ratios, tail), quantile(ratios, 1 - tail)];
}

/** Summary of one case's timing samples (nanoseconds). */
export interface TimeSummary {
  n: number;
  medianNs: number;
  ci95Ns: [number, number];
  meanNs: number;
  minNs: number;
  maxNs: number;
  /** Relative spread: (q3 − q1) / median. */
  iqrRel: number;
  /**
   * Present when the samples came from group passes (no time pass of their own): the isolate
   * groups pooled. `medianNs` is then the random-effects estimate over the isolates' median
   * times and `ci95Ns` its Hartung–Knapp interval, which widens when isolates disagree (see
   * paired.ts `pooledTime`); absent, both are of one process's benchmark.js samples.
   */
  isolates?: number;
}

export function summarize(samplesNs: readonly number[]): TimeSummary {
  const m = median(samplesNs);
  return {
    n: samplesNs.length,
    medianNs: m,
    ci95Ns: medianCI(samplesNs),
    meanNs: mean(samplesNs),
    minNs: Math.min(...samplesNs),
    maxNs: Math.max(...samplesNs),
    iqrRel: (quantile(samplesNs, 0.75) - quantile(samplesNs, 0.25)) / m,
  };
}
