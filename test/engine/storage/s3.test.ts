/**
 * The S3 table store, against a local S3-compatible server (s3rver) that this file starts and
 * stops: round trips through both engines, all-or-nothing inserts, crash leftovers, concurrent
 * writers in separate processes, a kill mid-insert, and the errors a user meets (bad options, no
 * server, no bucket, a table opened without its bucket, an edited manifest).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { col, ConfigError, createEngine, gt, IngestError, lit, StorageError, type Tuple } from '../../../engine/index.js';
import {
  checkS3Options, createDatabase, createTable, dropTable, table, getDatabase, getTableData, insertStream, listTables, openCatalog, readStream, scan,
  type Catalog, type Database, type TableSchema,
} from '../../../engine/storage/index.js';
import { IoThread } from '../../../engine/storage/s3/connection.js';
import { startLocalS3, type LocalS3 } from '../../../engine/storage/s3/local-server.js';
import { bag } from '../../helpers.js';
import { tempDir } from '../../temp-dir.js';

const SCHEMA: TableSchema = [
  { name: 'id', type: 'int', nullable: false },
  { name: 'price', type: 'float', nullable: true },
  { name: 'sym', type: 'string', nullable: false },
];

let s3: LocalS3;
let buckets = 0;
const catalogs: Catalog[] = [];

test.before(async () => {
  s3 = await startLocalS3(tempDir('sluice-s3rver-'));
});
test.after.always(async () => {
  await Promise.all(catalogs.map((c) => c.close()));
  await s3?.stop();
});

/** A fresh bucket, and a catalog (with a root, unless `root` is false) reaching it. */
async function fresh(opts: { root?: string | false; extra?: object } = {}): Promise<{ db: Database; bucket: string; root: string | undefined; catalog: Catalog }> {
  const bucket = `sluice-t${++buckets}-${process.pid}`;
  await s3.createBucket(bucket);
  const root = opts.root === false ? undefined : (opts.root ?? tempDir('sluice-s3cat-'));
  const catalog = openCatalog({ ...(root ? { root } : {}), s3: s3.options(bucket, opts.extra) });
  catalogs.push(catalog);
  return { db: createDatabase(catalog, 'market'), bucket, root, catalog };
}

