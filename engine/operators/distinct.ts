import type { ExecutionContext } from '../context.js';
import { allIndices, KeyIds } from '../keys/keys.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import type { TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import type { UnaryOperator } from './operator.js';

/**
 * Lazily drops tuples seen before, keeping first occurrences in input order. The seen-set
 * ({@link KeyIds} over every column) is the only state; each new key is reserved from the memory
 * tracker and all of it is released on close.
 */
export class DistinctIterator implements TupleIterator {
  private seen: KeyIds | null;
  private readonly columns: number[];
  private readonly mem: MemoryReservation;

  constructor(
    private readonly source: TupleIterator,
    width: number,
    ctx: ExecutionContext,
    operator: string,
  ) {
    const mem = (this.mem = ctx.memory.reservation(operator));
    this.columns = allIndices(width);
    this.seen = new KeyIds(width, (bytes) => mem.grow(bytes));
  }

  next(): Tuple | undefined {
    const seen = this.seen;
    if (seen === null) return undefined;
    for (let t = this.source.next(); t !== undefined; t = this.source.next()) {
      const before = seen.size;
      if (seen.id(t, this.columns) === before) return t;
    }
    return undefined;
  }

  close(): void {
    if (this.seen === null) return;
    this.seen = null;
    this.mem.free();
    this.source.close();
  }
}

/** `distinct()`: drop duplicate rows (nulls equal each other here), keeping first occurrences. */
export const DISTINCT: UnaryOperator<[], { readonly schema: Schema }> = {
  name: 'distinct',
  inputs: 1,
  plan: (schema) => ({ schema }),
  open: (plan, input, ctx, engine) => new DistinctIterator(input, plan.schema.length, ctx, `${engine} distinct`),
  eager(plan, input, out, ctx) {
    const rows = input.rows, n = rows.length, cols = allIndices(plan.schema.length);
    const mem = ctx.memory.reservation('materialized distinct');
    const seen = new KeyIds(cols.length, (bytes) => mem.grow(bytes));
    try {
      for (let i = 0; i < n; i++) {
        const t = rows[i]!;
        const before = seen.size;
        if (seen.id(t, cols) === before) out.push(t);
      }
    } finally {
      mem.free();
    }
  },
  size: (_plan, n) => (n === 0 || n === 1 ? n : -1),
  samples: (s) => [s.left().distinct()],
};
