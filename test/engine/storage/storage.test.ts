import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { col, ConfigError, createEngine, gt, IngestError, lit, PlanError, type Tuple } from '../../../engine/index.js';
import {
  createDatabase, createTable, dropTable, getDatabase, getTableData, insertBatches, insertStream, listTables, openCatalog, readStream, scan, table,
  type Database, type StoreKind, type TableSchema,
} from '../../../engine/storage/index.js';
import { bag } from '../../helpers.js';
import { tempDir } from '../../temp-dir.js';

const SCHEMA: TableSchema = [
  { name: 'id', type: 'int', nullable: false },
  { name: 'price', type: 'float', nullable: true },
  { name: 'sym', type: 'string', nullable: false },
  { name: 'buy', type: 'bool', nullable: true },
  { name: 'at', type: 'timestamp', nullable: false },
];

/** Seeded rows: objects (odd ids) and arrays (even ids), with nulls, non-ASCII strings and both timestamp forms. */
function rows(n: number, from = 0): unknown[] {
  const out: unknown[] = [];
  for (let k = from; k < from + n; k++) {
    const price = k % 7 === 0 ? null : Math.round(((k * 7919) % 10007) * 1.25) / 100;
    const sym = ['ÄÖÜ', 'abc', '€uro', '株式'][k % 4]!;
    const buy = k % 5 === 0 ? null : k % 2 === 0;
    const at = k % 3 === 0 ? new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString() : Date.UTC(2026, 0, 1) + k * 1000;
    out.push(k % 2 ? { id: k, price, sym, buy, at } : [k, price, sym, buy, at]);
  }
  return out;
}
/** What the table must hold for `rows(n, from)`. */
function expected(n: number, from = 0): Tuple[] {
  return rows(n, from).map((r) => {
    const a = Array.isArray(r) ? r : [(r as Record<string, unknown>).id, (r as Record<string, unknown>).price, (r as Record<string, unknown>).sym, (r as Record<string, unknown>).buy, (r as Record<string, unknown>).at];
    return [a[0], a[1], a[2], a[3], typeof a[4] === 'string' ? Date.parse(a[4]) : a[4]] as Tuple;
  });
}
function ndjson(rs: unknown[]): string {
  return rs.map((r) => JSON.stringify(r) + '\n').join('');
}
/** Bytes cut into chunks of `size`, splitting multi-byte characters across chunks. */
function chunked(text: string, size = 1000): Readable {
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}
function fresh(store: StoreKind): { db: Database; root: string } {
  const root = tempDir('sluice-store-');
  const catalog = openCatalog({ root });
  const db = createDatabase(catalog, 'market');
  createTable(db, 'trades', SCHEMA, { store });
  return { db, root };
}

