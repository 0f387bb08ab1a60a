/**
 * The calibration-only slowdown (see `ChildJob.slowdown`), shared by the time pass and the arms of
 * a paired pass.
 */
import { work } from './probe.js';
import { median } from '../stats/descriptive.js';

function timed(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0);
}

/** Rows of `work` per calibration sizing step (about 20-40 µs here). */
const WORK_STEP = 16_384;

/**
 * Calibration only: a copy of the query that also does extra work worth `fraction` of its own
 * warm median time after each run, so that a gate can be shown a slowdown of known size. The
 * extra work is a number of rows of the probe's kernel (`work`), not a busy-wait for a number of
 * nanoseconds: on a machine whose speed changes in phases (this one: 100 vs 170 µs for the same
 * query), a fixed wait is a smaller share of a run in a slow phase than in a fast one (measured:
 * the applied slowdown ranged 6-16% per case for a nominal 10%), while CPU work slows with the
 * query. Sized from 15 query runs each followed by a step of work (same phase, so their ratio
 * holds whatever the phase), after a warm-up of at least `warmSeconds` (first runs are slower).
 */
export function slowed(run: () => number, fraction: number, warmSeconds = 0.2): { run: () => number; /** The extra work's intended time (the field keeps its old name). */ busyWaitNs: number; warmMedianNs: number; workRows: number } {
  const until = process.hrtime.bigint() + BigInt(Math.round(warmSeconds * 1e9));
  for (let i = 0; i < 20 || process.hrtime.bigint() < until; i++) {
    run();
    work(WORK_STEP);
  }
  const times: number[] = [], rowsPerNs: number[] = [];
  for (let i = 0; i < 15; i++) {
    times.push(timed(run));
    rowsPerNs.push(WORK_STEP / timed(() => work(WORK_STEP)));
  }
  const warmMedianNs = median(times);
  const busyWaitNs = fraction * warmMedianNs;
  const workRows = Math.round(busyWaitNs * median(rowsPerNs));
  return {
    run: () => {
      const n = run();
      work(workRows);
      return n;
    },
    busyWaitNs,
    warmMedianNs,
    workRows,
  };
}

