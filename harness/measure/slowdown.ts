/**
 * The calibration-only slowdown (see `ChildJob.slowdown`), shared by the time pass and the arms of
 * a paired pass: every run of the query is stretched to (1 + fraction) times its own duration.
 *
 * Why the run's own duration, measured each time, and not a fixed amount of extra work: one V8
 * isolate can run a query at a speed of its own for its whole life (4.5-7.4 ms for the same ohlc
 * aggregation over 8 fresh processes on this project's VM), and the machine's speed changes in
 * phases. A fixed amount of work (sized once, from timings) was a different share of a run in
 * every isolate and phase: earlier versions applied anywhere from 3% to 25% by case for a nominal
 * 10% (a fixed busy-wait, then rows of pure-CPU work sized on their own, then sized against the
 * other build in one isolate pair), so the calibration's detection rate measured the instrument as
 * much as the gate. Stretching each run by a fraction of its own time is that fraction in every
 * isolate and phase by construction: a run that took t ns is followed by CPU work until
 * `fraction × t` more has passed.
 */
import { performance } from 'node:perf_hooks';
import { prng } from '../../core/stats/descriptive.js';

/** The extra work's data: 1024 numbers (8 KiB, cache-resident), fixed. */
const SPIN_DATA = (() => {
  const r = prng(7);
  return Float64Array.from({ length: 1024 }, () => r());
})();
/** Where `spin` leaves its sums (module state, so that the JIT cannot drop the work). */
let spinSink = 0;
/** Steps of `spin` between two reads of the clock while stretching (about 0.1 µs here). */
const SPIN_CHUNK = 64;

/**
 * `steps` steps of a branchy sum over SPIN_DATA. Pure CPU: it allocates nothing, so the query's
 * garbage is collected as it would be without it (the clock reads between chunks allocate a
 * number each; one per chunk).
 */
function spin(steps: number): void {
  let s = 0;
  for (let i = 0; i < steps; i++) {
    const v = SPIN_DATA[i & (SPIN_DATA.length - 1)]!;
    if (v > 0.5) s += v;
    else s -= v * 0.5;
  }
  spinSink += s;
}

/** A clock in nanoseconds (any origin). Injected in tests. */
export type Clock = () => number;
const defaultClock: Clock = () => performance.now() * 1e6;

/** A stretched query, and what it measured of itself. */
export interface Stretched {
  run: () => number;
  /** Nanoseconds spent in the query and in the extra work since the last reset. */
  spent(): { queryNs: number; extraNs: number };
  /** The extra work's time over the query's since the last reset: the stretch actually applied. */
  extraFraction(): number;
  reset(): void;
}

/**
 * Calibration only: `run`, each run followed by pure-CPU work until `fraction` of that run's own
 * duration has passed again (the last chunk of work may overshoot by about 0.1 µs). `spent()`
 * reports the time measured on both sides, so that the slowdown actually applied is a measurement
 * too.
 */
export function stretched(run: () => number, fraction: number, clock: Clock = defaultClock): Stretched {
  if (!(fraction >= 0) || !Number.isFinite(fraction)) throw new Error(`the calibration slowdown must be a fraction ≥ 0, got ${fraction}`);
  let queryNs = 0, extraNs = 0;
  return {
    run: () => {
      const t0 = clock();
      const n = run();
      const t1 = clock();
      const until = t1 + fraction * (t1 - t0);
      let t = t1;
      while (t < until) {
        spin(SPIN_CHUNK);
        t = clock();
      }
      queryNs += t1 - t0;
      extraNs += t - t1;
      return n;
    },
    spent: () => ({ queryNs, extraNs }),
    extraFraction: () => extraNs / queryNs,
    reset: () => {
      queryNs = 0;
      extraNs = 0;
    },
  };
}
