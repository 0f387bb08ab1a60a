import type { ExecutionContext } from '../context.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Full sort, a pipeline breaker: the first `next()` reads the input into a reserved buffer and
 * sorts it (stable: `Array.prototype.sort` is stable), then the buffer is emitted in order.
 */
export class SortIterator implements TupleIterator {
  private rows: Tuple[] | null = null;
  private pos = 0;
  private readonly mem: MemoryReservation;
  private readonly sizer = new TupleSizer();
  private closed = false;

  constructor(
    private readonly input: TupleIterator,
    private readonly compare: (a: Tuple, b: Tuple) => number,
    ctx: ExecutionContext,
    operator: string,
  ) {
    this.mem = ctx.memory.reservation(operator);
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    const rows = (this.rows ??= this.read());
    if (this.pos < rows.length) return rows[this.pos++];
    this.close();
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rows = null;
    this.mem.free();
    this.input.close();
  }

  private read(): Tuple[] {
    const rows: Tuple[] = [];
    const src = this.input;
    for (let t = src.next(); t !== undefined; t = src.next()) {
      const bytes = this.sizer.charge(t);
      this.mem.grow(bytes);
      rows.push(t);
    }
    src.close();
    return rows.sort(this.compare);
  }
}
