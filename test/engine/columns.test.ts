import test from 'ava';
import {
  add, and, col, ConfigError, contains, createEngine, createRuntime, encodeColumns, eq, ExecutionError, gt, isNull, lt, mul, not, or, QueryAbortedError, RelationConsumedError, rowDecoder, startsWith,
  type Engine, type Relation, type Tuple,
} from '../../engine/index.js';
import { compileColumnRun } from '../../engine/fusion/codegen.js';
import { bag, readAll } from '../helpers.js';

const ENGINES: [string, () => Engine][] = [
  ['materialized', () => createEngine('materialized')],
  ['streaming', () => createEngine('streaming')],
  ['streaming fused', () => createEngine('streaming', { enablePipelineFusion: true })],
  ['streaming, composition off', () => createEngine('streaming', { enableIteratorComposition: false })],
];

/** One column of every kind: int32, float64, dictionary strings, booleans, and anything (nulls, mixed). */
const SCHEMA = ['i', 'f', 's', 'b', 'mixed', 'big'];
function rows(n: number): Tuple[] {
  return Array.from({ length: n }, (_, i) => [
    i - 150,
    i / 7,
    `s${i % 13}`,
    i % 3 === 0,
    i % 5 === 0 ? null : i % 2 ? 'x' : i,
    i === 7 ? -0 : 2 ** 40 + i,
  ]);
}

test('encodeColumns picks the narrowest exact kind per column, widening as values arrive, and decodes to the same values', (t) => {
  const data = rows(300);
  const table = encodeColumns(SCHEMA, data);
  t.deepEqual(table.columns.map((c) => c.kind), ['i32', 'f64', 'dict8', 'bool', 'any', 'f64']);
  const at = rowDecoder(table);
  for (let i = 0; i < data.length; i++) t.deepEqual(at(i), data[i]);
  t.true(Object.is(at(7)[5], -0), '-0 survives (it is never stored as an int32)');
  t.not(at(3), at(3), 'each read decodes a fresh tuple');
  const late = encodeColumns(['a', 'b', 'c'], [[1, 's', true], [2, 't', false], [2.5, 7, null], [-0, 'u', true], ['x', null, 1]]);
  t.deepEqual(late.columns.map((c) => c.kind), ['any', 'any', 'any']);
  t.deepEqual(rowDecoder(late)(4), ['x', null, 1]);
  t.deepEqual(encodeColumns(['n'], [[1], [2.5]]).columns[0]!.kind, 'f64', 'int32 widens to float64');
  const wide = encodeColumns(['k'], Array.from({ length: 70_000 }, (_, i) => [`k${i}`]));
  t.is(wide.columns[0]!.kind, 'dict32', 'more than 65,536 distinct strings: 32-bit codes');
  t.is(rowDecoder(wide)(69_999)[0], 'k69999');
  t.is(encodeColumns(['n'], Array.from({ length: 300 }, (_, i) => [`v${i}`])).columns[0]!.kind, 'dict16');
  function* gen() {
    for (let i = 0; i < 5000; i++) yield [i, `g${i % 3}`];
  }
  t.is(encodeColumns(['i', 's'], gen()).length, 5000, 'rows may come from a generator');
  t.is(encodeColumns(['i'], []).length, 0);
});

test('bad columnar input is refused with what was wrong', (t) => {
  t.throws(() => encodeColumns(['a', 'b'], [[1, 2], [3]]), { instanceOf: ConfigError, message: 'row 1 has 1 values; the schema (a, b) has 2' });
  const e = createEngine('streaming');
  const table = encodeColumns(['a'], [[1]]);
  t.throws(() => e.fromColumns(['a', 'b'], table), { instanceOf: ConfigError, message: 'fromColumns: the table has 1 columns; the schema has 2' });
  t.throws(() => e.fromColumns(['a'], [[1]] as never), { instanceOf: ConfigError, message: /fromColumns: expected a columnar table from encodeColumns\(\)/ });
  t.throws(() => createEngine('materialized').fromColumns(['a'], { length: 1, columns: [{ kind: 'weird', values: [1] }] } as never), { instanceOf: ConfigError, message: /column 0 is not a valid encoded column \(kind "weird"\)/ });
});

/** A query over every kind, through filter/extend/project runs that fusion compiles. */
function query(r: Relation): Relation {
  return r
    .filter(or(gt(col('i'), 0), startsWith(col('s'), 's1')))
    .extend('g', add(col('f'), col('i')))
    .filter(and(not(isNull(col('g'))), or(col('b'), contains(col('s'), '2'))))
    .project(['s', 'g', 'mixed', 'big', 'b'])
    .extend('h', mul(col('g'), 2))
    .filter(lt(col('h'), 400));
}

