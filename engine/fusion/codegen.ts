import type { ExecutionContext } from '../context.js';
import { columnIndex, SLOW_PATHS } from '../expr/compile.js';
import type { ArithOp, CompareOp, Expr } from '../expr/expr.js';
import type { TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import { columnBinds, columnRead, type ColumnarTable, type ColumnKind } from '../columns.js';
import type { HashTable } from '../join/hash-table.js';
import { sharedRuntime, type EngineRuntime } from '../runtime.js';

/** One step of a fusable run, resolved against the schema it reads. */
export type Stage =
  | { readonly kind: 'filter'; readonly expr: Expr; readonly input: Schema }
  | { readonly kind: 'extend'; readonly expr: Expr; readonly input: Schema }
  | { readonly kind: 'project'; readonly indices: readonly number[] };

/** The generated code's slow paths: exactly those of the compiled closures (`expr/compile.ts`). */
export const H = SLOW_PATHS;

const JS_CMP: Record<CompareOp, string> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };
const JS_ARITH: Record<ArithOp, string> = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' };

/**
 * Generates the source of one fused run. Safety: no user text ever reaches the source. Columns
 * become integer indices (`t[3]`) or generated local names (`v0`); every literal, and every
 * expression object an error message needs, is passed in the constants array `C` and referenced
 * as `c0`, `c1`, …; operators come from the fixed tables above.
 */
export class Generator {
  readonly consts: unknown[] = [];
  private temps = 0;
  private values = 0;
  readonly lines: string[] = [];

  constant(v: unknown): string {
    this.consts.push(v);
    return `c${this.consts.length - 1}`;
  }

  temp(): string {
    return `x${this.temps++}`;
  }

  get tempCount(): number {
    return this.temps;
  }

  value(): string {
    return `v${this.values++}`;
  }

  /** JS expression for `e`, where column i of `schema` is the JS expression `slots[i]`. */
  expr(e: Expr, schema: Schema, slots: readonly string[]): string {
    switch (e.op) {
      case 'col':
        return slots[columnIndex(schema, e.name)]!;
      case 'lit':
        return this.constant(e.value);
      case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': {
        if (e.right.op === 'lit' && typeof e.right.value === 'number') {
          // The common shape `expr <op> number`: the constant's type is known, test only the column.
          const a = this.temp(), c = this.constant(e.right.value);
          return `(${a} = ${this.expr(e.left, schema, slots)}, typeof ${a} === 'number' ? ${a} ${JS_CMP[e.op]} ${c} : H.cmp('${e.op}', ${a}, ${c}))`;
        }
        const a = this.temp(), b = this.temp();
        const l = this.expr(e.left, schema, slots), r = this.expr(e.right, schema, slots);
        const fast = e.op === 'eq' || e.op === 'ne'
          ? `(${a} === null || ${b} === null ? null : ${a} ${JS_CMP[e.op]} ${b})`
          : `(typeof ${a} === 'number' && typeof ${b} === 'number' ? ${a} ${JS_CMP[e.op]} ${b} : H.cmp('${e.op}', ${a}, ${b}))`;
        return `(${a} = ${l}, ${b} = ${r}, ${fast})`;
      }
      case 'add': case 'sub': case 'mul': case 'div': case 'mod': {
        if (e.right.op === 'lit' && typeof e.right.value === 'number' && e.right.value !== 0) {
          const a = this.temp(), node = this.constant(e), c = this.constant(e.right.value);
          return `(${a} = ${this.expr(e.left, schema, slots)}, typeof ${a} === 'number' ? ${a} ${JS_ARITH[e.op]} ${c} : H.arith('${e.op}', ${a}, ${c}, ${node}))`;
        }
        const a = this.temp(), b = this.temp(), node = this.constant(e);
        const l = this.expr(e.left, schema, slots), r = this.expr(e.right, schema, slots);
        const op = JS_ARITH[e.op];
        const num = e.op === 'div' || e.op === 'mod' ? `(${b} === 0 ? null : ${a} ${op} ${b})` : `${a} ${op} ${b}`;
        return `(${a} = ${l}, ${b} = ${r}, typeof ${a} === 'number' && typeof ${b} === 'number' ? ${num} : H.arith('${e.op}', ${a}, ${b}, ${node}))`;
      }
      case 'neg': {
        const a = this.temp(), node = this.constant(e);
        return `(${a} = ${this.expr(e.arg, schema, slots)}, typeof ${a} === 'number' ? -${a} : H.neg(${a}, ${node}))`;
      }
      case 'and': case 'or': {
        // Exactly the closures' rule. and: false stops with false, null makes the result unknown;
        // or: true stops with true, null makes it unknown; a non-boolean operand throws.
        const u = this.temp(), v = this.temp(), node = this.constant(e);
        let code = e.op === 'and' ? `(${u} ? null : true)` : `(${u} ? null : false)`;
        for (const arg of [...e.args].reverse()) {
          const a = this.expr(arg, schema, slots);
          code = e.op === 'and'
            ? `((${v} = ${a}) !== true && ${v} !== null ? (${v} === false ? false : H.bool('and', ${v}, ${node})) : (${v} === null && (${u} = true), ${code}))`
            : `((${v} = ${a}) === true ? true : (${v} !== false && (${v} === null ? (${u} = true) : H.bool('or', ${v}, ${node})), ${code}))`;
        }
        return `(${u} = false, ${code})`;
      }
      case 'not': {
        const a = this.temp(), node = this.constant(e);
        return `(${a} = ${this.expr(e.arg, schema, slots)}, ${a} === true ? false : ${a} === false ? true : ${a} === null ? null : H.bool('not', ${a}, ${node}))`;
      }
      case 'isNull':
        return `(${this.expr(e.arg, schema, slots)} === null)`;
      case 'startsWith': case 'contains': {
        const node = this.constant(e);
        return `H.str(${e.op === 'startsWith'}, ${this.expr(e.arg, schema, slots)}, ${this.expr(e.pattern, schema, slots)}, ${node})`;
      }
    }
  }
}

