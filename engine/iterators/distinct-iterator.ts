import type { ExecutionContext } from '../context.js';
import { allIndices, KeyIds } from '../key.js';
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
  private reserved = 0;

  constructor(
    private readonly source: TupleIterator,
    width: number,
    private readonly ctx: ExecutionContext,
  ) {
    this.columns = allIndices(width);
    this.seen = new KeyIds(width, (bytes) => {
      ctx.memory.reserve(bytes, 'streaming distinct');
      this.reserved += bytes;
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
    this.ctx.memory.release(this.reserved);
    this.reserved = 0;
    this.source.close();
  }
}
