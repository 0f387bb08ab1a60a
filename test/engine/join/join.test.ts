import test from 'ava';
import { createEngine, ENGINE_KINDS, PlanError, ResourcesExhaustedError, type Relation, type Tuple } from '../../../engine/index.js';
import { SymmetricHashJoinIterator } from '../../../engine/join/symmetric-hash-join-iterator.js';
import { HashTable, ROW_SLOT_BYTES } from '../../../engine/join/hash-table.js';
import { bag, ProbeSource, readAll } from '../../helpers.js';

const L: Tuple[] = [[1, 'a'], [2, 'b'], [2, 'bb'], [null, 'n'], [3, 'c']];
const R: Tuple[] = [[2, 20], [2, 21], [3, 30], [null, 0], [4, 40]];

for (const kind of ENGINE_KINDS) {
  test(`${kind}: natural join on shared names, left columns then the right's non-key columns, null keys never match`, (t) => {
    const e = createEngine(kind);
    const j = e.from(['id', 'x'], L).join(e.from(['id', 'y'], R));
    t.deepEqual(j.schema, ['id', 'x', 'y']);
    t.deepEqual(bag(j.toArray()), bag([[2, 'b', 20], [2, 'b', 21], [2, 'bb', 20], [2, 'bb', 21], [3, 'c', 30]]));
    t.is(e.context.memory.reserved, 0);
  });

  test(`${kind}: explicit keys drop the right key column; composite keys match on all parts`, (t) => {
    const e = createEngine(kind);
    const j = e.from(['id', 'x'], L).join(e.from(['rid', 'y'], R), { keys: [['id', 'rid']] });
    t.deepEqual(j.schema, ['id', 'x', 'y']);
    t.is(j.toArray().length, 5);
    const a = e.from(['p', 'q', 'v'], [[1, 'x', 'A'], [1, 'y', 'B'], [2, 'x', 'C'], [1, null, 'D']]);
    const b = e.from(['p', 'q', 'w'], [[1, 'x', 10], [1, 'x', 11], [2, 'y', 12], [1, null, 13]]);
    t.deepEqual(bag(a.join(b).toArray()), bag([[1, 'x', 'A', 10], [1, 'x', 'A', 11]]));
  });

  test(`${kind}: join plan errors are named`, (t) => {
    const e = createEngine(kind);
    const a = e.from(['id', 'name'], []), b = e.from(['rid', 'name'], []);
    t.throws(() => a.join(b, { keys: [['id', 'rid']] }), { instanceOf: PlanError, message: /column 'name' is on both sides but is not a join key/ });
    t.throws(() => a.join(b, { keys: [['id', 'nope']] }), { instanceOf: PlanError, message: /unknown column 'nope' in join keys \(right side\); available columns: rid, name/ });
    t.throws(() => a.semiJoin(e.from(['z'], [])), { instanceOf: PlanError, message: /semi join needs key columns/ });
  });

  test(`${kind}: no shared columns is a cross product`, (t) => {
    const e = createEngine(kind);
    t.deepEqual(bag(e.from(['a'], [[1], [2]]).join(e.from(['b'], [[10], [20], [30]])).toArray()), bag([[1, 10], [1, 20], [1, 30], [2, 10], [2, 20], [2, 30]]));
    t.deepEqual(e.from(['a'], [[1]]).join(e.from(['b'], [])).toArray(), []);
  });

  test(`${kind}: semi and anti joins keep each left row at most once; anti keeps null keys`, (t) => {
    const e = createEngine(kind);
    const left = () => e.from(['id', 'x'], L);
    const right = () => e.from(['id', 'y'], R);
    t.deepEqual(bag(left().semiJoin(right()).toArray()), bag([[2, 'b'], [2, 'bb'], [3, 'c']]));
    t.deepEqual(bag(left().antiJoin(right()).toArray()), bag([[1, 'a'], [null, 'n']]));
    t.is(e.context.memory.reserved, 0);
  });

  test(`${kind}: a memory limit smaller than the build side gives ResourcesExhaustedError, not a crash`, (t) => {
    const e = createEngine(kind, { memoryLimit: 50_000 });
    const rows = Array.from({ length: 5000 }, (_, i) => [i, i]);
    const err = t.throws(() => readAll(e.from(['k', 'a'], rows).join(e.from(['k', 'b'], rows))), { instanceOf: ResourcesExhaustedError });
    t.regex(err!.message, /hash join needed \d+ more bytes/);
    t.is(e.context.memory.reserved, 0);
  });
}

