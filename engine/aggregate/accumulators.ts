import type { ExecutionContext } from '../context.js';
import { ExecutionError } from '../errors.js';
import { compareValues } from '../expr/compare.js';
import { hashEntryBytes, SLOT_BYTES, valueBytes } from '../memory/byte-model.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import type { Tuple, Value } from '../types.js';

/**
 * Aggregate functions, one class each, all following the same pattern:
 * `init()` adds a state slot for a new group, `add(g, t)` folds one row into group g,
 * `merge(g, other, og)` folds another accumulator's group og into group g (for partial
 * aggregates), and `result(g)` reads the final value. State is columnar (one array per
 * accumulator, indexed by group), so a row costs no allocation and a group costs a slot.
 *
 * Null semantics, the same on both engines and in both aggregation modes (the published
 * engine's two paths disagreed here):
 * - `count` without a column is `count(*)` and counts every row, nulls included;
 * - every other function ignores null inputs: `count(col)` counts non-null values,
 *   `countDistinct` counts distinct non-null values, and `sum`/`min`/`max`/`avg`/`first`/`last`
 *   over no non-null value are null;
 * - `first(col, orderBy)` / `last(col, orderBy)` is `col` at the row with the smallest / largest
 *   `orderBy`, over rows where both are non-null; ties go to the smaller / larger `col` value, so
 *   the result never depends on input order;
 * - `sum` and `avg` take numbers; anything else is an `ExecutionError` when the row is reached;
 * - with no group-by columns there is exactly one output row, even for empty input
 *   (`count` 0, the others null), as in SQL.
 */
export interface Accumulator {
  /** Add a state slot for the next group id. */
  init(): void;
  add(g: number, t: Tuple): void;
  merge(g: number, other: Accumulator, og: number): void;
  result(g: number): Value;
  /** Release whatever the accumulator reserved. */
  free(): void;
}

/** The aggregate functions. */
export type AggregateFunction = 'count' | 'countDistinct' | 'sum' | 'min' | 'max' | 'avg' | 'first' | 'last';
export const AGGREGATE_FUNCTIONS: readonly AggregateFunction[] = ['count', 'countDistinct', 'sum', 'min', 'max', 'avg', 'first', 'last'];

abstract class Base implements Accumulator {
  protected readonly mem: MemoryReservation;
  constructor(ctx: ExecutionContext, operator: string, private readonly slotBytes: number) {
    this.mem = ctx.memory.reservation(operator);
  }
  init(): void {
    this.mem.grow(this.slotBytes);
    this.grow();
  }
  free(): void {
    this.mem.free();
  }
  protected abstract grow(): void;
  abstract add(g: number, t: Tuple): void;
  abstract merge(g: number, other: Accumulator, og: number): void;
  abstract result(g: number): Value;
}

class CountStar extends Base {
  readonly n: number[] = [];
  protected grow(): void { this.n.push(0); }
  add(g: number): void { this.n[g]!++; }
  merge(g: number, o: Accumulator, og: number): void { this.n[g]! += (o as CountStar).n[og]!; }
  result(g: number): Value { return this.n[g]!; }
}

class Count extends Base {
  readonly n: number[] = [];
  constructor(ctx: ExecutionContext, op: string, private readonly col: number) { super(ctx, op, SLOT_BYTES); }
  protected grow(): void { this.n.push(0); }
  add(g: number, t: Tuple): void { if (t[this.col] !== null) this.n[g]!++; }
  merge(g: number, o: Accumulator, og: number): void { this.n[g]! += (o as Count).n[og]!; }
  result(g: number): Value { return this.n[g]!; }
}

class CountDistinct extends Base {
  readonly sets: Set<Value>[] = [];
  constructor(ctx: ExecutionContext, op: string, private readonly col: number) { super(ctx, op, SLOT_BYTES + 64); }
  protected grow(): void { this.sets.push(new Set()); }
  add(g: number, t: Tuple): void {
    const v = t[this.col]!;
    if (v !== null) this.insert(this.sets[g]!, v);
  }
  merge(g: number, o: Accumulator, og: number): void {
    const into = this.sets[g]!;
    for (const v of (o as CountDistinct).sets[og]!) this.insert(into, v);
  }
  result(g: number): Value { return this.sets[g]!.size; }
  private insert(set: Set<Value>, v: Value): void {
    if (set.has(v)) return;
    this.mem.grow(hashEntryBytes(v));
    set.add(v);
  }
}

