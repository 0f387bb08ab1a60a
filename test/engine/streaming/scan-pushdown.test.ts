import test from 'ava';
import {
  add, and, col, createEngine, encodeColumns, eq, ExecutionError, gt, isNull, lit, lt, not, or, QueryAbortedError, RelationConsumedError,
  type EngineOptions, type Expr, type Relation, type Tuple,
} from '../../../engine/index.js';
import { ColumnIterator } from '../../../engine/operators/scan.js';
import { FilterIterator } from '../../../engine/operators/filter.js';
import { ProjectIterator } from '../../../engine/operators/project.js';
import { bag } from '../../helpers.js';

/** One column of every kind the encoder picks: int32, float64, dictionary strings, booleans, anything (nulls). */
const SCHEMA = ['i', 'f', 's', 'b', 'any'];
function rows(n: number): Tuple[] {
  return Array.from({ length: n }, (_, i) => [i - 50, i / 4, `s${i % 7}`, i % 3 === 0, i % 5 === 0 ? null : i % 2 ? 'x' : i]);
}

const PREDICATES: [string, Expr][] = [
  ['int column', lt(col('i'), 0)],
  ['float and dictionary columns', and(gt(col('f'), 10), eq(col('s'), 's3'))],
  ['boolean column', eq(col('b'), true)],
  ['nulls in a plain-array column', or(isNull(col('any')), eq(col('any'), 'x'))],
  ['a column compared with itself', not(eq(col('i'), col('i')))],
  ['two columns compared', lt(col('i'), col('f'))],
];

const OPTIONS: EngineOptions[] = [{}, { enableIteratorComposition: false }, { enablePipelineFusion: true }];

for (const [what, p] of PREDICATES) {
  test(`filters and projections pushed into a columnar scan give the same rows as over the array: ${what}`, (t) => {
    const data = rows(400);
    const cols = encodeColumns(SCHEMA, data);
    const shapes: [string, (r: Relation) => Relation][] = [
      ['filter', (r) => r.filter(p)],
      ['filter, project', (r) => r.filter(p).project(['s', 'i'])],
      ['project, filter', (r) => r.project(['any', 's', 'i', 'f', 'b']).filter(p)],
      ['filter, filter, project, project', (r) => r.filter(p).filter(not(eq(col('i'), 7))).project(['s', 'i', 'f']).project(['f', 's'])],
      ['filter, then composed operators', (r) => r.filter(p).extend('j', add(col('i'), lit(1))).filter(gt(col('j'), -30)).limit(100)],
    ];
    for (const [shape, q] of shapes) {
      const expected = bag(q(createEngine('materialized').from(SCHEMA, data)).toArray());
      for (const options of OPTIONS) {
        const got = q(createEngine('streaming', options).fromColumns(SCHEMA, cols)).toArray();
        t.deepEqual(bag(got), expected, `${shape} ${JSON.stringify(options)}`);
      }
    }
    const pushed = createEngine('streaming').fromColumns(SCHEMA, cols).filter(p).toArray();
    // Every tuple handed on is the row's own, fresh, and whole.
    t.true(pushed.every((r) => r.length === SCHEMA.length));
    t.is(new Set(pushed).size, pushed.length);
  });
}

test('a projection pushed into a bare scan decodes only its columns, in its order, into fresh tuples', (t) => {
  const data = rows(50);
  const got = createEngine('streaming').fromColumns(SCHEMA, encodeColumns(SCHEMA, data)).project(['s', 'i']).toArray();
  t.deepEqual(got, data.map((r) => [r[2], r[0]]));
  t.is(new Set(got).size, got.length);
});

test('an error in a pushed-down predicate is the composed engine\'s error, and the scan is closed with its rows counted', (t) => {
  // 'and' over a column of strings: the first row with a string fails, as the closures do.
  const data = rows(100).map((r, i) => (i < 40 ? [...r.slice(0, 4), true] : [...r.slice(0, 4), 'no']));
  const cols = encodeColumns(SCHEMA, data);
  const bad = and(col('any'), gt(col('i'), 0));
  const composed = t.throws(() => createEngine('streaming').from(SCHEMA, data).filter(bad).toArray(), { instanceOf: ExecutionError });
  const e = createEngine('streaming');
  const pushed = t.throws(() => e.fromColumns(SCHEMA, cols).filter(bad).toArray(), { instanceOf: ExecutionError });
  t.is(pushed?.message, composed?.message);
  t.true(e.context.metrics.sourceRows <= 41, `counted ${e.context.metrics.sourceRows} rows, no more than were read`);
  t.is(e.context.memory.reserved, 0);
})

