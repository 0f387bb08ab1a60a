import type { ExecutionContext } from '../context.js';
import { tupleKey, type Key } from '../key.js';
import { hashEntryBytes } from '../memory/byte-model.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Lazily drops tuples seen before, keeping first occurrences in input order. The seen-set is the
 * only state; each new key is reserved from the memory tracker and all of it is released on close.
 */
export class DistinctIterator implements TupleIterator {
  private seen: Set<Key> | null = new Set();
  private reserved = 0;

  constructor(
    private readonly source: TupleIterator,
    private readonly ctx: ExecutionContext,
  ) {}

  next(): Tuple | undefined {
    const seen = this.seen;
    if (seen === null) return undefined;
    for (let t = this.source.next(); t !== undefined; t = this.source.next()) {
      const k = tupleKey(t);
      if (seen.has(k)) continue;
      const bytes = hashEntryBytes(k);
      this.ctx.memory.reserve(bytes, 'streaming distinct');
      this.reserved += bytes;
      seen.add(k);
      return t;
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
