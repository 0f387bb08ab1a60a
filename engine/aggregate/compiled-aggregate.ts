import { columnBinds, columnRead, type ColumnarTable, type ColumnKind } from '../columns.js';
import type { ExecutionContext } from '../context.js';
import { ExecutionError, InternalError } from '../errors.js';
import { compareValues } from '../expr/compare.js';
import { countingRead, foldLoop, generate, iteratorFoldLoop, H, preamble, probeArrayLoop, probeIteratorLoop, probeSlots, type Generator, type ProbeShape, type Stage } from '../fusion/codegen.js';
import type { HashTable } from '../join/hash-table.js';
import { hashEntryBytes, SLOT_BYTES, tupleBytes, valueBytes } from '../memory/byte-model.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple, Value } from '../types.js';
import type { AggregateFunction, ResolvedAggregate } from './accumulators.js';
import type { AggregatePlan } from './aggregate-plan.js';
import { PairIds, ValueIds } from '../keys/keys.js';
import { sharedRuntime, type EngineRuntime } from '../runtime.js';

/**
 * One-pass aggregation as generated code: one loop reads the input, computes each row's group id
 * and updates every accumulator inline, with no call per row and accumulator (the class-based
 * accumulators made that call megamorphic: five classes behind one `add`). A run of
 * filter/extend/project before the aggregation can be compiled into the same loop (pipeline
 * fusion), over an array of rows, a columnar table or any iterator.
 *
 * The same null semantics as `accumulators.ts` (which the collect-then-reduce algorithm still
 * uses, so the differential tests compare the two implementations): the generated code takes the
 * fast path only when every value involved is a number and the order is strict, and hands
 * anything else (strings, booleans, NaN, ties, a group's first value) to {@link AGG_SLOW}, which
 * applies `compareValues` exactly as the classes do. The same safety rule as pipeline fusion: only
 * indices, fixed operator text and generated names become source; an aggregate's label (for its
 * error message) is a constant.
 */

/**
 * An accumulator field: `f64` a Float64Array, `tag` a Uint8Array saying where a group's value is
 * (0: none yet, 1: a number other than NaN, in the typed fields; 2: any other value, in the `any`
 * fields), `any` a plain array, `set` a plain array of value sets.
 */
type FieldKind = 'f64' | 'tag' | 'any' | 'set';

/**
 * Fields per function, in the order the generated code binds them, and the bytes a group costs.
 * Numbers live unboxed in typed arrays: a plain array of numbers mixed with nulls holds every
 * number as a heap object, and its reads and writes cost twice the typed ones (117K rows, 2,100
 * groups: 3.4 ms against 1.7 ms for the OHLC updates).
 * - count: n. sum, avg: sum, n.
 * - min, max: best (f64), tag, best (any).
 * - first, last: key (f64), value (f64), tag, key (any), value (any).
 * - countDistinct: the value sets.
 */
const LAYOUT: Record<AggregateFunction, { readonly fields: readonly FieldKind[]; readonly groupBytes: number }> = {
  count: { fields: ['f64'], groupBytes: SLOT_BYTES },
  countDistinct: { fields: ['set'], groupBytes: SLOT_BYTES + 64 },
  sum: { fields: ['f64', 'f64'], groupBytes: 2 * SLOT_BYTES },
  avg: { fields: ['f64', 'f64'], groupBytes: 2 * SLOT_BYTES },
  min: { fields: ['f64', 'tag', 'any'], groupBytes: SLOT_BYTES },
  max: { fields: ['f64', 'tag', 'any'], groupBytes: SLOT_BYTES },
  first: { fields: ['f64', 'f64', 'tag', 'any', 'any'], groupBytes: 2 * SLOT_BYTES + 32 },
  last: { fields: ['f64', 'f64', 'tag', 'any', 'any'], groupBytes: 2 * SLOT_BYTES + 32 },
};

type Field = Float64Array | Uint8Array | Value[] | Set<Value>[];

/**
 * The groups of one aggregation and their accumulator state: group ids from one {@link ValueIds}
 * per key column and one {@link PairIds} per further column (see `keys/keys.ts`), each group's
 * key values, and the accumulators' fields ({@link LAYOUT}), indexed by group id; typed fields
 * grow by doubling, so the generated code reloads them after adding a group. Every byte is
 * reserved with the context's memory tracker under the operator's name, and handed back by
 * `free()`.
 */
