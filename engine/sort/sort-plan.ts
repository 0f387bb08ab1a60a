import { PlanError } from '../errors.js';
import { columnIndex } from '../expr/compile.js';
import { compareValues } from '../expr/compare.js';
import type { Schema, Tuple } from '../types.js';

/** One sort key: a column name (ascending), or `{ column, direction }`. */
export type SortKey = string | { readonly column: string; readonly direction?: 'asc' | 'desc' };

/**
 * Build the row comparator for `keys`: values compare by the total order of `compareValues`,
 * `desc` reverses it, and nulls sort last in both directions.
 * @throws PlanError for an unknown column or direction, or no keys.
 */
export function planOrderBy(schema: Schema, keys: readonly SortKey[]): (a: Tuple, b: Tuple) => number {
  if (!Array.isArray(keys) || keys.length === 0) throw new PlanError('orderBy needs at least one sort key');
  const cols: number[] = [], signs: number[] = [];
  for (const k of keys) {
    const spec = typeof k === 'string' ? { column: k, direction: 'asc' as const } : k;
    if (spec === null || typeof spec !== 'object') throw new PlanError(`orderBy keys are column names or { column, direction }, got ${JSON.stringify(k)}`);
    const dir = spec.direction ?? 'asc';
    if (dir !== 'asc' && dir !== 'desc') throw new PlanError(`orderBy direction must be 'asc' or 'desc', got ${JSON.stringify(dir)}`);
    cols.push(columnIndex(schema, spec.column, 'orderBy'));
    signs.push(dir === 'asc' ? 1 : -1);
  }
  const n = cols.length;
  return (a, b) => {
    for (let i = 0; i < n; i++) {
      const c = cols[i]!;
      const x = a[c]!, y = b[c]!;
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const r = compareValues(x, y);
      if (r !== 0) return signs[i]! * r;
    }
    return 0;
  };
}