/** What a fused run looks like once compiled: the shape's factory and this query's constants. */
export interface FusedPlan {
  /** The generated body, which is also the cache key (constants are not part of it). */
  readonly source: string;
  readonly consts: readonly unknown[];
  /** Open over an array of rows (the fastest path: a plain indexed loop). */
  overArray(rows: readonly Tuple[], ctx: ExecutionContext): TupleIterator;
  /** Open over any input iterator. */
  overIterator(src: TupleIterator, ctx: ExecutionContext): TupleIterator;
  /**
   * Run over an array of rows, pushing each output tuple to `sink` from inside the loop (no
   * `next()` call and no cursor to save per output row); returns the output count.
   */
  pushOverArray(rows: readonly Tuple[], ctx: ExecutionContext, sink: (t: Tuple) => void): number;
}

type Maker = (h: typeof H, ctx: ExecutionContext, input: unknown, C: readonly unknown[]) => TupleIterator;
type Pusher = (h: typeof H, ctx: ExecutionContext, rows: readonly Tuple[], C: readonly unknown[], sink: (t: Tuple) => void, failedAfter: (rowsRead: number) => void) => number;

/** Shapes of fused runs compiled so far in `runtime` (for tests and the compile-time figure). */
export function fusionCacheSize(runtime: EngineRuntime = sharedRuntime()): number {
  return runtime.compiled('fusion');
}

/** The run's code lines and output slots, given JS expressions for the input's columns. */
export function generate(input: readonly string[], stages: readonly Stage[]): { g: Generator; slots: string[] } {
  const g = new Generator();
  let slots = [...input];
  for (const s of stages) {
    if (s.kind === 'project') {
      slots = s.indices.map((i) => slots[i]!);
      continue;
    }
    const code = g.expr(s.expr, s.input, slots);
    if (s.kind === 'filter') g.lines.push(`if (${code} !== true) continue;`);
    else {
      const v = g.value();
      g.lines.push(`const ${v} = ${code};`);
      slots = [...slots, v];
    }
  }
  return { g, slots };
}

/**
 * Body of a resumable pull loop over `n_` input rows, returning `{ next, close }`: `outer` runs
 * once, `setup` at each `next()` (it copies what the loop reads into locals and defines `n`),
 * `row` takes the next row (advancing `p`), `body` is the run's stages ending in `pos = p; return
 * [...]`. The cursor lives in a local while the loop runs (a closure variable would be loaded and
 * stored on every row); it is written back before every return.
 */
