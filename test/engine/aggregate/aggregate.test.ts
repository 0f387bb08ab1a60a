import test from 'ava';
import fc from 'fast-check';
import { createEngine, ENGINE_KINDS, ExecutionError, PlanError, type AggregateSpec, type Tuple } from '../../../engine/index.js';
import { makeAccumulator } from '../../../engine/aggregate/accumulators.js';
import { planAggregate } from '../../../engine/aggregate/aggregate-plan.js';
import { bag, readAll } from '../../helpers.js';

const OHLC: AggregateSpec[] = [
  { fn: 'first', column: 'price', orderBy: 'ts', as: 'open' },
  { fn: 'max', column: 'price', as: 'high' },
  { fn: 'min', column: 'price', as: 'low' },
  { fn: 'last', column: 'price', orderBy: 'ts', as: 'close' },
  { fn: 'sum', column: 'qty', as: 'volume' },
];
const TRADES: Tuple[] = [
  ['A', 9, 3, 10.5, 100], ['A', 9, 1, 10.0, 50], ['A', 9, 2, 11.0, null], ['A', 10, 4, 9.5, 10],
  ['B', 9, 1, 20.0, 5], ['B', 9, 2, null, 7], ['A', 10, 5, 9.0, 20],
];

for (const kind of ENGINE_KINDS) {
  for (const streamingAgg of [true, false]) {
    const label = `${kind}, ${streamingAgg ? 'one-pass' : 'collect-then-reduce'}`;
    test(`${label}: OHLC bars in one aggregate; input order does not matter`, (t) => {
      const e = createEngine(kind, { enableStreamingAggregation: streamingAgg });
      const expected = [['A', 9, 10.0, 11.0, 10.0, 10.5, 150], ['A', 10, 9.5, 9.5, 9.0, 9.0, 30], ['B', 9, 20.0, 20.0, 20.0, 20.0, 12]];
      const cols = ['sym', 'hour', 'ts', 'price', 'qty'];
      t.deepEqual(bag(e.from(cols, TRADES).aggregate(['sym', 'hour'], OHLC).toArray()), bag(expected));
      t.deepEqual(bag(e.from(cols, [...TRADES].reverse()).aggregate(['sym', 'hour'], OHLC).toArray()), bag(expected));
      t.is(e.context.memory.reserved, 0);
    });

    test(`${label}: null semantics — count(*) counts nulls, everything else ignores them`, (t) => {
      const e = createEngine(kind, { enableStreamingAggregation: streamingAgg });
      const rows: Tuple[] = [['g', null, null], ['g', 2, 1], ['g', 2, null], ['h', null, null]];
      const out = e.from(['k', 'v', 'ts'], rows).aggregate(['k'], [
        { fn: 'count', as: 'n' }, { fn: 'count', column: 'v', as: 'nv' }, { fn: 'countDistinct', column: 'v', as: 'dv' },
        { fn: 'sum', column: 'v', as: 's' }, { fn: 'avg', column: 'v', as: 'a' }, { fn: 'min', column: 'v', as: 'lo' },
        { fn: 'max', column: 'v', as: 'hi' }, { fn: 'first', column: 'v', orderBy: 'ts', as: 'f' }, { fn: 'last', column: 'v', orderBy: 'ts', as: 'l' },
      ]).toArray();
      // g: 3 rows, two non-null v (both 2), one row where v and ts are both non-null.
      t.deepEqual(bag(out), bag([['g', 3, 2, 1, 4, 2, 2, 2, 2, 2], ['h', 1, 0, 0, null, null, null, null, null, null]]));
    });

    test(`${label}: no group-by gives exactly one row even for empty input; with group-by, none`, (t) => {
      const e = createEngine(kind, { enableStreamingAggregation: streamingAgg });
      const aggs: AggregateSpec[] = [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'v', as: 's' }, { fn: 'max', column: 'v', as: 'm' }, { fn: 'countDistinct', column: 'v', as: 'd' }];
      t.deepEqual(e.from(['k', 'v'], []).aggregate([], aggs).toArray(), [[0, null, null, 0]]);
      t.deepEqual(e.from(['k', 'v'], []).aggregate(['k'], aggs).toArray(), []);
      t.deepEqual(e.from(['k', 'v'], [[1, 5], [2, 7]]).aggregate([], aggs).toArray(), [[2, 12, 7, 2]]);
      t.is(e.from(['k', 'v'], []).aggregate([], aggs).size(), 1);
    });

    test(`${label}: nulls in group-by columns form their own group`, (t) => {
      const e = createEngine(kind, { enableStreamingAggregation: streamingAgg });
      const out = e.from(['k', 'v'], [[null, 1], [null, 2], [1, 3]]).aggregate(['k'], [{ fn: 'sum', column: 'v', as: 's' }]).toArray();
      t.deepEqual(bag(out), bag([[null, 3], [1, 3]]));
    });
  }

  test(`${kind}: aggregate errors are named`, (t) => {
    const r = createEngine(kind).from(['k', 'v'], [[1, 'x']]);
    t.throws(() => r.aggregate(['k'], [{ fn: 'median' as never, column: 'v', as: 'm' }]), { instanceOf: PlanError, message: /unknown function "median" in aggs\[0\]; known: count, countDistinct/ });
    t.throws(() => r.aggregate(['k'], [{ fn: 'first', column: 'v', as: 'f' }]), { instanceOf: PlanError, message: /first 'f' needs an orderBy column/ });
    t.throws(() => r.aggregate(['k'], [{ fn: 'sum', as: 's' }]), { instanceOf: PlanError, message: /sum 's' needs a column/ });
    t.throws(() => r.aggregate(['k'], [{ fn: 'count', as: 'k' }]), { instanceOf: PlanError, message: /output column 'k' appears twice/ });
    t.throws(() => r.aggregate(['zz'], []), { instanceOf: PlanError, message: /unknown column 'zz' in aggregate groupBy/ });
    t.throws(() => r.aggregate([], [{ fn: 'sum', column: 'v', as: 's' }]).toArray(), { instanceOf: ExecutionError, message: /sum\(v\) as s takes numbers, got string "x"/ });
  });
}

