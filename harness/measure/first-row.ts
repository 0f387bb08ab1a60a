import { median } from '../../core/stats/descriptive.js';

/**
 * The median of 5 times to first row of a prepared case (null when it has none), as the time pass
 * and a group pass's first isolate group report it; each run awaited when the case is
 * asynchronous (DuckDB). A module of its own: a paired child's worker must not load this build's
 * case runner (it may be measuring another build's).
 */
export async function firstRowMedian(c: FirstRowCase): Promise<number | null> {
  return firstRowOf(await firstRowSamples(c));
}

/** A case's time to first row from its five times: their median, null when it has no first row. */
export function firstRowOf(ns: readonly number[]): number | null {
  return ns.length ? median(ns) : null;
}

/** A case that can time its first row (null when it has none). */
type FirstRowCase = { firstRowNs(): number | null | Promise<number | null> };

/**
 * Untimed first-row runs before the timed ones, fewer when they have taken
 * {@link FIRST_ROW_WARM_NS} between them. A first row measured right after a case's timed runs
 * (which read the whole query over and over) was 3-5x slower the first time and 1.5x the second,
 * in every phase alike (engine, planning, opening, the first rows: all already compiled, the
 * caches holding the timed runs' rows): a 10K symmetric join's five first rows took 92, 33, 24, 21
 * and 20 µs, whose median was still warming up. The standard join's, 10x longer, less so.
 */
export const FIRST_ROW_WARM_RUNS = 5;
/** See {@link FIRST_ROW_WARM_RUNS}: a slow first row (a materialized 100K join's, 70 ms) needs no more warming than this. */
export const FIRST_ROW_WARM_NS = 100e6;

/** Five times to first row of a prepared case, ns (none when it has no first row), after up to {@link FIRST_ROW_WARM_RUNS} untimed ones. */
export async function firstRowSamples(c: FirstRowCase): Promise<number[]> {
  let warm = 0;
  for (let i = 0; i < FIRST_ROW_WARM_RUNS && warm < FIRST_ROW_WARM_NS; i++) {
    const x = await c.firstRowNs();
    if (x === null) return [];
    warm += x;
  }
  const ns: number[] = [];
  for (let i = 0; i < 5; i++) {
    const x = await c.firstRowNs();
    if (x !== null) ns.push(x);
  }
  return ns;
}