function pullLoop(outer: string, setup: string, row: string, body: string): string {
  return `'use strict';
  ${outer}
  let pos = 0, closed = false;
  return {
    next() {
      ${setup}
      let p = pos;
      while (p < n) {
        if ((p & 1023) === 0) { pos = p; ctx.checkAborted(); }
        ${row}
        ${body}
      }
      pos = p;
      return undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      ctx_.metrics.sourceRows += pos;
      pos = n_;
    },
  };`;
}

/**
 * Source of a push loop over `n` input rows: `setup` declares what the loop reads, `row` takes the
 * next row (advancing `p`), `body` is the run's stages ending in a `sink(...)` call. Nothing after
 * the loop needs type feedback (see the array pusher in compileRun).
 */
export function pushLoop(name: string, params: string, setup: string, row: string, body: string): string {
  return readLoop(name, params, setup, '', `while (p < n) {
      if ((p & 1023) === 0) ctx.checkAborted();
      ${row}
      ${body}
    }`);
}

/**
 * A generated function that reads `n` input rows with the cursor `p` (and the count `k` it
 * returns): `setup`, then `loop` (with `lets` declared beside `p` and `k`), and on an error the
 * rows read so far handed to `failedAfter` before it is thrown again.
 */
function readLoop(name: string, params: string, setup: string, lets: string, loop: string): string {
  return `return function ${name}(${params}) {
  'use strict';
  ${setup}
  let p = 0, k = 0${lets};
  try {
    ${loop}
  } catch (e) {
    failedAfter(p);
    throw e;
  }
  return k;
};`;
}

/**
 * Source of an aggregation's fold over `n` input rows it can read again (an array or columns):
 * {@link pushLoop}'s loop, and with `steady` a second loop that runs once the first has read
 * {@link STEADY_AFTER} rows with no new group or hand-back (checked at its abort polls, so after
 * 1024 to 2047 such rows; `body` sets `last = p` at each new group, `F` is the fast path's flag). The steady loop's body has no call on any path
 * the rows take: a row it does not take (a new group, a key outside the dense table, a value off
 * the fast path) is handed back with `p--; break;`, and the first loop reads it again. In the
 * first loop a new group's calls and reloads sit on a path taken now and then, and that costs
 * every row: V8 does not keep the fields' lengths and backing stores across a call (the 1M-row,
 * 100-group fold: 1.45x of the limit loop with them in its loop, 1.29-1.33x with the split,
 * measured ad hoc in one process).
 */
export function foldLoop(name: string, params: string, setup: string, row: string, body: string, steady: string | null): string {
  if (steady === null) return pushLoop(name, params, setup, row, body);
  return readLoop(name, params, setup, ', last = 0', `for (;;) {
      while (p < n) {
        if ((p & 1023) === 0) {
          ctx.checkAborted();
          if (F && p - last >= ${STEADY_AFTER}) break;
        }
        ${row}
        ${body}
      }
      if (p >= n) break;
      while (p < n) {
        if ((p & 1023) === 0) ctx.checkAborted();
        ${row}
        ${steady}
      }
      if (p >= n) break;
      last = p;
    }`);
}

/**
 * Source of an aggregation's fold over an iterator `src`: {@link foldLoop}'s two loops, where a
 * row the steady loop hands back is held and read first when the first loop starts again (an
 * iterator cannot be read again). `p` counts the rows read. With `steady` null, one loop.
 */
export function iteratorFoldLoop(name: string, params: string, setup: string, body: string, steady: string | null): string {
  if (steady === null) {
    return `return function ${name}(${params}) {
  'use strict';
  ${setup}
  for (;;) {
    const t = src.next();
    if (t === undefined) break;
    ${body}
  }
};`;
  }
  return `return function ${name}(${params}) {
  'use strict';
  ${setup}
  let p = 0, last = 0, held, u;
  for (;;) {
    for (;;) {
      let t;
      if (held !== undefined) {
        t = held;
        held = undefined;
      } else {
        if ((p & 1023) === 0 && F && p - last >= ${STEADY_AFTER}) break;
        t = src.next();
        if (t === undefined) return;
      }
      p++;
      ${body}
    }
    for (;;) {
      u = src.next();
      if (u === undefined) return;
      const t = u;
      p++;
      ${steady}
    }
    held = u;
    last = p;
  }
};`;
}

