import test from 'ava';
import { add, col, createEngine, ExecutionError, gt, lt, mod, QueryAbortedError, ResourcesExhaustedError, type AggregateSpec, type Engine, type Relation, type Tuple, type TupleIterator } from '../../../engine/index.js';
import { probeCacheSize } from '../../../engine/fusion/codegen.js';
import { aggregateCacheSize } from '../../../engine/aggregate/compiled-aggregate.js';
import { HashTable } from '../../../engine/join/hash-table.js';
import { bag } from '../../helpers.js';

/**
 * Pipeline fusion through a hash join's probe: with fusion on, a hash join read by `forEach`, a
 * fused run of filter/extend/project over it, and an aggregation over either run as one
 * generated loop over the probe side (`StreamingRelation.probeOf`). Every result must equal the
 * composed iterators' (fusion off), with every input closed once and every byte handed back.
 */

/** Left: (k, name, a), one row per key but a few null keys; right: (k, seq, b), `m` rows per key, some keys absent. */
function sides(n: number, m: number): { left: Tuple[]; right: Tuple[] } {
  const left: Tuple[] = [], right: Tuple[] = [];
  for (let i = 0; i < n; i++) left.push([i % 17 === 0 ? null : i, `n${i % 5}`, (i * 7) % 11]);
  for (let i = 0; i < n * m; i++) right.push([(i * 13) % (n + 5), i, i % 9 === 0 ? null : (i % 23) / 2]);
  return { left, right };
}

const AGGS: AggregateSpec[] = [
  { fn: 'count', as: 'n' }, { fn: 'sum', column: 'b', as: 's' }, { fn: 'min', column: 'seq', as: 'lo' }, { fn: 'max', column: 'name', as: 'hi' },
];

type Shape = (e: Engine, left: Relation, right: Relation) => Relation;
const QUERIES: Record<string, Shape> = {
  'join alone': (_e, l, r) => l.join(r),
  'join, filter, extend, project': (_e, l, r) => l.join(r).filter(lt(col('seq'), 500)).extend('x', add(col('a'), col('seq'))).filter(gt(col('x'), 3)).project(['x', 'name', 'b']),
  'join, count': (_e, l, r) => l.join(r).aggregate([], [{ fn: 'count', as: 'n' }]),
  'join, extend, group by': (_e, l, r) => l.join(r).extend('g', mod(col('seq'), 7)).aggregate(['g', 'name'], AGGS),
  'join on two keys': (_e, l, r) => l.extend('z', mod(col('a'), 3)).join(r.extend('z', mod(col('seq'), 3))),
  'join of a join': (e, l, r) => l.join(r).join(e.from(['name', 'w'], [['n1', 1], ['n2', 2], ['n2', 3], ['n4', null]])),
};

/** How each side is given: the caller's arrays, an iterator (unknown size), or a materialized relation (the build side). */
const SOURCES: Record<string, (e: Engine, schema: string[], rows: Tuple[]) => Relation> = {
  array: (e, s, rows) => e.from(s, rows),
  iterator: (e, s, rows) => e.fromIterator(s, () => {
    let i = 0;
    return { next: () => rows[i++], close: () => {} };
  }),
  materialized: (e, s, rows) => e.from(s, rows).materialize(),
};

function run(fusion: boolean, shape: Shape, leftSource: string, rightSource: string, drain: 'forEach' | 'toArray', n = 300, m = 3): Tuple[] {
  const e = createEngine('streaming', { enablePipelineFusion: fusion });
  const { left, right } = sides(n, m);
  const l = SOURCES[leftSource]!(e, ['k', 'name', 'a'], left), r = SOURCES[rightSource]!(e, ['k', 'seq', 'b'], right);
  const rel = shape(e, l, r);
  const out: Tuple[] = [];
  if (drain === 'forEach') rel.forEach((t) => void out.push(t));
  else out.push(...rel.toArray());
  // A materialized side's cache is its relation's until released.
  l.release();
  r.release();
  if (e.context.memory.reserved !== 0) throw new Error(`${e.context.memory.reserved} bytes still reserved`);
  return out;
}