function rows(n: number, from = 0): Tuple[] {
  return Array.from({ length: n }, (_, i) => [from + i, (from + i) % 7 === 0 ? null : (from + i) * 0.25, ['abc', '株式', 'ÄÖÜ'][(from + i) % 3]!]);
}
const ndjson = (rs: Tuple[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** Every key in the bucket, through sluice's own connection (what is really stored). */
function keys(bucket: string): string[] {
  const conn = new IoThread(checkS3Options(s3.options(bucket)));
  try {
    return conn.request<{ key: string }[]>({ op: 'list', prefix: '' }).map((o) => o.key);
  } finally {
    void conn.close();
  }
}

test('rows inserted into an S3 table read back through getTableData, readStream and both engines', async (t) => {
  const { db, bucket } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  const res = await insertStream(db, 'trades', Readable.from([ndjson(rows(2500))]), { batchSize: 400 });
  t.is(res.rows, 2500);
  t.is(res.batches, 7);
  t.deepEqual(getTableData(db, 'trades'), rows(2500));
  // One data object for the insert, its segments byte ranges of it.
  t.is(keys(bucket).filter((k) => k.startsWith('market/trades/data/')).length, 1);
  let text = '';
  for await (const chunk of readStream(db, 'trades')) text += chunk;
  t.is(text.split('\n').filter(Boolean).length, 2500);
  t.deepEqual(JSON.parse(text.split('\n')[1]!), { id: 1, price: 0.25, sym: '株式' });
  for (const strategy of ['streaming', 'materialized'] as const) {
    const e = createEngine(strategy);
    const out = scan(db, 'trades', e).filter(gt(col('id'), lit(2400))).project(['id']).toArray();
    t.deepEqual(out, rows(99, 2401).map((r) => [r[0]]), strategy);
  }
  t.deepEqual(listTables(db).map((x) => [x.name, x.store, x.rows]), [['trades', 's3', 2500]]);
});

test('a streaming scan with a limit reads only the windows it needs; a materializing read downloads everything', async (t) => {
  const { db, catalog } = await fresh({ root: false });
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(5000))]), { batchSize: 125 });
  const stored = catalog.s3!.stats.bytesOut;
  const counts = table(db, 'trades').store.io;
  const before = counts.segmentsRead, bytesBefore = catalog.s3!.stats.bytesIn;
  const out = scan(db, 'trades', createEngine('streaming')).limit(600).toArray();
  t.deepEqual(out, rows(600));
  t.is(counts.segmentsRead - before, 5);
  // Windows of 1, 2, 4 and 8 segments: the fourth (segments 7-14) requested as the third was
  // entered, then dropped (its bytes are counted if they arrived before the scan stopped).
  const read = catalog.s3!.stats.bytesIn - bytesBefore;
  t.true(read >= stored * (5 / 40) && read <= stored * (15 / 40), `read ${read} of ${stored} bytes`);
  // The dropped read-ahead does not disturb the next read, which downloads the object whole.
  // (Counted by the table's store, not the connection: a dropped read-ahead's bytes may reach the
  // connection's count during this read, and its bytes out include manifests and lock claims.)
  const io = table(db, 'trades').store.io, again = io.bytesRead;
  t.deepEqual(getTableData(db, 'trades'), rows(5000));
  t.is(io.bytesRead - again, io.bytesWritten, 'the whole object, once');
  const all = scan(db, 'trades', createEngine('streaming')).toArray();
  t.is(all.length, 5000);
});

test('an insert that fails part-way (a bad row) leaves the S3 table and bucket as they were', async (t) => {
  const { db, bucket } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(300))]), { batchSize: 100 });
  const before = keys(bucket);
  const bad = ndjson(rows(700, 300)) + '[1000, 2.5, 17]\n' + ndjson(rows(10, 1001));
  const err = await t.throwsAsync(insertStream(db, 'trades', Readable.from([bad]), { batchSize: 100 }), { instanceOf: IngestError });
  t.is(err!.message, "row 701 of market.trades: column 'sym' expected a string, got the integer 17");
  t.deepEqual(getTableData(db, 'trades'), rows(300));
  t.deepEqual(keys(bucket), before, 'no data object or manifest of the failed insert remains');
});

test('an aborted S3 insert leaves nothing behind, and the table takes the next insert', async (t) => {
  const { db, bucket } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  const before = keys(bucket);
  const ac = new AbortController();
  async function* slow() {
    for (let i = 0; i < 50; i++) {
      yield ndjson(rows(100, i * 100));
      if (i === 5) ac.abort();
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  await t.throwsAsync(insertStream(db, 'trades', slow(), { batchSize: 100, signal: ac.signal }));
  t.deepEqual(getTableData(db, 'trades'), []);
  t.deepEqual(keys(bucket), before);
  await insertStream(db, 'trades', Readable.from([ndjson(rows(10))]));
  t.deepEqual(getTableData(db, 'trades'), rows(10));
});

test('a catalog with a root records an S3 table by bucket and prefix, never by credentials, and reopens it', async (t) => {
  const { db, bucket, root } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(50))]));
  const file = readFileSync(path.join(root!, 'catalog.json'), 'utf8');
  t.deepEqual(JSON.parse(file).databases.market.tables.trades, { schema: SCHEMA, store: 's3', bucket, prefix: 'market/trades/' });
  t.false(file.includes('S3RVER'), 'no credentials on disk');
  const again = openCatalog({ root: root!, s3: s3.options(bucket) });
  catalogs.push(again);
  t.deepEqual(getTableData(getDatabase(again, 'market'), 'trades'), rows(50));
  // Without s3 options the table is known, and using it says what is missing.
  const blind = getDatabase(openCatalog({ root: root! }), 'market');
  const err = t.throws(() => getTableData(blind, 'trades'), { instanceOf: StorageError });
  t.is(err!.message, `table market.trades is stored in S3 (s3://${bucket}/market/trades/); open the catalog with s3 options for bucket '${bucket}' to use it`);
  t.throws(() => dropTable(blind, 'trades'), { instanceOf: StorageError });
  t.deepEqual(getTableData(getDatabase(again, 'market'), 'trades'), rows(50), 'a failed drop deleted nothing');
});