/** Two streaming inputs over probe sources, keys 0..n-1 on both sides (one match per key). */
function probes(n: number, options = {}) {
  const e = createEngine('streaming', options);
  const ls = new ProbeSource(Array.from({ length: n }, (_, i) => [i, `l${i}`]));
  const rs = new ProbeSource(Array.from({ length: n }, (_, i) => [i, `r${i}`]));
  const left = e.fromIterator(['k', 'a'], () => ls), right = e.fromIterator(['k', 'b'], () => rs);
  return { e, ls, rs, left, right };
}

test('symmetric hash join: the first row arrives before either input is exhausted', (t) => {
  const { ls, rs, left, right } = probes(1000, { enableSymmetricHashJoin: true, symmetricJoinBatchSize: 8 });
  const it = left.join(right).open();
  const first = it.next();
  t.deepEqual(first, [0, 'l0', 'r0']);
  t.true(ls.pulls <= 8 && rs.pulls <= 8, `pulled ${ls.pulls} left and ${rs.pulls} right rows for the first output`);
  t.is(ls.closes + rs.closes, 0, 'neither input is exhausted yet');
  it.close();
  t.is(ls.closes, 1);
  t.is(rs.closes, 1);
});

test('standard hash join, by contrast, reads its whole build side before the first row', (t) => {
  const { ls, rs, left, right } = probes(1000, { enableSymmetricHashJoin: false });
  const it = left.join(right).open();
  it.next();
  t.is(rs.pulls, 1001, 'the right (build) side was read to the end');
  t.is(ls.pulls, 1);
  it.close();
});

test('symmetric hash join: a plain counting loop over next() ends, with every match exactly once', (t) => {
  const { left, right, e } = probes(777, { enableSymmetricHashJoin: true, symmetricJoinBatchSize: 5 });
  const it = left.join(right).open();
  let n = 0;
  const seen = new Set<unknown>();
  for (let row = it.next(); row !== undefined; row = it.next()) {
    n++;
    seen.add(row[0]);
    if (n > 10_000) break; // the published engine's bug would loop forever here
  }
  it.close();
  t.is(n, 777);
  t.is(seen.size, 777);
  t.is(it.next(), undefined, 'next() after the end keeps returning undefined');
  t.is(e.context.memory.reserved, 0);
});

test('symmetric hash join walks pullLeft/pullRight in batches, then frees the table no longer probed', (t) => {
  const e = createEngine('streaming', { symmetricJoinBatchSize: 2 });
  const ls = new ProbeSource(Array.from({ length: 6 }, (_, i) => [i + 1, `l${i + 1}`]));
  const rs = new ProbeSource(Array.from({ length: 60 }, (_, i) => [(i % 6) + 1, i]));
  const it = new SymmetricHashJoinIterator(ls, rs, [0], [0], (l, r) => [...l, r[1]!], e.context);
  const phases: string[] = [it.phase];
  const reservedIn: Record<string, number> = {};
  let n = 0;
  for (;;) {
    const row = it.next();
    if (phases.at(-1) !== it.phase) phases.push(it.phase);
    reservedIn[it.phase] = Math.max(reservedIn[it.phase] ?? 0, e.context.memory.reserved);
    if (row === undefined) break;
    n++;
  }
  t.is(n, 60, 'every right row matches exactly one left row');
  // Three batches of two left rows, interleaved with right batches; the fourth left pull finds the end.
  t.is(phases.join(' '), 'pullLeft pullRight pullLeft pullRight pullLeft pullRight pullLeft leftDone done');
  t.true(reservedIn.leftDone! < reservedIn.pullRight!, 'the right table was freed when the left side ended');
  t.is(e.context.memory.reserved, 0);
});

test('hash join build side: the materialized (re-readable) input is built, whichever side it is on', (t) => {
  for (const side of ['left', 'right'] as const) {
    const e = createEngine('streaming', { enableSymmetricHashJoin: true });
    const src = new ProbeSource(Array.from({ length: 100 }, (_, i) => [i, i]));
    const streamed = e.fromIterator(['k', 's'], () => src);
    const table = e.from(['k', 'm'], Array.from({ length: 100 }, (_, i) => [i, -i])).materialize();
    const j: Relation = side === 'left' ? table.join(streamed) : streamed.join(table);
    const it = j.open();
    it.next();
    t.is(src.pulls, 1, `${side}: the streaming side is probed, one row at a time`);
    it.close();
    table.release();
  }
});

