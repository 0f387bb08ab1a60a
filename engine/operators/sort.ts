import type { ExecutionContext } from '../context.js';
import { PlanError } from '../errors.js';
import { columnIndex } from '../expr/compile.js';
import { compareValues } from '../expr/compare.js';
import { bufferedTupleBytes, TupleSizer } from '../memory/byte-model.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import type { TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import type { UnaryOperator } from './operator.js';

/** One sort key: a column name (ascending), or `{ column, direction }`. */
export type SortKey = string | { readonly column: string; readonly direction?: 'asc' | 'desc' };

/** A checked sort: the row comparator. */
export interface SortPlan {
  readonly schema: Schema;
  readonly compare: (a: Tuple, b: Tuple) => number;
}

/** A sort followed by a limit of `k` rows. */
export interface TopKPlan extends SortPlan {
  readonly k: number;
}

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

/**
 * A pipeline breaker that emits a buffer: the first `next()` reads the whole input through
 * `collect` (which reserves what it keeps) and closes it; the rows are then emitted in order.
 * Closing frees the reservation and closes the input, once.
 */
abstract class CollectingIterator implements TupleIterator {
  private out: Tuple[] | null = null;
  private pos = 0;
  private closed = false;
  protected readonly mem: MemoryReservation;

  constructor(protected readonly input: TupleIterator, ctx: ExecutionContext, operator: string) {
    this.mem = ctx.memory.reservation(operator);
  }

  /** Read the input to its end and return the rows to emit, in order. */
  protected abstract collect(): Tuple[];

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    let out = this.out;
    if (out === null) {
      out = this.out = this.collect();
      this.input.close();
    }
    if (this.pos < out.length) return out[this.pos++];
    this.close();
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out = null;
    this.mem.free();
    this.input.close();
  }
}

/**
 * Full sort, a pipeline breaker: the first `next()` reads the input into a reserved buffer and
 * sorts it (stable: `Array.prototype.sort` is stable), then the buffer is emitted in order.
 */
export class SortIterator extends CollectingIterator {
  private readonly sizer = new TupleSizer();

  constructor(input: TupleIterator, private readonly compare: (a: Tuple, b: Tuple) => number, ctx: ExecutionContext, operator: string) {
    super(input, ctx, operator);
  }

  protected collect(): Tuple[] {
    const rows: Tuple[] = [];
    const src = this.input;
    for (let t = src.next(); t !== undefined; t = src.next()) {
      this.mem.grow(this.sizer.charge(t));
      rows.push(t);
    }
    return rows.sort(this.compare);
  }
}

/**
 * `orderBy(keys).limit(k)` in bounded memory: one pass keeping the k smallest rows in a binary
 * max-heap (the largest kept row on top, evicted when a smaller one arrives). Ties are broken by
 * arrival order, so the result equals a stable sort followed by limit. Only k rows are ever
 * reserved. The first `next()` reads the input; the kept rows are then emitted in order.
 */
export class TopKIterator extends CollectingIterator {
  constructor(input: TupleIterator, private readonly compare: (a: Tuple, b: Tuple) => number, private readonly k: number, ctx: ExecutionContext) {
    super(input, ctx, 'streaming top-k (orderBy + limit)');
  }

  protected collect(): Tuple[] {
    const k = this.k;
    const heap: Tuple[] = [];
    const seq: number[] = [];
    const cmp = this.compare;
    // Order by (key, arrival): a row "beats" another when it sorts before it.
    const after = (i: number, j: number) => {
      const c = cmp(heap[i]!, heap[j]!);
      return c > 0 || (c === 0 && seq[i]! > seq[j]!);
    };
    const swap = (i: number, j: number) => {
      const t = heap[i]!; heap[i] = heap[j]!; heap[j] = t;
      const s = seq[i]!; seq[i] = seq[j]!; seq[j] = s;
    };
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && after(l, m)) m = l;
        if (r < heap.length && after(r, m)) m = r;
        if (m === i) return;
        swap(i, m);
        i = m;
      }
    };
    const src = this.input;
    let n = 0;
    if (k > 0) {
      for (let t = src.next(); t !== undefined; t = src.next(), n++) {
        if (heap.length < k) {
          this.mem.grow(bufferedTupleBytes(t));
          heap.push(t);
          seq.push(n);
          for (let i = heap.length - 1; i > 0; ) {
            const p = (i - 1) >> 1;
            if (!after(i, p)) break;
            swap(i, p);
            i = p;
          }
        } else if (cmp(t, heap[0]!) < 0) {
          // Strictly smaller than the largest kept row (a tie arrived later, so it loses).
          this.mem.resize(bufferedTupleBytes(t) - bufferedTupleBytes(heap[0]!));
          heap[0] = t;
          seq[0] = n;
          siftDown(0);
        }
      }
    }
    const order = heap.map((_, i) => i).sort((i, j) => cmp(heap[i]!, heap[j]!) || seq[i]! - seq[j]!);
    return order.map((i) => heap[i]!);
  }
}

/** The top-k node a streaming `orderBy(keys).limit(k)` becomes (see `LIMIT.over`). */
export const TOP_K: UnaryOperator<[], TopKPlan> = {
  name: 'top-k',
  inputs: 1,
  plan: () => {
    throw new PlanError('top-k is planned by orderBy(...).limit(k), not applied on its own');
  },
  open: (plan, input, ctx) => new TopKIterator(input, plan.compare, plan.k, ctx),
  size: (plan, n) => (n >= 0 ? Math.min(n, plan.k) : -1),
  pinByReading: true,
  samples: (s) => [s.left().orderBy(['a']).limit(1)],
};

/** `orderBy(keys)`: a stable sort, nulls last in either direction. */
export const SORT: UnaryOperator<[readonly SortKey[]], SortPlan> = {
  name: 'sort',
  inputs: 1,
  plan: (schema, [keys]) => ({ schema, compare: planOrderBy(schema, keys) }),
  open: (plan, input, ctx, engine) => new SortIterator(input, plan.compare, ctx, `${engine} sort`),
  eager(plan, input, out) {
    const sorted = input.rows.slice().sort(plan.compare);
    for (let i = 0; i < sorted.length; i++) out.push(sorted[i]!);
  },
  size: (_plan, n) => n,
  pinByReading: true,
  samples: (s) => [s.left().orderBy([{ column: 'a', direction: 'desc' }])],
};
