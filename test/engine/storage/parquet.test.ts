/**
 * Parquet segments: tables whose inserts write Parquet files (one row group per batch), scans
 * that read only the columns asked for and skip row groups by their statistics, Parquet files as
 * insert input, and the errors of each.
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { and, col, ConfigError, createEngine, eq, ge, gt, IngestError, le, lit, lt, ne, or, PlanError, StorageError, type Expr, type Tuple } from '../../../engine/index.js';
import {
  createDatabase, createTable, getDatabase, getTableData, insertStream, listTables, openCatalog, readStream, scan, table,
  type Catalog, type Database, type TableSchema,
} from '../../../engine/storage/index.js';
import { canSkip } from '../../../engine/storage/parquet.js';
import { bag } from '../../helpers.js';
import { tempDir } from '../../temp-dir.js';

const SCHEMA: TableSchema = [
  { name: 'id', type: 'int', nullable: false },
  { name: 'price', type: 'float', nullable: true },
  { name: 'sym', type: 'string', nullable: true },
  { name: 'buy', type: 'bool', nullable: true },
  { name: 'at', type: 'timestamp', nullable: false },
];
const T0 = Date.UTC(2026, 0, 5);

function rows(n: number, from = 0): Tuple[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return [i, i % 7 === 0 ? null : i / 4, i % 5 === 0 ? null : ['abc', '株式', 'ÄÖÜ', ''][i % 4]!, i % 3 === 0 ? null : i % 2 === 0, T0 + i * 1000];
  });
}
const ndjson = (rs: Tuple[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';

const catalogs: Catalog[] = [];
test.after.always(async () => {
  await Promise.all(catalogs.map((c) => c.close()));
});

function fresh(root = tempDir('sluice-pq-')): { db: Database; catalog: Catalog; root: string } {
  const catalog = openCatalog({ root });
  catalogs.push(catalog);
  return { db: createDatabase(catalog, 'market'), catalog, root };
}

test('a Parquet table round-trips every type and null through getTableData, readStream and both engines', async (t) => {
  const { db, root } = fresh();
  createTable(db, 'trades', SCHEMA, { store: 'filesystem', segmentFormat: 'parquet' });
  const res = await insertStream(db, 'trades', Readable.from([ndjson(rows(2500))]), { batchSize: 1000 });
  t.is(res.batches, 3);
  t.deepEqual(getTableData(db, 'trades'), rows(2500));
  const manifest = JSON.parse(readFileSync(path.join(root, 'market', 'trades', 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.segments.map((s: { rowGroup: number; rows: number }) => [s.rowGroup, s.rows]), [[0, 1000], [1, 1000], [2, 500]]);
  t.regex(manifest.segments[0].file, /^seg-[0-9a-f]{12}\.parquet$/);
  t.true(manifest.segments.every((s: { fileBytes: number }) => s.fileBytes === manifest.segments[0].fileBytes));
  for (const kind of ['streaming', 'materialized'] as const) {
    t.deepEqual(scan(db, 'trades', createEngine(kind)).filter(gt(col('id'), 2490)).toArray(), rows(9, 2491), kind);
  }
  let text = '';
  for await (const c of readStream(db, 'trades', { limit: 2 })) text += c;
  t.is(text, '{"id":0,"price":null,"sym":null,"buy":null,"at":"2026-01-05T00:00:00.000Z"}\n{"id":1,"price":0.25,"sym":"株式","buy":false,"at":"2026-01-05T00:00:01.000Z"}\n');
  // The catalog records the format; a reopened catalog reads the table.
  const again = openCatalog({ root });
  catalogs.push(again);
  t.deepEqual(listTables(getDatabase(again, 'market')).map((x) => [x.name, x.segmentFormat, x.rows]), [['trades', 'parquet', 2500]]);
  t.deepEqual(getTableData(getDatabase(again, 'market'), 'trades'), rows(2500));
});

test('a filter pushed into the scan skips row groups by their statistics: 90% skipped reads at most 15% of a full scan\'s bytes', async (t) => {
  const { root, db } = fresh();
  createTable(db, 'trades', SCHEMA, { store: 'filesystem', segmentFormat: 'parquet' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(20_000))]), { batchSize: 2000 });
  // Fresh catalogs, so that each read fetches the file's footer too.
  const measure = (f: (db: Database) => Tuple[]) => {
    const c = openCatalog({ root });
    catalogs.push(c);
    const d = getDatabase(c, 'market');
    const out = f(d);
    return { out, bytes: c.io.stats.bytesIn, skipped: table(d, 'trades').store.io.segmentsSkipped };
  };
  const full = measure((d) => scan(d, 'trades', createEngine('streaming')).toArray());
  t.is(full.out.length, 20_000);
  const where = lt(col('id'), 2000);
  for (const kind of ['streaming', 'materialized'] as const) {
    const few = measure((d) => scan(d, 'trades', createEngine(kind), { where }).toArray());
    t.deepEqual(few.out, rows(2000), kind);
    t.is(few.skipped, 9, `${kind}: nine of ten row groups skipped`);
    t.true(few.bytes <= full.bytes * 0.15, `${kind}: read ${few.bytes} of a full scan's ${full.bytes} bytes`);
    t.log(`${kind}: filtered scan read ${few.bytes} bytes, full scan ${full.bytes} (${((100 * few.bytes) / full.bytes).toFixed(1)}%)`);
  }
  // Two columns of five: fewer bytes again, and only those columns in the output.
  const narrow = measure((d) => scan(d, 'trades', createEngine('streaming'), { columns: ['sym', 'id'] }).toArray());
  t.deepEqual(narrow.out, rows(20_000).map((r) => [r[2], r[0]]));
  t.true(narrow.bytes < full.bytes * 0.75, `two columns read ${narrow.bytes} of ${full.bytes} bytes`);
});

test('scan options are checked: unknown columns, a column twice, an unknown column in the filter', (t) => {
  const { db } = fresh();
  createTable(db, 'trades', SCHEMA, { store: 'filesystem', segmentFormat: 'parquet' });
  const e = createEngine('streaming');
  t.throws(() => scan(db, 'trades', e, { columns: ['id', 'nope'] }), { instanceOf: PlanError, message: "scan of market.trades: unknown column 'nope'; its columns are id, price, sym, buy, at" });
  t.throws(() => scan(db, 'trades', e, { columns: ['id', 'id'] }), { instanceOf: PlanError, message: /names a column twice/ });
  t.throws(() => scan(db, 'trades', e, { columns: [] }), { instanceOf: PlanError, message: /non-empty array/ });
  t.throws(() => scan(db, 'trades', e, { where: gt(col('qty'), 1) }), { instanceOf: PlanError, message: /unknown column 'qty'/ });
  t.throws(() => createTable(db, 'm', SCHEMA, { store: 'memory', segmentFormat: 'parquet' }), { instanceOf: ConfigError, message: /needs the filesystem or s3 store/ });
  t.throws(() => createTable(db, 'm', SCHEMA, { store: 'filesystem', segmentFormat: 'orc' as never }), { instanceOf: ConfigError, message: `unknown segmentFormat "orc"; expected 'json' or 'parquet'` });
});

test('canSkip rules out a row group only when its statistics prove no row can pass', (t) => {
  const stats = { id: { min: 10, max: 20, nulls: 0 }, sym: { min: 'b', max: 'd', nulls: 2 }, none: { nulls: 100 } };
  const yes: Expr[] = [gt(col('id'), 20), ge(col('id'), 21), lt(col('id'), 10), le(col('id'), 9), eq(col('id'), 25), eq(col('sym'), 'a'), lt(lit(20), col('id')) /* 20 < id */, eq(col('id'), null), gt(col('none'), 1), and(gt(col('id'), 0), lt(col('id'), 5)), or(eq(col('id'), 1), eq(col('id'), 30))];
  const no: Expr[] = [gt(col('id'), 19), ge(col('id'), 20), le(col('id'), 10), eq(col('id'), 15), ne(col('id'), 15), eq(col('sym'), 'c'), gt(col('id'), '5'), gt(col('price'), 1), or(eq(col('id'), 1), eq(col('id'), 15)), and(gt(col('id'), 0), ne(col('id'), 3)), col('buy')];
  for (const w of yes) t.true(canSkip(w, stats, 100), JSON.stringify(w));
  for (const w of no) t.false(canSkip(w, stats, 100), JSON.stringify(w));
  t.true(canSkip(ne(col('id'), 7), { id: { min: 7, max: 7, nulls: 0 } }, 10));
});

