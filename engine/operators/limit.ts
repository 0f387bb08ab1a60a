import { PlanError } from '../errors.js';
import type { TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import type { UnaryOperator } from './operator.js';
import { SORT, TOP_K, type SortPlan } from './sort.js';

/** A checked limit: at most `k` rows. */
export interface LimitPlan {
  readonly schema: Schema;
  readonly k: number;
}

/**
 * Yields at most `n` tuples. When the n-th tuple has been produced it closes its input at once,
 * so upstream buffers and sources are freed before the consumer finishes.
 */
export class LimitIterator implements TupleIterator {
  private remaining: number;
  private sourceOpen = true;

  constructor(
    private readonly source: TupleIterator,
    n: number,
  ) {
    this.remaining = n;
  }

  next(): Tuple | undefined {
    if (this.remaining <= 0) {
      this.closeSource();
      return undefined;
    }
    const t = this.source.next();
    if (t === undefined) return undefined;
    if (--this.remaining === 0) this.closeSource();
    return t;
  }

  close(): void {
    this.closeSource();
  }

  private closeSource(): void {
    if (!this.sourceOpen) return;
    this.sourceOpen = false;
    this.source.close();
  }
}

/**
 * `limit(n)`: at most n rows. On the streaming engine a limit stops pulling its input once it has
 * them, and a limit over an unread sort becomes one top-k.
 */
export const LIMIT: UnaryOperator<[number], LimitPlan> = {
  name: 'limit',
  inputs: 1,
  plan(schema, [n]) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new PlanError(`limit takes a non-negative integer, got ${String(n)}`);
    return { schema, k: n };
  },
  open: (plan, input) => new LimitIterator(input, plan.k),
  eager(plan, input, out) {
    const rows = input.rows, k = Math.min(plan.k, rows.length);
    for (let i = 0; i < k; i++) out.push(rows[i]!);
  },
  size: (plan, n) => (n >= 0 ? Math.min(n, plan.k) : -1),
  // orderBy(...).limit(k): one bounded heap of k rows instead of sorting everything.
  over: (plan, below) => (below.op === SORT ? { op: TOP_K, plan: { ...(below.plan as SortPlan), k: plan.k } } : null),
  samples: (s) => [s.left().limit(2)],
};
