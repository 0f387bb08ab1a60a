import type { ExecutionContext } from '../context.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Cross product (a join with no key columns), lazily: for each left row, every right row.
 * When the right side can be re-read (`reopen` given) it is opened again for every left row and
 * nothing is buffered; otherwise it is read once into a reserved buffer on the first `next()`.
 */
export class NestedLoopIterator implements TupleIterator {
  private leftRow: Tuple | undefined = undefined;
  private inner: TupleIterator | null = null;
  private buffer: Tuple[] | null = null;
  private pos = 0;
  private readonly mem: MemoryReservation;
  private readonly sizer = new TupleSizer();
  private closed = false;

  constructor(
    private readonly left: TupleIterator,
    /** The right side, opened once (buffered) or per left row (re-readable). */
    private readonly openRight: () => TupleIterator,
    private readonly reopenable: boolean,
    private readonly combine: (l: Tuple, r: Tuple) => Tuple,
    ctx: ExecutionContext,
  ) {
    this.mem = ctx.memory.reservation('cross product (buffered right side)');
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    if (!this.reopenable && this.buffer === null) this.buffer = this.readRight();
    for (;;) {
      if (this.leftRow !== undefined) {
        const r = this.nextRight();
        if (r !== undefined) return this.combine(this.leftRow, r);
      }
      const l = this.left.next();
      if (l === undefined) {
        this.close();
        return undefined;
      }
      this.leftRow = l;
      this.pos = 0;
      if (this.reopenable) {
        this.inner?.close();
        this.inner = this.openRight();
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = null;
    this.mem.free();
    const inner = this.inner;
    this.inner = null;
    try {
      inner?.close();
    } finally {
      this.left.close();
    }
  }

  private nextRight(): Tuple | undefined {
    const b = this.buffer;
    if (b !== null) return this.pos < b.length ? b[this.pos++] : undefined;
    return this.inner!.next();
  }

  private readRight(): Tuple[] {
    const rows: Tuple[] = [];
    const it = this.openRight();
    try {
      for (let t = it.next(); t !== undefined; t = it.next()) {
        const bytes = this.sizer.charge(t);
        this.mem.grow(bytes);
        rows.push(t);
      }
    } finally {
      it.close();
    }
    return rows;
  }
}