test('the pushed-down scan counts the rows it scanned, and stops scanning when closed early', (t) => {
  const e = createEngine('streaming');
  const cols = encodeColumns(SCHEMA, rows(3000));
  t.is(e.fromColumns(SCHEMA, cols).filter(eq(col('b'), true)).toArray().length, 1000);
  t.is(e.context.metrics.sourceRows, 3000);
  const e2 = createEngine('streaming');
  const it = e2.fromColumns(SCHEMA, cols).filter(gt(col('i'), 100)).open();
  t.deepEqual(it.next()![0], 101);
  it.close();
  it.close();
  t.is(e2.context.metrics.sourceRows, 152, 'rows 0..151 were scanned for the first match');
  t.is(it.next(), undefined, 'closed: nothing more');
});

test('the source is consumed once either is opened; a materialized source is read from its cache', (t) => {
  const e = createEngine('streaming');
  const cols = encodeColumns(SCHEMA, rows(50));
  const src = e.fromColumns(SCHEMA, cols);
  const f = src.filter(lt(col('i'), 0));
  t.is(f.toArray().length, 50);
  t.throws(() => src.open(), { instanceOf: RelationConsumedError });
  t.throws(() => f.open(), { instanceOf: RelationConsumedError });

  const src2 = e.fromColumns(SCHEMA, cols);
  const f2 = src2.filter(lt(col('i'), 0));
  src2.open().close();
  t.throws(() => f2.open(), { instanceOf: RelationConsumedError }, 'the source was read first: the filter cannot read it again');

  const src3 = e.fromColumns(SCHEMA, cols).materialize();
  t.is(src3.filter(lt(col('i'), -40)).toArray().length, 10, 'an armed source is read through its cache');
  t.is(src3.toArray().length, 50, 'and replays every row afterwards');

  const src4 = e.fromColumns(SCHEMA, cols);
  t.false(src4.isEmpty());
  t.is(src4.filter(lt(col('i'), -40)).toArray().length, 10, 'a peeked source keeps its peeked row');
});

test('a JS function predicate is not pushed down (its columns are unknown) and gives the same rows', (t) => {
  const data = rows(200);
  const cols = encodeColumns(SCHEMA, data);
  const got = createEngine('streaming').fromColumns(SCHEMA, cols).filter((r) => r[2] === 's1').toArray();
  t.deepEqual(bag(got), bag(data.filter((r) => r[2] === 's1')));
});

test('the pushed-down scan polls the abort signal', (t) => {
  const ac = new AbortController();
  const e = createEngine('streaming', {}, { signal: ac.signal });
  const it = e.fromColumns(SCHEMA, encodeColumns(SCHEMA, rows(5000))).filter(gt(col('i'), -100)).open();
  it.next();
  ac.abort('stop');
  t.throws(() => {
    for (let i = 0; i < 2000; i++) it.next();
  }, { instanceOf: QueryAbortedError });
  it.close();
});

test('which plans push work into the scan: Exprs and projections over a fresh columnar source, composition on and fusion off, and only those', (t) => {
  const cols = encodeColumns(SCHEMA, rows(20));
  const opened = (options: EngineOptions, f: (r: Relation) => Relation) => f(createEngine('streaming', options).fromColumns(SCHEMA, cols)).open();
  /** A scan with work pushed into it is one generated iterator, none of the composed operators' classes. */
  const isPushed = (it: object) => ![FilterIterator, ProjectIterator, ColumnIterator].some((c) => it instanceof c);
  t.true(isPushed(opened({}, (r) => r.filter(lt(col('i'), 0)))));
  t.true(isPushed(opened({}, (r) => r.project(['i', 'f']))));
  t.true(isPushed(opened({}, (r) => r.project(['i', 'f']).filter(lt(col('i'), 0)).project(['f']))));
  t.true(opened({}, (r) => r) instanceof ColumnIterator, 'nothing to push: the plain decoder');
  t.true(opened({}, (r) => r.filter((x) => x[0] !== null)) instanceof FilterIterator, 'a JS function: columns unknown');
  t.true(opened({}, (r) => r.extend('j', lit(1)).filter(lt(col('i'), 0))) instanceof FilterIterator, 'not a scan: an extend is not pushed');
  t.true(opened({}, (r) => r.filter(lt(col('i'), 0)).extend('j', lit(1)).project(['j'])) instanceof ProjectIterator, 'above an extend, the composed iterators');
  const scan = createEngine('streaming').fromColumns(SCHEMA, cols).filter(lt(col('i'), 0));
  t.false(scan.isEmpty());
  const it = scan.project(['i']).open();
  t.true(it instanceof ProjectIterator, 'a peeked scan is read through its iterator');
  t.deepEqual(it.next(), [-50], 'and the peeked row is not lost');
});