for (const store of ['memory', 'filesystem'] as const) {
  for (const format of ['ndjson', 'json-array'] as const) {
    test(`${store} store, ${format}: rows round-trip through insertStream, getTableData and readStream`, async (t) => {
      const { db } = fresh(store);
      const input = rows(2500);
      const text = format === 'ndjson' ? ndjson(input) : JSON.stringify(input);
      const r = await insertStream(db, 'trades', chunked(text, 777), { format, batchSize: 1000 });
      t.is(r.rows, 2500);
      t.is(r.batches, 3);
      t.is(r.bytes, Buffer.byteLength(text));
      t.deepEqual(getTableData(db, 'trades'), expected(2500));
      t.deepEqual(getTableData(db, 'trades', 10), expected(10));
      let out = '';
      for await (const c of readStream(db, 'trades')) out += c;
      const back = out.trim().split('\n').map((l) => JSON.parse(l));
      t.is(back.length, 2500);
      t.deepEqual(back[3], { id: 3, price: expected(4)[3]![1], sym: '株式', buy: false, at: new Date(Date.UTC(2026, 0, 1) + 3000).toISOString() });
      // What readStream writes is valid input again.
      createTable(db, 'copy', SCHEMA, { store });
      await insertStream(db, 'copy', Readable.from([out]));
      t.deepEqual(getTableData(db, 'copy'), expected(2500));
    });
  }

  test(`${store} store: inserts append, never overwrite; insertBatches has the same semantics`, async (t) => {
    const { db } = fresh(store);
    await insertStream(db, 'trades', Readable.from([ndjson(rows(1500))]));
    await insertBatches(db, 'trades', rows(700, 1500), 300);
    await insertStream(db, 'trades', Readable.from([ndjson(rows(10, 2200))]), { batchSize: 4 });
    t.deepEqual(getTableData(db, 'trades'), expected(2210));
    t.deepEqual(listTables(db).map((x) => [x.name, x.store, x.rows]), [['trades', store, 2210]]);
    // The table does not alias the caller's arrays.
    const mine: unknown[][] = [[9999, 1.5, 'x', true, 0]];
    await insertBatches(db, 'trades', mine, 10);
    mine[0]![0] = -1;
    t.is(getTableData(db, 'trades').at(-1)![0], 9999);
  });

  test(`${store} store: a bad row deep in a stream, bad JSON, an abort or a failing source leave the table exactly as it was`, async (t) => {
    const { db, root } = fresh(store);
    await insertStream(db, 'trades', Readable.from([ndjson(rows(1234))]));
    const before = getTableData(db, 'trades');
    const files = () => (store === 'filesystem' ? readdirSync(path.join(root, 'market', 'trades')).sort() : []);
    const filesBefore = files();
    const big = rows(20000, 5000);
    (big[15000] as unknown[])[0] = 'not a number';
    await t.throwsAsync(insertStream(db, 'trades', chunked(ndjson(big), 4096)), { instanceOf: IngestError, message: "row 15001 of market.trades: column 'id' expected an integer, got the string \"not a number\"" });
    const badJson = ndjson(rows(9000)) + '{"id": 1,\n' + ndjson(rows(10));
    await t.throwsAsync(insertStream(db, 'trades', chunked(badJson, 999)), { instanceOf: IngestError, message: /^malformed JSON on line 9001 of the input for market.trades/ });
    const badArray = JSON.stringify(rows(3000)).slice(0, -1) + ',{"id":}]';
    await t.throwsAsync(insertStream(db, 'trades', chunked(badArray, 1000), { format: 'json-array' }), { instanceOf: IngestError, message: /^malformed JSON at byte \d+ of the input for market.trades/ });
    const ac = new AbortController();
    async function* slow() {
      for (let i = 0; i < 100; i++) {
        if (i === 5) ac.abort();
        yield ndjson(rows(500, i * 500));
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    await t.throwsAsync(insertStream(db, 'trades', slow(), { signal: ac.signal, batchSize: 100 }), { instanceOf: IngestError, message: 'insert into market.trades was aborted; the table is unchanged' });
    const failing = new Readable({ read() {} });
    failing.push(ndjson(rows(3000)));
    setTimeout(() => failing.destroy(new Error('disk on fire')), 20);
    await t.throwsAsync(insertStream(db, 'trades', failing, { batchSize: 100 }), { instanceOf: IngestError, message: /failed, the table is unchanged: disk on fire/ });
    t.deepEqual(getTableData(db, 'trades'), before);
    t.deepEqual(files(), filesBefore, 'no segment of a failed insert is left behind');
  });

  test.serial(`${store} store: readStream stops at its limit and when its consumer stops`, async (t) => {
    const { db } = fresh(store);
    await insertStream(db, 'trades', Readable.from([ndjson(rows(10000))]), { batchSize: 1000 });
    const io = table(db, 'trades').store.io;
    const start = io.segmentsRead;
    let out = '';
    for await (const c of readStream(db, 'trades', { limit: 1500 })) out += c;
    t.is(out.trim().split('\n').length, 1500);
    t.is(io.segmentsRead - start, 2, 'two segments of 1000 rows, no more');
    const s0 = io.segmentsRead;
    const stream = readStream(db, 'trades');
    for await (const c of stream) {
      t.true(String(c).length > 0);
      break; // destroys the stream
    }
    t.true(io.segmentsRead - s0 <= 2, `read ${io.segmentsRead - s0} segments of 10 after stopping at the first`);
    t.throws(() => readStream(db, 'trades', { limit: -1 }), { instanceOf: ConfigError, message: /limit must be a non-negative integer/ });
    // Back-pressure: a stream nobody reads stops after filling its buffer.
    const s1 = io.segmentsRead;
    const idle = readStream(db, 'trades');
    idle.pause();
    idle.on('data', () => {});
    idle.pause();
    await new Promise((r) => setTimeout(r, 100));
    t.true(io.segmentsRead - s1 <= 2, `an unread stream read ${io.segmentsRead - s1} of 10 segments`);
    idle.destroy();
  });

  test(`${store} store: a reader sees the table as it was when it started, never half an insert`, async (t) => {
    const { db } = fresh(store);
    await insertStream(db, 'trades', Readable.from([ndjson(rows(1000))]), { batchSize: 100 });
    const stream = readStream(db, 'trades');
    const relation = scan(db, 'trades', createEngine('materialized'));
    await insertStream(db, 'trades', Readable.from([ndjson(rows(500, 1000))]), { batchSize: 100 });
    let out = '';
    for await (const c of stream) out += c;
    t.is(out.trim().split('\n').length, 1000, 'the stream started before the second insert committed');
    t.is(relation.toArray().length, 1000, 'the materialized scan read the table when it was built');
    t.is(getTableData(db, 'trades').length, 1500);
  });

  test.serial(`${store} store: a scan is a Relation on both engines, with the same rows, queryable with any operator`, async (t) => {
    const { db } = fresh(store);
    await insertStream(db, 'trades', Readable.from([ndjson(rows(3000))]), { batchSize: 256 });
    const results = (['materialized', 'streaming'] as const).map((kind) => {
      const e = createEngine(kind);
      const all = scan(db, 'trades', e).toArray();
      const q = scan(db, 'trades', e).filter(gt(col('id'), lit(2500))).project(['sym', 'id']).toArray();
      return { all, q };
    });
    t.deepEqual(bag(results[0]!.all), bag(expected(3000)));
    t.deepEqual(bag(results[1]!.all), bag(results[0]!.all));
    t.is(results[0]!.q.length, 499);
    t.deepEqual(bag(results[1]!.q), bag(results[0]!.q));
    // The streaming scan reads segment by segment: a limit stops early.
    const io = table(db, 'trades').store.io;
    const s0 = io.segmentsRead;
    t.is(scan(db, 'trades', createEngine('streaming')).limit(10).toArray().length, 10);
    t.is(io.segmentsRead - s0, 1);
  });
}

test('every ingest error names what was wrong, in one sentence', async (t) => {
  const catalog = openCatalog();
  const db = createDatabase(catalog, 'market');
  createTable(db, 'trades', SCHEMA);
  const ins = (text: string, format: 'ndjson' | 'json-array' = 'ndjson') => insertStream(db, 'trades', Readable.from([text]), { format });
  const at = '2026-01-01T00:00:00Z';
  const cases: [Promise<unknown>, RegExp | string][] = [
    [insertStream({ name: 'nope', catalog }, 'trades', Readable.from([''])), "unknown database 'nope'; the databases are market"],
    [insertStream(db, 'orders', Readable.from([''])), "unknown table 'orders' in database 'market'; its tables are trades"],
    [ins(`[1, 2.5, "a", true, "${at}"]\n[1, 2.5, "a"]\n`), "row 2 of market.trades: expected 5 values (id, price, sym, buy, at), got 3"],
    [ins(`[1, 2.5, null, true, "${at}"]\n`), "row 1 of market.trades: column 'sym' is not nullable but got null"],
    [ins(`{"id": 1, "sym": "a", "at": "${at}", "colour": "red"}\n`), "row 1 of market.trades: unknown column 'colour'; the columns are id, price, sym, buy, at"],
    [ins(`{"id": 1, "sym": "a"}\n`), "row 1 of market.trades: column 'at' is not nullable but got no value"],
    [ins(`[1.5, 2.5, "a", true, "${at}"]\n`), "row 1 of market.trades: column 'id' expected an integer, got the number 1.5"],
    [ins(`[1, 2.5, "a", "yes", "${at}"]\n`), `row 1 of market.trades: column 'buy' expected a boolean, got the string "yes"`],
    [ins(`[1, 2.5, "a", true, "yesterday"]\n`), `row 1 of market.trades: column 'at' expected an ISO-8601 timestamp string or epoch milliseconds, got the string "yesterday"`],
    [ins('[1, 2.5, "a", true, 0]\n{oops\n'), /^malformed JSON on line 2 of the input for market\.trades: /],
    [ins('{"id": 1}', 'json-array'), "malformed input for market.trades: the json-array format must start with '[', got '{' (is it NDJSON?)"],
    [ins(`[[1, 2.5, "a", true, "${at}"]`, 'json-array'), /^malformed JSON: the input for market\.trades ended inside the array/],
    [ins('7\n'), 'row 1 of market.trades: expected an array or an object, got the integer 7'],
  ];
  for (const [p, msg] of cases) {
    const e = await t.throwsAsync(p);
    t.true(e instanceof IngestError || e instanceof PlanError, `${e?.constructor.name}: ${e?.message}`);
    if (typeof msg === 'string') t.is(e!.message, msg);
    else t.regex(e!.message, msg);
    t.false(e!.message.includes('\n'));
  }
  t.deepEqual(getTableData(db, 'trades'), [], 'none of them left data behind');
  await t.throwsAsync(insertStream(db, 'trades', Readable.from(['']), { batchSize: 0 }), { instanceOf: ConfigError, message: 'batchSize must be a positive integer, got 0' });
  await t.throwsAsync(insertStream(db, 'trades', Readable.from(['']), { format: 'csv' as never }), { instanceOf: ConfigError, message: /unknown ingest format "csv"/ });
  t.throws(() => createTable(db, 'bad', [{ name: 'x', type: 'decimal' as never, nullable: false }]), { instanceOf: ConfigError, message: /type "decimal"; expected one of int, float, string, bool, timestamp/ });
  t.throws(() => createTable(db, 'x/../y', SCHEMA), { instanceOf: ConfigError, message: /table name "x\/..\/y" is not valid/ });
  t.throws(() => createTable(db, 'trades', SCHEMA), { instanceOf: ConfigError, message: "table 'trades' already exists in database 'market'" });
  t.throws(() => createTable(db, 'files', SCHEMA, { store: 'filesystem' }), { instanceOf: ConfigError, message: /filesystem store needs a catalog opened with a root directory/ });
  t.throws(() => getDatabase(catalog, 'other'), { instanceOf: PlanError, message: /unknown database 'other'/ });
});

test('the filesystem catalog survives a restart; memory tables do not; dropTable deletes the data', async (t) => {
  const root = tempDir('sluice-store-');
  const c1 = openCatalog({ root });
  const db1 = createDatabase(c1, 'market');
  createTable(db1, 'trades', SCHEMA, { store: 'filesystem' });
  createTable(db1, 'scratch', SCHEMA, { store: 'memory' });
  await insertStream(db1, 'trades', Readable.from([ndjson(rows(1200))]));
  const c2 = openCatalog({ root });
  const db2 = getDatabase(c2, 'market');
  t.deepEqual(listTables(db2).map((x) => [x.name, x.rows]), [['trades', 1200]]);
  t.deepEqual(getTableData(db2, 'trades'), expected(1200));
  dropTable(db2, 'trades');
  t.false(existsSync(path.join(root, 'market', 'trades')));
  t.deepEqual(listTables(openCatalog({ root }) && getDatabase(openCatalog({ root }), 'market')), []);
  t.throws(() => dropTable(db2, 'trades'), { instanceOf: PlanError, message: /unknown table 'trades' in database 'market'/ });
});

test('1M-row NDJSON ingest: the memory tracker peak stays bounded by the batch, not the input', async (t) => {
  const root = tempDir('sluice-store-');
  const db = createDatabase(openCatalog({ root }), 'm');
  createTable(db, 'small', SCHEMA, { store: 'filesystem' });
  createTable(db, 'big', SCHEMA, { store: 'filesystem' });
  // The input is generated lazily, 1000 rows per chunk: the test never holds 1M rows either.
  function* gen(n: number) {
    const at = Date.UTC(2026, 0, 1);
    for (let i = 0; i < n; i += 1000) {
      let s = '';
      for (let k = i; k < i + 1000; k++) s += `[${k},${(k % 1000) / 10},"s${k % 50}",${k % 2 === 0},${at + k}]\n`;
      yield s;
    }
  }
  const small = await insertStream(db, 'small', gen(10_000), { batchSize: 1000 });
  const big = await insertStream(db, 'big', gen(1_000_000), { batchSize: 1000 });
  t.is(big.rows, 1_000_000);
  t.is(big.batches, 1000);
  t.log(`tracker peak: 10K rows ${small.memoryPeakBytes} B, 1M rows ${big.memoryPeakBytes} B`);
  t.true(big.memoryPeakBytes <= 2 * small.memoryPeakBytes, 'flat from 10K to 1M rows');
  t.true(big.memoryPeakBytes < 1024 * 1024, `below 1 MiB (${big.memoryPeakBytes})`);
  t.true(big.memoryPeakBytes > 1000 * 48, 'and it does count the batch');
  t.is(getTableData(db, 'big', 3).length, 3);
});

test('file segments: exactly batchSize rows each, rows larger than the batch buffer, multi-byte text, reused buffers', async (t) => {
  const { db, root } = fresh('filesystem');
  // 25 rows, 7 of them with a 40,000-character symbol (120,000 UTF-8 bytes: more than a batch buffer).
  const big = (k: number) => (k % 4 === 1 ? '株'.repeat(40_000) : `s${k}`);
  const input = Array.from({ length: 25 }, (_, k) => [k, k / 4, big(k), k % 2 === 0, Date.UTC(2026, 0, 1) + k]);
  const res = await insertStream(db, 'trades', chunked(ndjson(input), 777), { batchSize: 4 });
  t.is(res.rows, 25);
  t.is(res.batches, 7);
  const manifest = JSON.parse(readFileSync(path.join(root, 'market', 'trades', 'manifest.json'), 'utf8')) as { segments: { rows: number; bytes: number }[] };
  t.deepEqual(manifest.segments.map((x) => x.rows), [4, 4, 4, 4, 4, 4, 1]);
  t.true(manifest.segments[0]!.bytes > 120_000);
  t.deepEqual(getTableData(db, 'trades'), input);
  await insertBatches(db, 'trades', input.slice(0, 9), 2);
  t.deepEqual(bag(getTableData(db, 'trades')), bag([...input, ...input.slice(0, 9)]));
});

test('a process killed with SIGKILL in the middle of an insert leaves the table at its previous contents', async (t) => {
  const root = tempDir('sluice-crash-');
  const db = createDatabase(openCatalog({ root }), 'market');
  createTable(db, 'trades', SCHEMA, { store: 'filesystem' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(2000))]));
  const dir = path.join(root, 'market', 'trades');
  const before = readdirSync(dir).length;
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/engine/storage/crash-child.ts'), root], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  // Kill it once it has written several segments of its (uncommitted) insert.
  const written = () => readdirSync(dir).filter((f) => f.startsWith('seg-')).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  const committedBytes = written();
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (written() > committedBytes + 20_000) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== null) reject(new Error(`the child finished before it was killed (${code}): ${err}`));
    });
  });
  await new Promise((r) => child.on('close', r));
  t.true(readdirSync(dir).length > before, 'orphan segments were left by the crash');
  // Until its lock goes stale, the killed insert cannot be told from a live one: its file stays.
  const early = openCatalog({ root });
  t.deepEqual(early.cleaned, []);
  t.deepEqual(getTableData(getDatabase(early, 'market'), 'trades'), expected(2000));
  // Age the killed insert's file past the stale time (as 10 s without its heartbeat would): now it is provably dead.
  const old = new Date(Date.now() - 60_000);
  const named = new Set(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).segments.map((s: { file: string }) => s.file));
  for (const f of readdirSync(dir).filter((f) => f.startsWith('seg-') && !named.has(f))) utimesSync(path.join(dir, f), old, old);
  const reopened = openCatalog({ root });
  t.deepEqual(reopened.cleaned.length, 1, 'the one file of the killed insert');
  t.deepEqual(getTableData(getDatabase(reopened, 'market'), 'trades'), expected(2000));
  t.is(readdirSync(dir).length, before, 'nothing but the manifest and committed segments remain');
  t.true(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).segments.length === 2);
});