test('a query over columns returns the same bag as over the rows, on every engine, pulled or pushed', (t) => {
  const data = rows(2000);
  const table = encodeColumns(SCHEMA, data);
  const expected = bag(readAll(query(createEngine('materialized').from(SCHEMA, data))));
  t.true(expected.length > 50);
  for (const [label, make] of ENGINES) {
    t.deepEqual(bag(readAll(query(make().fromColumns(SCHEMA, table)))), expected, `${label}, pulled`);
    const pushed: Tuple[] = [];
    const e = make();
    t.is(query(e.fromColumns(SCHEMA, table)).forEach((x) => void pushed.push(x)), expected.length, label);
    t.deepEqual(bag(pushed), expected, `${label}, pushed`);
    t.is(e.context.metrics.sourceRows, 2000, `${label}: every source row counted once`);
  }
  // Bare sources, and a run straight after the source with no stage.
  for (const [label, make] of ENGINES) t.deepEqual(make().fromColumns(SCHEMA, table).toArray(), data, label);
});

test('the streaming engine decodes only what a pass pulls; the materialized engine decodes the whole scan at once', (t) => {
  const data = rows(5000);
  const table = encodeColumns(SCHEMA, data);
  const s = createEngine('streaming');
  t.deepEqual(s.fromColumns(SCHEMA, table).limit(3).toArray(), data.slice(0, 3));
  t.true(s.context.metrics.sourceRows <= 4, `streaming read ${s.context.metrics.sourceRows} rows for a limit of 3`);
  const m = createEngine('materialized');
  m.fromColumns(SCHEMA, table).limit(3).toArray();
  t.is(m.context.metrics.sourceRows, 5000);
  t.true(m.context.memory.peak > 0, 'the materialized scan is tracked as engine-owned memory');
  const r = s.fromColumns(SCHEMA, table);
  const before = s.context.metrics.sourceRows;
  t.is(r.size(), 5000, 'the size is known without reading');
  t.is(s.context.metrics.sourceRows, before, 'size() read nothing');
  r.toArray();
  t.throws(() => r.toArray(), { instanceOf: RelationConsumedError });
});

test('fused runs over columns: lazy, single pass, abortable, runtime errors named as elsewhere; the source text holds no value', (t) => {
  const data = rows(5000);
  const table = encodeColumns(SCHEMA, data);
  const e = createEngine('streaming', { enablePipelineFusion: true });
  const it = query(e.fromColumns(SCHEMA, table)).open();
  t.is(e.context.metrics.sourceRows, 0, 'nothing read before the first next()');
  t.truthy(it.next());
  it.close();
  t.true(e.context.metrics.sourceRows > 0 && e.context.metrics.sourceRows < 5000);
  // A type error in a row: the same ExecutionError with and without fusion.
  const bad = encodeColumns(['a'], [[1], [2], ['three']]);
  const q = (x: Engine) => x.fromColumns(['a'], bad).extend('b', add(col('a'), 1)).toArray();
  const plain = t.throws(() => q(createEngine('streaming')), { instanceOf: ExecutionError });
  const fused = t.throws(() => q(createEngine('streaming', { enablePipelineFusion: true })), { instanceOf: ExecutionError });
  t.is(fused?.message, plain?.message);
  // Abort: the generated column loop polls the signal every 1024 rows.
  const ac = new AbortController();
  const ea = createEngine('streaming', { enablePipelineFusion: true }, { signal: ac.signal });
  let n = 0;
  t.throws(() => ea.fromColumns(SCHEMA, table).filter(gt(col('i'), -1000)).forEach(() => {
    if (++n === 1500) ac.abort('enough');
  }), { instanceOf: QueryAbortedError });
  t.is(n, 2048);
  // Hostile strings are data in the dictionary, never source text.
  const hostile = encodeColumns(['s'], [["'); process.exit(5); ('"], ['${x}']]);
  const plan = compileColumnRun(hostile.columns.map((c) => c.kind), [{ kind: 'filter', expr: eq(col('s'), "'); process.exit(6); ('"), input: ['s'] }], createRuntime());
  for (const text of ['process.exit', '${x}']) t.false(plan.source.includes(text));
  t.regex(plan.source, /D0\[V0\[q\]\]/, 'a dictionary column is read through its codes');
  t.deepEqual(createEngine('streaming', { enablePipelineFusion: true }).fromColumns(['s'], hostile).filter(eq(col('s'), '${x}')).toArray(), [['${x}']]);
});
