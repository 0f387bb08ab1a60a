import test from 'ava';
import { col, createEngine, ExecutionError, gt, QueryAbortedError, RelationConsumedError, StreamingRelation, type Tuple } from '../../../engine/index.js';
import { intRows, ProbeSource, readAll } from '../../helpers.js';

/** A fresh streaming relation over a probe source (size unknown, like a real stream). */
function probe(rows: Tuple[] = intRows(10), options = {}, failAt = -1) {
  const engine = createEngine('streaming', options);
  const source = new ProbeSource(rows, failAt);
  let opens = 0;
  const rel = engine.fromIterator(['a', 'b'], () => {
    opens++;
    return source;
  }) as StreamingRelation;
  return { engine, source, rel, opens: () => opens };
}

test('FRESH: building a pipeline reads nothing until the first next()', (t) => {
  const { rel, source, opens } = probe();
  const q = rel.filter(gt(col('a'), 2)).project(['b']).limit(3);
  t.is(rel.phase, 'fresh');
  const it = q.open();
  t.is(source.pulls, 0, 'open() alone pulls nothing');
  t.is(opens(), 1);
  t.deepEqual(it.next(), [3]);
  t.is(source.pulls, 4);
  it.close();
});

test('FRESH → CONSUMED: a second open() throws RelationConsumedError', (t) => {
  const { rel } = probe();
  t.is(readAll(rel).length, 10);
  t.is(rel.phase, 'consumed');
  const err = t.throws(() => rel.open(), { instanceOf: RelationConsumedError });
  t.regex(err!.message, /already opened once; call materialize\(\) before its first open\(\)/);
});

test('a second pass over a derived relation throws too, instead of returning nothing', (t) => {
  const { rel } = probe();
  const q = rel.filter(gt(col('a'), 5));
  t.is(q.toArray().length, 4);
  t.throws(() => q.toArray(), { instanceOf: RelationConsumedError });
  // A second consumer of the same input is caught as well.
  t.throws(() => rel.project(['a']).toArray(), { instanceOf: RelationConsumedError });
});

test('FRESH → ARMED → CACHING → CACHED: materialize() caches the first pass and replays it', (t) => {
  const { rel, source, opens } = probe();
  t.is(rel.materialize(), rel);
  t.is(rel.phase, 'armed');
  const it = rel.open();
  t.is(rel.phase, 'caching');
  t.deepEqual(it.next(), [0, 0]);
  it.next();
  t.is(rel.phase, 'caching');
  for (let x = it.next(); x !== undefined; x = it.next());
  t.is(rel.phase, 'cached');
  it.close();
  t.is(source.closes, 1, 'source closed once exhausted');
  const pullsAfterFirst = source.pulls;
  t.deepEqual(readAll(rel), intRows(10));
  t.deepEqual(readAll(rel), intRows(10));
  t.is(source.pulls, pullsAfterFirst, 'replays do not touch the source');
  t.is(opens(), 1);
  t.is(rel.size(), 10, 'size is known once cached');
});

test('materialize() in ARMED, CACHING and CACHED returns the relation unchanged', (t) => {
  const { rel } = probe();
  rel.materialize();
  t.is(rel.materialize(), rel);
  const it = rel.open();
  it.next();
  t.is(rel.materialize(), rel);
  it.close();
  t.is(rel.phase, 'cached');
  t.is(rel.materialize(), rel);
});

