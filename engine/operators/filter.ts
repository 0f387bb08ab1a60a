import { PlanError } from '../errors.js';
import { checkExpr, compilePredicate } from '../expr/compile.js';
import { col, gt, isExpr, lit, type Expr } from '../expr/expr.js';
import type { RowPredicate, TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import type { UnaryOperator } from './operator.js';

/** A checked filter: its predicate, compiled when the filter first runs (a fused filter never compiles it). */
export interface FilterPlan {
  readonly schema: Schema;
  readonly predicate: Expr | RowPredicate;
}

/** The row test of a filter: an expression must be exactly `true`, a function's result truthy. */
export function rowTest(plan: FilterPlan): (t: Tuple) => boolean {
  const p = plan.predicate;
  return typeof p === 'function' ? (t) => !!p(t) : compilePredicate(p, plan.schema);
}

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

/** `filter(predicate)`: keep the rows for which an expression is exactly `true`, or a function's result truthy. */
export const FILTER: UnaryOperator<[Expr | RowPredicate], FilterPlan> = {
  name: 'filter',
  inputs: 1,
  plan(schema, [predicate]) {
    if (isExpr(predicate)) checkExpr(predicate, schema);
    else if (typeof predicate !== 'function') throw new PlanError(`filter takes an expression or a function, got ${typeof predicate}`);
    return { schema, predicate };
  },
  open: (plan, input) => new FilterIterator(input, rowTest(plan)),
  eager(plan, input, out) {
    const p = rowTest(plan), rows = input.rows, n = rows.length;
    for (let i = 0; i < n; i++) {
      const t = rows[i]!;
      if (p(t)) out.push(t);
    }
  },
  size: () => -1,
  stage: (plan) => (isExpr(plan.predicate) ? { kind: 'filter', expr: plan.predicate, input: plan.schema } : null),
  samples: (s) => [s.left().filter(gt(col('a'), lit(0))), s.left().filter((t) => t[0] !== null), s.columns().filter(gt(col('a'), lit(0)))],
};