export class Groups {
  /** Per key column, its values' numbers. */
  readonly columns: ValueIds[] = [];
  /** Per key column after the first, the numbers of (prefix, value) pairs; the last one's are the group ids. */
  readonly pairs: (PairIds | null)[] = [null];
  /** Key values per group id. */
  readonly values: Tuple[] = [];
  /** The accumulators' fields, laid out as {@link LAYOUT} says. */
  readonly state: Field[] = [];
  private readonly kinds: FieldKind[] = [];
  private readonly first: number[] = [];
  private readonly groupBytes: number;
  private capacity = 16;
  private readonly mem: MemoryReservation;
  /**
   * The generated fold's fast path is on (see {@link speculates}): so far every aggregated value
   * was a number other than NaN (count(col): not null), so min and max hold numbers from ±Infinity
   * on, with no tags written, and sum counts nothing. {@link settle} writes what that skipped.
   */
  speculating: boolean;

  constructor(private readonly plan: AggregatePlan, ctx: ExecutionContext, operator: string) {
    const mem = (this.mem = ctx.memory.reservation(operator));
    const account = (bytes: number) => mem.resize(bytes);
    for (let i = 0; i < plan.groupBy.length; i++) {
      this.columns.push(new ValueIds(account));
      if (i > 0) this.pairs.push(new PairIds(account));
    }
    let bytes = 0;
    for (const a of plan.aggs) {
      this.first.push(this.state.length);
      for (const kind of LAYOUT[a.fn].fields) {
        this.kinds.push(kind);
        this.state.push(kind === 'f64' ? new Float64Array(this.capacity) : kind === 'tag' ? new Uint8Array(this.capacity) : []);
      }
      bytes += LAYOUT[a.fn].groupBytes;
    }
    this.groupBytes = bytes;
    this.speculating = speculates(plan);
    // With no group-by columns there is exactly one group, even for empty input.
    if (plan.groupBy.length === 0) this.add([]);
  }

  /**
   * End the fast path (at the first value it does not take, or when the fold is done; idempotent).
   * Every group so far was made by it, for a row whose aggregated values were all numbers, so
   * every min, max, first and last holds numbers (tag 1) and every sum counted at least one (its
   * count is read only against zero; avg counts in the fast path too).
   */
  settle(): void {
    if (!this.speculating) return;
    this.speculating = false;
    const n = this.values.length;
    this.plan.aggs.forEach((a, i) => {
      const s = this.first[i]!;
      if (a.fn === 'min' || a.fn === 'max') (this.state[s + 1] as Uint8Array).fill(1, 0, n);
      else if (a.fn === 'first' || a.fn === 'last') (this.state[s + 2] as Uint8Array).fill(1, 0, n);
      else if (a.fn === 'sum') (this.state[s + 1] as Float64Array).fill(1, 0, n);
    });
  }

  get size(): number {
    return this.values.length;
  }

  /** A new group, whose id is the current size: keep its key values and give it initial state (zeros, no value). */
  add(values: Tuple): void {
    this.reserve(tupleBytes(values) + this.groupBytes);
    const g = this.values.length;
    this.values.push(values);
    if (g === this.capacity) this.grow();
    for (let f = 0; f < this.state.length; f++) {
      const kind = this.kinds[f]!;
      if (kind === 'any') (this.state[f] as Value[]).push(null);
      else if (kind === 'set') (this.state[f] as Set<Value>[]).push(new Set());
    }
  }

  /** Group g's output row: its key values, then each aggregate's result. */
  row(g: number): Tuple {
    const key = this.values[g]!, { aggs } = this.plan;
    const out = new Array<Value>(key.length + aggs.length);
    for (let i = 0; i < key.length; i++) out[i] = key[i]!;
    for (let a = 0; a < aggs.length; a++) out[key.length + a] = this.result(a, g);
    return out;
  }

  /** Account for `bytes` more held by this aggregation (a negative count hands bytes back). */
  reserve(bytes: number): void {
    this.mem.resize(bytes);
  }

  /** Drop every group and hand back every reserved byte. */
  free(): void {
    this.mem.free();
    this.values.length = 0;
    this.state.length = 0;
    this.columns.length = 0;
    this.pairs.length = 0;
  }

