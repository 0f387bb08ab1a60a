import test from 'ava';
import {
  and, col, createEngine, encodeColumns, eq, gt, isNull, lt, not, or, PlanError, QueryAbortedError, RelationConsumedError,
  type Expr, type Tuple,
} from '../../../engine/index.js';
import { cellsDecoder } from '../../../engine/columns.js';
import { ScanFilterIterator } from '../../../engine/iterators/scan-filter-iterator.js';
import { ExecutionContext } from '../../../engine/context.js';
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

for (const [what, p] of PREDICATES) {
  test(`a filter pushed into a columnar scan keeps the same rows as a filter over the array: ${what}`, (t) => {
    const data = rows(400);
    const expected = bag(createEngine('materialized').from(SCHEMA, data).filter(p).toArray());
    const cols = encodeColumns(SCHEMA, data);
    for (const options of [{}, { enableIteratorComposition: false }, { enablePipelineFusion: true }]) {
      const got = createEngine('streaming', options).fromColumns(SCHEMA, cols).filter(p).project(['s', 'i']).toArray();
      t.deepEqual(bag(got), bag(createEngine('materialized').from(SCHEMA, data).filter(p).project(['s', 'i']).toArray()), JSON.stringify(options));
    }
    const pushed = createEngine('streaming').fromColumns(SCHEMA, cols).filter(p).toArray();
    t.deepEqual(bag(pushed), expected);
    // Every tuple handed on is the row's own, fresh, and whole: never the predicate's scratch.
    t.true(pushed.every((r) => r.length === SCHEMA.length));
    t.is(new Set(pushed).size, pushed.length);
  });
}

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

test('cellsDecoder writes only the asked columns, and refuses one the table does not have', (t) => {
  const cols = encodeColumns(SCHEMA, rows(10));
  const fill = cellsDecoder(cols, [0, 2]);
  const out: (string | number | boolean | null)[] = ['keep', 'keep', 'keep', 'keep', 'keep'];
  fill(3, out);
  t.deepEqual(out, [-47, 'keep', 's3', 'keep', 'keep']);
  t.throws(() => cellsDecoder(cols, [5]), { instanceOf: PlanError, message: /column 5 is not one of the table's 5 \(0 to 4\)/ });
  const it = new ScanFilterIterator(cols, [1], (r) => (r[1] as number) >= 2, new ExecutionContext({}));
  const seen: Tuple[] = [];
  for (let r = it.next(); r !== undefined; r = it.next()) seen.push(r);
  t.deepEqual(seen.map((r) => r[0]), [-42, -41]);
});

test('which plans push the filter into the scan: an Expr over a fresh columnar source with composition on, and only those', (t) => {
  const cols = encodeColumns(SCHEMA, rows(20));
  const opened = (options: object, f: (r: ReturnType<ReturnType<typeof createEngine>['fromColumns']>) => { open(): unknown }) => f(createEngine('streaming', options).fromColumns(SCHEMA, cols)).open();
  t.true(opened({}, (r) => r.filter(lt(col('i'), 0))) instanceof ScanFilterIterator);
  t.false(opened({}, (r) => r.filter((x) => x[0] !== null)) instanceof ScanFilterIterator, 'a JS function: columns unknown');
  t.false(opened({ enableIteratorComposition: false }, (r) => r.filter(lt(col('i'), 0))) instanceof ScanFilterIterator, 'composition off buffers the input instead');
  t.false(opened({ enablePipelineFusion: true }, (r) => r.filter(lt(col('i'), 0))) instanceof ScanFilterIterator, 'a fused run reads the columns itself');
  t.false(opened({}, (r) => r.project(['i', 'f']).filter(lt(col('i'), 0))) instanceof ScanFilterIterator, 'not a fresh scan');
});
