import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Yields at most `n` tuples. When the n-th tuple has been produced it closes its input at once,
 * so upstream buffers and sources are freed before the consumer finishes.
 */
export class LimitIterator implements TupleIterator {
  private remaining: number;
  private sourceOpen = true;

  constructor(
    private readonly source: TupleIterator,
    n: number,
  ) {
    this.remaining = n;
  }

  next(): Tuple | undefined {
    if (this.remaining <= 0) {
      this.closeSource();
      return undefined;
    }
    const t = this.source.next();
    if (t === undefined) return undefined;
    if (--this.remaining === 0) this.closeSource();
    return t;
  }

  close(): void {
    this.closeSource();
  }

  private closeSource(): void {
    if (!this.sourceOpen) return;
    this.sourceOpen = false;
    this.source.close();
  }
}