test('dropping an S3 table deletes its objects; a reader of the dropped table is told so', async (t) => {
  const { db, bucket } = await fresh({ root: false });
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(50))]));
  const other = openCatalog({ s3: s3.options(bucket) });
  catalogs.push(other);
  dropTable(db, 'trades');
  t.deepEqual(keys(bucket), []);
  // A table of the same name starts empty.
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  t.deepEqual(getTableData(db, 'trades'), []);
  t.is(other.s3!.where, `s3://${bucket}/`);
});

test('opening an S3 table deletes an unnamed data object only once it is older than orphanAgeMs (server clock)', async (t) => {
  const { db, bucket, root } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(20))]));
  // What a crash between upload and commit leaves: a complete object no manifest names.
  const conn = new IoThread(checkS3Options(s3.options(bucket)));
  const stray = 'market/trades/data/seg-0123456789ab.json';
  conn.request({ op: 'put', key: stray, body: ndjson(rows(5)) });
  await conn.close();
  const young = openCatalog({ root: root!, s3: s3.options(bucket) });
  catalogs.push(young);
  t.deepEqual(getTableData(getDatabase(young, 'market'), 'trades'), rows(20));
  t.true(keys(bucket).includes(stray), 'a young object may be a live insert: kept');
  s3.age(bucket, stray, new Date(Date.now() - 16 * 60_000));
  const later = openCatalog({ root: root!, s3: s3.options(bucket) });
  catalogs.push(later);
  const ldb = getDatabase(later, 'market');
  t.deepEqual(getTableData(ldb, 'trades'), rows(20));
  t.false(keys(bucket).includes(stray), 'older than 15 minutes: a dead insert, deleted');
});

test('a stale lock claim (a writer that died holding the lock) does not block commits', async (t) => {
  const { db, bucket } = await fresh({ root: false });
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  const conn = new IoThread(checkS3Options(s3.options(bucket)));
  const claim = 'market/trades/lock/00000000deadbeef';
  conn.request({ op: 'put', key: claim, body: '{}' });
  await conn.close();
  s3.age(bucket, claim, new Date(Date.now() - 60_000));
  await insertStream(db, 'trades', Readable.from([ndjson(rows(10))]));
  t.deepEqual(getTableData(db, 'trades'), rows(10));
  t.false(keys(bucket).includes(claim));
});

