import test from 'ava';
import { ConfigError, createEngine } from '../../engine/index.js';
import { makeCase } from '../../harness/case.js';
import { prepareCase } from '../../harness/measure/case-runner.js';
import { arrayTable, columnTable } from '../../scenarios/source.js';
import { SCALE_QUERIES, SCENARIOS } from '../../scenarios/index.js';

/** Small parameters for every query scenario (the source is added per case). */
const SMALL: Record<string, Record<string, unknown>> = {
  selectivity: { rows: 3000, selectivity: 0.1 },
  'multiple-filters': { rows: 3000 },
  'complex-pipeline': { rows: 3000 },
  'pipeline-depth': { rows: 3000, depth: 5 },
  memory: { variant: 'moderate' },
  join: { rows: 800, multiplicity: 10 },
  ohlc: { symbols: 2, days: 2, barsPerDay: 60 },
  'group-by': { rows: 3000, groups: 50, key: 'string' },
  scale: { rows: 3000, query: 'ohlc' },
};

test('every query scenario takes a source, and every runner returns the same bag over array, scan and store', async (t) => {
  const queries = [...SCENARIOS.values()].filter((s) => !s.task);
  t.deepEqual(queries.map((s) => s.id).sort(), Object.keys(SMALL).sort(), 'the table above covers every query scenario');
  for (const s of queries) {
    t.deepEqual(s.params.source?.values, ['array', 'scan', 'store', 's3'], s.id);
    const runners: [string, Record<string, unknown>][] = [
      ['materialized', {}],
      ['streaming', {}],
      ['streaming', { enablePipelineFusion: true }],
      ['streaming', { enableIteratorComposition: false }],
    ];
    if (s.limitLoop) runners.push(['limit-loop', {}]);
    let expected: { rows: number; checksum: string } | undefined;
    for (const source of ['array', 'scan', 'store']) {
      for (const [engine, options] of runners) {
        const c = await prepareCase(makeCase(s.id, { ...SMALL[s.id], source }, engine, options));
        try {
          const got = (await c.runChecked());
          expected ??= got;
          t.true(got.rows > 0, `${s.id} ${source} ${engine}: some rows`);
          t.deepEqual(got, expected, `${s.id} ${source} ${engine} ${JSON.stringify(options)}`);
          t.is(c.run(), got.rows, `${s.id} ${source} ${engine}: the timed run returns the checked count`);
        } finally {
          c.dispose();
        }
      }
    }
  }
});

test('over an S3 table (a local server per case), every runner returns the same bag as over the array', async (t) => {
  t.timeout(120_000);
  // Each s3 case starts a server process: three scenarios (a filter, a two-table join, an aggregation) rather than all.
  for (const id of ['selectivity', 'join', 'group-by']) {
    const runners: [string, Record<string, unknown>][] = [['materialized', {}], ['streaming', {}], ['streaming', { enablePipelineFusion: true }], ['limit-loop', {}]];
    let expected: { rows: number; checksum: string } | undefined;
    for (const source of ['array', 's3']) {
      for (const [engine, options] of runners) {
        if (engine === 'limit-loop' && !SCENARIOS.get(id)!.limitLoop) continue;
        const c = await prepareCase(makeCase(id, { ...SMALL[id], source }, engine, options));
        try {
          const got = await c.runChecked();
          expected ??= got;
          t.true(got.rows > 0, `${id} ${source} ${engine}: some rows`);
          t.deepEqual(got, expected, `${id} ${source} ${engine} ${JSON.stringify(options)}`);
        } finally {
          c.dispose();
        }
      }
    }
  }
});

test('every scale query returns the same bag on both engines and every source', async (t) => {
  for (const query of SCALE_QUERIES) {
    let expected: { rows: number; checksum: string } | undefined;
    for (const source of ['scan', 'array', 'store']) {
      for (const [engine, options] of [['materialized', {}], ['streaming', {}], ['streaming', { enablePipelineFusion: true }]] as const) {
        const c = await prepareCase(makeCase('scale', { rows: 2500, query, source }, engine, options));
        const got = (await c.runChecked());
        c.dispose();
        expected ??= got;
        t.true(got.rows > 0, `${query}: some rows`);
        t.deepEqual(got, expected, `${query} ${source} ${engine} ${JSON.stringify(options)}`);
      }
    }
  }
  t.is(makeCase('scale', { rows: 100 }, 'streaming').id, 'scale/rows=100,query=filter10/streaming', 'scan is the scale family\'s default source, left out of its ids');
  t.is(makeCase('scale', { rows: 100, source: 'array' }, 'streaming').id, 'scale/rows=100,query=filter10,source=array/streaming');
});

test('case ids leave the source out at its default (old ids stay valid) and name it otherwise', (t) => {
  t.is(makeCase('selectivity', { rows: 100 }, 'streaming').id, 'selectivity/rows=100,selectivity=0.1/streaming');
  t.is(makeCase('selectivity', { rows: 100, source: 'array' }, 'streaming').id, 'selectivity/rows=100,selectivity=0.1/streaming');
  t.is(makeCase('selectivity', { rows: 100, source: 'scan' }, 'limit-loop').id, 'selectivity/rows=100,selectivity=0.1,source=scan/limit-loop');
  t.throws(() => makeCase('selectivity', { source: 'parquet' }, 'streaming'), {
    instanceOf: ConfigError,
    message: "scenario 'selectivity' parameter 'source' must be one of array, scan, store, s3, got 'parquet'",
  });
  t.false('source' in SCENARIOS.get('ingest')!.params, 'task scenarios read their own files');
});

