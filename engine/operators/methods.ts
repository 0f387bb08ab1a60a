import type { AggregateSpec } from '../aggregate/aggregate-plan.js';
import type { Expr } from '../expr/expr.js';
import type { JoinOptions } from '../join/join-plan.js';
import type { Relation, RowFunction, RowPredicate } from '../relation.js';
import type { Schema } from '../types.js';
import { AGGREGATE } from './aggregate.js';
import { CONCAT } from './concat.js';
import { DISTINCT } from './distinct.js';
import { EXTEND } from './extend.js';
import { FILTER } from './filter.js';
import { JOIN } from './join.js';
import { LIMIT } from './limit.js';
import type { BinaryOperator, BinaryPlan, Operator, OperatorPlan, UnaryOperator } from './operator.js';
import { PROJECT } from './project.js';
import { ANTI_JOIN, SEMI_JOIN } from './semi-join.js';
import { SORT, type SortKey } from './sort.js';

/**
 * The `Relation` interface's operator methods, once for both engines: each names its operator
 * module. An engine (a strategy) says only how to run a one-input and a two-input operator.
 */
export abstract class OperatorMethods {
  abstract readonly schema: Schema;

  /** Plan and run (materialized) or compose (streaming) a one-input operator over this relation. */
  abstract unary<A extends readonly unknown[], P extends OperatorPlan>(op: UnaryOperator<A, P>, args: A): Relation;
  /** The same for a two-input operator, this relation being its left input. */
  abstract binary<A extends readonly unknown[], P extends BinaryPlan>(op: BinaryOperator<A, P>, args: A): Relation;

  apply<A extends readonly unknown[]>(op: UnaryOperator<A> | BinaryOperator<A>, ...args: A): Relation {
    return op.inputs === 1 ? this.unary(op, args) : this.binary(op as Operator as BinaryOperator<A>, args);
  }

  filter(predicate: Expr | RowPredicate): Relation {
    return this.unary(FILTER, [predicate]);
  }

  project(columns: readonly string[]): Relation {
    return this.unary(PROJECT, [columns]);
  }

  extend(column: string, value: Expr | RowFunction): Relation {
    return this.unary(EXTEND, [column, value]);
  }

  distinct(): Relation {
    return this.unary(DISTINCT, []);
  }

  concat(other: Relation): Relation {
    return this.binary(CONCAT, [other]);
  }

  limit(n: number): Relation {
    return this.unary(LIMIT, [n]);
  }

  join(other: Relation, opts?: JoinOptions): Relation {
    return this.binary(JOIN, [other, opts]);
  }

  semiJoin(other: Relation, opts?: JoinOptions): Relation {
    return this.binary(SEMI_JOIN, [other, opts]);
  }

  antiJoin(other: Relation, opts?: JoinOptions): Relation {
    return this.binary(ANTI_JOIN, [other, opts]);
  }

  aggregate(groupBy: readonly string[], aggs: readonly AggregateSpec[]): Relation {
    return this.unary(AGGREGATE, [groupBy, aggs]);
  }

  orderBy(keys: readonly SortKey[]): Relation {
    return this.unary(SORT, [keys]);
  }
}
