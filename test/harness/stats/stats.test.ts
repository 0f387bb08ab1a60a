import test from 'ava';
import { holm, mannWhitney, normalCdf } from '../../../core/stats/mann-whitney.js';
import { median, medianCI, quantile, ratioCI } from '../../../core/stats/descriptive.js';
import { medianEstimate, randomEffects } from '../../../core/stats/random-effects.js';

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

test('random-effects pooling matches a hand-worked DerSimonian–Laird example', (t) => {
  // y = 0.1, 0.3, 0.5; v = 0.01, 0.02, 0.04. w = 100, 50, 25 (sum 175); fixed mean 37.5/175;
  // Q = 3.714286; c = 175 - 13125/175 = 100; tau2 = (Q - 2)/100 = 0.01714286; weights
  // 1/(v + tau2) = 36.8421, 26.9231, 17.5 (sum 81.2652); estimate 20.5111/81.2652 = 0.252397;
  // se = 1/sqrt(81.2652) = 0.110931.
  const r = randomEffects([{ estimate: 0.1, variance: 0.01 }, { estimate: 0.3, variance: 0.02 }, { estimate: 0.5, variance: 0.04 }]);
  t.true(Math.abs(r.q - 3.714286) < 1e-5, `Q ${r.q}`);
  t.true(Math.abs(r.tau2 - 0.01714286) < 1e-7, `tau2 ${r.tau2}`);
  t.true(Math.abs(r.estimate - 0.252397) < 1e-5, `estimate ${r.estimate}`);
  t.true(Math.abs(r.se - 0.110931) < 1e-5, `se ${r.se}`);
  t.true(Math.abs(r.p - 2 * (1 - normalCdf(0.252397 / 0.110931))) < 1e-5);
  // Units that agree within their noise: tau2 is 0 and the pooling is the fixed-effect one.
  const agree = randomEffects([{ estimate: 0.1, variance: 0.01 }, { estimate: 0.12, variance: 0.01 }]);
  t.is(agree.tau2, 0);
  t.true(Math.abs(agree.estimate - 0.11) < 1e-12);
  t.true(Math.abs(agree.se - Math.sqrt(0.005)) < 1e-12);
  // One unit: its own estimate and error.
  const one = randomEffects([{ estimate: -0.2, variance: 0.04 }]);
  t.is(one.estimate, -0.2);
  t.true(Math.abs(one.se - 0.2) < 1e-12);
  t.true(Math.abs(one.p - 2 * (1 - normalCdf(1))) < 1e-6);
  // Exact units (no noise) get a tiny variance, not a division by zero.
  t.true(randomEffects([{ estimate: 0.1, variance: 0 }, { estimate: 0.1, variance: 0 }]).p < 1e-9);
  t.true(randomEffects([{ estimate: 0, variance: 0 }]).p > 0.999999, 'no effect');
  t.throws(() => randomEffects([]), { instanceOf: RangeError });
  t.throws(() => randomEffects([{ estimate: NaN, variance: 1 }]), { instanceOf: RangeError, message: /bad unit/ });
});