  private grow(): void {
    this.capacity *= 2;
    for (let f = 0; f < this.state.length; f++) {
      const old = this.state[f]!;
      if (old instanceof Float64Array || old instanceof Uint8Array) {
        const next = old instanceof Float64Array ? new Float64Array(this.capacity) : new Uint8Array(this.capacity);
        next.set(old);
        this.state[f] = next;
      }
    }
  }

  private result(a: number, g: number): Value {
    const s = this.first[a]!, fn = this.plan.aggs[a]!.fn, st = this.state;
    switch (fn) {
      case 'count': return (st[s] as Float64Array)[g]!;
      case 'countDistinct': return (st[s] as Set<Value>[])[g]!.size;
      case 'sum': case 'avg': {
        const n = (st[s + 1] as Float64Array)[g]!;
        if (n === 0) return null;
        const sum = (st[s] as Float64Array)[g]!;
        return fn === 'avg' ? sum / n : sum;
      }
      case 'min': case 'max': {
        const tag = (st[s + 1] as Uint8Array)[g];
        return tag === 1 ? (st[s] as Float64Array)[g]! : tag === 2 ? (st[s + 2] as Value[])[g]! : null;
      }
      case 'first': case 'last': {
        const tag = (st[s + 2] as Uint8Array)[g];
        return tag === 1 ? (st[s + 1] as Float64Array)[g]! : tag === 2 ? (st[s + 4] as Value[])[g]! : null;
      }
    }
  }
}

/** The functions the fold's fast path takes (see {@link Groups.speculating}). */
const FAST_FUNCTIONS: ReadonlySet<AggregateFunction> = new Set(['count', 'sum', 'avg', 'min', 'max', 'first', 'last']);

/**
 * Whether an aggregation's fold starts on its fast path: it groups by at least one column (so
 * every group is made by a row the fast path took) and every aggregate is one the fast path
 * takes. The fast path leaves out the per-group tags of min, max, first and last and the count of sum, which
 * exist for nulls and non-numbers, until the first such value; the group-by over 1M rows then
 * runs closer to a hand-written loop that knows its data are numbers.
 */
export function speculates(plan: AggregatePlan): boolean {
  return plan.groupBy.length > 0 && plan.aggs.every((a) => FAST_FUNCTIONS.has(a.fn));
}

/** A number stored unboxed (tag 1); anything else, NaN included, is kept as a value (tag 2). */
const unboxed = (v: Value): v is number => typeof v === 'number' && v === v;

/** The generated code's paths for everything but numbers in strict order (see the module comment). */
export const AGG_SLOW = {
  /** The bytes the model counts for a min or max holding `v` (the slow path's `best` reserves them with a group's first value). */
  bytes: valueBytes,
  notNumber(label: string, v: Value): never {
    throw new ExecutionError(`${label} takes numbers, got ${typeof v} ${JSON.stringify(v)}`);
  },
  /** min (sign 1) / max (sign -1) of a non-null `v` into group g's best. */
  best(num: Float64Array, tag: Uint8Array, any: Value[], g: number, v: Exclude<Value, null>, sign: 1 | -1, groups: Groups): void {
    const t = tag[g];
    const b = t === 1 ? num[g]! : t === 2 ? any[g]! : null;
    if (b !== null && sign * compareValues(v, b) >= 0) return;
    if (b === null) groups.reserve(valueBytes(v));
    if (unboxed(v)) {
      num[g] = v;
      tag[g] = 1;
      any[g] = null;
    } else {
      any[g] = v;
      tag[g] = 2;
    }
  },
  /** first (sign 1) / last (sign -1): `v` at the smallest / largest `k`, ties to the smaller / larger `v`. */
  firstLast(keyNum: Float64Array, valNum: Float64Array, tag: Uint8Array, keyAny: Value[], valAny: Value[], g: number, k: Exclude<Value, null>, v: Exclude<Value, null>, sign: 1 | -1): void {
    const t = tag[g];
    if (t !== 0) {
      const bk = t === 1 ? keyNum[g]! : keyAny[g]!, bv = t === 1 ? valNum[g]! : valAny[g]!;
      const c = sign * compareValues(k, bk!);
      if (c > 0 || (c === 0 && sign * compareValues(v, bv!) >= 0)) return;
    }
    if (unboxed(k) && unboxed(v)) {
      keyNum[g] = k;
      valNum[g] = v;
      tag[g] = 1;
      keyAny[g] = valAny[g] = null;
    } else {
      keyAny[g] = k;
      valAny[g] = v;
      tag[g] = 2;
    }
  },
  distinct(sets: Set<Value>[], g: number, v: Exclude<Value, null>, groups: Groups): void {
    const set = sets[g]!;
    if (set.has(v)) return;
    groups.reserve(hashEntryBytes(v));
    set.add(v);
  },
};

