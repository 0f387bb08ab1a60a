/**
 * The calibration-only slowdown (see `ChildJob.slowdown`), shared by the time pass and the arms of
 * a paired pass.
 */
import { median, prng } from '../stats/descriptive.js';

/** The extra work's data: 4096 numbers (32 KiB, cache-resident), fixed. */
const SPIN_DATA = (() => {
  const r = prng(7);
  return Float64Array.from({ length: 4096 }, () => r());
})();
/** Where `spin` leaves its sums (module state, so that the JIT cannot drop the work). */
let spinSink = 0;

/**
 * The extra work: `rows` steps of a branchy sum over SPIN_DATA. Pure CPU: it allocates nothing,
 * so it does not change when the query's own garbage is collected (an earlier version used the
 * probe's kernel, which allocates; the slowdown it applied then read anywhere from 2% to 13% for a
 * nominal 10%, by case, as its garbage met the query's).
 */
function spin(rows: number): void {
  let s = 0;
  for (let done = 0; done < rows; done += SPIN_DATA.length) {
    const end = Math.min(SPIN_DATA.length, rows - done);
    for (let i = 0; i < end; i++) {
      const v = SPIN_DATA[i]!;
      if (v > 0.5) s += v;
      else s -= v * 0.5;
    }
  }
  spinSink += s;
}

function timed(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0);
}

/** Rows of `spin` per calibration sizing step. */
const WORK_STEP = 16_384;

/**
 * Calibration only: a copy of the query that also does extra work worth `fraction` of its own
 * warm median time after each run, so that a gate can be shown a slowdown of known size. The
 * extra work is a number of rows of `spin` (pure CPU), not a busy-wait for a number of
 * nanoseconds: on a machine whose speed changes in phases (this one: 100 vs 170 µs for the same
 * query), a fixed wait is a smaller share of a run in a slow phase than in a fast one (measured:
 * the applied slowdown ranged 6-16% per case for a nominal 10%), while CPU work slows with the
 * query. Sized from 15 query runs each followed by a step of work (same phase, so their ratio
 * holds whatever the phase), after a warm-up of at least `warmSeconds` (first runs are slower).
 */
export function slowed(run: () => number, fraction: number, warmSeconds = 0.2): { run: () => number; /** The extra work's intended time (the field keeps its old name). */ busyWaitNs: number; warmMedianNs: number; workRows: number } {
  warmUp(run, warmSeconds);
  const sized = sizeWork(run, fraction);
  return { ...sized, run: withWork(run, sized.workRows) };
}

/** Run the query, each run followed by a step of the extra work's kernel, for at least 20 runs and `seconds`. */
export function warmUp(run: () => number, seconds: number): void {
  const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  for (let i = 0; i < 20 || process.hrtime.bigint() < until; i++) {
    run();
    spin(WORK_STEP);
  }
}

/** The median time of `runs` runs of `run`, ns (call it warm). */
export function medianRunNs(run: () => number, runs = 15): number {
  return median(Array.from({ length: runs }, () => timed(run)));
}

/**
 * The query's warm median time and the rows of extra work worth `fraction` of it, from `pairs`
 * query runs each followed by a timed step of work (same phase, so their ratio holds whatever the
 * phase). Call it warm.
 */
export function sizeWork(run: () => number, fraction: number, pairs = 15): { busyWaitNs: number; warmMedianNs: number; workRows: number } {
  const times: number[] = [], rowsPerNs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    times.push(timed(run));
    rowsPerNs.push(WORK_STEP / timed(() => spin(WORK_STEP)));
  }
  const warmMedianNs = median(times);
  const busyWaitNs = fraction * warmMedianNs;
  return { busyWaitNs, warmMedianNs, workRows: Math.round(busyWaitNs * median(rowsPerNs)) };
}

/** The query followed by `workRows` rows of extra work. */
export function withWork(run: () => number, workRows: number): () => number {
  return () => {
    const n = run();
    spin(workRows);
    return n;
  };
}
