import test from 'ava';
import { holm, mannWhitney, normalCdf } from '../../../harness/stats/mann-whitney.js';
import { median, medianCI, quantile, ratioCI } from '../../../harness/stats/descriptive.js';
import { signedRank } from '../../../harness/stats/signed-rank.js';

test('Mann–Whitney U statistic and exact p-values match hand-worked and tabled values', (t) => {
  // Complete separation, 5 vs 5: U = 0, p = 2 / C(10, 5) = 2/252.
  const sep = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
  t.is(sep.u, 0);
  t.is(sep.method, 'exact');
  t.true(Math.abs(sep.p - 2 / 252) < 1e-12);
  t.is(mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).u, 25, 'U_a + U_b = n_a n_b');
  // Published critical values (two-sided alpha = 0.05): n = 8 vs 8: 13; n = 10 vs 10: 23; 20 vs 20: 127.
  for (const [n, crit] of [[8, 13], [10, 23], [20, 127]] as const) {
    // b = 0..n-1; an a-value of k − 0.5 is above exactly k of them, so U_a is the sum of the k's.
    const at = (u: number) => {
      const b = Array.from({ length: n }, (_, j) => j);
      const a: number[] = [];
      let remaining = u;
      for (let i = 0; i < n; i++) {
        const k = Math.min(n, remaining);
        remaining -= k;
        a.push(k - 0.5 + i * 1e-6);
      }
      const r = mannWhitney(a, b);
      if (r.u !== u) throw new Error(`built U=${r.u}, wanted ${u}`);
      return r;
    };
    t.true(at(crit).p <= 0.05, `n=${n}: U=${crit} is significant (p=${at(crit).p})`);
    t.true(at(crit + 1).p > 0.05, `n=${n}: U=${crit + 1} is not (p=${at(crit + 1).p})`);
  }
});

test('large or tied samples use the normal approximation with tie correction', (t) => {
  const a = Array.from({ length: 40 }, (_, i) => i % 7);
  const b = Array.from({ length: 40 }, (_, i) => (i % 7) + 2);
  const r = mannWhitney(a, b);
  t.is(r.method, 'normal');
  t.true(r.p < 0.01, `p = ${r.p}`);
  const same = mannWhitney(a, [...a]);
  t.true(same.p > 0.9);
  t.is(mannWhitney([3, 3, 3], [3, 3, 3]).p, 1);
  t.true(Math.abs(normalCdf(1.96) - 0.975) < 1e-4);
  t.true(Math.abs(normalCdf(-1) - 0.158655) < 1e-5);
});

test('Wilcoxon signed-rank statistic and exact p-values match hand-worked and tabled values', (t) => {
  // All 10 differences positive: W+ = 55, p = 2 / 2^10.
  const all = signedRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.is(all.wPlus, 55);
  t.is(all.method, 'exact');
  t.true(Math.abs(all.p - 2 / 1024) < 1e-12);
  // Hand-worked: diffs 1, -2, 3, 4: ranks 1..4, W+ = 1 + 3 + 4 = 8; W- = 2; P(W <= 2) = 3/16
  // (sign patterns with positive ranks summing to 0, 1 or 2: {}, {1}, {2}), so p = 6/16.
  const small = signedRank([1, -2, 3, 4]);
  t.is(small.wPlus, 8);
  t.true(Math.abs(small.p - 6 / 16) < 1e-12, `p = ${small.p}`);
  t.is(signedRank([0, 0, 1, -2, 3, 4]).n, 4, 'zero differences are dropped');
  t.is(signedRank([0, 0]).p, 1);
  // Published critical values of T = min(W+, W-), two-sided alpha = 0.05.
  const table: [number, number][] = [[6, 0], [8, 3], [10, 8], [12, 13], [15, 25], [20, 52], [25, 89], [30, 137]];
  for (const [n, crit] of table) {
    // Ranks 1..n; the negative ones chosen (largest first) to sum to exactly w.
    const at = (w: number) => {
      let remaining = w;
      const diffs = Array.from({ length: n }, (_, i) => n - i).map((r) => {
        if (r <= remaining) {
          remaining -= r;
          return -r;
        }
        return r;
      });
      const res = signedRank(diffs);
      if (res.wPlus !== (n * (n + 1)) / 2 - w) throw new Error(`built W- = ${(n * (n + 1)) / 2 - res.wPlus}, wanted ${w}`);
      return res;
    };
    t.true(at(crit).p <= 0.05, `n=${n}: T=${crit} is significant (p=${at(crit).p})`);
    t.true(at(crit + 1).p > 0.05, `n=${n}: T=${crit + 1} is not (p=${at(crit + 1).p})`);
  }
});

test('signed-rank: tied or many differences use the normal approximation', (t) => {
  // 40 differences, 30 positive: tied sizes (1..5 repeating) force the normal approximation.
  const diffs = Array.from({ length: 40 }, (_, i) => ((i % 5) + 1) * (i < 30 ? 1 : -1));
  const r = signedRank(diffs);
  t.is(r.method, 'normal');
  // Hand-worked: sizes 1..5 eight times each; mid-ranks 4.5, 12.5, 20.5, 28.5, 36.5; the negatives
  // are i = 30..39, sizes 1..5 twice: W- = 2 (4.5 + 12.5 + 20.5 + 28.5 + 36.5) = 205, W+ = 820 - 205 = 615.
  t.is(r.wPlus, 615);
  // mu = 410; var = 40·41·81/24 - 5·(8^3 - 8)/48 = 5535 - 52.5 = 5482.5; z = (205 - 0.5)/74.04 = 2.762.
  t.true(Math.abs(r.p - 2 * (1 - normalCdf((205 - 0.5) / Math.sqrt(5482.5)))) < 1e-12, `p = ${r.p}`);
  t.true(r.p > 0.004 && r.p < 0.007);
  const big = signedRank(Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1) * (i + 1)));
  t.is(big.method, 'normal');
  t.true(big.p > 0.5, 'alternating signs are no effect');
});

test('Holm correction matches a hand-worked example and keeps order', (t) => {
  // p = (0.01, 0.04, 0.03, 0.005), m = 4: sorted 0.005, 0.01, 0.03, 0.04
  // adjusted: 4·0.005 = 0.02; max(0.02, 3·0.01 = 0.03) = 0.03; max(0.03, 2·0.03 = 0.06) = 0.06; max(0.06, 0.04) = 0.06
  const adj = holm([0.01, 0.04, 0.03, 0.005]);
  const expected = [0.03, 0.06, 0.06, 0.02];
  adj.forEach((p, i) => t.true(Math.abs(p - expected[i]!) < 1e-12, `${i}: ${p}`));
  t.deepEqual(holm([0.5, 0.9]), [1, 1].map((x, i) => Math.min(x, [1, 1][i]!)));
  t.deepEqual(holm([]), []);
});

test('descriptive statistics and confidence intervals', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(quantile([1, 2, 3, 4, 5], 0.25), 2);
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  const [lo, hi] = medianCI(xs);
  // Order statistics n/2 ∓ 1.96·√n/2 = 50 ∓ 9.8: ranks 40 and 60.
  t.deepEqual([lo, hi], [40, 60]);
  const [rlo, rhi] = ratioCI(xs.map((x) => x * 2), xs);
  t.true(rlo < 2 && rhi > 2 && rlo > 1.4 && rhi < 2.8, `${rlo}–${rhi}`);
  t.deepEqual(ratioCI(xs, xs), ratioCI(xs, xs), 'seeded: the same inputs give the same interval');
});