/**
 * The loop body after the run's stages: the group id into `g` (a new group is added with its key
 * values), then each accumulator's update. `slots` are the JS expressions of the run's output
 * columns; `binds` declares the key tables and the fields' locals (`let`: reloaded after a new
 * group) and `F`, whether the fast path is on ({@link speculates}). With a fast path, the body
 * runs it while `F` holds: it tests the row's aggregated values first, and at the first it does
 * not take it settles the groups (`GR.settle()`), turns `F` off, and the row and every row after
 * it take the general updates.
 *
 * `steady`: the fold is generated with a steady loop where the plan has one ({@link hasSteadyLoop};
 * `foldLoop` over an array or columns, `iteratorFoldLoop` over an iterator; the probe folds have
 * none): a new group also sets `last = p`, and `steady` in the result is the steady loop's body
 * (null without one).
 */
function accumulate(g: Generator, plan: AggregatePlan, slots: readonly string[], steady: boolean): { lines: string[]; steady: string[] | null; binds: string } {
  let s = 0;
  const binds: string[] = plan.groupBy.map((_, j) => (j === 0 ? 'KV0 = GR.columns[0]' : `KV${j} = GR.columns[${j}], KP${j} = GR.pairs[${j}]`));
  const denseBinds: string[] = plan.groupBy.map((_, j) => `KD${j} = KV${j}.dense`);
  const fields = plan.aggs.map((a) => LAYOUT[a.fn].fields.map(() => `s${s++}`));
  const fieldBinds = fields.flat().map((f) => `${f} = ST[${f.slice(1)}]`);
  // A new group may have grown the typed fields: reload them.
  const reloads = [...denseBinds, ...fieldBinds];
  const fast = speculates(plan);
  const withSteady = steady && hasSteadyLoop(plan);
  const mark = withSteady ? ' last = p;' : '';
  const general = accumulateRow(g, plan, slots, fields, reloads, 'general', mark);
  const lines = fast ? ['if (F) {', ...accumulateRow(g, plan, slots, fields, reloads, 'fast', mark), '}', ...general] : general;
  return {
    lines,
    steady: withSteady ? accumulateRow(g, plan, slots, fields, reloads, 'steady', '') : null,
    binds: `${binds.length ? `const ${binds.join(', ')};` : ''}\n  ${reloads.length ? `let ${reloads.join(', ')};` : ''}\n  let F = ${fast ? 'GR.speculating' : 'false'};`,
  };
}

/**
 * Whether a fold over rows it can read again gets a steady loop (see {@link foldLoop}): it starts
 * on the fast path ({@link speculates}) and groups by one column, whose values the steady loop
 * looks up in the column's dense table only.
 */
export function hasSteadyLoop(plan: AggregatePlan): boolean {
  return speculates(plan) && plan.groupBy.length === 1;
}

/**
 * One row's group id and updates (see {@link accumulate}): general, on the fast path, or in the
 * steady loop, which takes the fast path's rows of groups that exist and whose key the dense table
 * reaches, and hands any other row back (`p--; break;`: the first loop reads it again). `mark` is
 * added to the new-group statement.
 */