test('the median estimate of a unit carries the median standard error from the MAD', (t) => {
  // Median 3; absolute deviations 2, 1, 0, 1, 2.
  const u = medianEstimate([1, 2, 3, 4, 5]);
  t.is(u.estimate, 3);
  // MAD 1 → sigma 1.4826 → se = sqrt(pi/2) · 1.4826 / sqrt(5).
  t.true(Math.abs(Math.sqrt(u.variance) - (Math.sqrt(Math.PI / 2) * 1.4826) / Math.sqrt(5)) < 1e-12);
  // An outlier moves neither much.
  const v = medianEstimate([1, 2, 3, 4, 5, 100]);
  t.is(v.estimate, 3.5);
  t.true(Math.sqrt(v.variance) < 2);
  t.throws(() => medianEstimate([1]), { instanceOf: RangeError, message: /at least two samples/ });
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

test('process ratio: the process is the unit; two runs of two rounds that agree give a wide interval, not p = 1e-7', async (t) => {
  const { processRatio, pairedRatio } = await import('../../../core/stats/paired.js');
  // Head 30% slower in both processes, 50 samples each with 2% noise: Mann–Whitney over all 100
  // samples would give p around 1e-30. With the process as the unit, there are two differences.
  const noisy = (level: number, k: number) => Array.from({ length: 50 }, (_, i) => level * (1 + 0.02 * Math.sin(i * 7.3 + k)));
  const two = processRatio([noisy(130, 1), noisy(131, 2)], [noisy(100, 3), noisy(101, 4)]);
  t.true(Math.abs(two.ratio - 1.3) < 0.02, `ratio ${two.ratio}`);
  t.is(two.rounds, 2);
  // Hartung–Knapp with 1 degree of freedom: t(0.975, 1) = 12.71, so the interval is far wider than the normal one.
  t.true(two.p > 1e-4, `p ${two.p}`);
  // A process-level offset (one run's machine 30% slower) with identical code: the processes disagree,
  // and the interval spans 1.
  const offset = processRatio([noisy(130, 1), noisy(100, 2), noisy(101, 5)], [noisy(100, 3), noisy(100, 4), noisy(100, 6)]);
  t.true(offset.ci[0] < 1 && offset.ci[1] > 1, `interval ${offset.ci}`);
  // One process per side decides nothing.
  const one = processRatio([noisy(130, 1)], [noisy(100, 3)]);
  t.deepEqual([one.ci[0], one.ci[1], one.p], [0, Infinity, 1]);
  // Paired ratio of aligned rounds: exactly 2x in every pair.
  const p = pairedRatio([[2, 4, 6], [8, 10, 12]], [[1, 2, 3], [4, 5, 6]]);
  t.true(Math.abs(p.ratio - 2) < 1e-9);
  t.throws(() => pairedRatio([[1, 2]], [[1, 2, 3]]), { message: /not aligned/ });
});

test('paired ratios of a few isolate groups: the Hartung–Knapp interval covers an A/A ratio of 1 about 95% of the time; the z interval does not', async (t) => {
  const { pairedRatio } = await import('../../../core/stats/paired.js');
  // Seeded A/A: each isolate group runs at a speed of its own (SD 3% of the log time), samples
  // vary 10% around it; both arms identical. Three groups of 20 aligned samples, as a group pass.
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  let hk = 0, z = 0;
  const trials = 400;
  for (let trial = 0; trial < trials; trial++) {
    const a: number[][] = [], b: number[][] = [];
    for (let g = 0; g < 3; g++) {
      const offA = 0.03 * gauss(), offB = 0.03 * gauss();
      a.push(Array.from({ length: 20 }, () => 100 * Math.exp(offA + 0.1 * gauss())));
      b.push(Array.from({ length: 20 }, () => 100 * Math.exp(offB + 0.1 * gauss())));
    }
    const h = pairedRatio(a, b, 'hk'), n = pairedRatio(a, b);
    if (h.ci[0] <= 1 && h.ci[1] >= 1) hk++;
    if (n.ci[0] <= 1 && n.ci[1] >= 1) z++;
    t.true(h.ci[1] - h.ci[0] >= n.ci[1] - n.ci[0] - 1e-12, 'never narrower than z');
  }
  t.log(`A/A coverage over ${trials} trials: Hartung–Knapp ${hk}, z ${z}`);
  t.true(hk / trials >= 0.93, `Hartung–Knapp covers 1 in ${hk} of ${trials}`);
  t.true(z / trials < 0.9, `z covers 1 in ${z} of ${trials}: too narrow with three groups`);
  const one = pairedRatio([[2, 4, 6]], [[1, 2, 3]], 'hk');
  t.deepEqual(one.ci, [0, Infinity], 'one group decides nothing');
});