/** Run a writer-child.ts process; resolves with what it printed, rejects on a non-zero exit. */
function child(...args: string[]): Promise<string> {
  const p = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/engine/storage/writer-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`writer ${args[1]} exited ${code}: ${err}`)))));
}

/**
 * N writer processes insert into one table at once while another process opens the catalog
 * again and again (its orphan cleanup must leave live inserts' files alone); afterwards the table
 * holds every committed row. Returns rows expected and present. Used by the test below and by
 * `SLUICE_CONCURRENCY_RUNS=20 npx ava test/engine/storage/storage.test.ts -m '*concurrent*'`.
 */
async function concurrentInserts(writers: number, rowsEach: number, log: (s: string) => void): Promise<{ expected: number; present: number; missingWriters: number[] }> {
  const root = tempDir('sluice-concurrent-');
  const db = createDatabase(openCatalog({ root }), 'market');
  createTable(db, 'trades', SCHEMA, { store: 'filesystem' });
  await insertStream(db, 'trades', Readable.from([ndjson(rows(100))]));
  const results = await Promise.all([
    ...Array.from({ length: writers }, (_, w) => child(root, String(w + 1), String(rowsEach))),
    child(root, 'open', '1500'),
  ]);
  const data = getTableData(getDatabase(openCatalog({ root }), 'market'), 'trades');
  const missingWriters = Array.from({ length: writers }, (_, w) => w + 1).filter((w) => data.filter((r) => r[2] === `w${w}`).length !== rowsEach);
  log(`writers reported ${results.slice(0, writers).join(', ')} rows; the reader opened the catalog ${results[writers]} times`);
  return { expected: 100 + writers * rowsEach, present: data.length, missingWriters };
}

test('concurrent inserts from separate processes, with a reader opening the catalog meanwhile, lose nothing', async (t) => {
  t.timeout(120_000);
  const runs = Number(process.env.SLUICE_CONCURRENCY_RUNS ?? 2);
  for (let run = 1; run <= runs; run++) {
    const r = await concurrentInserts(3, 2000, (s) => t.log(s));
    t.log(`run ${run}: ${r.present} rows present of ${r.expected} expected`);
    t.is(r.present, r.expected, `run ${run}`);
    t.deepEqual(r.missingWriters, [], `run ${run}: every writer's rows are there`);
  }
});

test('two inserts in one process into one file table, interleaved, both commit', async (t) => {
  const { db } = fresh('filesystem');
  const slow = async function* (from: number) {
    for (let i = 0; i < 5; i++) {
      yield ndjson(rows(100, from + i * 100));
      await new Promise((r) => setTimeout(r, 3));
    }
  };
  const [a, b] = await Promise.all([insertStream(db, 'trades', slow(0), { batchSize: 50 }), insertStream(db, 'trades', slow(500), { batchSize: 50 })]);
  t.is(a.rows + b.rows, 1000);
  t.deepEqual(bag(getTableData(db, 'trades')), bag(expected(1000)));
});