function accumulateRow(g: Generator, plan: AggregatePlan, slots: readonly string[], fields: readonly (readonly string[])[], reloads: readonly string[], mode: 'general' | 'fast' | 'steady', mark: string): string[] {
  const lines: string[] = [];
  const fast = mode !== 'general', steady = mode === 'steady';
  const handBack = '{ p--; break; }';
  // Each input column the aggregation uses is read once per row, into a temporary (min and max
  // of one column, or first and last by one order column, share the read).
  const reads = new Map<number, string>();
  const read = (i: number): string => {
    let x = reads.get(i);
    if (x === undefined) {
      reads.set(i, (x = g.temp()));
      lines.push(`${x} = ${slots[i]};`);
    }
    return x;
  };
  if (fast) {
    // Every aggregated value is tested before the row makes a group, so that every group the
    // fast path made got a number for each aggregate.
    const number = (x: string) => `typeof ${x} === 'number' && ${x} === ${x}`;
    const checks = [...new Set(plan.aggs.filter((a) => a.column >= 0).flatMap((a) => {
      const x = read(a.column);
      if (a.fn === 'count') return [`${x} !== null`];
      return a.fn === 'first' || a.fn === 'last' ? [number(read(a.orderBy)), number(x)] : [number(x)];
    }))];
    const test = checks.length ? checks.join(' && ') : 'true';
    lines.push(steady ? `if (!(${test})) ${handBack}` : `if (!(${test})) { F = false; GR.settle(); } else {`);
  }
  const keys = plan.groupBy.map(read);
  // Each key column's value number: a small integer the column's dense table reaches is one load
  // from it, here in the loop; any other value goes through the column's ValueIds. Inline, the
  // group-by's speed no longer hangs on whether V8 inlines the ValueIds methods into this loop,
  // which moved with their size. KD, the table, is reloaded with a new group: only a new value
  // grows it, and a new value in any key column makes a new group.
  const ids = keys.map((k, j) => {
    const v = g.temp();
    lines.push(`${v} = typeof ${k} === 'number' && (${k} | 0) === ${k} && ${k} >= 0 && ${k} < KD${j}.length ? KD${j}[${k}] : -1;`
      + ` if (${v} < 0) ${steady ? handBack : `${v} = KV${j}.id(${k});`}`);
    return v;
  });
  if (keys.length > 0) {
    let id = ids[0]!;
    for (let j = 1; j < keys.length; j++) id = `KP${j}.id(${id}, ${ids[j]})`;
    lines.push(`g = ${id};`);
  }
  const newGroup = lines.length;
  // The fast path's new group: min, max, first and last start from ±Infinity, and the first
  // value's bytes of min and max are reserved now (the general path's `best` reserves them with
  // the first value).
  const starts: string[] = [], firstValues: string[] = [];
  plan.aggs.forEach((a, i) => {
    lines.push(...(fast ? fastUpdate(a, read, fields[i]!) : update(g, a, read, fields[i]!)));
    if (mode !== 'fast') return;
    if (a.fn === 'min' || a.fn === 'max') {
      starts.push(`${fields[i]![0]}[g] = ${a.fn === 'min' ? 'Infinity' : '-Infinity'};`);
      firstValues.push(`A.bytes(${read(a.column)})`);
    } else if (a.fn === 'first' || a.fn === 'last') {
      // The order key and the value start from +Infinity (first) or -Infinity (last): the first row's pair wins.
      const start = a.fn === 'first' ? 'Infinity' : '-Infinity';
      starts.push(`${fields[i]![0]}[g] = ${start}; ${fields[i]![1]}[g] = ${start};`);
    }
  });
  if (steady) {
    // The steady loop makes no group: all of its groups exist (the dense table holds only numbers
    // given to groups); the test keeps a broken assumption from writing past the fields.
    lines.splice(newGroup, 0, `if (g >= ng) ${handBack}`);
    return lines;
  }
  const init = [...(reloads.length ? [`${reloads.join('; ')};`] : []), ...starts, ...(firstValues.length ? [`GR.reserve(${firstValues.join(' + ')});`] : [])];
  if (keys.length > 0) lines.splice(newGroup, 0, `if (g === ng) {${mark} ng++; GR.add([${keys.join(', ')}]);${init.length ? ` ${init.join(' ')}` : ''} }`);
  if (fast) lines.push('continue; }');
  return lines;
}

/**
 * One accumulator's update on the fast path: its values are numbers other than NaN (count(col):
 * not null), tested before; min, max, first and last start from ±Infinity; sum counts nothing
 * (settled later).
 */