/** Rows an aggregation's fold reads with no new group before its steady loop takes over (see {@link foldLoop}). */
export const STEADY_AFTER = 1024;

/**
 * Run a generated push loop over `n` source rows and count what it read into
 * `metrics.sourceRows`: all `n` when it ends, or as far as it got when it throws (the loop's
 * `failedAfter` callback). `counted` false: the rows are an engine's own intermediate result.
 */
export function countingRead<T>(ctx: ExecutionContext, n: number, loop: (failedAfter: (rowsRead: number) => void) => T, counted = true): T {
  const count = (read: number) => void (counted && (ctx.metrics.sourceRows += read));
  const out = loop(count);
  count(n);
  return out;
}

/** Declarations of a generated run's temporaries and constants. */
export function preamble(g: Generator): { temps: string; consts: string } {
  return {
    temps: g.tempCount ? `let ${Array.from({ length: g.tempCount }, (_, i) => `x${i}`).join(', ')};` : '',
    consts: g.consts.length ? `const ${g.consts.map((_, i) => `c${i} = C[${i}]`).join(', ')};` : '',
  };
}

/**
 * Compile a run of stages over input rows of `width` columns. Callers check each stage's
 * expression when the stage is planned (`checkExpr`), so plan errors surface at plan time.
 */
export function compileRun(width: number, stages: readonly Stage[], runtime: EngineRuntime): FusedPlan {
  const { g, slots } = generate(Array.from({ length: width }, (_, i) => `t[${i}]`), stages);
  const { temps, consts } = preamble(g);
  // Everything the loop reads is copied into locals of next(): TurboFan reloads closure
  // variables on every row (the rare abort check is a call, which ends load elimination), and
  // on 100K rows at 1% selectivity that alone made the fused loop 1.6x the limit loop, not 1.35x.
  const body = [...g.lines, `return [${slots.join(', ')}];`].join('\n        ');
  const arrayBody = [...g.lines, `pos = p;`, `return [${slots.join(', ')}];`].join('\n        ');
  const pushBody = [...g.lines, `sink([${slots.join(', ')}]);`, `k++;`].join('\n        ');
  const source = `${consts}\n${temps}\n${body}`;
  // Generated code by shape, in the engine's runtime: repeated queries of the same shape reuse warm code.
  const m = runtime.cached('fusion', source, () => ({
      // Pull over an array: a resumable loop that returns at each output row.
      array: new Function('H_', 'ctx_', 'rows_', 'C', pullLoop('const n_ = rows_.length;', `const H = H_, ctx = ctx_, rows = rows_, n = n_;\n      ${consts}\n      ${temps}`, 'const t = rows[p++];', arrayBody)) as Maker,
      // Pull over any iterator (a `fromIterator` source, or a run after a non-fusable operator).
      iterator: new Function('H_', 'ctx', 'src_', 'C', `'use strict';
  let done = false;
  return {
    next() {
      const H = H_, src = src_;
      ${consts}
      ${temps}
      while (!done) {
        const t = src.next();
        if (t === undefined) return undefined;
        ${body}
      }
      return undefined;
    },
    close() {
      if (done) return;
      done = true;
      src_.close();
    },
  };`) as Maker,
      // Push over an array: one loop over the whole input, calling the consumer's sink. Nothing
      // after the loop needs type feedback: the first call is OSR-compiled inside the loop, and
      // an uncalled property access after it (the row count, once in a finally) deoptimized
      // that code on exit; in about one process in three the function then stayed 2-3x slower
      // (depth 8, 100K rows: 9 ms instead of 3.5). The caller counts the rows read instead,
      // and the catch (taken only on an error) reports how far the loop got.
      push: new Function(pushLoop('fusedPush', 'H, ctx, rows, C, sink, failedAfter', `${consts}\n  ${temps}\n  const n = rows.length;`, 'const t = rows[p++];', pushBody))() as Pusher,
  }));
  const C = g.consts;
  return {
    source,
    consts: C,
    overArray: (rows, ctx) => m.array(H, ctx, rows, C),
    overIterator: (src, ctx) => m.iterator(H, ctx, src, C),
    pushOverArray: (rows, ctx, sink) => {
      return countingRead(ctx, rows.length, (failedAfter) => m.push(H, ctx, rows, C, sink, failedAfter));
    },
  };
}

