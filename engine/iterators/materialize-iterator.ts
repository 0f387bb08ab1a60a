import type { ExecutionContext } from '../context.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * The streaming engine's fallback when `enableIteratorComposition` is off: on the first `next()`
 * it reads its whole input into a buffer (reserved from the tracker), closes the input, and then
 * iterates the buffer. This is what the published engine did at every operator boundary.
 */
export class MaterializeIterator implements TupleIterator {
  private rows: Tuple[] | null = null;
  private pos = 0;
  private readonly mem: MemoryReservation;
  private readonly sizer = new TupleSizer();
  private source: TupleIterator | null;

  constructor(
    source: TupleIterator,
    private readonly ctx: ExecutionContext,
    operator: string,
  ) {
    this.mem = ctx.memory.reservation(operator);
    this.source = source;
  }

  next(): Tuple | undefined {
    let rows = this.rows;
    if (rows === null) {
      if (this.source === null) return undefined;
      rows = this.rows = this.drain(this.source);
    }
    return this.pos < rows.length ? rows[this.pos++] : undefined;
  }

  close(): void {
    const src = this.source;
    this.source = null;
    this.rows = [];
    this.mem.free();
    src?.close();
  }

  private drain(src: TupleIterator): Tuple[] {
    const rows: Tuple[] = [];
    const mem = this.mem;
    for (let t = src.next(); t !== undefined; t = src.next()) {
      mem.grow(this.sizer.charge(t));
      rows.push(t);
    }
    this.source = null;
    src.close();
    this.ctx.metrics.materializations++;
    this.ctx.metrics.materializedRows += rows.length;
    return rows;
  }
}