function fastUpdate(a: ResolvedAggregate, read: (i: number) => string, s: readonly string[]): string[] {
  switch (a.fn) {
    case 'count': return [`${s[0]}[g]++;`];
    case 'sum': return [`${s[0]}[g] += ${read(a.column)};`];
    case 'avg': return [`${s[0]}[g] += ${read(a.column)}; ${s[1]}[g]++;`];
    case 'min': case 'max': {
      const x = read(a.column);
      return [`if (${x} ${a.fn === 'min' ? '<' : '>'} ${s[0]}[g]) ${s[0]}[g] = ${x};`];
    }
    case 'first': case 'last': {
      // A strictly earlier (first) or later (last) key wins; an equal key keeps the smaller (first) or larger (last) value.
      const [keyNum, valNum] = s, k = read(a.orderBy), x = read(a.column), wins = a.fn === 'first' ? '<' : '>';
      return [`if (${k} ${wins} ${keyNum}[g]) { ${keyNum}[g] = ${k}; ${valNum}[g] = ${x}; } else if (${k} === ${keyNum}[g] && ${x} ${wins} ${valNum}[g]) ${valNum}[g] = ${x};`];
    }
    default: throw new InternalError(`the fold's fast path does not take ${a.fn}`);
  }
}

/**
 * One accumulator's update of group `g` from the current row (`read(i)`: the temporary holding
 * input column i, read when first asked for; `s`: the accumulator's fields' local names).
 */
function update(g: Generator, a: ResolvedAggregate, read: (i: number) => string, s: readonly string[]): string[] {
  const x = a.column >= 0 ? read(a.column) : '';
  switch (a.fn) {
    case 'count':
      return a.column < 0 ? [`${s[0]}[g]++;`] : [`if (${x} !== null) ${s[0]}[g]++;`];
    case 'countDistinct':
      return [`if (${x} !== null) A.distinct(${s[0]}, g, ${x}, GR);`];
    case 'sum': case 'avg':
      return [`if (typeof ${x} === 'number') { ${s[0]}[g] += ${x}; ${s[1]}[g]++; } else if (${x} !== null) A.notNumber(${g.constant(a.label)}, ${x});`];
    case 'min': case 'max': {
      // Fast: a number other than NaN against a group whose best is one (tag 1); equal keeps the best.
      const [num, tag, any] = s, better = a.fn === 'min' ? '<' : '>';
      return [`if (typeof ${x} === 'number' && ${tag}[g] === 1 && ${x} === ${x}) { if (${x} ${better} ${num}[g]) ${num}[g] = ${x}; } else if (${x} !== null) A.best(${num}, ${tag}, ${any}, g, ${x}, ${a.fn === 'min' ? 1 : -1}, GR);`];
    }
    case 'first': case 'last': {
      // Fast: numbers other than NaN, against a group holding numbers (tag 1): a strictly earlier
      // (first) or later (last) key wins; an equal key keeps the smaller (first) or larger (last) value.
      const [keyNum, valNum, tag, keyAny, valAny] = s, k = read(a.orderBy), bk = g.temp();
      const wins = a.fn === 'first' ? '<' : '>';
      return [
        `if (typeof ${k} === 'number' && typeof ${x} === 'number' && ${tag}[g] === 1 && ${k} === ${k} && ${x} === ${x}) {`
        + ` ${bk} = ${keyNum}[g]; if (${k} ${wins} ${bk}) { ${keyNum}[g] = ${k}; ${valNum}[g] = ${x}; } else if (${k} === ${bk} && ${x} ${wins} ${valNum}[g]) ${valNum}[g] = ${x}; }`
        + ` else if (${k} !== null && ${x} !== null) A.firstLast(${keyNum}, ${valNum}, ${tag}, ${keyAny}, ${valAny}, g, ${k}, ${x}, ${a.fn === 'first' ? 1 : -1});`,
      ];
    }
  }
}

type ArrayFolder = (h: typeof H, a: typeof AGG_SLOW, ctx: ExecutionContext, rows: readonly Tuple[], C: readonly unknown[], GR: Groups, failedAfter: (rowsRead: number) => void) => void;
type ColumnFolder = (h: typeof H, a: typeof AGG_SLOW, ctx: ExecutionContext, values: readonly ArrayLike<unknown>[], dicts: readonly unknown[], n: number, C: readonly unknown[], GR: Groups, failedAfter: (rowsRead: number) => void) => void;
type IteratorFolder = (h: typeof H, a: typeof AGG_SLOW, ctx: ExecutionContext, src: TupleIterator, C: readonly unknown[], GR: Groups) => void;

