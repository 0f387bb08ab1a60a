import { PlanError } from '../errors.js';
import { checkExpr, compileExpr } from '../expr/compile.js';
import { add, col, isExpr, lit, type Expr } from '../expr/expr.js';
import { extender } from '../iterators/projector.js';
import type { RowFunction, TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import type { UnaryOperator } from './operator.js';

/** A checked extend: the input's schema, the new column appended, and its value (compiled when the extend first runs). */
export interface ExtendPlan {
  readonly schema: Schema;
  readonly input: Schema;
  readonly value: Expr | RowFunction;
}

/** The per-row step of an extend: the input tuple with the value appended. */
function step(plan: ExtendPlan): (t: Tuple) => Tuple {
  const v = plan.value;
  return extender(plan.input.length, typeof v === 'function' ? v : compileExpr(v, plan.input));
}

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

/** `extend(column, value)`: append a column computed by an expression or a function. */
export const EXTEND: UnaryOperator<[string, Expr | RowFunction], ExtendPlan> = {
  name: 'extend',
  inputs: 1,
  plan(schema, [column, value]) {
    if (typeof column !== 'string' || column === '') throw new PlanError('extend needs a non-empty column name');
    if (schema.includes(column)) throw new PlanError(`extend: column '${column}' already exists; available columns: ${schema.join(', ')}`);
    if (isExpr(value)) checkExpr(value, schema);
    else if (typeof value !== 'function') throw new PlanError(`extend '${column}' takes an expression or a function, got ${typeof value}`);
    return { schema: Object.freeze([...schema, column]), input: schema, value };
  },
  open: (plan, input) => new ExtendIterator(input, step(plan)),
  eager(plan, input, out) {
    const f = step(plan), rows = input.rows, n = rows.length;
    for (let i = 0; i < n; i++) out.push(f(rows[i]!));
  },
  size: (_plan, n) => n,
  stage: (plan) => (isExpr(plan.value) ? { kind: 'extend', expr: plan.value, input: plan.input } : null),
  samples: (s) => [s.left().extend('d', add(col('a'), lit(1))), s.left().extend('d', (t) => t[0])],
};
