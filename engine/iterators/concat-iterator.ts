import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Lazily yields all of the first input, then all of the second. The second input is opened only
 * when the first is exhausted, so an early close never touches it.
 */
export class ConcatIterator implements TupleIterator {
  private current: TupleIterator | null;
  private second: (() => TupleIterator) | null;
  private closed = false;

  constructor(first: TupleIterator, openSecond: () => TupleIterator) {
    this.current = first;
    this.second = openSecond;
  }

  next(): Tuple | undefined {
    while (this.current !== null) {
      const t = this.current.next();
      if (t !== undefined) return t;
      this.current.close();
      const open = this.second;
      this.second = null;
      this.current = open === null ? null : open();
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.current;
    this.current = null;
    this.second = null;
    c?.close();
  }
}