/** Fold shapes compiled so far in `runtime` (for tests). */
export function aggregateCacheSize(runtime: EngineRuntime = sharedRuntime()): number {
  return runtime.compiled('aggregate');
}

/** A fold compiled for one input form: reads the whole input into `groups`. */
export interface CompiledFold {
  /** `countAsSource`: count the rows read into `metrics.sourceRows` (false for an engine's own intermediate rows). */
  overArray(rows: readonly Tuple[], ctx: ExecutionContext, groups: Groups, countAsSource?: boolean): void;
  overColumns(table: ColumnarTable, ctx: ExecutionContext, groups: Groups): void;
  overIterator(src: TupleIterator, ctx: ExecutionContext, groups: Groups): void;
}

/**
 * The fold's setup and loop body over input slots `input`; with `steady` (see {@link accumulate})
 * also its steady loop's body, where the plan has one.
 */
function bodyFor(input: readonly string[], stages: readonly Stage[], plan: AggregatePlan, steady = false) {
  const { g, slots } = generate(input, stages);
  const acc = accumulate(g, plan, slots, steady);
  const { temps, consts } = preamble(g);
  const setup = `${consts}\n  ${temps}\n  const ST = GR.state;\n  ${acc.binds}\n  let g = 0, ng = GR.size;`;
  // Both loops run the stages (pure expressions) before their own accumulation.
  const body = [...g.lines, ...acc.lines].join('\n      ');
  const steadyBody = acc.steady && [...g.lines, ...acc.steady].join('\n      ');
  return { setup, body, steady: steadyBody, C: g.consts };
}

/**
 * Compile an aggregation, with a run of stages before it, over input rows of `width` columns
 * (arrays or iterators) or over a columnar table (`overColumns` compiles per column kinds).
 * Folds are generated once per shape (input form, stages, grouping and aggregates; never a
 * value) in the engine's runtime, namespace 'aggregate'.
 */
export function compileFold(width: number, stages: readonly Stage[], plan: AggregatePlan): CompiledFold {
  const rowInput = Array.from({ length: width }, (_, i) => `t[${i}]`);
  const rows = bodyFor(rowInput, stages, plan, true);
  return {
    overArray(data, ctx, groups, countAsSource = true) {
      const fold = ctx.runtime.cached('aggregate', `array\n${rows.setup}\n${rows.body}\n${rows.steady}`, () =>
        new Function(foldLoop('fusedAggregate', 'H, A, ctx, rows, C, GR, failedAfter', `${rows.setup}\n  const n = rows.length;`, 'const t = rows[p++];', rows.body, rows.steady))() as ArrayFolder);
      countingRead(ctx, data.length, (failedAfter) => fold(H, AGG_SLOW, ctx, data, rows.C, groups, failedAfter), countAsSource);
    },
    overIterator(src, ctx, groups) {
      const fold = ctx.runtime.cached('aggregate', `iterator\n${rows.setup}\n${rows.body}\n${rows.steady}`, () =>
        new Function(iteratorFoldLoop('fusedIteratorAggregate', 'H, A, ctx, src, C, GR', rows.setup, rows.body, rows.steady))() as IteratorFolder);
      fold(H, AGG_SLOW, ctx, src, rows.C, groups);
    },
    overColumns(table, ctx, groups) {
      const kinds: ColumnKind[] = table.columns.map((c) => c.kind);
      const cols = bodyFor(kinds.map((k, c) => columnRead(k, c, 'q')), stages, plan, true);
      const binds = columnBinds(kinds, 'values_', 'dicts_');
      const fold = ctx.runtime.cached('aggregate', `columns ${kinds.join(',')}\n${cols.setup}\n${cols.body}\n${cols.steady}`, () =>
        new Function(foldLoop('fusedColumnAggregate', 'H, A, ctx, values_, dicts_, n, C, GR, failedAfter', `${binds}\n  ${cols.setup}`, 'const q = p++;', cols.body, cols.steady))() as ColumnFolder);
      countingRead(ctx, table.length, (failedAfter) => fold(H, AGG_SLOW, ctx, table.columns.map((c) => c.values), table.columns.map((c) => c.dict), table.length, cols.C, groups, failedAfter));
    },
  };
}