test('one-pass aggregation never keeps rows; collect-then-reduce holds them all (tracker peak)', (t) => {
  const rows: Tuple[] = Array.from({ length: 20_000 }, (_, i) => [i % 10, i, i * 0.5]);
  const peak = (streamingAgg: boolean) => {
    const e = createEngine('streaming', { enableStreamingAggregation: streamingAgg });
    const out = readAll(e.from(['g', 'a', 'b'], rows).aggregate(['g'], [{ fn: 'count', as: 'n' }, { fn: 'sum', column: 'b', as: 's' }, { fn: 'max', column: 'a', as: 'm' }]));
    t.is(out.length, 10);
    t.is(e.context.memory.reserved, 0);
    return e.context.memory.peak;
  };
  const onePass = peak(true), collect = peak(false);
  t.true(onePass < 5_000, `one pass peaked at ${onePass} bytes for 10 groups`);
  t.true(collect > 20_000 * 64, `collect-then-reduce peaked at ${collect} bytes for 20K rows`);
});

test('countDistinct reserves its value sets and releases them', (t) => {
  const e = createEngine('streaming');
  const it = e.from(['g', 'v'], Array.from({ length: 1000 }, (_, i) => [i % 2, i])).aggregate(['g'], [{ fn: 'countDistinct', column: 'v', as: 'd' }]).open();
  t.deepEqual(bag([it.next()!, it.next()!]), bag([[0, 500], [1, 500]]));
  t.true(e.context.memory.reserved > 1000 * 24);
  it.close();
  t.is(e.context.memory.reserved, 0);
});

