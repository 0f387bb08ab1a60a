/**
 * The Wilcoxon signed-rank test: are paired differences centred on zero? The paired counterpart of
 * the Mann–Whitney U test (harness/stats/mann-whitney.ts), and as distribution-free: it ranks the
 * differences' sizes and sums the ranks of the positive ones.
 *
 * - Zero differences are dropped (Wilcoxon's convention); tied sizes get their mid-rank.
 * - W+ is the sum of the ranks of the positive differences; W+ + W− = n(n + 1)/2.
 * - The two-sided p-value is exact (the 2^n equally likely sign patterns, counted by dynamic
 *   programming) when n ≤ 30 and there are no tied sizes; otherwise the normal approximation with
 *   tie correction and continuity correction.
 */
import { normalCdf } from './mann-whitney.js';

export interface SignedRank {
  /** Sum of the ranks of the positive differences. */
  wPlus: number;
  /** Non-zero differences used. */
  n: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'normal';
}

/** counts[w] = sign patterns of ranks 1..n whose positive ranks sum to w. */
function exactCounts(n: number): number[] {
  const max = (n * (n + 1)) / 2;
  let counts = new Array<number>(max + 1).fill(0);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) {
    const next = counts.slice();
    for (let w = r; w <= max; w++) next[w]! += counts[w - r]!;
    counts = next;
  }
  return counts;
}

/** The signed-rank test of `diffs` against a centre of zero (two-sided). */
export function signedRank(diffs: readonly number[]): SignedRank {
  const xs = diffs.filter((d) => d !== 0 && Number.isFinite(d)).map((d) => ({ size: Math.abs(d), positive: d > 0 })).sort((a, b) => a.size - b.size);
  const n = xs.length;
  if (n === 0) return { wPlus: 0, n: 0, p: 1, method: 'exact' };
  let wPlus = 0, tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && xs[j + 1]!.size === xs[i]!.size) j++;
    const t = j - i + 1;
    if (t > 1) tieTerm += t * t * t - t;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (xs[k]!.positive) wPlus += rank;
    i = j + 1;
  }
  if (tieTerm === 0 && n <= 30) {
    const counts = exactCounts(n);
    const total = 2 ** n;
    let le = 0, ge = 0;
    counts.forEach((c, w) => {
      if (w <= wPlus) le += c;
      if (w >= wPlus) ge += c;
    });
    return { wPlus, n, p: Math.min(1, (2 * Math.min(le, ge)) / total), method: 'exact' };
  }
  const mu = (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  if (sigma === 0) return { wPlus, n, p: 1, method: 'normal' };
  const z = (Math.abs(wPlus - mu) - 0.5) / sigma;
  return { wPlus, n, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), method: 'normal' };
}
