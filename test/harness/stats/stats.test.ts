import test from 'ava';
import { holm, mannWhitney, normalCdf } from '../../../harness/stats/mann-whitney.js';
import { median, medianCI, quantile, ratioCI } from '../../../harness/stats/descriptive.js';

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