test('materialize() after the single pass started throws RelationConsumedError', (t) => {
  const { rel } = probe();
  const it = rel.open();
  it.next();
  const err = t.throws(() => rel.materialize(), { instanceOf: RelationConsumedError });
  t.regex(err!.message, /after this streaming relation's single pass started/);
  it.close();
});

test('CACHING: a second open() during the first pass sees every tuple', (t) => {
  const { rel } = probe();
  rel.materialize();
  const a = rel.open();
  t.deepEqual(a.next(), [0, 0]);
  t.deepEqual(a.next(), [1, 1]);
  const b = rel.open();
  const fromB: Tuple[] = [];
  for (let x = b.next(); x !== undefined; x = b.next()) fromB.push(x);
  t.deepEqual(fromB, intRows(10));
  const restOfA: Tuple[] = [];
  for (let x = a.next(); x !== undefined; x = a.next()) restOfA.push(x);
  t.deepEqual(restOfA, intRows(10).slice(2));
  a.close();
  b.close();
});

test('early close of the first pass never leaves a partial cache to replay: the cache is completed', (t) => {
  const { rel, source } = probe();
  rel.materialize();
  t.deepEqual(rel.limit(3).toArray(), intRows(3));
  t.is(rel.phase, 'cached', 'closing early filled the rest of the cache');
  t.is(source.closes, 1);
  t.deepEqual(readAll(rel), intRows(10), 'the replay is complete, not the 3-row prefix');
});

test('early close after an abort marks the cache failed, and a replay refuses with the reason', (t) => {
  const ac = new AbortController();
  const engine = createEngine('streaming', {}, { signal: ac.signal });
  const rel = engine.from(['a', 'b'], intRows(5000)).materialize() as StreamingRelation;
  const it = rel.open();
  for (let i = 0; i < 10; i++) it.next();
  ac.abort('user cancelled');
  it.close();
  t.is(rel.phase, 'failed');
  const err = t.throws(() => rel.open(), { instanceOf: RelationConsumedError });
  t.regex(err!.message, /first pass failed or was aborted/);
  t.is(engine.context.memory.reserved, 0, 'the failed cache was freed');
});

test('a source error during the first pass fails the cache instead of replaying a prefix', (t) => {
  const { rel, engine } = probe(intRows(10), {}, 4);
  rel.materialize();
  t.throws(() => rel.toArray(), { message: /probe source failed at row 4/ });
  t.is(rel.phase, 'failed');
  t.throws(() => rel.open(), { instanceOf: RelationConsumedError });
  t.is(engine.context.memory.reserved, 0);
});

test('abort signal stops a running query with QueryAbortedError', (t) => {
  const ac = new AbortController();
  const engine = createEngine('streaming', {}, { signal: ac.signal });
  const q = engine.from(['a', 'b'], intRows(10_000)).filter(() => true);
  const it = q.open();
  it.next();
  ac.abort();
  t.throws(() => {
    for (let i = 0; i < 2000; i++) it.next();
  }, { instanceOf: QueryAbortedError });
  it.close();
});

test('release() frees the cache and forbids further opens', (t) => {
  const { rel, engine } = probe();
  rel.materialize();
  readAll(rel);
  t.true(engine.context.memory.reserved > 0, 'the cache is reserved while it lives');
  rel.release();
  t.is(rel.phase, 'released');
  t.is(engine.context.memory.reserved, 0);
  t.throws(() => rel.open(), { instanceOf: RelationConsumedError, message: /released/ });
  t.throws(() => rel.materialize(), { instanceOf: RelationConsumedError });
});

test('size() is -1 while unknown and never consumes; known sizes propagate without reading', (t) => {
  const { rel, source } = probe();
  t.is(rel.size(), -1);
  t.is(rel.filter(gt(col('a'), 1)).size(), -1);
  t.is(source.pulls, 0);
  const engine = createEngine('streaming');
  const base = engine.from(['a', 'b'], intRows(7));
  t.is(base.project(['a']).extend('c', col('a')).limit(5).size(), 5);
  t.is(base.size(), 7, 'size() did not consume the source');
  t.is(base.toArray().length, 7);
});

test('isEmpty() peeks without losing the tuple, then the pass sees everything', (t) => {
  const { rel, source } = probe();
  const q = rel.filter(gt(col('a'), 6));
  t.false(q.isEmpty());
  t.false(q.isEmpty(), 'asking twice is fine');
  t.is(source.pulls, 8, 'peeking read only up to the first matching tuple');
  t.deepEqual(q.toArray(), [[7, 7], [8, 8], [9, 9]]);
});

test('isEmpty() on an empty stream is true and the pass still closes the source', (t) => {
  const { rel, source } = probe([]);
  t.true(rel.isEmpty());
  t.deepEqual(rel.toArray(), []);
  t.is(source.closes, 1);
});

test('isEmpty() then materialize(): the peeked tuple is part of the cache', (t) => {
  const { rel } = probe();
  t.false(rel.isEmpty());
  rel.materialize();
  t.deepEqual(readAll(rel), intRows(10));
  t.deepEqual(readAll(rel), intRows(10));
});

test('isEmpty() after the pass started throws rather than guessing', (t) => {
  const { rel } = probe();
  readAll(rel);
  t.throws(() => rel.isEmpty(), { instanceOf: RelationConsumedError });
});

test('enableTrueStreaming off: size() and isEmpty() materialize to answer, once, and the pass reuses it', (t) => {
  const { rel, source, opens, engine } = probe(intRows(10), { enableTrueStreaming: false });
  t.is(rel.size(), 10);
  t.is(source.pulls, 11, 'read to the end to count');
  t.false(rel.isEmpty());
  t.is(rel.size(), 10);
  t.deepEqual(rel.toArray(), intRows(10));
  t.is(opens(), 1);
  t.is(engine.context.memory.reserved, 0, 'the implicit cache is freed after its single pass');
  t.throws(() => rel.open(), { instanceOf: RelationConsumedError }, 'still single-pass: it was not materialize()d');
});

test('close() is idempotent on every iterator and the source is closed exactly once', (t) => {
  const { rel, source } = probe();
  const it = rel.filter(gt(col('a'), 0)).project(['a']).extend('z', col('a')).distinct().limit(2).open();
  it.next();
  it.close();
  it.close();
  t.is(source.closes, 1);
  t.is(it.next(), undefined, 'a closed iterator yields nothing');
});

test('limit closes its input as soon as it has enough rows', (t) => {
  const { rel, source } = probe(intRows(1000));
  const it = rel.limit(2).open();
  it.next();
  t.is(source.closes, 0);
  it.next();
  t.is(source.closes, 1, 'closed right after the last row, before the consumer asks again');
  t.is(it.next(), undefined);
  it.close();
  t.is(source.pulls, 2);
});

test('concat opens its second input only when the first is exhausted', (t) => {
  const engine = createEngine('streaming');
  const a = new ProbeSource(intRows(3)), b = new ProbeSource(intRows(3));
  const q = engine.fromIterator(['a', 'b'], () => a).concat(engine.fromIterator(['a', 'b'], () => b));
  t.deepEqual(q.limit(2).toArray(), intRows(2));
  t.is(b.pulls, 0);
  t.is(b.closes, 0);
});

test('Symbol.iterator works for convenience and closes on break', (t) => {
  const { rel, source } = probe();
  const seen: Tuple[] = [];
  for (const row of rel) {
    seen.push(row);
    if (seen.length === 2) break;
  }
  t.deepEqual(seen, intRows(2));
  t.is(source.closes, 1);
});

// A failed probe is terminal (issue: "no half-read relation after a failed probe").
for (const trueStreaming of [false, true]) {
  for (const method of ['size', 'isEmpty'] as const) {
    if (trueStreaming && method === 'size') continue; // true streaming answers size() with -1 and reads nothing
    test(`a ${method}() whose read throws leaves the relation FAILED: later reads throw, naming the cause (enableTrueStreaming ${trueStreaming})`, (t) => {
      // Row 0 fails, so even the isEmpty() peek of true streaming reaches it.
      const failAt = method === 'isEmpty' && trueStreaming ? 0 : 2;
      const { rel, engine } = probe(intRows(4), { enableTrueStreaming: trueStreaming }, failAt);
      const q = rel.filter(gt(col('a'), -1));
      const first = t.throws(() => q[method](), { message: new RegExp(`probe source failed at row ${failAt}`) });
      t.is((q as StreamingRelation).phase, 'failed');
      for (const read of [() => q.toArray(), () => q.open(), () => q.size(), () => q.isEmpty(), () => q.materialize(), () => [...q]]) {
        const err = t.throws(read, { instanceOf: RelationConsumedError, message: /an earlier read of it failed: probe source failed/ });
        t.is(err!.cause, first, 'the cause is the first failure');
      }
      q.release();
      t.is(engine.context.memory.reserved, 0);
    });
  }
}

test('a failed isEmpty() on a materialize()d relation is terminal too', (t) => {
  const { rel, engine } = probe(intRows(4), { enableTrueStreaming: true }, 0);
  const m = rel.materialize();
  t.throws(() => m.isEmpty(), { message: /probe source failed at row 0/ });
  t.throws(() => m.toArray(), { instanceOf: RelationConsumedError });
  m.release();
  t.is(engine.context.memory.reserved, 0);
});

for (const method of ['size', 'isEmpty'] as const) {
  test(`cross product after ${method}() on its right input returns every pair (the probe's one-pass cache is not re-readable)`, (t) => {
    const engine = createEngine('streaming', { enableTrueStreaming: false });
    const left = engine.from(['l'], [[1], [2]]);
    const { rel } = probe([[10, 0], [20, 0]]);
    const right = rel.project(['a']);
    right[method]();
    t.deepEqual(left.join(right).toArray().sort(), [[1, 10], [1, 20], [2, 10], [2, 20]]);
  });
}

test('a streaming fromIterator row that is not an array of the schema width is an ExecutionError (as on the materialized engine)', (t) => {
  for (const kind of ['streaming', 'materialized'] as const) {
    const rows: unknown[] = [[1, 2], { a: 1, b: 2 }];
    let i = 0;
    const err = t.throws(() => createEngine(kind, { memoryLimit: 1 << 20 }).fromIterator(['a', 'b'], () => ({ next: () => rows[i++] as Tuple, close: () => {} })).materialize().toArray(), {
      instanceOf: ExecutionError,
    });
    t.is(err!.message, 'fromIterator: row 1 must be an array of 2 values (a, b), got object', kind);
  }
});

test('a second cursor of a materialize()d relation whose source failed under the first gets the error, not a silent end', (t) => {
  const { rel } = probe(intRows(6), {}, 3);
  const m = rel.materialize();
  const a = m.open(), b = m.open();
  t.deepEqual(b.next(), [0, 0]);
  t.throws(() => { for (let r = a.next(); r !== undefined; r = a.next()); }, { message: /probe source failed at row 3/ });
  // b has read row 0; rows 1-2 are cached, then the source's failure, never an end after 3 rows.
  t.deepEqual([b.next(), b.next()], [[1, 1], [2, 2]]);
  t.throws(() => b.next(), { message: /probe source failed at row 3/ });
  a.close();
  b.close();
});
