import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Passes tuples through and counts them. Used for metrics and by instrumented sources in tests
 * and the harness (pull counts, time to first row) — the published engine's CountingIterator,
 * which it recommended over `size()` for exactly this.
 */
export class CountingIterator implements TupleIterator {
  /** Tuples produced so far. */
  count = 0;
  /** Calls to `next()` so far, including the one that returned `undefined`. */
  pulls = 0;
  /** Whether `close()` has been called. */
  closed = false;

  constructor(
    private readonly source: TupleIterator,
    /** Called once, with the first tuple, when it is produced. */
    private readonly onFirst?: (t: Tuple) => void,
  ) {}

  next(): Tuple | undefined {
    this.pulls++;
    const t = this.source.next();
    if (t !== undefined && this.count++ === 0 && this.onFirst !== undefined) this.onFirst(t);
    return t;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.source.close();
  }
}
