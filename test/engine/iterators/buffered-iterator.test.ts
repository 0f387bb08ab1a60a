import test from 'ava';
import { BufferedIterator, createEngine, CountingIterator, RelationConsumedError, type Tuple, type TupleIterator } from '../../../engine/index.js';
import { intRows, ProbeSource } from '../../helpers.js';

const ctx = () => createEngine('streaming').context;

function rest(it: TupleIterator): Tuple[] {
  const out: Tuple[] = [];
  for (let t = it.next(); t !== undefined; t = it.next()) out.push(t);
  return out;
}

test('peek() does not consume, and returns what next() returns', (t) => {
  const src = new ProbeSource(intRows(3));
  const it = BufferedIterator.over(src, ctx());
  t.deepEqual(it.peek(), [0, 0]);
  t.deepEqual(it.peek(), [0, 0]);
  t.is(src.pulls, 1);
  t.deepEqual(it.next(), [0, 0]);
  t.deepEqual(rest(it), intRows(3).slice(1));
  t.is(it.peek(), undefined);
  it.close();
});

test('clones iterate independently over a shared buffer and the source is read once', (t) => {
  const src = new ProbeSource(intRows(5));
  const c = ctx();
  const a = BufferedIterator.over(src, c);
  a.next();
  const b = a.clone();
  t.deepEqual(a.next(), [1, 1]);
  t.deepEqual(a.next(), [2, 2]);
  t.deepEqual(rest(b), intRows(5).slice(1), 'the clone starts where it was cloned');
  t.deepEqual(rest(a), intRows(5).slice(3));
  t.is(src.pulls, 6, 'five rows and one end-of-stream, shared by both cursors');
  a.close();
  t.is(src.closes, 1, 'source closed at exhaustion');
  b.close();
  t.is(c.memory.reserved, 0);
});

test('closing one clone does not disturb the other; the last close frees the buffer', (t) => {
  const src = new ProbeSource(intRows(6));
  const c = ctx();
  const a = BufferedIterator.over(src, c);
  const b = a.clone();
  a.next();
  a.next();
  a.next();
  t.true(c.memory.reserved > 0, 'rows ahead of the slow cursor are buffered and reserved');
  a.close();
  t.deepEqual(rest(b), intRows(6));
  b.close();
  t.is(c.memory.reserved, 0);
});

test('a single cursor passes tuples through without buffering them', (t) => {
  const c = ctx();
  const it = BufferedIterator.over(new ProbeSource(intRows(100)), c);
  it.peek();
  it.next();
  for (let i = 0; i < 50; i++) it.next();
  t.is(c.memory.reserved, 0);
  t.is(c.memory.peak > 0, true, 'only the peeked tuple was ever buffered');
  it.close();
});

test('close() is idempotent and closes the source once; cloning a closed cursor throws', (t) => {
  const src = new ProbeSource(intRows(3));
  const it = BufferedIterator.over(src, ctx());
  it.next();
  it.close();
  it.close();
  t.is(src.closes, 1);
  t.is(it.next(), undefined);
  t.throws(() => it.clone(), { instanceOf: RelationConsumedError });
});

test('CountingIterator counts rows and pulls and reports the first row', (t) => {
  let first: Tuple | undefined;
  const it = new CountingIterator(new ProbeSource(intRows(3)), (row) => (first = row));
  rest(it);
  t.is(it.count, 3);
  t.is(it.pulls, 4);
  t.deepEqual(first, [0, 0]);
  it.close();
  it.close();
  t.true(it.closed);
});
