import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * A source over an array of tuples. It counts the rows it hands out into the context's
 * `sourceRows` metric (once, on close) and polls the abort signal every 1024 rows. After
 * `close()` it returns nothing.
 */
export class ArrayIterator implements TupleIterator {
  private pos = 0;
  private closed = false;

  constructor(
    private readonly rows: readonly Tuple[],
    private readonly ctx: ExecutionContext,
    /** Count the rows into `metrics.sourceRows` (false for engine-owned intermediate results). */
    private readonly countAsSource = true,
    /** Called once, on the first `close()`. */
    private readonly onClose?: () => void,
  ) {}

  next(): Tuple | undefined {
    const p = this.pos;
    if (p >= this.rows.length) return undefined;
    if ((p & ABORT_CHECK_MASK) === 0) this.ctx.checkAborted();
    this.pos = p + 1;
    return this.rows[p];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.countAsSource) this.ctx.metrics.sourceRows += this.pos;
    // Closed means exhausted: a next() after close() returns nothing.
    this.pos = this.rows.length;
    this.onClose?.();
  }
}
