/**
 * Random-effects meta-analysis (DerSimonian–Laird), for paired time samples measured in several
 * independent units (isolate pairs, see `PairJob.isolates`).
 *
 * Why: one V8 isolate can run a query at a speed of its own for its whole life (measured on this
 * project's VM: the ohlc aggregation ran at about 4.7 or about 6.5 ms per run depending on the
 * isolate, both builds identical, GC identical, with fixed hash seeds and no background threads).
 * Pooling all pairs of all isolates into one test (Wilcoxon signed-rank) treats such an offset
 * as if every pair had seen it independently, so it reads a 30% "regression" from one unlucky
 * isolate as overwhelming evidence. A random-effects model takes each unit's estimate with its
 * own standard error and adds the between-unit variance τ² that the units' disagreement shows:
 * when the units agree, τ² is 0 and the test is as strong as pooling; when they disagree by more
 * than their own noise explains, the evidence counts for less.
 */
import { normalCdf } from './mann-whitney.js';
import { median } from './descriptive.js';

/** One unit's estimate of the effect and the variance of that estimate. */
export interface UnitEstimate {
  estimate: number;
  variance: number;
}

export interface RandomEffects {
  /** Pooled effect (weights 1 / (variance + τ²)). */
  estimate: number;
  /** Its standard error. */
  se: number;
  /** Between-unit variance (DerSimonian–Laird moment estimate, floored at 0). */
  tau2: number;
  /** Cochran's Q: the units' weighted squared deviations from the fixed-effect mean. */
  q: number;
  /** Two-sided p of estimate / se against the standard normal. */
  p: number;
  /** Units. */
  k: number;
}

/** Variances below this are raised to it (an exact estimate would otherwise get infinite weight). */
const MIN_VARIANCE = 1e-12;

/**
 * DerSimonian–Laird random-effects pooling of `units`.
 * @throws RangeError for no units or a non-finite estimate or variance.
 */
export function randomEffects(units: readonly UnitEstimate[]): RandomEffects {
  if (units.length === 0) throw new RangeError('random-effects pooling needs at least one unit');
  for (const u of units) {
    if (!Number.isFinite(u.estimate) || !Number.isFinite(u.variance) || u.variance < 0) {
      throw new RangeError(`random-effects pooling: bad unit (estimate ${u.estimate}, variance ${u.variance})`);
    }
  }
  const v = units.map((u) => Math.max(u.variance, MIN_VARIANCE));
  const w = v.map((x) => 1 / x);
  const sw = w.reduce((a, b) => a + b, 0);
  const fixed = units.reduce((s, u, i) => s + w[i]! * u.estimate, 0) / sw;
  const q = units.reduce((s, u, i) => s + w[i]! * (u.estimate - fixed) ** 2, 0);
  const c = sw - w.reduce((s, x) => s + x * x, 0) / sw;
  const k = units.length;
  const tau2 = k > 1 && c > 0 ? Math.max(0, (q - (k - 1)) / c) : 0;
  const w2 = v.map((x) => 1 / (x + tau2));
  const sw2 = w2.reduce((a, b) => a + b, 0);
  const estimate = units.reduce((s, u, i) => s + w2[i]! * u.estimate, 0) / sw2;
  const se = Math.sqrt(1 / sw2);
  const z = estimate / se;
  return { estimate, se, tau2, q, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), k };
}

/** Asymptotic efficiency of the median under normality: its SE is √(π/2) σ / √n. */
const MEDIAN_SE_FACTOR = Math.sqrt(Math.PI / 2);
/** MAD × 1.4826 estimates σ of a normal distribution. */
const MAD_TO_SD = 1.4826;

/**
 * One unit's estimate from its samples: their median, with the median's standard error from the
 * median absolute deviation (robust to the odd sample a machine hiccup spoiled).
 * @throws RangeError for fewer than two samples.
 */
export function medianEstimate(xs: readonly number[]): UnitEstimate {
  if (xs.length < 2) throw new RangeError(`a unit needs at least two samples, got ${xs.length}`);
  const m = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - m)));
  const se = (MEDIAN_SE_FACTOR * MAD_TO_SD * mad) / Math.sqrt(xs.length);
  return { estimate: m, variance: se * se };
}