/** A fused run compiled over a columnar source (see {@link compileColumnRun}). */
export interface ColumnFusedPlan {
  readonly source: string;
  /** Pull over the table's rows. */
  overColumns(table: ColumnarTable, ctx: ExecutionContext): TupleIterator;
  /** Push every output tuple to `sink` from one loop over the table; returns the output count. */
  pushOverColumns(table: ColumnarTable, ctx: ExecutionContext, sink: (t: Tuple) => void): number;
}

type ColumnMaker = (h: typeof H, ctx: ExecutionContext, values: readonly ArrayLike<unknown>[], dicts: readonly unknown[], n: number, C: readonly unknown[]) => TupleIterator;
type ColumnPusher = (h: typeof H, ctx: ExecutionContext, values: readonly ArrayLike<unknown>[], dicts: readonly unknown[], n: number, C: readonly unknown[], sink: (t: Tuple) => void, failedAfter: (rowsRead: number) => void) => number;

/**
 * Compile a run of stages over a columnar source whose columns have these kinds: the loop reads
 * the values it uses straight from the column arrays (`V3[q]`, a dictionary's `D1[V1[q]]`) and
 * builds only the output tuples, never the input's (late materialization). The same safety rule
 * as {@link compileRun}: only indices, kinds from a fixed list and generated names become source.
 */
export function compileColumnRun(kinds: readonly ColumnKind[], stages: readonly Stage[], runtime: EngineRuntime): ColumnFusedPlan {
  const { g, slots } = generate(kinds.map((k, c) => columnRead(k, c, 'q')), stages);
  const { temps, consts } = preamble(g);
  const pullBody = [...g.lines, `pos = p;`, `return [${slots.join(', ')}];`].join('\n        ');
  const pushBody = [...g.lines, `sink([${slots.join(', ')}]);`, `k++;`].join('\n        ');
  const binds = columnBinds(kinds, 'values_', 'dicts_', pushBody);
  const source = `${kinds.join(',')}\n${consts}\n${temps}\n${pushBody}`;
  const made = runtime.cached('fusion columns', source, () => ({
      pull: new Function('H_', 'ctx_', 'values_', 'dicts_', 'n_', 'C', pullLoop('', `const H = H_, ctx = ctx_, n = n_;\n      ${binds}\n      ${consts}\n      ${temps}`, 'const q = p++;', pullBody)) as ColumnMaker,
      push: new Function(pushLoop('fusedColumnPush', 'H, ctx, values_, dicts_, n, C, sink, failedAfter', `${binds}\n  ${consts}\n  ${temps}`, 'const q = p++;', pushBody))() as ColumnPusher,
  }));
  const C = g.consts;
  const parts = (t: ColumnarTable) => [t.columns.map((c) => c.values), t.columns.map((c) => c.dict)] as const;
  return {
    source,
    overColumns: (table, ctx) => {
      const [values, dicts] = parts(table);
      return made.pull(H, ctx, values, dicts, table.length, C);
    },
    pushOverColumns: (table, ctx, sink) => {
      const [values, dicts] = parts(table);
      return countingRead(ctx, table.length, (failedAfter) => made.push(H, ctx, values, dicts, table.length, C, sink, failedAfter));
    },
  };
}

/**
 * How a fused loop reads a hash join's output (pipeline fusion through the join's probe): each
 * probe row `t` is joined with the build rows `b` its key matches, walked along the table's chain
 * in the loop itself, and the joined row is never built unless a stage or the consumer needs it.
 */
export interface ProbeShape {
  readonly leftWidth: number;
  /** The right's columns kept in the output, in order (`JoinPlan.keep`). */
  readonly keep: readonly number[];
  readonly buildIsLeft: boolean;
}

