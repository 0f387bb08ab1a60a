import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { createEngine, encodeColumns, ENGINE_KINDS, ExecutionError, QueryAbortedError, type AggregateSpec, type EngineOptions, type Tuple } from '../../../engine/index.js';
import { planAggregate } from '../../../engine/aggregate/aggregate-plan.js';
import { hasSteadyLoop } from '../../../engine/aggregate/compiled-aggregate.js';
import { STEADY_AFTER } from '../../../engine/fusion/codegen.js';
import { bag } from '../../helpers.js';

/**
 * The fold's steady loop (codegen `foldLoop`, `iteratorFoldLoop`): once the fold has read
 * STEADY_AFTER rows with no new group, a second loop with no call in it takes the rows of groups
 * that exist; any other row (a new group, a key outside the dense table, a value off the fast
 * path) goes back to the first loop, which reads it again. These tests put such rows well past
 * the hand-over and hold the result to collect-then-reduce (the accumulator classes).
 */
const SCHEMA = ['k', 'v', 'w'];
const AGGS: AggregateSpec[] = [
  { fn: 'count', as: 'n' }, { fn: 'count', column: 'v', as: 'nv' }, { fn: 'sum', column: 'v', as: 's' }, { fn: 'avg', column: 'w', as: 'a' },
  { fn: 'min', column: 'v', as: 'lo' }, { fn: 'max', column: 'v', as: 'hi' }, { fn: 'first', column: 'v', orderBy: 'w', as: 'f' }, { fn: 'last', column: 'w', orderBy: 'v', as: 'l' },
];
/** Numbers only, so that string keys and string values do not make sum or avg fail. */
const NO_SUMS = AGGS.filter((a) => a.fn !== 'sum' && a.fn !== 'avg');
const ROWS = 8 * STEADY_AFTER;
const LATE = 5 * STEADY_AFTER;

const OPTIONS: [string, EngineOptions][] = [['', {}], [', fused', { enablePipelineFusion: true }]];

/** `ROWS` rows over keys 0-4 with numbers, from a seed. */
function base(seed: number): Tuple[] {
  let x = seed >>> 0 || 1;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 1000) - 500;
  return Array.from({ length: ROWS }, (_, i) => [i % 5, next() / 4, next()]);
}

function expected(rows: readonly Tuple[], aggs: readonly AggregateSpec[]): string[] {
  return bag(createEngine('materialized', { enableStreamingAggregation: false }).from(SCHEMA, rows).aggregate(['k'], aggs).toArray());
}

/** Every engine and option set, over the array and over its columns, against collect-then-reduce. */
function agrees(t: ExecutionContext, rows: readonly Tuple[], aggs: readonly AggregateSpec[], what: string): void {
  const want = expected(rows, aggs);
  for (const kind of ENGINE_KINDS) {
    for (const [label, options] of OPTIONS) {
      for (const columns of [false, true]) {
        const e = createEngine(kind, options);
        const input = columns ? e.fromColumns(SCHEMA, encodeColumns(SCHEMA, rows)) : e.from(SCHEMA, rows);
        t.deepEqual(bag(input.aggregate(['k'], aggs).toArray()), want, `${what}: ${kind}${label}${columns ? ' over columns' : ''}`);
        t.is(e.context.memory.reserved, 0, `${what}: ${kind}${label} hands back every byte`);
        t.is(e.context.metrics.sourceRows, rows.length, `${what}: ${kind}${label} counts every row read once`);
      }
    }
  }
}

test('a steady loop is planned for a one-column group-by on the fast path only', (t) => {
  t.true(hasSteadyLoop(planAggregate(SCHEMA, ['k'], AGGS)));
  t.false(hasSteadyLoop(planAggregate(SCHEMA, ['k', 'v'], AGGS)), 'two key columns: group ids come from a pair table');
  t.false(hasSteadyLoop(planAggregate(SCHEMA, [], AGGS)), 'no group-by: no fast path');
  t.false(hasSteadyLoop(planAggregate(SCHEMA, ['k'], [...AGGS, { fn: 'countDistinct', column: 'v', as: 'd' }])), 'countDistinct: no fast path');
});

test('a row the steady loop does not take is read again by the first loop, once more and no more', (t) => {
  // A new key late in the input: the steady loop reads its key, finds no group, and hands the row
  // back (over an array: read again; over an iterator: held). Counting the reads of that row's key
  // shows the steady loop ran (one read without it).
  for (const [label, options] of [['over an iterator', {}], ['over an array (fused)', { enablePipelineFusion: true }]] as const) {
    const rows = base(7);
    let reads = 0;
    const late = [5, 1, 2];
    Object.defineProperty(late, 0, { get: () => (reads++, 5), enumerable: true });
    rows[LATE] = late;
    const e = createEngine('streaming', options);
    const out = e.from(SCHEMA, rows).aggregate(['k'], AGGS).toArray();
    t.is(reads, 2, label);
    t.deepEqual(bag(out), expected(rows.map((r) => [...r]), AGGS), label);
  }
});

