import test from 'ava';
import { add, col, encodeColumns, gt, lit, PlanError, type Engine, type Relation, type Tuple, type TupleIterator } from '../../engine/index.js';
import { allEngines } from '../helpers.js';
import { OPERATORS as REGISTERED } from '../../engine/operators/registry.js';
import type { UnaryOperator } from '../../engine/operators/operator.js';

/**
 * Every operator on its own, under every engine and option combination, with three kinds of
 * input (after IxJS's operator specs): an empty source, a source that throws part-way, and a
 * source read only in part (the pass closed after its first row). Each source is an iterator
 * the test hands out and watches: every one opened must be closed exactly once however the pass
 * ends, and the engine must hold no reserved bytes afterwards.
 */

const SCHEMA = ['a', 'b'];
const RIGHT = ['a', 'c'];

/** A watched source of `rows` that throws `failure` instead of its row at index `failAt`. */
class Source implements TupleIterator {
  closes = 0;
  private i = 0;
  constructor(private readonly rows: readonly Tuple[], private readonly failAt = -1, private readonly failure = new Error('source broke')) {}
  next(): Tuple | undefined {
    if (this.closes > 0) throw new Error('next() after close()');
    if (this.i === this.failAt) throw this.failure;
    return this.rows[this.i++];
  }
  close(): void {
    this.closes++;
  }
}

/** The sources a query opened, to check their closes. */
class Sources {
  readonly opened: Source[] = [];
  /** The source relations made: a materialized one holds its rows (and their bytes) until it is read or released. */
  readonly relations: Relation[] = [];
  constructor(private readonly engine: Engine, private readonly rows: (side: 'left' | 'right') => readonly Tuple[], private readonly failAt = -1) {}
  rel(side: 'left' | 'right' = 'left'): Relation {
    const rel = this.engine.fromIterator(side === 'left' ? SCHEMA : RIGHT, () => {
      const s = new Source(this.rows(side), side === 'left' ? this.failAt : -1);
      this.opened.push(s);
      return s;
    });
    this.relations.push(rel);
    return rel;
  }
}

/** Each operator over watched sources; `rowsWhenEmpty` is its output over empty input. */
/** `covers`: the registered operator (`engine/operators/registry.ts`) the entry tests. */
const OPERATORS: { name: string; covers: string; q: (s: Sources) => Relation; rowsWhenEmpty: number; keeps?: true }[] = [
  { name: 'filter (expression)', covers: 'filter', q: (s) => s.rel().filter(gt(col('a'), lit(2))), rowsWhenEmpty: 0 },
  { name: 'filter (function)', covers: 'filter', q: (s) => s.rel().filter((t) => (t[0] as number) > 2), rowsWhenEmpty: 0 },
  { name: 'project', covers: 'project', q: (s) => s.rel().project(['b']), rowsWhenEmpty: 0 },
  { name: 'extend', covers: 'extend', q: (s) => s.rel().extend('d', add(col('a'), lit(1))), rowsWhenEmpty: 0 },
  { name: 'distinct', covers: 'distinct', q: (s) => s.rel().distinct(), rowsWhenEmpty: 0 },
  { name: 'concat', covers: 'concat', q: (s) => s.rel().concat(s.rel('right').extend('b', col('c')).project(['a', 'b'])), rowsWhenEmpty: 0 },
  { name: 'limit', covers: 'limit', q: (s) => s.rel().limit(50), rowsWhenEmpty: 0 },
  { name: 'join', covers: 'join', q: (s) => s.rel().join(s.rel('right')), rowsWhenEmpty: 0 },
  { name: 'join (right side first)', covers: 'join', q: (s) => s.rel('right').join(s.rel()), rowsWhenEmpty: 0 },
  { name: 'cross product', covers: 'join', q: (s) => s.rel().join(s.rel('right').project(['c'])), rowsWhenEmpty: 0 },
  { name: 'semi join', covers: 'semi join', q: (s) => s.rel().semiJoin(s.rel('right')), rowsWhenEmpty: 0 },
  { name: 'anti join', covers: 'anti join', q: (s) => s.rel().antiJoin(s.rel('right')), rowsWhenEmpty: 0 },
  { name: 'aggregate by a key', covers: 'aggregate', q: (s) => s.rel().aggregate(['b'], [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'a', as: 's' }]), rowsWhenEmpty: 0 },
  { name: 'aggregate of everything', covers: 'aggregate', q: (s) => s.rel().aggregate([], [{ fn: 'count', as: 'n' }, { fn: 'max', column: 'a', as: 'm' }]), rowsWhenEmpty: 1 },
  { name: 'orderBy', covers: 'sort', q: (s) => s.rel().orderBy([{ column: 'a', direction: 'desc' }]), rowsWhenEmpty: 0 },
  { name: 'orderBy then limit (top-k)', covers: 'top-k', q: (s) => s.rel().orderBy([{ column: 'a' }]).limit(3), rowsWhenEmpty: 0 },
  // materialize() keeps every row for replay, even after an early close, until released.
  { name: 'materialize', covers: 'scan', q: (s) => s.rel().materialize(), rowsWhenEmpty: 0, keeps: true },
];

const ROWS: Tuple[] = Array.from({ length: 40 }, (_, i) => [i % 13, `b${i % 5}`]);
const ENGINES = allEngines();

