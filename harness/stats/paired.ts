/**
 * The ratio of two arms measured in turns (see PairJob): per round (an isolate pair or group),
 * the median log ratio of its aligned samples and that median's standard error; the rounds pooled
 * by a random-effects model (random-effects.ts). Used by the gate (head / base) and by reports and
 * sweeps (one runner or option set / another, measured in one process).
 */
import { medianEstimate, randomEffects } from './random-effects.js';

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

/** See the module comment. @throws RangeError when the rounds are not aligned. */
export function pairedRatio(num: readonly (readonly number[])[], den: readonly (readonly number[])[]): PairedRatio {
  if (!aligned(num, den)) throw new RangeError('paired ratio: the two arms\' rounds are not aligned sample for sample');
  const units = num.map((r, i) => medianEstimate(r.map((x, k) => Math.log(x / den[i]![k]!))));
  const re = randomEffects(units);
  return {
    ratio: Math.exp(re.estimate),
    ci: [Math.exp(re.estimate - Z95 * re.se), Math.exp(re.estimate + Z95 * re.se)],
    roundRatios: units.map((u) => Math.exp(u.estimate)),
    tau: Math.sqrt(re.tau2),
    p: re.p,
    rounds: units.length,
  };
}