test('merge: aggregating two halves and merging equals aggregating the whole', (t) => {
  const ctx = createEngine('streaming').context;
  const schema = ['v', 'ts'];
  const valueArb = fc.oneof(fc.constant(null), fc.integer({ min: -20, max: 20 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(valueArb, valueArb)), fc.nat(), (rows, cut) => {
      const split = rows.length === 0 ? 0 : cut % (rows.length + 1);
      const plan = planAggregate(schema, [], ['count', 'countDistinct', 'sum', 'min', 'max', 'avg', 'first', 'last'].map((fn, i) => ({ fn, column: 'v', orderBy: 'ts', as: `a${i}` }) as AggregateSpec));
      for (const spec of plan.aggs) {
        const whole = makeAccumulator(spec, ctx, 'test'), a = makeAccumulator(spec, ctx, 'test'), b = makeAccumulator(spec, ctx, 'test');
        whole.init(); a.init(); b.init();
        rows.forEach((r, i) => { whole.add(0, r); (i < split ? a : b).add(0, r); });
        a.merge(0, b, 0);
        if (!Object.is(a.result(0), whole.result(0)) && a.result(0) !== whole.result(0)) throw new Error(`${spec.label}: merged ${a.result(0)} vs whole ${whole.result(0)}`);
        whole.free(); a.free(); b.free();
      }
    }),
    { numRuns: 300 },
  );
  t.is(ctx.memory.reserved, 0);
});

/**
 * min, max, first and last keep numbers unboxed while a group has seen only numbers, and switch to
 * the general comparison when another kind arrives (see `Slots` in accumulators.ts). A reference
 * written straight from the documented semantics (compareValues order; first/last by orderBy,
 * ties by value; nulls ignored) must agree on values that mix numbers with NaN, -0, strings and
 * booleans, in any order, on both engines and both aggregation modes.
 */
test('min/max/first/last on mixed values (numbers, NaN, -0, strings, booleans) match the reference semantics', async (t) => {
  const { compareValues } = await import('../../../engine/expr/compare.js');
  type V = number | string | boolean | null;
  const valueArb: fc.Arbitrary<V> = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -5, max: 5 }) },
    { weight: 2, arbitrary: fc.constantFrom(0.5, -0, Number.NaN, 1e300) },
    { weight: 1, arbitrary: fc.constantFrom('a', 'b', true, false) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
  const specs: AggregateSpec[] = [
    { fn: 'min', column: 'v', as: 'mn' }, { fn: 'max', column: 'v', as: 'mx' },
    { fn: 'first', column: 'v', orderBy: 'ts', as: 'f' }, { fn: 'last', column: 'v', orderBy: 'ts', as: 'l' },
  ];
  const reference = (rows: [number, V, V][]): Tuple[] => {
    const out: Tuple[] = [];
    for (const k of [...new Set(rows.map((r) => r[0]))]) {
      const mine = rows.filter((r) => r[0] === k);
      const vs = mine.map((r) => r[1]).filter((v): v is Exclude<V, null> => v !== null);
      const pick = (sign: 1 | -1) => (vs.length ? vs.reduce((a, b) => (sign * compareValues(b, a) < 0 ? b : a)) : null);
      const both = mine.filter((r) => r[1] !== null && r[2] !== null) as [number, Exclude<V, null>, Exclude<V, null>][];
      const order = (sign: 1 | -1) => (both.length ? both.reduce((a, b) => {
        const c = sign * compareValues(b[2], a[2]);
        return c < 0 || (c === 0 && sign * compareValues(b[1], a[1]) < 0) ? b : a;
      })[1] : null);
      out.push([k, pick(1), pick(-1), order(1), order(-1)]);
    }
    return out;
  };
  const same = (a: Tuple[], b: Tuple[]) => {
    const key = (r: Tuple) => JSON.stringify(r.map((v) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v)));
    return JSON.stringify(a.map(key).sort()) === JSON.stringify(b.map(key).sort());
  };
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), valueArb, valueArb), { maxLength: 40 }), (rows) => {
      const want = reference(rows);
      for (const kind of ENGINE_KINDS) {
        for (const streamingAgg of [true, false]) {
          const got = createEngine(kind, { enableStreamingAggregation: streamingAgg }).from(['k', 'v', 'ts'], rows).aggregate(['k'], specs).toArray();
          if (!same(got, want)) throw new Error(`${kind} ${streamingAgg ? 'one-pass' : 'collect'}: ${JSON.stringify(got)} vs reference ${JSON.stringify(want)}`);
        }
      }
    }),
    { numRuns: 400, seed: 20261130 },
  );
  t.pass();
});