test('a fused probe returns what the composed hash join returns: every query shape, source pairing and drain', (t) => {
  let compared = 0;
  const pushShapes = probeCacheSize(), foldShapes = aggregateCacheSize();
  for (const [name, shape] of Object.entries(QUERIES)) {
    for (const ls of Object.keys(SOURCES)) {
      for (const rs of Object.keys(SOURCES)) {
        for (const drain of ['forEach', 'toArray'] as const) {
          const expected = bag(run(false, shape, ls, rs, drain));
          t.deepEqual(bag(run(true, shape, ls, rs, drain)), expected, `${name}, left ${ls}, right ${rs}, ${drain}`);
          compared += expected.length > 0 ? 1 : 0;
        }
      }
    }
  }
  t.true(compared > 100, `${compared} comparisons had rows`);
  // The fused side really ran as probe loops: pushing (four row shapes) and folding (two aggregations).
  t.true(probeCacheSize() - pushShapes >= 4, `${probeCacheSize() - pushShapes} probe loops compiled`);
  t.true(aggregateCacheSize() - foldShapes >= 2, `${aggregateCacheSize() - foldShapes} aggregation loops compiled`);
});

test('a fused probe builds on the smaller known side and on the materialized one, as the join does (many matches per key)', (t) => {
  // Left smaller (100 rows) against 10 matches per key; then the same with the right materialized.
  for (const [ls, rs] of [['array', 'array'], ['array', 'materialized'], ['materialized', 'iterator']]) {
    const expected = bag(run(false, QUERIES['join, extend, group by']!, ls!, rs!, 'forEach', 100, 10));
    t.deepEqual(bag(run(true, QUERIES['join, extend, group by']!, ls!, rs!, 'forEach', 100, 10)), expected, `${ls} x ${rs}`);
  }
});

/** An input that yields `n` rows and then throws, counting its closes. */
function failing(schema: string[], rows: Tuple[], failAt: number, closes: { n: number }) {
  return (e: Engine) => e.fromIterator(schema, (): TupleIterator => {
    let i = 0;
    return {
      next: () => {
        if (i === failAt) throw new ExecutionError(`source failed at row ${i}`);
        return rows[i++];
      },
      close: () => void closes.n++,
    };
  });
}

test('a probe or build side that throws part-way fails the fused loop; both inputs are closed once and every byte is handed back', (t) => {
  const { left, right } = sides(200, 2);
  for (const side of ['build', 'probe'] as const) {
    for (const q of ['join, filter, extend, project', 'join, count'] as const) {
      const e = createEngine('streaming', { enablePipelineFusion: true });
      const closes = { n: 0 };
      // The materialized (re-readable) side is the build side: the left, failing or not.
      const l = side === 'build' ? failing(['k', 'name', 'a'], left, 50, closes)(e).materialize() : e.from(['k', 'name', 'a'], left).materialize();
      const r = side === 'probe' ? failing(['k', 'seq', 'b'], right, 120, closes)(e) : e.from(['k', 'seq', 'b'], right);
      const rel = QUERIES[q]!(e, l, r);
      const err = t.throws(() => rel.forEach(() => {}), { instanceOf: ExecutionError });
      t.is(err!.message, `source failed at row ${side === 'build' ? 50 : 120}`, `${side}, ${q}`);
      t.is(closes.n, 1, `${side}, ${q}: the failing input closed once`);
      l.release();
      t.is(e.context.memory.reserved, 0, `${side}, ${q}: every byte handed back`);
    }
  }
});

test('with the symmetric hash join on, a join of two single-pass inputs is not fused (the symmetric join runs) and agrees', (t) => {
  const { left, right } = sides(200, 2);
  const q = (fusion: boolean) => {
    const e = createEngine('streaming', { enablePipelineFusion: fusion, enableSymmetricHashJoin: true });
    return bag(e.from(['k', 'name', 'a'], left).join(e.from(['k', 'seq', 'b'], right)).filter(lt(col('seq'), 100)).toArray());
  };
  t.deepEqual(q(true), q(false));
});

