/**
 * The Mann–Whitney U test (Wilcoxon rank-sum): does one sample tend to be larger than the other?
 * Distribution-free, so it suits timing samples (skewed, often multi-modal) where a t-test does not.
 *
 * - U for sample `a` is R_a − n_a(n_a + 1)/2, with R_a the sum of a's ranks in the pooled sample
 *   (ties get their mid-rank). U_a + U_b = n_a · n_b.
 * - The two-sided p-value is exact (the permutation distribution of U, counted by dynamic
 *   programming) when both samples have at most 25 values and there are no ties; otherwise the
 *   normal approximation with tie correction and continuity correction.
 */
export interface MannWhitney {
  /** U for the first sample. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/** Count of arrangements with each U value, for sizes m and n (no ties): counts[u]. */
function exactCounts(m: number, n: number): number[] {
  // f[i][j] is the U-distribution for sizes i and j; built row by row with the recurrence
  // f(i, j, u) = f(i − 1, j, u − j) + f(i, j − 1, u).
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const max = i * j;
      const row = new Array<number>(max + 1).fill(0);
      const a = prev[j]!, b = cur[j - 1]!;
      for (let u = 0; u <= max; u++) row[u] = (u - j >= 0 ? (a[u - j] ?? 0) : 0) + (b[u] ?? 0);
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n]!;
}

/** The U test of `a` against `b` (two-sided). */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney {
  const n1 = a.length, n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, p: 1, method: 'normal' };
  const pooled = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(pooled.length);
  let tieTerm = 0, ties = false;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const t = j - i + 1;
    if (t > 1) {
      ties = true;
      tieTerm += t * t * t - t;
    }
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let r1 = 0;
  pooled.forEach((x, i) => {
    if (x.g === 0) r1 += ranks[i]!;
  });
  const u = r1 - (n1 * (n1 + 1)) / 2;
  if (!ties && n1 <= 25 && n2 <= 25) {
    const counts = exactCounts(n1, n2);
    const total = counts.reduce((s, c) => s + c, 0);
    let le = 0, ge = 0;
    counts.forEach((c, k) => {
      if (k <= u) le += c;
      if (k >= u) ge += c;
    });
    return { u, p: Math.min(1, (2 * Math.min(le, ge)) / total), method: 'exact' };
  }
  const n = n1 + n2, mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1, method: 'normal' };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), method: 'normal' };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Holm's step-down correction: adjusted p-values that control the family-wise error rate across
 * many comparisons (less conservative than Bonferroni, never less valid). Order is preserved.
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