/** What a one-pass aggregation reads: `fold` reads the whole input into the groups; `close` closes it (once, whether or not it was read). */
export interface FoldInput {
  fold(groups: Groups): void;
  close(): void;
}

/**
 * One-pass aggregation, a pipeline breaker: the first `next()` folds the whole input into its
 * groups (one compiled loop), then the groups are emitted one by one, each output row built when
 * it is asked for. State is per group (plus countDistinct's value sets), all reserved, and freed
 * on close.
 */
export class OnePassAggregateIterator implements TupleIterator {
  private groups: Groups | null = null;
  private emitted = 0;
  private closed = false;
  private inputOpen = true;

  constructor(
    private readonly input: FoldInput,
    private readonly plan: AggregatePlan,
    private readonly ctx: ExecutionContext,
    private readonly operator: string,
  ) {}

  /** Over an input iterator of rows `width` wide (no stages before the aggregation). */
  static overIterator(input: TupleIterator, width: number, plan: AggregatePlan, ctx: ExecutionContext, operator: string): OnePassAggregateIterator {
    const fold = compileFold(width, [], plan);
    return new OnePassAggregateIterator({ fold: (groups) => fold.overIterator(input, ctx, groups), close: () => input.close() }, plan, ctx, operator);
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    const groups = this.groups ?? this.run();
    const g = this.emitted;
    if (g >= groups.size) {
      this.close();
      return undefined;
    }
    this.emitted = g + 1;
    return groups.row(g);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.groups?.free();
    this.groups = null;
    this.closeInput();
  }

  private run(): Groups {
    const groups = (this.groups = new Groups(this.plan, this.ctx, this.operator));
    this.input.fold(groups);
    groups.settle();
    this.closeInput();
    return groups;
  }

  private closeInput(): void {
    if (!this.inputOpen) return;
    this.inputOpen = false;
    this.input.close();
  }
}

/** An aggregation compiled over a hash join's joined rows (the join's probe and the fold in one loop). */
export interface CompiledProbeFold {
  overArray(rows: readonly Tuple[], table: HashTable, probeKeys: readonly number[], ctx: ExecutionContext, groups: Groups): void;
  overIterator(src: TupleIterator, table: HashTable, probeKeys: readonly number[], ctx: ExecutionContext, groups: Groups): void;
}

type ProbeArrayFolder = (h: typeof H, a: typeof AGG_SLOW, ctx: ExecutionContext, rows: readonly Tuple[], C: readonly unknown[], GR: Groups, failedAfter: (rowsRead: number) => void, HT: HashTable, PK: readonly number[]) => void;
type ProbeIteratorFolder = (h: typeof H, a: typeof AGG_SLOW, ctx: ExecutionContext, src: TupleIterator, C: readonly unknown[], GR: Groups, HT: HashTable, PK: readonly number[]) => void;

/** Compile an aggregation, with a run of stages before it, over a hash join's probe (see `ProbeShape`). */
export function compileProbeFold(shape: ProbeShape, stages: readonly Stage[], plan: AggregatePlan): CompiledProbeFold {
  const { setup, body, C } = bodyFor(probeSlots(shape), stages, plan);
  return {
    overArray(rows, table, pk, ctx, groups) {
      const fold = ctx.runtime.cached('aggregate', `probe array\n${setup}\n${body}`, () =>
        new Function(probeArrayLoop('fusedProbeAggregate', 'H, A, ctx, rows, C, GR, failedAfter, HT, PK', setup, body))() as ProbeArrayFolder);
      countingRead(ctx, rows.length, (failedAfter) => fold(H, AGG_SLOW, ctx, rows, C, groups, failedAfter, table, pk));
    },
    overIterator(src, table, pk, ctx, groups) {
      const fold = ctx.runtime.cached('aggregate', `probe iterator\n${setup}\n${body}`, () =>
        new Function(probeIteratorLoop('fusedProbeIteratorAggregate', 'H, A, ctx, src, C, GR, HT, PK', setup, body))() as ProbeIteratorFolder);
      fold(H, AGG_SLOW, ctx, src, C, groups, table, pk);
    },
  };
}