test('differential: a filtered scan of a Parquet table returns what the same filter over the rows returns, whatever it skips', async (t) => {
  const { db } = fresh();
  let n = 0;
  const value = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(null));
  const ops = [lt, le, gt, ge, eq, ne];
  const pred = fc.record({ op: fc.integer({ min: 0, max: 5 }), c: fc.constantFrom('a', 'b'), v: fc.oneof(fc.integer({ min: -60, max: 60 }), fc.constant(null)), flip: fc.boolean() })
    .map(({ op, c, v, flip }) => (flip ? ops[op]!(lit(v), col(c)) : ops[op]!(col(c), lit(v))));
  const where = fc.oneof(pred, fc.tuple(pred, pred).map(([x, y]) => and(x, y)), fc.tuple(pred, pred).map(([x, y]) => or(x, y)));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), value), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 60 }), where, async (data, batch, w) => {
      const name = `t${++n}`;
      createTable(db, name, [{ name: 'a', type: 'int', nullable: false }, { name: 'b', type: 'int', nullable: true }], { store: 'filesystem', segmentFormat: 'parquet' });
      await insertStream(db, name, Readable.from([ndjson(data as Tuple[])]), { batchSize: batch });
      const expected = createEngine('materialized').from(['a', 'b'], data as Tuple[]).filter(w).toArray();
      for (const kind of ['streaming', 'materialized'] as const) {
        const got = scan(db, name, createEngine(kind), { where: w }).toArray();
        if (JSON.stringify(bag(got)) !== JSON.stringify(bag(expected))) return false;
      }
      return true;
    }),
    { numRuns: 40, seed: 20261130 },
  );
  t.pass('40 random tables and filters agreed (fast-check would have thrown otherwise)');
});

