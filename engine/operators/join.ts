import type { ExecutionContext } from '../context.js';
import { HashJoinIterator } from '../join/hash-join-iterator.js';
import { planJoin, type JoinOptions, type JoinPlan } from '../join/join-plan.js';
import { NestedLoopIterator } from '../join/nested-loop-iterator.js';
import { SymmetricHashJoinIterator } from '../join/symmetric-hash-join-iterator.js';
import type { Relation } from '../relation.js';
import { checkRelation, isReopenable, knownSize, openBoth, type BinaryOperator, type BinaryPlan } from './operator.js';

/** A checked join: keys, output and combiner (`join/join-plan.ts`), and the right input. */
export interface JoinNodePlan extends JoinPlan, BinaryPlan {}

/** Whether a join plan is an equi-join (a hash join), not a cross product. */
export function isHashJoin(plan: JoinPlan): boolean {
  return plan.leftKeys.length > 0;
}

/**
 * How an equi-join runs, decided when it is opened, on both engines: symmetric (the option on
 * and neither input re-readable, which a materialized input always is), else a hash join built
 * on the re-readable (materialized) side, else on the smaller known size, else on the right; with
 * that side's known size (-1 when unknown) to size its table. A symmetric join is told the larger
 * known size (-1 when neither is known) to size its key numbering, which side to drain when it
 * stops alternating (`enableSymmetricJoinDrain`): the one a standard join would build on, and that
 * side's known size (-1 when unknown), for the standard table it drains into. The one rule, for the
 * join's iterators and for a fused probe loop alike.
 */
export function joinStrategy(left: Relation, right: Relation, ctx: ExecutionContext): { symmetric: true; knownSize: number; drainLeft: boolean; drainSize: number } | { symmetric: false; buildLeft: boolean; buildSize: number } {
  const leftRe = isReopenable(left), rightRe = isReopenable(right);
  const ls = knownSize(left), rs = knownSize(right);
  const smallerLeft = ls >= 0 && rs >= 0 && ls < rs;
  if (ctx.options.enableSymmetricHashJoin && !leftRe && !rightRe) return { symmetric: true, knownSize: Math.max(ls, rs), drainLeft: smallerLeft, drainSize: smallerLeft ? ls : rs };
  const buildLeft = leftRe !== rightRe ? leftRe : smallerLeft;
  return { symmetric: false, buildLeft, buildSize: buildLeft ? ls : rs };
}

/**
 * `join(other, opts)`: inner join, natural on the shared columns unless keys are given, a cross
 * product without keys. A hash join, symmetric or not (see {@link joinStrategy}), or a nested loop.
 */
export const JOIN: BinaryOperator<[Relation, JoinOptions?], JoinNodePlan> = {
  name: 'join',
  inputs: 2,
  plan(schema, [other, opts]) {
    const right = checkRelation(other, 'join');
    return { ...planJoin(schema, right.schema, opts), right };
  },
  label: (plan) => (isHashJoin(plan) ? 'hash join' : 'cross product'),
  open(plan, left, ctx, engine, wrap) {
    const right = plan.right;
    if (!isHashJoin(plan)) {
      const reopenable = isReopenable(right);
      return new NestedLoopIterator(wrap(left.open()), () => wrap(right.open()), reopenable, plan.combine, ctx);
    }
    const how = joinStrategy(left, right, ctx);
    const [l, r] = openBoth(left, right, wrap);
    if (how.symmetric) return new SymmetricHashJoinIterator(l, r, plan.leftKeys, plan.rightKeys, plan.combine, ctx, how.knownSize, how.drainLeft, how.drainSize);
    return HashJoinIterator.oriented(l, r, plan, how.buildLeft, how.buildSize, ctx, `${engine} hash join`);
  },
  size: (plan, a, b) => (!isHashJoin(plan) && a >= 0 && b >= 0 ? a * b : -1),
  pinByReading: true,
  // Plain sources only: keep-alive reads a row of each (see `pinByReading`).
  samples: (s) => [s.left().join(s.right()), s.left().join(s.right().materialize()), s.left().join(s.other())],
};
