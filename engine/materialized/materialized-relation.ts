import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { OperatorMethods } from '../operators/methods.js';
import { drain, drainInto, iterate, labelOf, pushAll, type ArrayInput, type RowSink, type BinaryOperator, type BinaryPlan, type OperatorPlan, type UnaryOperator } from '../operators/operator.js';
import { ArrayIterator, badSourceRow, checkRows, checkSchema } from '../operators/scan.js';
import type { Relation, TupleIterator } from '../relation.js';
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
export class MaterializedRelation extends OperatorMethods implements Relation, ArrayInput {
  readonly kind = 'materialized' as const;

  /** @internal use the engine's `from()` / `fromIterator()` or an operator. */
  constructor(
    readonly schema: Schema,
    /** @internal the result (an eager path's input). */
    readonly rows: readonly Tuple[],
    private readonly ctx: ExecutionContext,
    /** What this result holds reserved (handed over by the operator that computed it); null for the caller's rows. */
    private readonly mem: MemoryReservation | null,
    /** Holds the caller's rows (from `from()`): reading it counts into `metrics.sourceRows`. */
    private readonly isSource = false,
  ) {
    super();
  }

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

  /** The exact size (always known). */
  knownSize(): number {
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

  /**
   * Run a one-input operator now: its eager path over this array, else its iterator over it,
   * drained into a reserved result.
   */
  unary<A extends readonly unknown[], P extends OperatorPlan>(op: UnaryOperator<A, P>, args: A): MaterializedRelation {
    const plan = op.plan(this.schema, args);
    return this.run(op, plan, () => op.open(plan, this.open(), this.ctx, 'materialized'));
  }

  /** Run a two-input operator now (this relation is its left input), as {@link unary} does. */
  binary<A extends readonly unknown[], P extends BinaryPlan>(op: BinaryOperator<A, P>, args: A): MaterializedRelation {
    const plan = op.plan(this.schema, args);
    return this.run(op, plan, () => op.open(plan, this, this.ctx, 'materialized', (it) => it));
  }

  /** What {@link unary} and {@link binary} share: the eager path if the operator has one, else `open()` drained. */
  private run<P extends OperatorPlan>(op: { readonly name: string; label?(plan: P): string; eager?(plan: P, input: ArrayInput, out: RowSink, ctx: ExecutionContext): void }, plan: P, open: () => TupleIterator): MaterializedRelation {
    const label = `materialized ${labelOf(op, plan)}`;
    if (op.eager !== undefined) return this.compute(label, plan.schema, (b) => op.eager!(plan, this, b, this.ctx), true);
    return this.compute(label, plan.schema, (b) => drainInto(open(), b), false);
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

  /**
   * Run one operator: `fill` pushes the result tuples into a reserving builder. On failure the
   * partial reservation is handed back; on success this input's reservation is (it is consumed).
   * `readsArray`: `fill` read this relation's array directly (an eager path), so a source's rows
   * are counted here; through `open()` they are counted by its iterator.
   */
  private compute(operator: string, schema: Schema, fill: (b: ResultBuilder) => void, readsArray: boolean): MaterializedRelation {
    const b = new ResultBuilder(this.ctx, operator);
    try {
      fill(b);
    } catch (e) {
      b.abandon();
      throw e;
    }
    const result = b.finish(schema);
    if (readsArray && this.isSource) this.ctx.metrics.sourceRows += this.rows.length;
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
