import type { ExecutionContext } from '../context.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { allIndices, KeyIds } from '../keys/keys.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

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
  ) {
    this.mem = ctx.memory.reservation('streaming distinct');
    this.columns = allIndices(width);
    this.seen = new KeyIds(width, (bytes) => {
      this.mem.grow(bytes);
    });
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