const LATE_ROWS: [string, Tuple, readonly AggregateSpec[]][] = [
  ['a new small-integer key', [7, 3, 4], AGGS],
  ['a key past the dense table', [1e9, 3, 4], AGGS],
  ['a negative key', [-1, 3, 4], AGGS],
  ['a fractional key', [2.5, 3, 4], AGGS],
  ['a string key', ['x', 3, 4], AGGS],
  ['a null key', [null, 3, 4], AGGS],
  ['-0 as a key (the group of 0)', [-0, 3, 4], AGGS],
  ['a null value', [1, null, 4], AGGS],
  ['NaN', [2, Number.NaN, 4], AGGS],
  ['a string value', [3, 'x', 4], NO_SUMS],
  ['Infinity', [4, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], AGGS],
];

for (const [what, row, aggs] of LATE_ROWS) {
  test(`${what} after the hand-over gives collect-then-reduce's groups, on both engines, over arrays and columns`, (t) => {
    const rows = base(11);
    rows[LATE] = row;
    rows[LATE + 1000] = row;
    agrees(t, rows, aggs, what);
  });
}

test('property: rows off the steady path at random places past the hand-over give collect-then-reduce\'s groups', (t) => {
  const odd = fc.constantFrom<Tuple>([6, 1, 1], [1e6, 2, 2], ['s', 3, 3], [null, 4, 4], [0, null, 5], [1, Number.NaN, 6], [2, 7, null], [9, -0, 0.5], [3, Number.NEGATIVE_INFINITY, 1]);
  fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.tuple(fc.integer({ min: STEADY_AFTER, max: ROWS - 1 }), odd), { maxLength: 4 }), (seed, events) => {
    const rows = base(seed);
    for (const [at, row] of events) rows[at] = row;
    const want = expected(rows, AGGS);
    for (const kind of ENGINE_KINDS) {
      for (const [, options] of OPTIONS) {
        const e = createEngine(kind, options);
        if (JSON.stringify(bag(e.from(SCHEMA, rows).aggregate(['k'], AGGS).toArray())) !== JSON.stringify(want)) return false;
        if (e.context.memory.reserved !== 0) return false;
      }
    }
    return true;
  }), { numRuns: 25, seed: 20261201 });
  t.pass('fast-check found no counterexample');
});

test('a sum over a string past the hand-over fails as it does before it, and every byte is handed back', (t) => {
  const rows = base(3);
  rows[LATE] = [2, 'oops', 1];
  for (const kind of ENGINE_KINDS) {
    for (const [label, options] of OPTIONS) {
      const e = createEngine(kind, options);
      const error = t.throws(() => e.from(SCHEMA, rows).aggregate(['k'], [{ fn: 'sum', column: 'v', as: 's' }]).toArray(), { instanceOf: ExecutionError }, `${kind}${label}`);
      t.regex(error?.message ?? '', /takes numbers, got string "oops"/);
      t.is(e.context.memory.reserved, 0, `${kind}${label}`);
    }
  }
});

test('the abort signal stops the steady loop at its next poll, with the rows read so far counted', (t) => {
  // Over an array (fused) the fold polls; over an iterator its source does: both every 1024 rows.
  for (const options of [{ enablePipelineFusion: true }, {}]) {
    const rows = base(5);
    const ac = new AbortController();
    const at = LATE + 100;
    const trapped = [...rows[at]!];
    Object.defineProperty(trapped, 0, { get: () => (ac.abort('enough'), at % 5), enumerable: true });
    rows[at] = trapped;
    const e = createEngine('streaming', options, { signal: ac.signal });
    t.throws(() => e.from(SCHEMA, rows).aggregate(['k'], AGGS).toArray(), { instanceOf: QueryAbortedError });
    // The next poll after the trapped row: the first multiple of 1024 past it.
    t.is(e.context.metrics.sourceRows, Math.ceil((at + 1) / 1024) * 1024, JSON.stringify(options));
    t.is(e.context.memory.reserved, 0);
  }
});

test('a stage before the aggregation runs again on a row handed back, with the same result', (t) => {
  // A filter and an extension before the group-by, fused into the fold: a late new key is read
  // by both loops; the filter and the extension see it twice and must not change the answer.
  const rows = base(9);
  rows[LATE] = [8, 100, 100];
  const aggs: AggregateSpec[] = [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'x', as: 'sx' }, { fn: 'max', column: 'x', as: 'hx' }];
  const want = bag(createEngine('materialized', { enableStreamingAggregation: false }).from(SCHEMA, rows)
    .filter({ op: 'gt', left: { op: 'col', name: 'w' }, right: { op: 'lit', value: -400 } })
    .extend('x', { op: 'mul', left: { op: 'col', name: 'v' }, right: { op: 'lit', value: 2 } })
    .aggregate(['k'], aggs).toArray());
  for (const kind of ENGINE_KINDS) {
    const e = createEngine(kind, { enablePipelineFusion: true });
    const got = bag(e.from(SCHEMA, rows)
      .filter({ op: 'gt', left: { op: 'col', name: 'w' }, right: { op: 'lit', value: -400 } })
      .extend('x', { op: 'mul', left: { op: 'col', name: 'v' }, right: { op: 'lit', value: 2 } })
      .aggregate(['k'], aggs).toArray());
    t.deepEqual(got, want, kind);
    t.true(got.some((r) => r.startsWith('[8,')), `${kind}: the late key's group is there`);
  }
});
