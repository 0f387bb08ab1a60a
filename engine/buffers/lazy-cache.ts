import type { ExecutionContext } from '../context.js';
import { RelationConsumedError } from '../errors.js';
import type { TupleIterator } from '../relation.js';
import { BufferedIterator } from '../iterators/buffered-iterator.js';
import { TupleBuffer } from './tuple-buffer.js';

/**
 * The cache behind a streaming relation's lazy `materialize()`: a retaining {@link TupleBuffer}
 * that fills as a side effect of the first pass. Every `open()` is a cursor from position 0:
 * replaying what is cached and, while the first pass is still under way, pulling further tuples
 * from the source into the cache (so a second reader during the first pass sees everything too).
 *
 * Early close: if every cursor closes before the source is exhausted, the cache is never left
 * partial-but-replayable (the published engine replayed such a prefix as if complete). It
 * finishes filling from the source, unless the query was aborted or the source failed, in which
 * case the cache is marked failed and every later `open()` throws with the reason.
 */
export class LazyCache {
  private readonly buffer: TupleBuffer;
  private failure: unknown = undefined;
  private failed = false;

  constructor(
    source: TupleIterator,
    private readonly ctx: ExecutionContext,
  ) {
    this.buffer = new TupleBuffer(source, true, ctx, 'streaming materialize cache');
  }

  /** The cache holds the whole relation. */
  get complete(): boolean {
    return this.buffer.done && !this.failed;
  }

  /** Tuples cached so far. */
  get length(): number {
    return this.buffer.rows.length;
  }

  /** The first pass failed or was aborted before the cache was complete; it cannot be replayed. */
  get isFailed(): boolean {
    return this.failed;
  }

  /**
   * A new cursor from the first tuple. With `last`, this is the final reader: the cache is freed
   * when it closes (used when the cache only existed to answer `size()` or `isEmpty()`).
   */
  open(last = false): TupleIterator {
    this.checkUsable();
    return new BufferedIterator(this.buffer, 0, last ? (b) => b.free() : (b) => this.lastCursorClosed(b));
  }

  /** Ensure at least `n` tuples are cached (or the source is exhausted); returns what is cached. */
  ensure(n: number): number {
    this.checkUsable();
    const b = this.buffer;
    while (b.rows.length < n && b.pull() !== undefined);
    return b.rows.length;
  }

  /** Read the source to its end. */
  fill(): void {
    this.checkUsable();
    this.buffer.fill();
  }

  /** Drop the cache and its reservation, and close the source if still open. */
  free(): void {
    this.buffer.free();
  }

  private checkUsable(): void {
    if (this.failed) {
      throw new RelationConsumedError('cannot replay a materialized relation whose first pass failed or was aborted before it completed', { cause: this.failure });
    }
  }

  private lastCursorClosed(b: TupleBuffer): void {
    if (b.sourceError !== undefined) return this.fail(b.sourceError);
    if (b.done) return;
    if (this.ctx.signal?.aborted) return this.fail(this.ctx.signal.reason);
    try {
      b.fill();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(reason: unknown): void {
    this.failed = true;
    this.failure = reason;
    this.buffer.free();
  }
}
