import test from 'ava';
import { byteModel, col, createEngine, ENGINE_KINDS, gt, lt, MemoryTracker, ResourcesExhaustedError } from '../../../engine/index.js';
import { intRows, readAll } from '../../helpers.js';

test('the tracker records the peak and enforces its limit without reserving on failure', (t) => {
  const m = new MemoryTracker(100);
  m.reserve(60, 'a');
  m.release(20);
  m.reserve(50, 'b');
  t.is(m.reserved, 90);
  t.is(m.peak, 90);
  t.throws(() => m.reserve(11, 'c'), { instanceOf: ResourcesExhaustedError, message: /^c needed 11 more bytes with 90 already reserved/ });
  t.is(m.reserved, 90);
  m.release(90);
  t.is(m.reserved, 0);
  t.is(m.peak, 90);
  m.resetPeak();
  t.is(m.peak, 0);
});

test('a reservation grows, shrinks and frees its own bytes in the tracker, and the limit error names it', (t) => {
  const m = new MemoryTracker(100);
  const a = m.reservation('hash join (build side)'), b = m.reservation('sort buffer');
  a.grow(40);
  b.grow(30);
  t.is(a.bytes, 40);
  t.is(m.reserved, 70);
  const err = t.throws(() => a.grow(31), { instanceOf: ResourcesExhaustedError, message: /^hash join \(build side\) needed 31 more bytes with 70 already reserved/ });
  t.is(err!.operator, 'hash join (build side)');
  t.is(a.bytes, 40, 'a failed grow holds nothing more');
  t.is(m.reserved, 70);
  a.shrink(15);
  t.is(a.bytes, 25);
  a.shrink(1000);
  t.is(a.bytes, 0, 'shrink stops at what is held');
  t.is(m.reserved, 30, "the other reservation's bytes are untouched");
  a.resize(12);
  a.resize(-2);
  t.is(a.bytes, 10);
  t.is(b.free(), 30, 'free returns the bytes it handed back');
  t.is(b.free(), 0, 'free is idempotent');
  t.is(a.free(), 10);
  t.is(m.reserved, 0);
  t.is(m.peak, 70);
});

test('every buffering operator hands back all it reserved: after a query, after an error part-way, and after an early close', (t) => {
  // A query that buffers in every kind of operator (join table, sort, distinct, aggregation).
  for (const kind of ENGINE_KINDS) {
    const e = createEngine(kind);
    const rows = intRows(500);
    const build = () => e.from(['a', 'b'], rows).join(e.from(['a', 'c'], rows.map(([a, b]) => [a, b]))).distinct().aggregate(['b'], [{ fn: 'count', as: 'n' }]).orderBy([{ column: 'n' }]);
    t.true(readAll(build()).length > 0);
    t.is(e.context.memory.reserved, 0, `${kind}: after a full read`);
    const it = build().open();
    it.next();
    it.close();
    t.is(e.context.memory.reserved, 0, `${kind}: after an early close`);
    const small = createEngine(kind, { memoryLimit: 4096 });
    t.throws(() => readAll(small.from(['a', 'b'], rows).join(small.from(['a', 'c'], rows)).orderBy([{ column: 'a' }])), { instanceOf: ResourcesExhaustedError });
    t.is(small.context.memory.reserved, 0, `${kind}: after a ResourcesExhaustedError part-way`);
  }
});

test('the byte model is deterministic and documented by example', (t) => {
  t.is(byteModel.tupleBytes([1, 2]), 48 + 16, 'two small ints: array + 2 slots');
  t.is(byteModel.tupleBytes([1.5]), 48 + 8 + 16, 'a boxed double');
  t.is(byteModel.tupleBytes(['abc', null, true]), 48 + 24 + 16 + 8, 'a string is 16 + chars rounded to 8');
  t.is(byteModel.bufferedTupleBytes([1]), 8 + 56);
});

const QUERIES = {
  'filter→project': (r: ReturnType<typeof base>) => r.filter(gt(col('a'), 10)).project(['b']),
  'extend→distinct': (r: ReturnType<typeof base>) => r.extend('c', col('b')).distinct(),
  'concat→limit': (r: ReturnType<typeof base>) => r.concat(r.filter(lt(col('a'), 3))).limit(50),
};
function base(engine: ReturnType<typeof createEngine>) {
  return engine.from(['a', 'b'], intRows(200, 7));
}

for (const kind of ENGINE_KINDS) {
  for (const composition of kind === 'streaming' ? [true, false] : [true]) {
    for (const [name, q] of Object.entries(QUERIES)) {
      test(`${kind}${kind === 'streaming' ? ` composition=${composition}` : ''}: ${name} returns the tracker to zero after close`, (t) => {
        const engine = createEngine(kind, { enableIteratorComposition: composition });
        // concat reads `base` twice: on the streaming engine it must be materialized first.
        const b = base(engine);
        const rel = name === 'concat→limit' ? q(b.materialize() as typeof b) : q(b);
        const rows = readAll(rel);
        t.true(rows.length > 0);
        b.release();
        t.is(engine.context.memory.reserved, 0);
      });
    }
  }
}

test('composition off makes every streaming operator buffer its whole input first', (t) => {
  const on = createEngine('streaming', { enableIteratorComposition: true });
  const off = createEngine('streaming', { enableIteratorComposition: false });
  const run = (e: typeof on) => readAll(e.from(['a', 'b'], intRows(1000)).filter(gt(col('a'), 500)).project(['a']).limit(5));
  t.deepEqual(run(on), run(off));
  t.is(on.context.metrics.materializations, 0);
  t.is(on.context.memory.peak, 0, 'composed iterators buffer nothing');
  t.is(on.context.metrics.sourceRows, 506, 'composition stops reading once the limit is met');
  t.is(off.context.metrics.materializations, 3, 'one buffer per operator');
  t.is(off.context.metrics.materializedRows, 1000 + 499 + 499);
  t.is(off.context.metrics.sourceRows, 1000);
  t.true(off.context.memory.peak > 1000 * 64, 'the whole input was reserved at once');
});

test('materialized engine: peak covers input and output of the largest step, intermediates are handed back', (t) => {
  const engine = createEngine('materialized');
  const rows = intRows(1000);
  const f = engine.from(['a', 'b'], rows).filter(gt(col('a'), -1));
  const filterBytes = engine.context.memory.reserved;
  t.is(filterBytes, rows.reduce((s, r) => s + byteModel.bufferedTupleBytes(r), 0));
  const p = f.project(['a']);
  t.true(engine.context.memory.peak >= filterBytes + 1000 * byteModel.bufferedTupleBytes([0]));
  t.is(engine.context.memory.reserved, 1000 * byteModel.bufferedTupleBytes([0]), 'the filter result was handed back once projected');
  t.is(p.toArray().length, 1000);
  t.is(engine.context.memory.reserved, 0);
});

test('streaming distinct reserves its seen-set while open and releases it on close', (t) => {
  const engine = createEngine('streaming');
  const it = engine.from(['a', 'b'], intRows(100, 5)).project(['b']).distinct().open();
  let n = 0;
  while (it.next() !== undefined) n++;
  t.is(n, 5);
  t.true(engine.context.memory.reserved > 0);
  it.close();
  t.is(engine.context.memory.reserved, 0);
});
