import test from 'ava';
import fc from 'fast-check';
import { add, col, createEngine, encodeColumns, ExecutionError, lt, mod, type AggregateSpec, type Tuple, type Value } from '../../engine/index.js';
import { PairIds, ValueIds } from '../../engine/keys/keys.js';
import { aggregateCacheSize } from '../../engine/aggregate/compiled-aggregate.js';
import { HASH_ENTRY_BYTES } from '../../engine/memory/byte-model.js';
import { bag } from '../helpers.js';

/** Values of every kind the key tables treat apart: small integers (dense), large and fractional numbers (hashed), -0, NaN, and non-numbers (Map). */
const VALUES: Value[] = [0, 1, 2, 7, 1023, 1024, (1 << 20) - 1, 1 << 20, 2 ** 31, -1, -(2 ** 31), 0.5, -2.25, 1e300, -0, NaN, Infinity, -Infinity, 'a', '0', '', true, false, null];

/** First-seen numbering under SameValueZero: what a Map does. */
function oracle(values: readonly Value[]): number[] {
  const m = new Map<Value, number>();
  return values.map((v) => {
    if (!m.has(v)) m.set(v, m.size);
    return m.get(v)!;
  });
}

test('ValueIds numbers every kind of value densely in first-seen order, with SameValueZero (NaN equals NaN, -0 equals 0), in every configuration', (t) => {
  // As the aggregation uses it (hashed numbers, dense from the first value), as a hash join does
  // (numbers in the Map, dense from the 256th value), and dense from the 8th.
  for (const [hashNumbers, denseFrom] of [[true, 0], [false, 256], [true, 8]] as const) {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...VALUES), fc.integer({ min: 0, max: 5000 }), fc.double()), { maxLength: 400 }), (values) => {
      let bytes = 0;
      const ids = new ValueIds((b) => void (bytes += b), hashNumbers, denseFrom);
      const got = values.map((v) => ids.id(v));
      const want = oracle(values);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`ids ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      if (ids.size !== new Set(values).size) throw new Error(`size ${ids.size} for ${new Set(values).size} values`);
      if (values.length > 0 && bytes <= 0) throw new Error('nothing reserved');
      // find() sees every value numbered, and nothing else.
      values.forEach((v, i) => {
        if (ids.find(v) !== want[i]) throw new Error(`find(${String(v)}) = ${ids.find(v)}, expected ${want[i]}`);
      });
      for (const v of [-7, 5001, 0.125, 'zz', 2 ** 40]) if (!values.some((x) => Object.is(x, v)) && ids.find(v) !== -1) throw new Error(`find(${String(v)}) found an unseen value`);
    }), { numRuns: 200 });
  }
  t.pass();
});

test('ValueIds keeps its numbering across growth of the dense and the hashed tables', (t) => {
  const ids = new ValueIds(() => {});
  const values: number[] = [];
  for (let i = 0; i < 3000; i++) values.push(i * 37 % 2048, i * 1e6 + 0.5); // dense up to 2047, hashed beyond
  const got = values.map((v) => ids.id(v));
  t.deepEqual(got, oracle(values));
  t.deepEqual(values.map((v) => ids.id(v)), got, 'the same ids the second time');
});

test('ValueIds: integers numbered in its Map before the dense table reached them keep their numbers once it does (id and find)', (t) => {
  // As a hash join's keys are numbered: the Map for the first 256 values, the dense table after.
  // The early values include integers past the dense table's first reach (3000, 9000) and a -0.
  const ids = new ValueIds(() => {}, false, 256);
  const early = [-0, 3000, 9000, ...Array.from({ length: 300 }, (_, i) => i * 7)];
  const late = Array.from({ length: 4000 }, (_, i) => i); // grows the dense table over all of them
  const values = [...early, ...late, ...early];
  const want = oracle(values);
  t.deepEqual(values.map((v) => ids.id(v)), want);
  t.deepEqual(values.map((v) => ids.find(v)), want, 'find agrees with id for every value');
  t.is(ids.find(9001), -1, 'an unseen integer the dense table reaches is not found');
  t.is(ids.size, new Set(values).size);
});

test('PairIds: the same ids through the dense grid, its growth, and the switch to the hash table; the grid\'s bytes are handed back', (t) => {
  let bytes = 0;
  const pairs = new PairIds((b) => void (bytes += b));
  const seen = new Map<number, number>();
  const r = (i: number) => Math.imul(i, 2654435761) >>> 0;
  // Grows along both axes, then past 2^20 cells (3000 x 1000), when it must change to the table.
  for (let i = 0; i < 60_000; i++) {
    const a = i < 20_000 ? r(i) % 40 : r(i) % 3000, b = i < 40_000 ? r(i + 7) % 100 : r(i + 7) % 1000;
    const key = a * 2 ** 20 + b;
    if (!seen.has(key)) seen.set(key, seen.size);
    const id = pairs.id(a, b);
    if (id !== seen.get(key)) return t.fail(`pair (${a}, ${b}) got ${id}, expected ${seen.get(key)}`);
  }
  t.is(pairs.size, seen.size);
  // After the switch only the table's entries are held: one hash entry per pair.
  t.is(bytes, seen.size * HASH_ENTRY_BYTES);
});

const AGGS: AggregateSpec[] = [
  { fn: 'count', as: 'n' }, { fn: 'count', column: 'v', as: 'nv' }, { fn: 'countDistinct', column: 'v', as: 'dv' },
  { fn: 'sum', column: 'v', as: 's' }, { fn: 'avg', column: 'v', as: 'a' }, { fn: 'min', column: 'v', as: 'lo' },
  { fn: 'max', column: 'v', as: 'hi' }, { fn: 'first', column: 'v', orderBy: 'ts', as: 'f' }, { fn: 'last', column: 'v', orderBy: 'ts', as: 'l' },
];

/** Rows with three key columns whose pair domains outgrow the dense grid (200 x 100 x 100). */
function wideKeyRows(n: number): Tuple[] {
  const rows: Tuple[] = [];
  for (let i = 0; i < n; i++) {
    const h = Math.imul(i, 2654435761) >>> 0;
    rows.push([h % 200, (h >>> 8) % 100, (h >>> 16) % 100, i % 13 === 0 ? null : (h % 1000) / 8, (h >>> 4) % 5000]);
  }
  return rows;
}

test('one-pass aggregation over three key columns and 100K+ groups (past the dense grid) equals collect-then-reduce, on both engines', (t) => {
  const rows = wideKeyRows(120_000);
  const schema = ['ka', 'kb', 'kc', 'v', 'ts'];
  const expected = bag(createEngine('materialized', { enableStreamingAggregation: false }).from(schema, rows).aggregate(['ka', 'kb', 'kc'], AGGS).toArray());
  t.true(expected.length > 50_000, `${expected.length} groups`);
  for (const kind of ['materialized', 'streaming'] as const) {
    const e = createEngine(kind);
    t.deepEqual(bag(e.from(schema, rows).aggregate(['ka', 'kb', 'kc'], AGGS).toArray()), expected, kind);
    t.is(e.context.memory.reserved, 0, `${kind}: every byte handed back`);
  }
});

test('fused aggregation (a filter and an extend in the same loop) over rows, columns and an iterator equals the composed one', (t) => {
  const rows = wideKeyRows(5_000);
  const schema = ['ka', 'kb', 'kc', 'v', 'ts'];
  const query = (from: (e: ReturnType<typeof createEngine>) => ReturnType<ReturnType<typeof createEngine>['from']>, fusion: boolean) => {
    const e = createEngine('streaming', { enablePipelineFusion: fusion });
    const out = from(e).filter(lt(col('ts'), 4000)).extend('k', mod(add(col('ka'), col('kb')), 7)).aggregate(['k', 'kc'], AGGS).toArray();
    t.is(e.context.memory.reserved, 0);
    return bag(out);
  };
  const expected = query((e) => e.from(schema, rows), false);
  t.true(expected.length > 100);
  t.deepEqual(query((e) => e.from(schema, rows), true), expected, 'over rows');
  t.deepEqual(query((e) => e.fromColumns(schema, encodeColumns(schema, rows)), true), expected, 'over columns');
  t.deepEqual(query((e) => e.fromIterator(schema, () => {
    let i = 0;
    return { next: () => rows[i++], close: () => {} };
  }), true), expected, 'over an iterator');
  const before = aggregateCacheSize();
  query((e) => e.from(schema, rows.slice(0, 100)), true);
  t.is(aggregateCacheSize(), before, 'the same shape reuses its generated code');
});

test('a non-number in sum fails the fused loop with an ExecutionError naming the aggregate and the value, and every byte is handed back', (t) => {
  for (const fusion of [true, false]) {
    const e = createEngine('streaming', { enablePipelineFusion: fusion });
    const rel = e.from(['k', 'v'], [[1, 2], [2, 3], [1, 'x']]).filter(lt(col('k'), 10)).aggregate(['k'], [{ fn: 'sum', column: 'v', as: 's' }]);
    const err = t.throws(() => rel.toArray(), { instanceOf: ExecutionError });
    t.regex(err!.message, /sum\(v\) as s takes numbers, got string "x"/);
    t.is(e.context.memory.reserved, 0);
  }
});
