import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * Lazily appends a computed column: the published engine's TransformIterator and
 * FunctionEvaluatorIterator in one. `step` is built by `extender()` so both engines share it.
 */
export class ExtendIterator implements TupleIterator {
  constructor(
    private readonly source: TupleIterator,
    private readonly step: (t: Tuple) => Tuple,
  ) {}

  next(): Tuple | undefined {
    const t = this.source.next();
    return t === undefined ? undefined : this.step(t);
  }

  close(): void {
    this.source.close();
  }
}