/** The joined row's columns as JS expressions: the left's, then the right's kept ones. */
export function probeSlots(s: ProbeShape): string[] {
  const [l, r] = s.buildIsLeft ? ['b', 't'] : ['t', 'b'];
  return [...Array.from({ length: s.leftWidth }, (_, i) => `${l}[${i}]`), ...s.keep.map((i) => `${r}[${i}]`)];
}

/**
 * Opens the loop over one probe row's matches (closed by the caller's body with `}`). The build
 * row `b` is loaded only when `body` reads it: a counted join's loop then walks the chain alone.
 */
function probeMatches(body: string): string {
  return `for (let j = HT.head(t, PK); j >= 0; j = CH[j]) {${/(^|[^\w$])b\[/.test(body) ? '\n        const b = BR[j];' : ''}`;
}

/** A loop over probe rows in an array `rows`, with `body` run once per joined row (see {@link pushLoop}). */
export function probeArrayLoop(name: string, params: string, setup: string, body: string): string {
  return pushLoop(name, params, `${setup}\n  const CH = HT.chain, BR = HT.rows, n = rows.length;`, `const t = rows[p++];\n      ${probeMatches(body)}`, `${body}\n      }`);
}

/** A loop over probe rows from an iterator `src`, with `body` run once per joined row; returns `k`. */
export function probeIteratorLoop(name: string, params: string, setup: string, body: string): string {
  return `return function ${name}(${params}) {
  'use strict';
  ${setup}
  const CH = HT.chain, BR = HT.rows;
  let k = 0;
  for (;;) {
    const t = src.next();
    if (t === undefined) break;
    ${probeMatches(body)}
      ${body}
    }
  }
  return k;
};`;
}

/** A fused run over a hash join's probe, pushing every output tuple to a sink. */
export interface ProbeFusedPlan {
  pushOverArray(rows: readonly Tuple[], table: HashTable, probeKeys: readonly number[], ctx: ExecutionContext, sink: (t: Tuple) => void): number;
  pushOverIterator(src: TupleIterator, table: HashTable, probeKeys: readonly number[], ctx: ExecutionContext, sink: (t: Tuple) => void): number;
}

type ProbeArrayPusher = (h: typeof H, ctx: ExecutionContext, rows: readonly Tuple[], C: readonly unknown[], sink: (t: Tuple) => void, failedAfter: (rowsRead: number) => void, HT: HashTable, PK: readonly number[]) => number;
type ProbeIteratorPusher = (h: typeof H, ctx: ExecutionContext, src: TupleIterator, C: readonly unknown[], sink: (t: Tuple) => void, HT: HashTable, PK: readonly number[]) => number;
/** Probe shapes compiled so far in `runtime` (for tests). */
export function probeCacheSize(runtime: EngineRuntime = sharedRuntime()): number {
  return runtime.compiled('probe');
}

/** Compile a run of stages (possibly none) over a hash join's joined rows, pushing to a sink. */
export function compileProbeRun(shape: ProbeShape, stages: readonly Stage[], runtime: EngineRuntime): ProbeFusedPlan {
  const { g, slots } = generate(probeSlots(shape), stages);
  const { temps, consts } = preamble(g);
  const body = [...g.lines, `sink([${slots.join(', ')}]);`, `k++;`].join('\n        ');
  const setup = `${consts}\n  ${temps}`;
  const source = `${setup}\n${body}`;
  const made = runtime.cached('probe', source, () => ({
    array: new Function(probeArrayLoop('fusedProbePush', 'H, ctx, rows, C, sink, failedAfter, HT, PK', setup, body))() as ProbeArrayPusher,
    iterator: new Function(probeIteratorLoop('fusedProbeIteratorPush', 'H, ctx, src, C, sink, HT, PK', setup, body))() as ProbeIteratorPusher,
  }));
  const C = g.consts;
  return {
    pushOverArray: (rows, table, pk, ctx, sink) => countingRead(ctx, rows.length, (failedAfter) => made.array(H, ctx, rows, C, sink, failedAfter, table, pk)),
    pushOverIterator: (src, table, pk, ctx, sink) => made.iterator(H, ctx, src, C, sink, table, pk),
  };
}
