import type { ExecutionContext } from '../context.js';
import { PlanError } from '../errors.js';
import type { AggregatePlan } from '../aggregate/aggregate-plan.js';
import type { FoldInput } from '../aggregate/compiled-aggregate.js';
import type { Stage } from '../fusion/codegen.js';
import type { Relation, TupleIterator } from '../relation.js';
import type { ResolvedOptions } from '../options.js';
import type { EngineKind, Schema, Tuple } from '../types.js';

/**
 * The operator contract. Every operator (filter, project, extend, distinct, concat, limit, join,
 * semi/anti join, aggregate, sort and top-k) is one module in this folder that exports one
 * {@link Operator}: its plan (argument checks, errors and output schema, identical whichever
 * engine runs it), its iterator, optionally an eager path over a whole array for the materialized
 * engine, and a size hint. The two relation classes are thin strategies over these modules:
 * `MaterializedRelation` drains an operator at once (its eager path, else its iterator over the
 * input array); `StreamingRelation` composes its iterator lazily, and fuses runs of operators
 * that have a fusion `stage`. Every operator is listed once in `registry.ts`, which keep-alive
 * and the per-operator tests walk.
 *
 * (DataFusion's `XxxExec` + `XxxStream` per operator, and arquero's verb + `_core` split, are the
 * models.)
 */

/** What every operator's plan carries: the output schema. */
export interface OperatorPlan {
  readonly schema: Schema;
}

/** A plan of an operator with a second input: the other relation, as the plan was checked against it. */
export interface BinaryPlan extends OperatorPlan {
  readonly right: Relation;
}

/** Where an operator's output rows go on the materialized engine's eager path. */
export interface RowSink {
  push(t: Tuple): void;
}

/** The materialized engine's input to an eager path: the whole input array. */
export interface ArrayInput {
  readonly rows: readonly Tuple[];
  /**
   * Hand the input's reserved bytes back once it has been read (an eager path that builds state
   * before it emits, such as an aggregation's groups, calls it between the two; the engine calls
   * it after the path in any case).
   */
  release(): void;
}

/** A streaming relation's plan node as a rewrite sees it: the operator, its plan, and its input. */
export interface PlanNode {
  readonly op: Operator;
  readonly plan: OperatorPlan;
}

/** Shared by both kinds of operator. */
interface OperatorBase<A extends readonly unknown[], P extends OperatorPlan> {
  /** The method name (`filter`, `join`, …): plan errors and memory reservations name it. */
  readonly name: string;
  /** Check the arguments against the input's schema and resolve them; throws `PlanError`. */
  plan(input: Schema, args: A): P;
  /** What the engine's reservation for the operator's result is called (default: `name`). */
  label?(plan: P): string;
  /** A few small queries that use the operator, over sample sources (keep-alive holds each open; tests run each). */
  samples(s: SampleSources): Relation[];
  /**
   * Keep-alive reads one row of each sample: the operator builds state objects on its first
   * `next()` (tables, groups, buffers) whose classes must stay alive too. Without it, samples
   * are only opened: every row keep-alive reads runs the engine's hot loops before any query
   * does, and past a few calls V8 records their call targets (the keep-alive's predicates and
   * row functions), which made a filter over 10K rows 2x slower (its predicate call was no
   * longer inlined).
   */
  readonly pinByReading?: true;
}

/** An operator over one input relation. */
export interface UnaryOperator<A extends readonly unknown[] = readonly any[], P extends OperatorPlan = any> extends OperatorBase<A, P> {
  readonly inputs: 1;
  /** The operator as a lazy iterator over its input's iterator (which it closes). */
  open(plan: P, input: TupleIterator, ctx: ExecutionContext, engine: EngineKind): TupleIterator;
  /** The materialized engine's path over the whole input array; without one, `open` over the array is drained. */
  eager?(plan: P, input: ArrayInput, out: RowSink, ctx: ExecutionContext): void;
  /** The output's exact size given the input's (-1: unknown), without reading anything. */
  size(plan: P, input: number): number;
  /** Pipeline fusion: the plan as one fused stage, or null when it cannot be one (a JavaScript function argument). */
  stage?(plan: P): Stage | null;
  /**
   * Pipeline fusion: this operator can end a fused run as a fold (one generated loop with the
   * accumulators inline); returns the aggregation to fold, or null (not with these options).
   */
  fold?(plan: P, ctx: ExecutionContext): AggregatePlan | null;
  /** The iterator over a fused run's fold (see {@link fold}). */
  openFold?(plan: P, input: FoldInput, ctx: ExecutionContext): TupleIterator;
  /**
   * A plan-time rewrite of this operator over `below` (a streaming node nothing has read) into one
   * node over below's input, e.g. a limit over a sort becomes a top-k. Null: no rewrite.
   */
  over?(plan: P, below: PlanNode): PlanNode | null;
}

