import type { ExecutionContext } from '../context.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { hasNullAt, KeyIds } from '../keys/keys.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Semi join (left rows with at least one key match on the right) or anti join (left rows with
 * none), each left row at most once. On the first `next()` the right side's distinct keys are
 * read into a reserved set; the left side then streams through it. Null keys never match, so an
 * anti join keeps left rows with a null key (NOT EXISTS semantics).
 */
export class SemiJoinIterator implements TupleIterator {
  private keys: KeyIds | null = null;
  private readonly mem: MemoryReservation;
  private closed = false;

  constructor(
    private readonly left: TupleIterator,
    private readonly right: TupleIterator,
    private readonly leftKeys: readonly number[],
    private readonly rightKeys: readonly number[],
    private readonly anti: boolean,
    ctx: ExecutionContext,
  ) {
    this.mem = ctx.memory.reservation(anti ? 'anti join (key set)' : 'semi join (key set)');
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    const keys = (this.keys ??= this.readKeys());
    const anti = this.anti;
    for (let t = this.left.next(); t !== undefined; t = this.left.next()) {
      const found = !hasNullAt(t, this.leftKeys) && keys.find(t, this.leftKeys) >= 0;
      if (found !== anti) return t;
    }
    this.close();
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keys = null;
    this.mem.free();
    try {
      this.right.close();
    } finally {
      this.left.close();
    }
  }

  private readKeys(): KeyIds {
    const mem = this.mem;
    const keys = new KeyIds(this.rightKeys.length, (bytes) => mem.grow(bytes));
    const src = this.right;
    for (let t = src.next(); t !== undefined; t = src.next()) {
      if (!hasNullAt(t, this.rightKeys)) keys.id(t, this.rightKeys);
    }
    src.close();
    return keys;
  }
}