/** sum and avg: a running sum and a count of non-null inputs. */
class SumAvg extends Base {
  readonly sum: number[] = [];
  readonly n: number[] = [];
  constructor(ctx: ExecutionContext, op: string, private readonly col: number, private readonly avg: boolean, private readonly name: string) {
    super(ctx, op, 2 * SLOT_BYTES);
  }
  protected grow(): void { this.sum.push(0); this.n.push(0); }
  add(g: number, t: Tuple): void {
    const v = t[this.col]!;
    if (typeof v === 'number') {
      this.sum[g]! += v;
      this.n[g]!++;
    } else if (v !== null) {
      throw new ExecutionError(`${this.name} takes numbers, got ${typeof v} ${JSON.stringify(v)}`);
    }
  }
  merge(g: number, o: Accumulator, og: number): void {
    const other = o as SumAvg;
    this.sum[g]! += other.sum[og]!;
    this.n[g]! += other.n[og]!;
  }
  result(g: number): Value {
    const n = this.n[g]!;
    if (n === 0) return null;
    return this.avg ? this.sum[g]! / n : this.sum[g]!;
  }
}

/** min and max over the total order of values (see `compareValues`). */
class MinMax extends Base {
  readonly best: Value[] = [];
  constructor(ctx: ExecutionContext, op: string, private readonly col: number, private readonly sign: 1 | -1) { super(ctx, op, SLOT_BYTES); }
  protected grow(): void { this.best.push(null); }
  add(g: number, t: Tuple): void { this.offer(g, t[this.col]!); }
  merge(g: number, o: Accumulator, og: number): void { this.offer(g, (o as MinMax).best[og]!); }
  result(g: number): Value { return this.best[g]!; }
  private offer(g: number, v: Value): void {
    if (v === null) return;
    const b = this.best[g]!;
    if (b === null || this.sign * compareValues(v, b) < 0) {
      if (b === null) this.mem.grow(valueBytes(v));
      this.best[g] = v;
    }
  }
}

/** first and last: the value at the smallest / largest `orderBy`, ties broken by the value. */
class FirstLast extends Base {
  readonly key: Value[] = [];
  readonly val: Value[] = [];
  constructor(ctx: ExecutionContext, op: string, private readonly col: number, private readonly by: number, private readonly sign: 1 | -1) {
    super(ctx, op, 2 * SLOT_BYTES + 32);
  }
  protected grow(): void { this.key.push(null); this.val.push(null); }
  add(g: number, t: Tuple): void { this.offer(g, t[this.by]!, t[this.col]!); }
  merge(g: number, o: Accumulator, og: number): void {
    const other = o as FirstLast;
    this.offer(g, other.key[og]!, other.val[og]!);
  }
  result(g: number): Value { return this.val[g]!; }
  private offer(g: number, k: Value, v: Value): void {
    if (k === null || v === null) return;
    const bk = this.key[g]!;
    if (bk !== null) {
      const c = this.sign * compareValues(k, bk);
      if (c > 0 || (c === 0 && this.sign * compareValues(v, this.val[g]!) >= 0)) return;
    }
    this.key[g] = k;
    this.val[g] = v;
  }
}

/** A resolved aggregate: function, input column index (-1 for count(*)), orderBy index. */
export interface ResolvedAggregate {
  readonly fn: AggregateFunction;
  readonly column: number;
  readonly orderBy: number;
  readonly as: string;
  /** For messages, e.g. `sum(price) as volume`. */
  readonly label: string;
}

/** Make a fresh accumulator for `spec`. */
export function makeAccumulator(spec: ResolvedAggregate, ctx: ExecutionContext, operator: string): Accumulator {
  switch (spec.fn) {
    case 'count': return spec.column < 0 ? new CountStar(ctx, operator, SLOT_BYTES) : new Count(ctx, operator, spec.column);
    case 'countDistinct': return new CountDistinct(ctx, operator, spec.column);
    case 'sum': return new SumAvg(ctx, operator, spec.column, false, `${spec.label}`);
    case 'avg': return new SumAvg(ctx, operator, spec.column, true, `${spec.label}`);
    case 'min': return new MinMax(ctx, operator, spec.column, 1);
    case 'max': return new MinMax(ctx, operator, spec.column, -1);
    case 'first': return new FirstLast(ctx, operator, spec.column, spec.orderBy, 1);
    case 'last': return new FirstLast(ctx, operator, spec.column, spec.orderBy, -1);
  }
}