test('columns decode to the same values, column kind by column kind, and are smaller than the rows', (t) => {
  const schema = ['i', 'f', 's', 'b', 'mixed', 'big'];
  const rows = Array.from({ length: 300 }, (_, i) => [
    i - 150,
    i / 7,
    `s${i % 300}`,
    i % 3 === 0,
    i % 5 === 0 ? null : i % 2 ? 'x' : i,
    i === 7 ? -0 : 2 ** 40 + i,
  ]);
  const cols = columnTable(schema, rows);
  t.is(cols.length, 300);
  t.is(cols.source, 'scan');
  for (let i = 0; i < rows.length; i++) t.deepEqual(cols.at(i), rows[i]);
  t.true(Object.is(cols.at(7)[5], -0), '-0 survives (it is not stored as an integer)');
  t.not(cols.at(3), cols.at(3), 'each read decodes a fresh tuple');
  for (const kind of ['materialized', 'streaming'] as const) {
    t.deepEqual(cols.relation(createEngine(kind)).toArray(), rows, kind);
    t.deepEqual(arrayTable(schema, rows).relation(createEngine(kind)).toArray(), rows, kind);
  }
  t.true(cols.encodedBytes! > 0 && cols.encodedBytes! < 300 * 6 * 16, `encoded ${cols.encodedBytes} bytes`);
  // More than 256 and 65536 distinct strings: wider codes, same values.
  const wide = Array.from({ length: 70_000 }, (_, i) => [`k${i}`]);
  const w = columnTable(['k'], wide);
  t.is(w.at(69_999)[0], 'k69999');
  t.is(w.at(300)[0], 'k300');
  t.is(columnTable(['k'], []).length, 0);
  // A column widens when a later value does not fit: int → float → anything; strings → anything.
  const late = [[1, 's', true], [2, 't', false], [2.5, 7, null], [-0, 'u', true], ['x', null, 1]];
  const lt = columnTable(['a', 'b', 'c'], late);
  for (let i = 0; i < late.length; i++) t.deepEqual(lt.at(i), late[i]);
  t.true(Object.is(lt.at(3)[0], -0));
  // Rows may come from a generator (a table too large to exist as tuples).
  function* gen() {
    for (let i = 0; i < 5000; i++) yield [i, i * 0.5, `g${i % 3}`];
  }
  const g = columnTable(['i', 'h', 's'], gen());
  t.is(g.length, 5000);
  t.deepEqual(g.at(4999), [4999, 2499.5, 'g1']);
  t.deepEqual(columnTable(['k'], []).relation(createEngine('streaming')).toArray(), []);
});

test('a streaming scan decodes only what the query pulls; a materialized one decodes everything at once', (t) => {
  const rows = Array.from({ length: 1000 }, (_, i) => [i]);
  const cols = columnTable(['n'], rows);
  let decoded = 0;
  const at = (i: number) => (decoded++, cols.at(i));
  const via = (kind: 'materialized' | 'streaming') => createEngine(kind).fromIterator(['n'], () => {
    let i = 0;
    return { next: () => (i < cols.length ? at(i++) : undefined), close: () => {} };
  });
  t.deepEqual(via('streaming').limit(3).toArray(), [[0], [1], [2]]);
  t.true(decoded <= 4, `streaming decoded ${decoded} rows for a limit of 3`);
  decoded = 0;
  via('materialized').limit(3).toArray();
  t.is(decoded, 1000, 'the materialized engine reads the whole scan before its limit');
});

test('bad rows are refused with the row and widths named', (t) => {
  t.throws(() => columnTable(['a', 'b'], [[1, 2], [3]]), { instanceOf: ConfigError, message: 'row 1 has 1 values; the schema (a, b) has 2' });
});

test('a stored table: the streaming engine reads segments as the query pulls, the materialized one all at once; dispose deletes its files', async (t) => {
  const { storeTable } = await import('../../scenarios/source.js');
  const rows = Array.from({ length: 20_000 }, (_, i) => [i, `s${i % 7}`, i * 0.5, i % 2 === 0]);
  const table = await storeTable(['id', 'sym', 'px', 'even'], rows);
  t.is(table.length, 20_000);
  t.deepEqual(table.at(12_345), rows[12_345]);
  t.deepEqual(table.at(3), rows[3], 'the limit loop may start over');
  const io = table.io!;
  const before = io.segmentsRead;
  t.deepEqual(table.relation(createEngine('streaming')).limit(2).toArray(), [rows[0], rows[1]]);
  t.is(io.segmentsRead - before, 1, 'streaming: one segment for the first rows');
  const mid = io.segmentsRead;
  t.is(table.relation(createEngine('materialized')).limit(2).toArray().length, 2);
  t.true(io.segmentsRead - mid >= 5, 'materialized: every segment (4096 rows each) before limit runs');
  t.deepEqual(table.relation(createEngine('streaming')).toArray(), rows);
  table.dispose!();
  table.dispose!();
  t.throws(() => table.relation(createEngine('streaming')).toArray(), undefined, 'its files are gone');
  await t.throwsAsync(storeTable(['x'], [[1], ['a']]), { instanceOf: ConfigError, message: /source 'store': column 'x' mixes value types/ });
});
