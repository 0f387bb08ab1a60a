import { PlanError } from '../errors.js';
import { columnIndex } from '../expr/compile.js';
import type { Schema, Tuple, Value } from '../types.js';

/** How to join: the key column pairs `[leftColumn, rightColumn]`; natural join when omitted. */
export interface JoinOptions {
  /** Key pairs. Omitted: every column name the two sides share (a natural join). */
  readonly keys?: readonly (readonly [string, string])[];
}

/** A resolved join: key indices on both sides, the output schema and the row combiner. */
export interface JoinPlan {
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  /** Left columns, then the right's non-key columns. */
  readonly schema: Schema;
  /** The right's columns in the output, in order (its non-key columns), after the left's. */
  readonly keep: readonly number[];
  /** Build one output tuple from a left and a right tuple (allocates only the output). */
  readonly combine: (l: Tuple, r: Tuple) => Tuple;
}

/**
 * Resolve a join's keys and output. Natural join on shared names unless `keys` is given; no
 * shared names means a cross product (empty key lists).
 * @throws PlanError for unknown key columns, or a right non-key column whose name the left has.
 */
export function planJoin(left: Schema, right: Schema, opts: JoinOptions | undefined, operator = 'join'): JoinPlan {
  const { leftKeys, rightKeys } = resolveKeys(left, right, opts, operator);
  const keep: number[] = [];
  right.forEach((c, i) => {
    if (rightKeys.includes(i)) return;
    if (left.includes(c)) {
      throw new PlanError(`${operator}: column '${c}' is on both sides but is not a join key; rename or project it away first`);
    }
    keep.push(i);
  });
  return { leftKeys, rightKeys, schema: Object.freeze([...left, ...keep.map((i) => right[i]!)]), keep, combine: combiner(left.length, keep) };
}

function combiner(width: number, keep: readonly number[]): (l: Tuple, r: Tuple) => Tuple {
  const n = width + keep.length;
  if (keep.length === 0) return (l) => l;
  if (keep.length === 1) {
    const k = keep[0]!;
    switch (width) {
      case 1: return (l, r) => [l[0]!, r[k]!];
      case 2: return (l, r) => [l[0]!, l[1]!, r[k]!];
      case 3: return (l, r) => [l[0]!, l[1]!, l[2]!, r[k]!];
    }
  }
  return (l, r) => {
    const out = new Array<Value>(n);
    for (let i = 0; i < width; i++) out[i] = l[i]!;
    for (let i = 0; i < keep.length; i++) out[width + i] = r[keep[i]!]!;
    return out;
  };
}

/** Resolve key pairs to column indices on each side (natural: every shared column name). */
export function resolveKeys(left: Schema, right: Schema, opts: JoinOptions | undefined, operator: string): { leftKeys: number[]; rightKeys: number[] } {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new PlanError(`${operator} options must be an object like { keys: [['a', 'b']] }`);
  const pairs = opts?.keys ?? left.filter((c) => right.includes(c)).map((c) => [c, c] as const);
  if (!Array.isArray(pairs)) throw new PlanError(`${operator} keys must be an array of [leftColumn, rightColumn] pairs`);
  const leftKeys: number[] = [], rightKeys: number[] = [];
  for (const p of pairs) {
    if (!Array.isArray(p) || p.length !== 2) throw new PlanError(`${operator} keys must be [leftColumn, rightColumn] pairs, got ${JSON.stringify(p)}`);
    leftKeys.push(columnIndex(left, p[0], `${operator} keys (left side)`));
    rightKeys.push(columnIndex(right, p[1], `${operator} keys (right side)`));
  }
  return { leftKeys, rightKeys };
}

/** Keys for semi and anti joins, which need at least one. */
export function planSemiJoin(left: Schema, right: Schema, opts: JoinOptions | undefined, operator: string): { leftKeys: number[]; rightKeys: number[] } {
  const keys = resolveKeys(left, right, opts, operator);
  if (keys.leftKeys.length === 0) throw new PlanError(`${operator} needs key columns: the sides share no column names and no keys were given`);
  return keys;
}