/** Every source the query opened was closed exactly once, and nothing is reserved. */
function checkCleanup(t: import('ava').ExecutionContext, e: Engine, s: Sources, what: string): void {
  for (const [i, src] of s.opened.entries()) t.is(src.closes, 1, `${what}: source ${i} closed ${src.closes} times`);
  t.is(e.context.memory.reserved, 0, `${what}: bytes still reserved`);
}

for (const op of OPERATORS) {
  test(`${op.name}: over empty input, the output every engine agrees on, and every source closed once`, (t) => {
    for (const { label, make } of ENGINES) {
      const e = make();
      const s = new Sources(e, () => []);
      t.is(op.q(s).toArray().length, op.rowsWhenEmpty, label);
      checkCleanup(t, e, s, label);
    }
  });

  test(`${op.name}: a source that throws part-way fails the query with its error, and every source is closed once`, (t) => {
    for (const { label, make } of ENGINES) {
      const e = make();
      const s = new Sources(e, () => ROWS, 7);
      // The materialized engine may read its input as the query is built; the streaming one when it is read.
      t.throws(() => op.q(s).toArray(), { message: 'source broke' }, label);
      t.true(s.opened.length > 0, `${label}: the failing source was opened`);
      // An input built before the failure is still the caller's: the materialized engine holds
      // its rows until it is read or released. Released, nothing may remain reserved.
      for (const r of s.relations) r.release();
      checkCleanup(t, e, s, label);
    }
  });

  test(`${op.name}: a pass closed after its first row closes every source once and hands back every byte`, (t) => {
    for (const { label, make } of ENGINES) {
      const e = make();
      const s = new Sources(e, () => ROWS);
      const q = op.q(s);
      const it = q.open();
      it.next();
      it.close();
      it.close();
      t.is(it.next(), undefined, `${label}: nothing after close`);
      if (op.keeps) {
        t.is(q.toArray().length, ROWS.length, `${label}: replays every row`);
        q.release();
      }
      checkCleanup(t, e, s, label);
    }
  });
}

test('every registered operator has its entries here (a new operator module is not done without them)', (t) => {
  const covered = new Set(OPERATORS.map((o) => o.covers));
  for (const op of REGISTERED) t.true(covered.has(op.name), `no test entry covers the registered operator '${op.name}'`);
});

test('every registered operator\'s samples run on every engine and option combination, and agree', (t) => {
  for (const op of REGISTERED) {
    // A sample may run under some options only: the same samples (by their schemas) must agree.
    const expected = new Map<string, string[]>();
    for (const { label, make } of ENGINES) {
      const e = make();
      const s = { options: e.options, left: () => e.from(SCHEMA, ROWS), right: () => e.from(RIGHT, ROWS.map(([a]) => [a!, (a as number) * 10])), other: () => e.from(['z'], ROWS.map(([a]) => [a!])), columns: () => e.fromColumns(SCHEMA, encodeColumns(SCHEMA, ROWS)) };
      const samples = op.samples(s) as Relation[];
      t.true(samples.length > 0, `${op.name} on ${label}: no samples`);
      const key = JSON.stringify(samples.map((r) => r.schema));
      const got = samples.map((r) => JSON.stringify(r.toArray().map((row) => JSON.stringify(row)).sort()));
      if (!expected.has(key)) expected.set(key, got);
      t.deepEqual(got, expected.get(key), `${op.name} on ${label}`);
    }
  }
});

/**
 * An operator defined outside the engine, as a new module would be: every n-th row. Through
 * `apply` it runs on both engines, with no change to either (the eager path is optional: the
 * materialized engine drains the iterator).
 */
const EVERY_NTH: UnaryOperator<[number], { schema: readonly string[]; n: number }> = {
  name: 'every n-th',
  inputs: 1,
  plan: (schema, [n]) => {
    if (!Number.isSafeInteger(n) || n < 1) throw new PlanError(`every n-th takes a positive integer, got ${String(n)}`);
    return { schema, n };
  },
  open: (plan, input) => {
    let i = 0;
    return {
      next() {
        for (let row = input.next(); row !== undefined; row = input.next()) if (i++ % plan.n === 0) return row;
        return undefined;
      },
      close: () => input.close(),
    };
  },
  size: (plan, n) => (n >= 0 ? Math.ceil(n / plan.n) : -1),
  samples: (s) => [s.left().apply(EVERY_NTH, 2)],
};

test('a new operator is a module: apply() runs one defined outside the engine on every engine, lazily on the streaming one', (t) => {
  for (const { label, make } of ENGINES) {
    const e = make();
    const s = new Sources(e, () => ROWS);
    const q = s.rel().filter(gt(col('a'), lit(2))).apply(EVERY_NTH, 3);
    if (e.kind === 'streaming') t.is(s.opened.length, 0, `${label}: nothing read before the pass`);
    const want = ROWS.filter((r) => (r[0] as number) > 2).filter((_, i) => i % 3 === 0);
    t.deepEqual(q.toArray(), want, label);
    checkCleanup(t, e, s, label);
    t.throws(() => e.from(SCHEMA, ROWS).apply(EVERY_NTH, 0), { instanceOf: PlanError, message: 'every n-th takes a positive integer, got 0' }, label);
  }
  t.is(make2().from(SCHEMA, ROWS).apply(EVERY_NTH, 4).size(), 10, 'the streaming engine knows the size from the hint');
});

function make2(): Engine {
  return ENGINES.find((x) => x.make().kind === 'streaming')!.make();
}
