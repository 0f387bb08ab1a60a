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

/** Five times to first row of a prepared case, ns (none when it has no first row). */
export async function firstRowSamples(c: FirstRowCase): Promise<number[]> {
  const ns: number[] = [];
  for (let i = 0; i < 5; i++) {
    const x = await c.firstRowNs();
    if (x !== null) ns.push(x);
  }
  return ns;
}