test('streaming cross product stays lazy and re-reads the right side only if it is re-readable', (t) => {
  const e = createEngine('streaming');
  const rightRows: Tuple[] = [[10], [20]];
  let opens = 0;
  const once = e.fromIterator(['b'], () => {
    opens++;
    return new ProbeSource(rightRows);
  });
  const lsrc = new ProbeSource([[1], [2], [3]]);
  const q = e.fromIterator(['a'], () => lsrc).join(once);
  const it = q.open();
  t.is(lsrc.pulls, 0, 'nothing read before next()');
  t.deepEqual(it.next(), [1, 10]);
  t.is(lsrc.pulls, 1);
  for (let r = it.next(); r !== undefined; r = it.next());
  it.close();
  t.is(opens, 1, 'a single-pass right side is read once, into a buffer');
  const replayable = e.from(['b'], rightRows).materialize();
  t.is(e.from(['a'], [[1], [2], [3]]).join(replayable).toArray().length, 6);
  replayable.release();
  t.is(e.context.memory.reserved, 0);
});

test('every join iterator releases its tables on early close', (t) => {
  for (const sym of [true, false]) {
    const { e, left, right } = probes(500, { enableSymmetricHashJoin: sym });
    const it = left.join(right).open();
    it.next();
    t.true(e.context.memory.reserved > 0);
    it.close();
    t.is(e.context.memory.reserved, 0);
  }
});

test('symmetric hash join across row chunks and chain growth: every match once, with many and null keys, against a nested loop', (t) => {
  // 2600 and 3100 rows: each side's rows span three and four 1024-row chunks, and its chain
  // (hashTableInitialSize 16) doubles eight times; keys repeat (up to 9 per key) and some are null.
  const left: Tuple[] = Array.from({ length: 2600 }, (_, i) => [i % 7 === 3 ? null : (i * 37) % 311, `l${i}`]);
  const right: Tuple[] = Array.from({ length: 3100 }, (_, i) => [i % 11 === 5 ? null : (i * 53) % 401, i]);
  const expected: Tuple[] = [];
  for (const l of left) for (const r of right) if (l[0] !== null && l[0] === r[0]) expected.push([l[0], l[1]!, r[1]!]);
  for (const batch of [1, 64, 1000]) {
    const e = createEngine('streaming', { enableSymmetricHashJoin: true, symmetricJoinBatchSize: batch, hashTableInitialSize: 16 });
    const got = readAll(e.from(['k', 'x'], left).join(e.from(['k', 'y'], right)));
    t.is(got.length, expected.length, `batch ${batch}`);
    t.deepEqual(bag(got), bag(expected), `batch ${batch}`);
    t.is(e.context.memory.reserved, 0);
  }
});

test('symmetric hash join drains the side a standard join would build once D rows of each are read, then only probes with the other', (t) => {
  const e = createEngine('streaming', { symmetricJoinBatchSize: 2, symmetricJoinDrainAfter: 4 });
  const ls = new ProbeSource(Array.from({ length: 20 }, (_, i) => [(i % 6) + 1, `l${i}`]));
  const rs = new ProbeSource(Array.from({ length: 60 }, (_, i) => [(i % 6) + 1, i]));
  // Sizes unknown to the iterator: drain the right, as a standard join builds the right.
  const it = new SymmetricHashJoinIterator(ls, rs, [0], [0], (l, r) => [...l, r[1]!], e.context, -1, false);
  const phases: string[] = [it.phase];
  const pullsAt: Record<string, [number, number]> = {};
  const rows: Tuple[] = [];
  for (;;) {
    const row = it.next();
    if (phases.at(-1) !== it.phase) {
      phases.push(it.phase);
      pullsAt[it.phase] = [ls.pulls, rs.pulls];
    }
    if (row === undefined) break;
    rows.push(row);
  }
  // Two left batches of two rows (4 >= D), one right batch between them, then the right to its end.
  t.is(phases.join(' '), 'pullLeft pullRight pullLeft drainRight rightDone done');
  // Seen when next() returns: the first row in rightDone came from the left's fifth row.
  t.deepEqual(pullsAt.rightDone, [5, 61], 'the right side was read to its end (and its end seen) with only 4 left rows read before it');
  const expected: Tuple[] = [];
  for (let i = 0; i < 20; i++) for (let j = 0; j < 60; j++) if (i % 6 === j % 6) expected.push([(i % 6) + 1, `l${i}`, j]);
  t.deepEqual(bag(rows), bag(expected), 'every match once, whichever phase found it');
  t.is(e.context.memory.reserved, 0);
  // The left side drained instead (a standard join would build the left when it is smaller).
  const ls2 = new ProbeSource(Array.from({ length: 20 }, (_, i) => [(i % 6) + 1, `l${i}`]));
  const rs2 = new ProbeSource(Array.from({ length: 60 }, (_, i) => [(i % 6) + 1, i]));
  const left = new SymmetricHashJoinIterator(ls2, rs2, [0], [0], (l, r) => [...l, r[1]!], e.context, -1, true);
  const phases2: string[] = [left.phase];
  const rows2: Tuple[] = [];
  for (let row = left.next(); ; row = left.next()) {
    if (phases2.at(-1) !== left.phase) phases2.push(left.phase);
    if (row === undefined) break;
    rows2.push(row);
  }
  // The right's second batch makes 4 right rows; then the left is read to its end.
  t.is(phases2.join(' '), 'pullLeft pullRight pullLeft pullRight drainLeft leftDone done');
  t.deepEqual(bag(rows2), bag(expected));
  t.is(e.context.memory.reserved, 0);
});

