import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Wraps a user-supplied iterator (`fromIterator`): counts rows into `metrics.sourceRows`, polls
 * the abort signal every 1024 rows, and guarantees that the user's `close()` runs exactly once.
 */
export class SourceIterator implements TupleIterator {
  private count = 0;
  private closed = false;

  constructor(
    private readonly source: TupleIterator,
    private readonly ctx: ExecutionContext,
  ) {}

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    if ((this.count & ABORT_CHECK_MASK) === 0) this.ctx.checkAborted();
    const t = this.source.next();
    if (t !== undefined) this.count++;
    return t;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.metrics.sourceRows += this.count;
    this.source.close();
  }
}