test('a fused join indexes a from() build side where it is: the rows are never written or charged, counted as read, and the abort signal and memory limit still hold', (t) => {
  // Left (3000 rows, against 6000) is the smaller known side: the build side.
  const { left, right } = sides(3000, 2);
  const before = JSON.stringify(left);
  const query = (fusion: boolean, opts: { memoryLimit?: number; signal?: AbortSignal } = {}) => {
    const e = createEngine('streaming', { enablePipelineFusion: fusion, ...(opts.memoryLimit ? { memoryLimit: opts.memoryLimit } : {}) }, opts.signal ? { signal: opts.signal } : {});
    const out: Tuple[] = [];
    let error: unknown = null;
    try {
      e.from(['k', 'name', 'a'], left).join(e.from(['k', 'seq', 'b'], right)).forEach((r) => void out.push(r));
    } catch (err) {
      error = err;
    }
    return { out, error, peak: e.context.memory.peak, reserved: e.context.memory.reserved, read: e.context.metrics.sourceRows };
  };
  const fused = query(true), plain = query(false);
  t.is(fused.error, null);
  t.deepEqual(bag(fused.out), bag(plain.out));
  t.true(fused.out.length > 1000, `${fused.out.length} joined rows`);
  t.is(JSON.stringify(left), before, 'the build side is unchanged');
  t.is(fused.read, 3000 + 6000, 'both sides counted as read');
  t.is(fused.read, plain.read);
  // The composed join copies the rows and charges their bytes; the indexed table charges its links and heads.
  t.true(fused.peak * 3 < plain.peak, `tracker peak ${fused.peak} B indexed, ${plain.peak} B copied`);
  t.is(fused.reserved, 0);

  // A memory limit the table's links go over: the same error as the composed join, nothing left reserved.
  const limited = query(true, { memoryLimit: 4096 });
  t.true(limited.error instanceof ResourcesExhaustedError, String(limited.error));
  t.regex((limited.error as Error).message, /streaming hash join/);
  t.is(limited.reserved, 0);

  // The abort signal, fired while the build side is read (by its 1500th row's key), stops the
  // build at its next poll (row 2048): the rows read so far are counted.
  const ac = new AbortController();
  const trapped = left.map((r) => r.slice());
  Object.defineProperty(trapped[1500]!, 0, { get: () => (ac.abort('enough'), 1500), enumerable: true });
  const e = createEngine('streaming', { enablePipelineFusion: true }, { signal: ac.signal });
  t.throws(() => e.from(['k', 'name', 'a'], trapped).join(e.from(['k', 'seq', 'b'], right)).forEach(() => {}), { instanceOf: QueryAbortedError });
  t.is(e.context.metrics.sourceRows, 2048);
  t.is(e.context.memory.reserved, 0);
  t.is(JSON.stringify(left), before);
});

test('a hash table over borrowed rows refuses inserts (it would write the caller\'s array)', (t) => {
  const rows: Tuple[] = [[1, 'a'], [2, 'b'], [1, 'c'], [null, 'd']];
  const e = createEngine('streaming');
  const table = HashTable.borrowing(rows, [0], e.context, 'test join');
  table.fillBorrowed();
  const matches = (k: number) => {
    const out: Tuple[] = [];
    for (let j = table.head([k], [0]); j >= 0; j = table.chain[j]!) out.push(table.rows[j]!);
    return out;
  };
  t.deepEqual(bag(matches(1)), bag([[1, 'a'], [1, 'c']]));
  t.deepEqual(matches(2), [[2, 'b']]);
  t.deepEqual(matches(3), []);
  t.throws(() => table.insert([5, 'e']), { message: /borrowed rows takes no inserts/ });
  t.is(rows.length, 4);
  table.free();
  t.is(e.context.memory.reserved, 0);
});
