import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/** Lazily keeps the tuples of `source` for which `predicate` returns true. */
export class FilterIterator implements TupleIterator {
  constructor(
    private readonly source: TupleIterator,
    private readonly predicate: (t: Tuple) => boolean,
  ) {}

  next(): Tuple | undefined {
    const src = this.source, p = this.predicate;
    let t = src.next();
    while (t !== undefined && !p(t)) t = src.next();
    return t;
  }

  close(): void {
    this.source.close();
  }
}
