import { PlanError } from '../errors.js';
import type { Relation, TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { checkRelation, drainInto, type BinaryOperator, type BinaryPlan } from './operator.js';

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

/** `concat(other)`: bag union with a relation (of either engine) of the same columns. */
export const CONCAT: BinaryOperator<[Relation], BinaryPlan> = {
  name: 'concat',
  inputs: 2,
  plan(schema, [other]) {
    const right = checkRelation(other, 'concat'), o = right.schema;
    if (o.length !== schema.length || o.some((c, i) => c !== schema[i])) {
      throw new PlanError(`concat needs the same columns on both sides: (${schema.join(', ')}) vs (${o.join(', ')})`);
    }
    return { schema, right };
  },
  open: (plan, left, _ctx, _engine, wrap) => new ConcatIterator(wrap(left.open()), () => wrap(plan.right.open())),
  eager(plan, input, out) {
    const rows = input.rows;
    for (let i = 0; i < rows.length; i++) out.push(rows[i]!);
    drainInto(plan.right.open(), out);
  },
  size: (_plan, a, b) => (a >= 0 && b >= 0 ? a + b : -1),
  samples: (s) => [s.left().concat(s.left()), s.left().concat(s.right().project(['a', 'c']).extend('b', (t) => t[1]).project(['a', 'b']))],
};