/** Run an s3-child.ts process; resolves with what it printed, rejects on a non-zero exit. */
function child(...args: string[]): { done: Promise<string>; printed(text: string): Promise<void>; kill(): void } {
  const p = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/engine/storage/s3-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const done = new Promise<string>((resolve, reject) => p.on('close', (code, signal) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child ${args[3]} exited ${code ?? signal}: ${err}`)))));
  return {
    done,
    // Resolves once the child has printed `text`; rejects if it ends first.
    printed: (text) => new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!out.includes(text)) return;
        p.stdout.off('data', check);
        resolve();
      };
      p.stdout.on('data', check);
      check();
      done.then(() => reject(new Error(`child ${args[3]} ended without printing '${text}'`)), reject);
    }),
    kill: () => p.kill('SIGKILL'),
  };
}

test('concurrent inserts into one S3 table from separate processes lose no commit (s3rver ignores conditional writes: the lock alone)', async (t) => {
  t.timeout(120_000);
  const { db, bucket, root } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  const writers = [1, 2, 3].map((w) => child(root!, s3.endpoint, bucket, String(w), '600'));
  const printed = await Promise.all(writers.map((w) => w.done));
  // Each writer made three inserts of 600 rows.
  t.deepEqual(printed, ['600', '600', '600']);
  const again = openCatalog({ root: root!, s3: s3.options(bucket) });
  catalogs.push(again);
  const data = getTableData(getDatabase(again, 'market'), 'trades');
  t.is(data.length, 5400);
  for (const w of [1, 2, 3]) t.is(data.filter((r) => Math.floor((r[0] as number) / 1_000_000) === w).length, 1800, `writer ${w}`);
  // Each commit wrote one manifest version; only the newest few are kept.
  const manifests = keys(bucket).filter((k) => k.startsWith('market/trades/manifest/'));
  t.true(manifests.includes('market/trades/manifest/000000000009.json'), manifests.join());
  t.true(manifests.length <= 5);
  t.deepEqual(keys(bucket).filter((k) => k.includes('/lock/')), [], 'every lock claim withdrawn');
});

test('a process killed with SIGKILL mid-insert leaves the S3 table at its previous contents', async (t) => {
  // A hang guard, not a speed target: on a loaded 2-core machine the child's start (tsx) and the
  // reopen took over 60 s once (CI, 2026-12-01), as the concurrent-writers test above can.
  t.timeout(120_000);
  const { db, bucket, root } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(100))]));
  const before = keys(bucket);
  const c = child(root!, s3.endpoint, bucket, 'endless', '0');
  // Once it is reading rows, let it upload a while (its batches go to an unfinished multipart
  // upload), then kill it. (Killed after a fixed 2.5 s instead, on a loaded machine it was once
  // still opening the table, holding the lock of its first-use clean-up: a dead writer's lock
  // claim, which goes stale in 30 s, was left beside the table.)
  await c.printed('inserting');
  await new Promise((r) => setTimeout(r, 1000));
  c.kill();
  await t.throwsAsync(c.done, { message: /SIGKILL/ });
  const again = openCatalog({ root: root!, s3: s3.options(bucket) });
  catalogs.push(again);
  const adb = getDatabase(again, 'market');
  t.deepEqual(getTableData(adb, 'trades'), rows(100));
  t.deepEqual(keys(bucket), before, 'nothing of the killed insert is visible as an object');
  await insertStream(adb, 'trades', Readable.from([ndjson(rows(10, 100))]));
  t.deepEqual(bag(getTableData(adb, 'trades')), bag(rows(110)));
});

test('a Parquet table in S3: round trip, and a filter skipping 90% of row groups reads at most 15% of a full scan\'s bytes', async (t) => {
  const { db, bucket, root } = await fresh();
  createTable(db, 'trades', SCHEMA, { store: 's3', segmentFormat: 'parquet' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(20_000))]), { batchSize: 2000 });
  t.true(keys(bucket).some((k) => /^market\/trades\/data\/seg-[0-9a-f]{12}\.parquet$/.test(k)));
  const measure = (f: (db: Database) => Tuple[]) => {
    const c = openCatalog({ root: root!, s3: s3.options(bucket) });
    catalogs.push(c);
    const out = f(getDatabase(c, 'market'));
    return { out, bytes: c.io.stats.bytesIn };
  };
  const full = measure((d) => getTableData(d, 'trades'));
  t.deepEqual(full.out, rows(20_000));
  for (const kind of ['streaming', 'materialized'] as const) {
    const few = measure((d) => scan(d, 'trades', createEngine(kind), { where: gt(col('id'), lit(17_999)) }).toArray());
    t.deepEqual(few.out, rows(2000, 18_000), kind);
    t.true(few.bytes <= full.bytes * 0.15, `${kind}: read ${few.bytes} of ${full.bytes} bytes`);
    t.log(`${kind}: ${few.bytes} of ${full.bytes} bytes (${((100 * few.bytes) / full.bytes).toFixed(1)}%)`);
  }
});

test('bad s3 options are refused with one line naming the option and the value', (t) => {
  const cases: [unknown, RegExp][] = [
    [{}, /^s3\.bucket is required \(or set SLUICE_S3_BUCKET\)$/],
    [{ bucket: 'No_Such' }, /^s3\.bucket must be a bucket name .*, got the string "No_Such"$/],
    [{ bucket: 'ok-bucket', prefix: '../up/' }, /^s3\.prefix must be .*, got the string "\.\.\/up\/"$/],
    [{ bucket: 'ok-bucket', prefix: 'lake' }, /^s3\.prefix must be .*, got the string "lake"$/],
    [{ bucket: 'ok-bucket', endpoint: 'ftp://x' }, /^s3\.endpoint must be an http/],
    [{ bucket: 'ok-bucket', credentials: { accessKeyId: '' } }, /^s3\.credentials\.accessKeyId must be a non-empty string/],
    [{ bucket: 'ok-bucket', requestTimeoutMs: -1 }, /^s3\.requestTimeoutMs must be a whole number of milliseconds, got the integer -1$/],
    [{ bucket: 'ok-bucket', buckett: 'x' }, /^unknown s3 option 'buckett'/],
    ['ok-bucket', /^s3 options must be an object/],
  ];
  for (const [opts, message] of cases) t.throws(() => checkS3Options(opts, {}), { instanceOf: ConfigError, message }, JSON.stringify(opts));
  t.is(checkS3Options({}, { SLUICE_S3_BUCKET: 'from-env', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }).forcePathStyle, true);
  t.throws(() => createTable(createDatabase(openCatalog(), 'x'), 't', SCHEMA, { store: 's3' }), { instanceOf: ConfigError, message: /the s3 store needs a catalog opened with s3 options/ });
});

test('an unreachable server and a missing bucket are one-line StorageErrors, and nothing is recorded', async (t) => {
  const root = tempDir('sluice-s3-down-');
  const down = openCatalog({ root, s3: { bucket: 'sluice-x', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestTimeoutMs: 2000 } });
  catalogs.push(down);
  const err = t.throws(() => createTable(createDatabase(down, 'market'), 'trades', SCHEMA, { store: 's3' }), { instanceOf: StorageError });
  t.regex(err!.message, /^S3 failed listing market\/trades\/ in bucket 'sluice-x': cannot reach http:\/\/127\.0\.0\.1:9: ECONNREFUSED \(connection refused\)$/);
  t.deepEqual(listTables(getDatabase(openCatalog({ root }), 'market')), [], 'the failed create left no catalog entry');
  const nob = openCatalog({ s3: s3.options('sluice-never-made') });
  catalogs.push(nob);
  const e2 = t.throws(() => createTable(createDatabase(nob, 'market'), 'trades', SCHEMA, { store: 's3' }), { instanceOf: StorageError });
  t.regex(e2!.message, /bucket 'sluice-never-made' does not exist/);
});

test('an edited manifest object that names a path outside the table is refused', async (t) => {
  const { db, bucket } = await fresh({ root: false });
  createTable(db, 'trades', SCHEMA, { store: 's3' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(10))]));
  const conn = new IoThread(checkS3Options(s3.options(bucket)));
  conn.request({ op: 'put', key: 'market/trades/manifest/000000000002.json', body: JSON.stringify({ version: 2, segments: [{ file: '../../other/x.json', offset: 0, bytes: 10, rows: 1 }] }) });
  await conn.close();
  const err = t.throws(() => getTableData(db, 'trades'), { instanceOf: StorageError });
  t.regex(err!.message, /^manifest s3:\/\/.*\/market\/trades\/manifest\/000000000002\.json is corrupt: segments\[0\]\.file must name a segment file/);
});
