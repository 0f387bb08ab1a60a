import { AggregateIterator } from '../aggregate/aggregate-iterator.js';
import { planAggregate, type AggregatePlan, type AggregateSpec } from '../aggregate/aggregate-plan.js';
import { compileFold, OnePassAggregateIterator } from '../aggregate/compiled-aggregate.js';
import { ArrayIterator } from './scan.js';
import { drainInto, type UnaryOperator } from './operator.js';

/** A checked aggregation, and the width of the rows it reads. */
export interface AggregateNodePlan extends AggregatePlan {
  readonly width: number;
}

const AGGS: AggregateSpec[] = [
  { fn: 'count', as: 'n' }, { fn: 'sum', column: 'a', as: 's' }, { fn: 'min', column: 'a', as: 'lo' }, { fn: 'max', column: 'a', as: 'hi' },
  { fn: 'first', column: 'a', orderBy: 'a', as: 'f' }, { fn: 'last', column: 'a', orderBy: 'a', as: 'l' }, { fn: 'avg', column: 'a', as: 'av' },
  { fn: 'countDistinct', column: 'a', as: 'cd' }, { fn: 'count', column: 'a', as: 'c' },
];

/**
 * `aggregate(groupBy, aggs)`: group and reduce. With `enableStreamingAggregation` in one pass (a
 * generated fold, `aggregate/compiled-aggregate.ts`; on the streaming engine it can end a fused
 * run), else by collecting each group's rows, then reducing (`aggregate/aggregate-iterator.ts`).
 */
export const AGGREGATE: UnaryOperator<[readonly string[], readonly AggregateSpec[]], AggregateNodePlan> = {
  name: 'aggregate',
  inputs: 1,
  plan: (schema, [groupBy, aggs]) => ({ ...planAggregate(schema, groupBy, aggs), width: schema.length }),
  open(plan, input, ctx, engine) {
    if (!ctx.options.enableStreamingAggregation) return new AggregateIterator(input, plan, ctx, engine);
    return OnePassAggregateIterator.overIterator(input, plan.width, plan, ctx, `${engine} aggregate (one pass)`);
  },
  eager(plan, input, out, ctx) {
    const rows = input.rows, release = () => input.release();
    if (!ctx.options.enableStreamingAggregation) {
      drainInto(new AggregateIterator(new ArrayIterator(rows, ctx, false, release), plan, ctx, 'materialized'), out);
      return;
    }
    // One generated loop over the rows array; the input's bytes are handed back once it is read.
    const fold = compileFold(plan.width, [], plan);
    drainInto(new OnePassAggregateIterator({ fold: (groups) => fold.overArray(rows, ctx, groups, false), close: release }, plan, ctx, 'materialized aggregate (one pass)'), out);
  },
  size: (plan) => (plan.groupBy.length === 0 ? 1 : -1),
  fold: (plan, ctx) => (ctx.options.enableStreamingAggregation ? plan : null),
  openFold: (plan, input, ctx) => new OnePassAggregateIterator(input, plan, ctx, 'streaming aggregate (one pass)'),
  pinByReading: true,
  // Every function, by one key column and by two, so that the pair table is among the classes kept alive.
  // Collect-then-reduce over no rows: it makes its accumulators (every class) without running
  // their row loop, which, run on the keep-alive's nine functions, made the gate find a group-by
  // of four 1.2x slower (its accumulator calls no longer inlined).
  samples: (s) => (s.options.enableStreamingAggregation ? [s.left().aggregate(['a'], AGGS), s.left().aggregate(['a', 'b'], AGGS)] : [s.left().limit(0).aggregate(['a'], AGGS)]),
};
