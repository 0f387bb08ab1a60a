import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { projector } from './projector.js';

/** Lazily keeps the columns at `indices`, in that order. One new tuple per row, nothing else. */
export class ProjectIterator implements TupleIterator {
  private readonly pick: (t: Tuple) => Tuple;

  constructor(
    private readonly source: TupleIterator,
    indices: readonly number[],
  ) {
    this.pick = projector(indices);
  }

  next(): Tuple | undefined {
    const t = this.source.next();
    return t === undefined ? undefined : this.pick(t);
  }

  close(): void {
    this.source.close();
  }
}