test('symmetric hash join: draining holds one input and a prefix of the other, where alternating to the end holds both', (t) => {
  const n = 5000;
  const rows = (tag: string): Tuple[] => Array.from({ length: n }, (_, i) => [(i * 7919) % n, `${tag}${i}`]);
  const left = rows('l'), right = rows('r');
  const peaks: Record<string, number> = {};
  const outputs: Record<string, string[]> = {};
  for (const drain of [true, false]) {
    const e = createEngine('streaming', { enableSymmetricHashJoin: true, enableSymmetricJoinDrain: drain, symmetricJoinDrainAfter: 256 });
    const q = e.fromIterator(['k', 'x'], () => new ProbeSource(left)).join(e.fromIterator(['k', 'y'], () => new ProbeSource(right)));
    const got = readAll(q);
    t.is(got.length, n, `drain ${drain}: one match per key`);
    outputs[String(drain)] = bag(got);
    peaks[String(drain)] = e.context.memory.peak;
    t.is(e.context.memory.reserved, 0);
  }
  t.deepEqual(outputs.true, outputs.false);
  t.true(peaks.true! < 0.65 * peaks.false!, `tracker peak ${peaks.true} B drained vs ${peaks.false} B alternating to the end`);
});

test('symmetric hash join with a drain: every match once, draining the smaller known side or the right, at any drain point', (t) => {
  const left: Tuple[] = Array.from({ length: 900 }, (_, i) => [i % 9 === 4 ? null : (i * 37) % 211, `l${i}`]);
  const right: Tuple[] = Array.from({ length: 1300 }, (_, i) => [i % 13 === 6 ? null : (i * 53) % 257, i]);
  const expected: Tuple[] = [];
  for (const l of left) for (const r of right) if (l[0] !== null && l[0] === r[0]) expected.push([l[0], l[1]!, r[1]!]);
  for (const drainAfter of [1, 7, 200, 899, 5000]) {
    for (const known of [true, false]) {
      const e = createEngine('streaming', { enableSymmetricHashJoin: true, symmetricJoinBatchSize: 3, symmetricJoinDrainAfter: drainAfter });
      // From arrays both sizes are known (the left, smaller, is drained); from iterators neither (the right is).
      const src = (schema: string[], rows: Tuple[]) => (known ? e.from(schema, rows) : e.fromIterator(schema, () => new ProbeSource(rows)));
      for (const [a, b, flip] of [[left, right, false], [right, left, true]] as const) {
        const got = readAll(src(['k', 'x'], [...a]).join(src(['k', 'y'], [...b])));
        const want = flip ? expected.map((r) => [r[0]!, r[2]!, r[1]!]) : expected;
        t.deepEqual(bag(got), bag(want), `drain after ${drainAfter}, sizes ${known ? 'known' : 'unknown'}, ${flip ? 'larger side left' : 'smaller side left'}`);
      }
      t.is(e.context.memory.reserved, 0);
    }
  }
});

test('a hash table sized for fewer rows than its known size grows to that size in one step, and finds every row', (t) => {
  const e = createEngine('streaming');
  const rows: Tuple[] = Array.from({ length: 1300 }, (_, i) => [i % 13 === 5 ? null : (i * 31) % 257, i]);
  // Known size 1000, first sized for 40 rows: one step to 1000, then doubling past it (300 rows more than said).
  const table = new HashTable([0], e.context, 'test table', 1000, 40);
  t.is(table.chain.length, 40);
  const lengths: number[] = [];
  for (const r of rows) {
    table.insert(r);
    if (lengths.at(-1) !== table.chain.length) lengths.push(table.chain.length);
  }
  t.deepEqual(lengths, [40, 1000, 2000], 'sized for 40, then 1000 at once, then doubled');
  const found: Tuple[] = [];
  for (let k = 0; k < 257; k++) for (let j = table.head([k], [0]); j >= 0; j = table.chain[j]!) found.push(table.rows[j]!);
  t.deepEqual(bag(found), bag(rows.filter((r) => r[0] !== null)), 'every row with a key, once');
  t.true(e.context.memory.reserved > 0);
  table.free();
  t.is(e.context.memory.reserved, 0);
  // A first size of a quarter of the known size or more: sized for all of it at once, as without one.
  const whole = new HashTable([0], e.context, 'test table', 1000, 250);
  t.is(whole.chain.length, 1000);
  whole.free();
});