/** An operator over two input relations: the other one is its first argument, and its plan keeps it. */
export interface BinaryOperator<A extends readonly unknown[] = readonly any[], P extends BinaryPlan = any> extends OperatorBase<A, P> {
  readonly inputs: 2;
  /**
   * The operator as a lazy iterator over its two inputs, opened by it (in its own order, closing
   * what it opened if a later open fails); `wrap` is applied to every input iterator it opens.
   */
  open(plan: P, left: Relation, ctx: ExecutionContext, engine: EngineKind, wrap: (it: TupleIterator) => TupleIterator): TupleIterator;
  /** The materialized engine's path over the whole left array; without one, `open` is drained. */
  eager?(plan: P, input: ArrayInput, out: RowSink, ctx: ExecutionContext): void;
  /** The output's exact size given both inputs' (-1: unknown), without reading anything. */
  size(plan: P, left: number, right: number): number;
}

/** Any operator. */
export type Operator = UnaryOperator | BinaryOperator;

/** The sample sources an operator's `samples` build on (all of one engine; the columnar one is fresh each call). */
export interface SampleSources {
  /** The options the samples' engine runs with (a sample may be worth running under some only). */
  readonly options: ResolvedOptions;
  /** Columns (a, b): a few rows, a key shared with `right`. */
  left(): Relation;
  /** Columns (a, c). */
  right(): Relation;
  /** Column (z): nothing shared with the others. */
  other(): Relation;
  /** Columns (a, b) as a columnar table (`fromColumns`). */
  columns(): Relation;
}

/** What an operator's reservations and buffers are called for this plan (its `label`, else its name). */
export function labelOf<P extends OperatorPlan>(op: { readonly name: string; label?(plan: P): string }, plan: P): string {
  return op.label?.(plan) ?? op.name;
}

/** Check that an operator's second input is a relation (before its schema is read). */
export function checkRelation(other: unknown, operator: string): Relation {
  if (other === null || typeof other !== 'object' || typeof (other as Relation).open !== 'function' || !Array.isArray((other as Relation).schema)) {
    throw new PlanError(`${operator} takes a relation`);
  }
  return other as Relation;
}

/**
 * Whether `r` can be opened again without error: a materialized relation, or a streaming one
 * whose `materialize()` was called (its cache replays). A cache that only answered `size()` or
 * `isEmpty()` serves a single pass and does not count. Used to pick hash-join build sides and
 * to decide whether a cross product may re-read its right side.
 */
export function isReopenable(r: Relation): boolean {
  if (r.kind === 'materialized') return true;
  return (r as { reopenable?: boolean }).reopenable === true;
}

/** A relation's exact size if it is known without reading (a streaming one never consumes), else -1. */
export function knownSize(r: Relation): number {
  const s = r as { knownSize?: () => number };
  return typeof s.knownSize === 'function' ? s.knownSize() : r.size();
}

/** Open two inputs; if the second fails to open, the first is closed before rethrowing. */
export function openBoth(left: Relation, right: Relation, wrap: (it: TupleIterator) => TupleIterator): [TupleIterator, TupleIterator] {
  const l = wrap(left.open());
  try {
    return [l, wrap(right.open())];
  } catch (e) {
    l.close();
    throw e;
  }
}

/** Hand every tuple of an iterator to `sink`, always closing it; returns the count. */
export function pushAll(it: TupleIterator, sink: (t: Tuple) => void): number {
  let n = 0;
  try {
    for (let t = it.next(); t !== undefined; t = it.next()) {
      sink(t);
      n++;
    }
  } finally {
    it.close();
  }
  return n;
}

/** Drain an iterator into `out`, always closing it. */
export function drainInto(it: TupleIterator, out: RowSink): void {
  try {
    for (let t = it.next(); t !== undefined; t = it.next()) out.push(t);
  } finally {
    it.close();
  }
}

/** Drain an iterator into an array, always closing it. */
export function drain(it: TupleIterator): Tuple[] {
  const out: Tuple[] = [];
  try {
    for (let t = it.next(); t !== undefined; t = it.next()) out.push(t);
  } finally {
    it.close();
  }
  return out;
}

/** Adapt a TupleIterator to the JS iterator protocol (a convenience, off the hot path). */
export function* iterate(it: TupleIterator): Generator<Tuple, void, undefined> {
  try {
    for (let t = it.next(); t !== undefined; t = it.next()) yield t;
  } finally {
    it.close();
  }
}