/** A Parquet file written by hyparquet-writer, as another tool would write one. */
function parquetFile(columns: { name: string; data: unknown[]; type?: string }[], schema?: object[]): Uint8Array {
  const w = new ByteWriter();
  const pw = new ParquetWriter({ writer: w, schema: schema as never ?? undefined as never });
  pw.write({ columnData: columns as never, rowGroupSize: 2 });
  pw.finish();
  return new Uint8Array(w.getBuffer());
}

function writerSchema(): object[] {
  return [
    { name: 'root', num_children: 6 },
    { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'price', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    { name: 'sym', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'buy', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
    { name: 'at', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
    { name: 'extra', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  ];
}

test('insertStream takes a Parquet file (path or bytes) as input, a row group at a time, into a JSON or a Parquet table', async (t) => {
  const { db } = fresh();
  const input = rows(5);
  const bytes = parquetFile([
    { name: 'id', data: input.map((r) => BigInt(r[0] as number)) },
    { name: 'price', data: input.map((r) => r[1]) },
    { name: 'sym', data: input.map((r) => r[2]) },
    { name: 'buy', data: input.map((r) => r[3]) },
    { name: 'at', data: input.map((r) => BigInt(r[4] as number)) },
    { name: 'extra', data: input.map(() => 1.5) },
  ], writerSchema());
  const file = path.join(tempDir('sluice-pq-in-'), 'in.parquet');
  writeFileSync(file, bytes);
  for (const format of ['json', 'parquet'] as const) {
    createTable(db, `t_${format}`, SCHEMA, { store: 'filesystem', segmentFormat: format });
    const r1 = await insertStream(db, `t_${format}`, file, { format: 'parquet', batchSize: 4 });
    t.is(r1.rows, 5);
    await insertStream(db, `t_${format}`, bytes, { format: 'parquet' });
    t.deepEqual(bag(getTableData(db, `t_${format}`)), bag([...input, ...input]), format);
  }
});

test('a Parquet input that does not fit is refused in one line and the table is unchanged', async (t) => {
  const { db } = fresh();
  createTable(db, 'trades', SCHEMA, { store: 'filesystem', segmentFormat: 'parquet' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(3))]));
  const base = { id: [1n, 2n, 3n], price: [1, 2, 3], sym: ['a', 'b', 'c'], buy: [true, false, null], at: [1n, 2n, 3n], extra: [0, 0, 0] };
  const build = (over: Partial<typeof base>) => parquetFile(Object.entries({ ...base, ...over }).map(([name, data]) => ({ name, data })), writerSchema());
  await t.throwsAsync(insertStream(db, 'trades', build({ id: [1n, 2n ** 60n, 3n] }), { format: 'parquet' }), { instanceOf: IngestError, message: "row 2 of market.trades: column 'id': the integer 1152921504606846976 is beyond 2^53, which sluice's numbers cannot hold exactly" });
  await t.throwsAsync(insertStream(db, 'trades', build({}).slice(0, 40), { format: 'parquet' }), { instanceOf: IngestError, message: /^the Parquet input is not a Parquet file sluice can read: / });
  const noSym = parquetFile([{ name: 'id', data: [1n] }], [{ name: 'root', num_children: 1 }, { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' }]);
  await t.throwsAsync(insertStream(db, 'trades', noSym, { format: 'parquet' }), { instanceOf: IngestError, message: "the Parquet input has no column 'price' of market.trades; its columns are id" });
  await t.throwsAsync(insertStream(db, 'trades', '/nonexistent/in.parquet', { format: 'parquet' }), { instanceOf: ConfigError, message: /^cannot read Parquet file \/nonexistent\/in\.parquet: ENOENT/ });
  await t.throwsAsync(insertStream(db, 'trades', 42 as never, { format: 'parquet' }), { instanceOf: ConfigError, message: /must be a file path or the file's bytes \(a Uint8Array\), got the integer 42/ });
  await t.throwsAsync(insertStream(db, 'trades', 'a path' as never), { instanceOf: ConfigError, message: /a path is a source for format 'parquet' only/ });
  t.deepEqual(getTableData(db, 'trades'), rows(3));
});

test('an edited manifest naming a Parquet segment without its row group, or a truncated Parquet file, is a one-line error', async (t) => {
  const { db, root } = fresh();
  createTable(db, 'trades', SCHEMA, { store: 'filesystem', segmentFormat: 'parquet' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(10))]));
  const dir = path.join(root, 'market', 'trades');
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const seg = manifest.segments[0];
  // Truncate the file: its footer is gone.
  const data = readFileSync(path.join(dir, seg.file));
  writeFileSync(path.join(dir, seg.file), data.subarray(0, data.length - 20));
  const err = t.throws(() => getTableData(db, 'trades'), { instanceOf: StorageError });
  t.regex(err!.message, /truncated|not a readable Parquet file/);
  const { rowGroup: _, ...noGroup } = seg;
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 9, segments: [noGroup] }));
  t.throws(() => getTableData(db, 'trades'), { instanceOf: StorageError, message: /segments\[0\]\.rowGroup must be a whole number \(a Parquet segment\), got undefined/ });
});
