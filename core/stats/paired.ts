/**
 * The ratio of two arms measured in turns (see PairJob): per round (an isolate pair or group),
 * the median log ratio of its aligned samples and that median's standard error; the rounds pooled
 * by a random-effects model (random-effects.ts). Used by the gate (head / base) and by reports and
 * sweeps (one runner or option set / another, measured in one process).
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { medianEstimate, randomEffects, type UnitEstimate } from './random-effects.js';
import { summarize, type TimeSummary } from './descriptive.js';

export interface PairedRatio {
  /** Pooled ratio num / den. */
  ratio: number;
  /** Its 95% interval. */
  ci: [number, number];
  /** Each round's median ratio. */
  roundRatios: number[];
  /** Between-round standard deviation of the log ratio (0 when the rounds agree within their noise). */
  tau: number;
  /** Two-sided p of "no difference". */
  p: number;
  /** Rounds pooled. */
  rounds: number;
}

const Z95 = 1.959964;

/** Whether two arms' rounds are aligned sample for sample (and every round has at least two). */
export function aligned(num: readonly (readonly number[])[], den: readonly (readonly number[])[]): boolean {
  return num.length > 0 && num.length === den.length && num.every((r, i) => r.length >= 2 && r.length === den[i]!.length);
}

/**
 * How a pooled ratio's 95% interval is made:
 * - `z`: the random-effects estimate ± 1.96 standard errors. The gate's: its calibration (A/A
 *   false positives, detection of a known slowdown) was measured with it, and its verdicts also
 *   need the time threshold.
 * - `hk`: the Hartung–Knapp adjustment, a t distribution with rounds − 1 degrees of freedom and
 *   the variance scaled by the rounds' own spread (never below the model's). With the three to six
 *   isolate groups of a report's group passes the `z` interval was too narrow: A/A sweeps (two
 *   option sets that run the same code) put 1 inside it in 7 of 10; inside this one in 10 of 10.
 *   Reports and sweeps, whose verdicts follow the interval alone, use it.
 */
export type IntervalMethod = 'z' | 'hk';

/** See the module comment. @throws RangeError when the rounds are not aligned. */
export function pairedRatio(num: readonly (readonly number[])[], den: readonly (readonly number[])[], method: IntervalMethod = 'z'): PairedRatio {
  if (!aligned(num, den)) throw new RangeError('paired ratio: the two arms\' rounds are not aligned sample for sample');
  const units = num.map((r, i) => medianEstimate(r.map((x, k) => Math.log(x / den[i]![k]!))));
  const re = randomEffects(units);
  if (method === 'hk') return hartungKnapp(units, re);
  return {
    ratio: Math.exp(re.estimate),
    ci: [Math.exp(re.estimate - Z95 * re.se), Math.exp(re.estimate + Z95 * re.se)],
    roundRatios: units.map((u) => Math.exp(u.estimate)),
    tau: Math.sqrt(re.tau2),
    p: re.p,
    rounds: units.length,
  };
}

/** The random-effects estimate with a Hartung–Knapp t interval and test (see IntervalMethod); one unit alone decides nothing. */
function hartungKnapp(units: readonly UnitEstimate[], re: ReturnType<typeof randomEffects>): PairedRatio {
  if (units.length < 2) {
    return { ratio: Math.exp(re.estimate), ci: [0, Infinity], roundRatios: units.map((u) => Math.exp(u.estimate)), tau: 0, p: 1, rounds: units.length };
  }
  const w = units.map((u) => 1 / (Math.max(u.variance, 1e-12) + re.tau2));
  const sw = w.reduce((s, x) => s + x, 0);
  const df = units.length - 1;
  // Scale the variance by the units' weighted spread around the estimate (never below the model's own).
  const qStar = units.reduce((s, u, i) => s + w[i]! * (u.estimate - re.estimate) ** 2, 0) / df;
  const se = Math.sqrt(Math.max(1, qStar) / sw);
  const t = tQuantile(0.975, df);
  const p = Math.min(1, 2 * (1 - tCdf(Math.abs(re.estimate) / se, df)));
  return {
    ratio: Math.exp(re.estimate), ci: [Math.exp(re.estimate - t * se), Math.exp(re.estimate + t * se)],
    roundRatios: units.map((u) => Math.exp(u.estimate)), tau: Math.sqrt(re.tau2), p, rounds: units.length,
  };
}

/**
 * The ratio of two arms measured in separate processes (two `run`s, or a `--no-paired` gate),
 * with the process as the unit of replication: samples within one process are not independent
 * (they share its JIT, heap layout and machine phase), so pooling them as if they were makes
 * p-values far too small. Rounds are matched by index (round i of each side); each unit is the
 * difference of the two processes' median log times, with the medians' standard errors; the units
 * are pooled by a random-effects model, and the interval and test use the Hartung–Knapp
 * adjustment (a t distribution with units − 1 degrees of freedom), which stays honest with the
 * two or three processes a run has. One unit alone decides nothing (interval 0–∞, p = 1).
 */
export function processRatio(num: readonly (readonly number[])[], den: readonly (readonly number[])[]): PairedRatio {
  const k = Math.min(num.length, den.length);
  const units: UnitEstimate[] = [];
  for (let i = 0; i < k; i++) {
    const a = num[i]!, b = den[i]!;
    if (a.length < 2 || b.length < 2) continue;
    const ea = medianEstimate(a.map(Math.log)), eb = medianEstimate(b.map(Math.log));
    units.push({ estimate: ea.estimate - eb.estimate, variance: ea.variance + eb.variance });
  }
  // No unit at all: nothing to pool (hartungKnapp decides nothing from one).
  if (units.length === 0) return { ratio: 1, ci: [0, Infinity], roundRatios: [], tau: 0, p: 1, rounds: 0 };
  return hartungKnapp(units, randomEffects(units));
}

/**
 * One runner's time over the rounds (isolate groups) of its group passes: per round the median
 * log time, pooled by the random-effects model with the Hartung–Knapp 95% interval, as the
 * group's ratios are. A process or isolate that ran the query at a speed of its own widens the
 * interval instead of deciding the figure. With fewer than two usable rounds there is nothing to
 * pool: the samples' own median and interval.
 */
export function pooledTime(rounds: readonly (readonly number[])[]): TimeSummary {
  const all = summarize(rounds.flat());
  const units = rounds.filter((r) => r.length >= 2).map((r) => medianEstimate(r.map(Math.log)));
  if (units.length < 2) return all;
  const p = hartungKnapp(units, randomEffects(units));
  return { ...all, medianNs: p.ratio, ci95Ns: p.ci, isolates: units.length };
}