test('symmetric hash join: a drained side of known size moves to a standard table sized for a few times what it read, so a LIMIT early in the drain reserves little', (t) => {
  const n = 40_000;
  // 1,000 keys, 40 rows each: a drained row finds matches among the first left rows at once.
  const left: Tuple[] = Array.from({ length: n }, (_, i) => [i % 1000, `l${i}`]);
  const right: Tuple[] = Array.from({ length: n }, (_, i) => [(i * 7) % 1000, i]);
  const e = createEngine('streaming', { enableSymmetricHashJoin: true, symmetricJoinBatchSize: 64, symmetricJoinDrainAfter: 512 });
  const ls = new ProbeSource(left), rs = new ProbeSource(right);
  const it = new SymmetricHashJoinIterator(ls, rs, [0], [0], (l, r) => [...l, r[1]!], e.context, n, false, n);
  let drainFrom = -1;
  for (let row = it.next(); row !== undefined; row = it.next()) {
    if (it.phase === 'drainRight' && drainFrom < 0) drainFrom = rs.pulls;
    if (drainFrom >= 0 && rs.pulls >= drainFrom + 100) break;
  }
  t.is(it.phase, 'drainRight');
  t.true(ls.pulls <= 512 + 64 && rs.pulls < 1000, `read ${ls.pulls} left and ${rs.pulls} right rows`);
  // The drained side's table sized for its whole known size would reserve 40K row slots alone.
  t.true(e.context.memory.peak < n * ROW_SLOT_BYTES, `peak ${e.context.memory.peak} B, 100 rows into the drain`);
  it.close();
  t.is(e.context.memory.reserved, 0, 'closed in the drain: the symmetric and the standard table both freed');
  t.is(ls.closes + rs.closes, 2);
});

test('symmetric hash join: a memory limit the drain goes over fails with ResourcesExhaustedError naming the drained side, frees both tables, and the relation cannot be read again', (t) => {
  const n = 20_000;
  const rows: Tuple[] = Array.from({ length: n }, (_, i) => [(i * 7919) % n, `row ${i}`]);
  // The alternation (64 rows a side) fits in 100 KB; the drained side's 20K rows do not.
  const e = createEngine('streaming', { enableSymmetricHashJoin: true, symmetricJoinBatchSize: 16, symmetricJoinDrainAfter: 64, memoryLimit: 100_000 });
  const q = e.from(['k', 'a'], rows).join(e.from(['k', 'b'], rows));
  const it = q.open();
  let read = 0;
  const err = t.throws(() => {
    for (let r = it.next(); r !== undefined; r = it.next()) read++;
  }, { instanceOf: ResourcesExhaustedError });
  t.regex(err!.message, /symmetric hash join \(drained side\)/);
  t.true(read > 0 && read < n, `${read} rows came before the limit was reached`);
  it.close();
  t.is(e.context.memory.reserved, 0, 'nothing left reserved after close');
  t.throws(() => q.open(), { message: /consumed|already/i });
});

test('symmetric hash join on a two-column key drains into the standard table with the same numbering: every match once, nothing left reserved', (t) => {
  const left: Tuple[] = Array.from({ length: 3000 }, (_, i) => [i % 37, i % 11 === 3 ? null : i % 13, `l${i}`]);
  const right: Tuple[] = Array.from({ length: 2000 }, (_, i) => [(i * 7) % 37, (i * 5) % 13, i]);
  const want: Tuple[] = [];
  for (const l of left) for (const r of right) if (l[1] !== null && l[0] === r[0] && l[1] === r[1]) want.push([l[0]!, l[1]!, l[2]!, r[2]!]);
  for (const drainAfter of [3, 500]) {
    const e = createEngine('streaming', { enableSymmetricHashJoin: true, symmetricJoinBatchSize: 2, symmetricJoinDrainAfter: drainAfter });
    const got = readAll(e.from(['a', 'b', 'x'], left).join(e.from(['a', 'b', 'y'], right)));
    t.deepEqual(bag(got), bag(want), `drain after ${drainAfter}`);
    t.is(e.context.memory.reserved, 0);
  }
});
