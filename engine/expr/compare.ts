import type { Value } from '../types.js';

/**
 * The total order of non-null values shared by expression comparisons and `orderBy`:
 * boolean < number < string across types; within a type, false < true, numeric order
 * (NaN after every other number, so the order stays total), and UTF-16 code unit order.
 * Nulls are not ordered here: comparisons make them null, `orderBy` puts them last.
 */
export function compareValues(a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  const ta = typeof a;
  if (ta === typeof b) {
    if (a === b) return 0;
    if (a < b) return -1;
    if (a > b) return 1;
    // Only NaN reaches here: it sorts after every number and equals itself.
    const an = Number.isNaN(a as number), bn = Number.isNaN(b as number);
    return an === bn ? 0 : an ? 1 : -1;
  }
  return TYPE_RANK[ta]! - TYPE_RANK[typeof b]!;
}

const TYPE_RANK: Record<string, number> = { boolean: 0, number: 1, string: 2 };
