import type { AggregateSpec } from './aggregate/aggregate-plan.js';
import type { Expr } from './expr/expr.js';
import type { JoinOptions } from './join/join-plan.js';
import type { BinaryOperator, UnaryOperator } from './operators/operator.js';
import type { SortKey } from './operators/sort.js';
import type { EngineKind, Schema, Tuple, Value } from './types.js';

/**
 * A pull-based (Volcano-style) iterator: the one iteration protocol of both engines.
 * `next()` returns the next tuple, or `undefined` once exhausted (and on every call after that);
 * no `{done, value}` object is allocated per row. `close()` releases whatever the iterator holds
 * (buffers, memory reservations, upstream iterators); it is idempotent, and callers always call
 * it, in a `finally`, whether or not they read to the end.
 */
export interface TupleIterator {
  next(): Tuple | undefined;
  close(): void;
}

/** A row predicate given as a JavaScript function (opaque to the planner). */
export type RowPredicate = (t: Tuple) => boolean;
/** A computed column given as a JavaScript function. */
export type RowFunction = (t: Tuple) => Value;

/**
 * A relation: a multiset (bag) of tuples with a schema. Both engines implement this one
 * interface, and the same query returns the same multiset on both. Output order is unspecified.
 *
 * Operators never mutate their input; each returns a new relation. On the materialized engine
 * the result is computed at once; on the streaming engine nothing runs until the first `next()`.
 */
export interface Relation extends Iterable<Tuple> {
  /** Column names, in tuple order. */
  readonly schema: Schema;
  /** The engine this relation belongs to. */
  readonly kind: EngineKind;

  /**
   * Start a pass over the tuples. Materialized relations can be opened any number of times.
   * A streaming relation can be opened once, unless `materialize()` was called before its pass
   * began; a second `open()` throws `RelationConsumedError`.
   */
  open(): TupleIterator;
  /** The exact number of tuples, or -1 when it is not known without consuming the relation. */
  size(): number;
  /** Whether the relation has no tuples. Never loses or consumes a tuple. */
  isEmpty(): boolean;
  /**
   * Make the relation re-readable. Materialized: returns itself. Streaming: arms a cache that
   * fills as a side effect of the first pass; later `open()`s replay it. Throws
   * `RelationConsumedError` if the single pass has already started.
   */
  materialize(): Relation;
  /**
   * Hand back the memory this relation holds for itself (a materialized result, a cache) to the
   * tracker. Idempotent. A streaming relation cannot be opened after `release()`.
   */
  release(): void;

  /** Keep the tuples for which the predicate is true (an `Expr`: exactly `true`; a function: truthy). */
  filter(predicate: Expr | RowPredicate): Relation;
  /** Keep the named columns, in the given order. */
  project(columns: readonly string[]): Relation;
  /** Append a computed column. */
  extend(column: string, value: Expr | RowFunction): Relation;
  /** Remove duplicate tuples (nulls equal each other here), keeping the first occurrence. */
  distinct(): Relation;
  /** Bag union with a relation of the same schema (of either engine). */
  concat(other: Relation): Relation;
  /** At most `n` tuples. The streaming engine stops pulling its input once it has them. */
  limit(n: number): Relation;
  /**
   * Inner join. A natural join on the shared column names unless `opts.keys` names the pairs;
   * no shared columns and no keys is a cross product. Output: the left columns, then the right's
   * non-key columns. Null keys never match. Hash join, or (streaming engine, option
   * `enableSymmetricHashJoin`, neither side re-readable) symmetric hash join.
   */
  join(other: Relation, opts?: JoinOptions): Relation;
  /** Left rows that have at least one key match on the right (each once). Keys as for `join`. */
  semiJoin(other: Relation, opts?: JoinOptions): Relation;
  /** Left rows that have no key match on the right (a null key never matches, so it is kept). */
  antiJoin(other: Relation, opts?: JoinOptions): Relation;
  /**
   * Group by `groupBy` and compute `aggs`; output columns are the group-by columns, then each
   * aggregate's `as`. Null semantics are documented in `engine/aggregate/accumulators.ts`.
   */
  aggregate(groupBy: readonly string[], aggs: readonly AggregateSpec[]): Relation;
  /**
   * Sort (stable; nulls last in either direction). On the streaming engine,
   * `orderBy(keys).limit(k)` keeps only k rows, in a bounded heap.
   */
  orderBy(keys: readonly SortKey[]): Relation;
  /**
   * Apply an operator module (`engine/operators/`) by its definition: what each operator method
   * above does with its own module (`r.filter(p)` is `r.apply(FILTER, p)`). A two-input
   * operator's first argument is the other relation. The way to reach a new operator before it
   * has a method of its own.
   */
  apply<A extends readonly unknown[]>(op: UnaryOperator<A> | BinaryOperator<A>, ...args: A): Relation;
  /** Drain into an array (a fresh array the caller owns). */
  toArray(): Tuple[];
  /**
   * Drain by pushing: hand each tuple to `sink` in turn and return how many there were. The same
   * tuples and the same single-pass rules as `open()`; the iterator is closed whatever happens
   * (a throwing sink stops the pass and its error propagates). On the streaming engine a fused
   * run over a `from()` array pushes from inside its generated loop, with no `next()` per row.
   */
  forEach(sink: (t: Tuple) => void): number;
}
