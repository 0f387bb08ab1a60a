import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import type { Expr } from '../expr/expr.js';
import { ArrayIterator } from '../iterators/array-iterator.js';
import { extender, projector } from '../iterators/projector.js';
import { allIndices, KeyIds } from '../keys/keys.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { checkRows, checkSchema, drain, iterate, pushAll, planConcat, planExtend, planFilter, planLimit, planProject } from '../plan.js';
import { AggregateIterator } from '../aggregate/aggregate-iterator.js';
import { compileFold, OnePassAggregateIterator, type Groups } from '../aggregate/compiled-aggregate.js';
import { planAggregate, type AggregateSpec } from '../aggregate/aggregate-plan.js';
import { HashJoinIterator } from '../join/hash-join-iterator.js';
import { planJoin, planSemiJoin, type JoinOptions } from '../join/join-plan.js';
import { NestedLoopIterator } from '../join/nested-loop-iterator.js';
import { badSourceRow } from '../iterators/source-iterator.js';
import { SemiJoinIterator } from '../join/semi-join-iterator.js';
import { isReopenable, openBoth } from '../join/open-inputs.js';
import { planOrderBy, type SortKey } from '../sort/sort-plan.js';
import type { Relation, RowFunction, RowPredicate, TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import { checkColumnarTable, rowDecoder, type ColumnarTable } from '../columns.js';

/**
 * The materializing engine: every operator computes its full result into an array right away.
 *
 * Memory accounting models a pipeline in which each intermediate result has one consumer:
 * a result reserves its bytes when it is computed; once a downstream operator has been computed
 * from it, its reservation is handed back (the array itself lives on until garbage collection,
 * as it would in any engine). Draining a relation (`toArray()`, or closing an iterator from
 * `open()`) or calling `release()` also hands it back. Sources from `from()` hold the caller's
 * array and reserve nothing. The tracker's peak is therefore "input plus output of the largest
 * step", which is what a materializing engine needs at least.
 */
export class MaterializedRelation implements Relation {
  readonly kind = 'materialized' as const;

  /** @internal use the engine's `from()` / `fromIterator()` or an operator. */
  constructor(
    readonly schema: Schema,
    private readonly rows: readonly Tuple[],
    private readonly ctx: ExecutionContext,
    /** What this result holds reserved (handed over by the operator that computed it); null for the caller's rows. */
    private readonly mem: MemoryReservation | null,
    /** Holds the caller's rows (from `from()`): reading it counts into `metrics.sourceRows`. */
    private readonly isSource = false,
  ) {}

  /** A source over the caller's rows (validated, not copied, not reserved). */
  static from(schema: Schema, rows: readonly Tuple[], ctx: ExecutionContext): MaterializedRelation {
    const s = checkSchema(schema, 'from');
    return new MaterializedRelation(s, checkRows(s, rows, 'from', ctx.runtime.checkedRows), ctx, null, true);
  }

  /** Decode every row of a columnar table now (a materializing scan), into an engine-owned array. */
  static fromColumns(schema: Schema, table: ColumnarTable, ctx: ExecutionContext): MaterializedRelation {
    const s = checkSchema(schema, 'fromColumns');
    const t = checkColumnarTable(table, s.length, 'fromColumns');
    const at = rowDecoder(t, ctx.runtime);
    // Decoded rows have the schema's width by construction: no per-row check, unlike fromIterator.
    const b = new ResultBuilder(ctx, 'materialized source');
    try {
      for (let i = 0; i < t.length; i++) {
        if ((i & ABORT_CHECK_MASK) === 0) ctx.checkAborted();
        b.push(at(i));
      }
    } catch (e) {
      b.abandon();
      throw e;
    }
    ctx.metrics.sourceRows += t.length;
    return b.finish(s);
  }

  /** Read a source iterator to the end now, into an engine-owned (reserved) array. */
  static fromIterator(schema: Schema, open: () => TupleIterator, ctx: ExecutionContext): MaterializedRelation {
    const s = checkSchema(schema, 'fromIterator');
    const b = new ResultBuilder(ctx, 'materialized source');
    const it = open();
    try {
      for (let t = it.next(); t !== undefined; t = it.next()) {
        if (!Array.isArray(t) || t.length !== s.length) throw badSourceRow(t, b.rows.length, s);
        b.push(t);
      }
    } catch (e) {
      b.abandon();
      throw e;
    } finally {
      it.close();
    }
    ctx.metrics.sourceRows += b.rows.length;
    return b.finish(s);
  }

  open(): TupleIterator {
    return new ArrayIterator(this.rows, this.ctx, this.isSource, () => this.release());
  }

  size(): number {
    return this.rows.length;
  }

  isEmpty(): boolean {
    return this.rows.length === 0;
  }

  materialize(): Relation {
    return this;
  }

  release(): void {
    this.mem?.free();
  }

  filter(predicate: Expr | RowPredicate): Relation {
    const p = planFilter(this.schema, predicate);
    const rows = this.rows, n = rows.length;
    return this.compute('materialized filter', this.schema, (b) => {
      for (let i = 0; i < n; i++) {
        const t = rows[i]!;
        if (p(t)) b.push(t);
      }
    });
  }

  project(columns: readonly string[]): Relation {
    const pick = projector(planProject(this.schema, columns));
    return this.map(Object.freeze(columns.slice()), pick, 'materialized project');
  }

  extend(column: string, value: Expr | RowFunction): Relation {
    const plan = planExtend(this.schema, column, value);
    return this.map(plan.schema, extender(this.schema.length, plan.value), 'materialized extend');
  }

  distinct(): Relation {
    const rows = this.rows, n = rows.length, cols = allIndices(this.schema.length);
    const mem = this.ctx.memory.reservation('materialized distinct');
    const seen = new KeyIds(cols.length, (bytes) => mem.grow(bytes));
    try {
      return this.compute('materialized distinct', this.schema, (b) => {
        for (let i = 0; i < n; i++) {
          const t = rows[i]!;
          const before = seen.size;
          if (seen.id(t, cols) === before) b.push(t);
        }
      });
    } finally {
      mem.free();
    }
  }

  concat(other: Relation): Relation {
    planConcat(this.schema, other);
    const rows = this.rows;
    return this.compute('materialized concat', this.schema, (b) => {
      for (let i = 0; i < rows.length; i++) b.push(rows[i]!);
      const it = other.open();
      try {
        for (let t = it.next(); t !== undefined; t = it.next()) b.push(t);
      } finally {
        it.close();
      }
    });
  }

  limit(n: number): Relation {
    const rows = this.rows, k = Math.min(planLimit(n), rows.length);
    return this.compute('materialized limit', this.schema, (b) => {
      for (let i = 0; i < k; i++) b.push(rows[i]!);
    });
  }

  join(other: Relation, opts?: JoinOptions): Relation {
    const plan = planJoin(this.schema, other.schema, opts);
    const ctx = this.ctx;
    if (plan.leftKeys.length === 0) {
      const reopenable = isReopenable(other);
      return this.drainInto('materialized cross product', plan.schema, () => new NestedLoopIterator(this.open(), () => other.open(), reopenable, plan.combine, ctx));
    }
    // Build on the smaller side when both are materialized (ties: the right); else on this one.
    const buildLeft = other.kind === 'materialized' ? this.rows.length < other.size() : true;
    const build = buildLeft ? this : other;
    return this.drainInto('materialized hash join', plan.schema, () => {
      const [l, r] = openBoth(this, other);
      return HashJoinIterator.oriented(l, r, plan, buildLeft, build.size(), ctx, 'materialized hash join');
    });
  }

  semiJoin(other: Relation, opts?: JoinOptions): Relation {
    return this.semi(other, opts, false);
  }

  antiJoin(other: Relation, opts?: JoinOptions): Relation {
    return this.semi(other, opts, true);
  }

  aggregate(groupBy: readonly string[], aggs: readonly AggregateSpec[]): Relation {
    const plan = planAggregate(this.schema, groupBy, aggs);
    const ctx = this.ctx;
    if (!ctx.options.enableStreamingAggregation) {
      return this.drainInto('materialized aggregate', plan.schema, () => new AggregateIterator(this.open(), plan, ctx, 'materialized'));
    }
    // One generated loop over the rows array; reading it hands this relation's bytes back, as open() does.
    const fold = compileFold(this.schema.length, [], plan), rows = this.rows, isSource = this.isSource;
    const input = { fold: (groups: Groups) => fold.overArray(rows, ctx, groups, isSource), close: () => this.release() };
    return this.drainInto('materialized aggregate', plan.schema, () => new OnePassAggregateIterator(input, plan, ctx, 'materialized aggregate (one pass)'));
  }

  orderBy(keys: readonly SortKey[]): Relation {
    const compare = planOrderBy(this.schema, keys);
    const sorted = this.rows.slice().sort(compare);
    return this.compute('materialized sort', this.schema, (b) => {
      for (let i = 0; i < sorted.length; i++) b.push(sorted[i]!);
    });
  }

  toArray(): Tuple[] {
    return drain(this.open());
  }

  forEach(sink: (t: Tuple) => void): number {
    return pushAll(this.open(), sink);
  }

  [Symbol.iterator](): Iterator<Tuple> {
    return iterate(this.open());
  }

  private semi(other: Relation, opts: JoinOptions | undefined, anti: boolean): Relation {
    // Plan errors name the operator exactly as the streaming engine does; the reservation says which engine.
    const { leftKeys, rightKeys } = planSemiJoin(this.schema, other.schema, opts, anti ? 'anti join' : 'semi join');
    return this.drainInto(anti ? 'materialized anti join' : 'materialized semi join', this.schema, () => {
      const [l, r] = openBoth(this, other);
      return new SemiJoinIterator(l, r, leftKeys, rightKeys, anti, this.ctx);
    });
  }

  /** Compute an operator by draining the iterator `open` returns into a reserved result. */
  private drainInto(operator: string, schema: Schema, open: () => TupleIterator): MaterializedRelation {
    return this.compute(operator, schema, (b) => {
      const it = open();
      try {
        for (let t = it.next(); t !== undefined; t = it.next()) b.push(t);
      } finally {
        it.close();
      }
    });
  }

  private map(schema: Schema, step: (t: Tuple) => Tuple, operator: string): Relation {
    const rows = this.rows, n = rows.length;
    return this.compute(operator, schema, (b) => {
      for (let i = 0; i < n; i++) b.push(step(rows[i]!));
    });
  }

  /**
   * Run one operator: `fill` pushes the result tuples into a reserving builder. On failure the
   * partial reservation is handed back; on success this input's reservation is (it is consumed).
   */
  private compute(operator: string, schema: Schema, fill: (b: ResultBuilder) => void): MaterializedRelation {
    const b = new ResultBuilder(this.ctx, operator);
    try {
      fill(b);
    } catch (e) {
      b.abandon();
      throw e;
    }
    const result = b.finish(schema);
    if (this.isSource) this.ctx.metrics.sourceRows += this.rows.length;
    this.release();
    this.ctx.metrics.materializations++;
    this.ctx.metrics.materializedRows += b.rows.length;
    return result;
  }
}
/** Accumulates an operator's result array, reserving each tuple as it is added. */
class ResultBuilder {
  readonly rows: Tuple[] = [];
  private readonly mem: MemoryReservation;
  private readonly sizer = new TupleSizer();

  constructor(private readonly ctx: ExecutionContext, operator: string) {
    this.mem = ctx.memory.reservation(operator);
  }

  push(t: Tuple): void {
    this.mem.grow(this.sizer.charge(t));
    this.rows.push(t);
  }

  /** The operator failed: give back what was reserved. */
  abandon(): void {
    this.mem.free();
  }

  /** The result, which takes over the reservation. */
  finish(schema: Schema): MaterializedRelation {
    return new MaterializedRelation(schema, this.rows, this.ctx, this.mem);
  }
}
