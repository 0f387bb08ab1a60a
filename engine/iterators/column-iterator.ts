import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * A source over a columnar table: decodes row `i` into a fresh tuple as it is pulled. Counts the
 * rows it hands out into `metrics.sourceRows` (once, on close) and polls the abort signal every
 * 1024 rows, as an array source does.
 */
export class ColumnIterator implements TupleIterator {
  private pos = 0;
  private closed = false;

  constructor(
    private readonly at: (i: number) => Tuple,
    private readonly length: number,
    private readonly ctx: ExecutionContext,
  ) {}

  next(): Tuple | undefined {
    const p = this.pos;
    if (p >= this.length) return undefined;
    if ((p & ABORT_CHECK_MASK) === 0) this.ctx.checkAborted();
    this.pos = p + 1;
    return this.at(p);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.metrics.sourceRows += this.pos;
    this.pos = this.length;
  }
}
