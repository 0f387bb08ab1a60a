/**
 * The ingest family: getting rows into and out of table storage, streaming against
 * materializing, with JSON parsing as the practical limit.
 *
 * - `ingest`: an NDJSON file of `rows` trades (generated once per process, on disk) goes into an
 *   empty table of the case's `store` on every run (the table is dropped and created again between
 *   runs, outside the timing). Each insert commits durably: on the filesystem its segment file and
 *   the manifest are synced; on S3 its object is uploaded (a multipart upload fed batch by batch)
 *   and a manifest object written.
 *   - streaming: `insertStream` from a file read stream (64 KiB chunks), batches of `batchSize`;
 *   - materialized: read the whole file, parse every line into an array, then `insertBatches`
 *     (what the published engine did: decode the whole body at once);
 *   - limit-loop: stream the file and `JSON.parse` each line, keeping nothing (the parse-only limit
 *     that streaming ingest is measured against).
 * - `read`: the same rows, stored once, read back as NDJSON text.
 *   - streaming: consume `readStream` (segment by segment; on S3 a ranged GET each, the next one
 *     under way while this one is turned into text);
 *   - materialized: `getTableData` (on S3, each object downloaded whole, then decoded), then
 *     every row's NDJSON line in one array.
 *
 * These scenarios are tasks (asynchronous, with I/O), not queries: they define `task` instead of
 * `build`. Output checksums are over the stored rows (ingest) or the produced lines (read), so
 * the runners of a group must agree exactly.
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { col, ConfigError, createEngine, InternalError, lit, lt, type Tuple } from '../engine/index.js';
import type { Database, SegmentFormat, StoreKind, TableSchema } from '../engine/storage/index.js';
import { rng, SYMBOLS } from './data.js';
import { SCRATCH_ENV } from './source.js';
import type { OutputChecksum, Params, Scenario, TaskCase } from './types.js';

/**
 * Storage is loaded by the tasks that use it (every one of them awaits {@link loadStorage} first),
 * not when the scenario registry is imported: a measuring child of a query over an array loads no
 * storage code (S3, Parquet), which changed its heap and timings in the gate.
 */
let storage: typeof import('../engine/storage/index.js') | undefined;
const loadStorage = async () => (storage ??= await import('../engine/storage/index.js'));
const S = () => storage!;

/** The stored trades' schema. */
export const INGEST_SCHEMA: TableSchema = [
  { name: 'id', type: 'int', nullable: false },
  { name: 'sym', type: 'string', nullable: false },
  { name: 'price', type: 'float', nullable: false },
  { name: 'qty', type: 'int', nullable: false },
  { name: 'ts', type: 'timestamp', nullable: false },
  { name: 'venue', type: 'string', nullable: true },
];

/** Write `n` seeded trades as NDJSON (arrays in schema order) to `file`, 10,000 rows at a time. */
export function writeTradesNdjson(file: string, n: number, seed: number): number {
  const r = rng(seed);
  const t0 = Date.UTC(2026, 0, 5, 14, 30);
  writeFileSync(file, '');
  let bytes = 0;
  for (let i = 0; i < n; i += 10_000) {
    let s = '';
    for (let k = i; k < Math.min(n, i + 10_000); k++) {
      const price = Math.round((50 + r() * 450) * 100) / 100;
      const venue = r() < 0.2 ? null : r() < 0.5 ? 'XNAS' : 'XNYS';
      s += JSON.stringify([k, SYMBOLS[(r() * SYMBOLS.length) | 0], price, 1 + ((r() * 500) | 0), t0 + k * 37, venue]) + '\n';
    }
    appendFileSync(file, s);
    bytes += Buffer.byteLength(s);
  }
  return bytes;
}

/**
 * A scratch directory for one process's files, removed at exit; under the harness, in the
 * measuring child's own scratch folder ({@link SCRATCH_ENV}), which the parent deletes however
 * the child ended.
 */
function scratch(): string {
  const dir = mkdtempSync(path.join(process.env[SCRATCH_ENV] || os.tmpdir(), 'sluice-ingest-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every non-empty line of a stream of text chunks, in order; returns how many. */
async function eachLine(chunks: AsyncIterable<unknown>, each: (line: string) => void): Promise<number> {
  let rest = '', n = 0;
  for await (const chunk of chunks) {
    const text = rest + String(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) {
        each(text.slice(start, nl));
        n++;
      }
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.trim()) {
    each(rest);
    n++;
  }
  return n;
}

/**
 * Lines of a file, parsed, with nothing kept: the parse-only limit. Written out by hand like every
 * limit loop (no callback between the split and JSON.parse), so it is the floor the engine's
 * ingest is measured against, not a second copy of {@link eachLine} to be merged into it.
 */
async function parseOnly(file: string, onRow: (t: Tuple) => void): Promise<number> {
  let rest = '', n = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) {
        onRow(JSON.parse(text.slice(start, nl)) as Tuple);
        n++;
      }
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.trim()) {
    onRow(JSON.parse(rest) as Tuple);
    n++;
  }
  return n;
}

const sink = { last: undefined as unknown };

function freshTable(db: Database, store: StoreKind, segmentFormat: SegmentFormat): void {
  if (S().listTables(db).some((t) => t.name === 'trades')) S().dropTable(db, 'trades');
  S().createTable(db, 'trades', INGEST_SCHEMA, { store, segmentFormat });
}

/** Bytes the table's store has moved so far: what a run moved is the difference. */
const moved = (db: Database, dir: 'bytesRead' | 'bytesWritten') => S().table(db, 'trades').store.io[dir];

/**
 * What both task scenarios start from: the NDJSON input on disk and an empty database whose
 * tables go to the case's store (for `s3`, a local S3-compatible server in a process of its own,
 * storing objects in the scratch folder: see engine/storage/s3/local-server.ts).
 */
async function prepare(p: Params, seed: number): Promise<{ rows: number; batchSize: number; file: string; db: Database; store: StoreKind; format: SegmentFormat }> {
  await loadStorage();
  const rows = p.rows as number, batchSize = p.batchSize as number, store = (p.store ?? 'filesystem') as StoreKind;
  const format = (p.segmentFormat ?? 'json') as SegmentFormat;
  if (store === 'memory' && format !== 'json') throw new ConfigError(`segmentFormat '${format}' needs store 'filesystem' or 's3', got store 'memory'`);
  const dir = scratch();
  const file = path.join(dir, 'input.ndjson');
  writeTradesNdjson(file, rows, seed);
  let catalog;
  if (store === 's3') {
    const server = await S().startLocalS3(path.join(dir, 's3'));
    process.once('exit', () => void server.stop());
    await server.createBucket('sluice-bench');
    catalog = S().openCatalog({ s3: server.options('sluice-bench') });
  } else {
    catalog = S().openCatalog(store === 'filesystem' ? { root: path.join(dir, 'db') } : {});
  }
  return { rows, batchSize, file, db: S().createDatabase(catalog, 'bench'), store, format };
}

/** The parameters of both task scenarios. */
function sizeParams(what: string) {
  return {
    rows: { default: 100_000, doc: `rows in the ${what}` },
    batchSize: { default: 1000, doc: 'rows per written batch (stored segment)' },
    store: { default: 'filesystem', values: ['filesystem', 'memory', 's3'], doc: "where the table is: 'filesystem' (synced files), 'memory' or 's3' (a local S3-compatible server over loopback HTTP)", omitAtDefault: true },
    segmentFormat: { default: 'json', values: ['json', 'parquet'], doc: "how inserts encode rows: 'json' (a JSON array per segment) or 'parquet' (a row group per segment)", omitAtDefault: true },
  };
}

function notAQuery(): never {
  throw new InternalError('ingest scenarios are tasks: the harness runs task(), not build()');
}

export const ingest: Scenario = {
  id: 'ingest',
  family: 'ingest',
  title: 'NDJSON into a stored table: streaming insert vs read-all-then-insert vs parse-only',
  params: sizeParams('NDJSON input'),
  data: () => ({}),
  build: notAQuery,
  hasLimitLoop: true,
  timing: { minSamples: 5 },
  async task(runner, p, seed, checksum): Promise<TaskCase> {
    const { rows, batchSize, file, db, store, format } = await prepare(p, seed);
    // The stored rows, and the bytes the run wrote (the table is fresh for every run).
    const stored = async (checksum: OutputChecksum) => {
      const ioBytes = store === 'memory' ? undefined : moved(db, 'bytesWritten');
      return { ...checksum(S().getTableData(db, 'trades')), ...(ioBytes !== undefined ? { ioBytes } : {}) };
    };
    // Every run inserts into an empty table, created after the previous run, outside the timing.
    freshTable(db, store, format);
    const reset = () => freshTable(db, store, format);
    switch (runner) {
      case 'streaming':
        return {
          inputRows: rows,
          run: async () => (await S().insertStream(db, 'trades', createReadStream(file, { highWaterMark: 64 * 1024 }), { batchSize })).rows,
          output: () => stored(checksum),
          reset,
        };
      case 'materialized':
        return {
          inputRows: rows,
          reset,
          run: async () => {
            const text = await readFile(file, 'utf8');
            const all = text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
            return (await S().insertBatches(db, 'trades', all, batchSize)).rows;
          },
          output: () => stored(checksum),
        };
      case 'limit-loop': {
        let seen: Tuple[] | undefined;
        return {
          inputRows: rows,
          run: () => parseOnly(file, (t) => {
            sink.last = t;
            seen?.push(t);
          }),
          output: async () => {
            seen = [];
            await parseOnly(file, (t) => seen!.push(t));
            const c = checksum(seen);
            seen = undefined;
            return c;
          },
        };
      }
    }
  },
};

export const read: Scenario = {
  id: 'read',
  family: 'ingest',
  title: 'a stored table read back as NDJSON: readStream vs getTableData',
  params: sizeParams('stored table'),
  data: () => ({}),
  build: notAQuery,
  timing: { minSamples: 5 },
  async task(runner, p, seed, checksum): Promise<TaskCase> {
    const { rows, batchSize, file, db, store, format } = await prepare(p, seed);
    freshTable(db, store, format);
    await S().insertStream(db, 'trades', createReadStream(file), { batchSize });
    rmSync(file);
    const toObject = S().rowObject(INGEST_SCHEMA);
    const lines = async (each: (line: string) => void): Promise<number> => {
      if (runner === 'streaming') return eachLine(S().readStream(db, 'trades'), each);
      if (runner === 'materialized') {
        const all = S().getTableData(db, 'trades').map((t) => JSON.stringify(toObject(t)));
        for (const l of all) each(l);
        return all.length;
      }
      throw new InternalError('the read scenario has no limit loop');
    };
    return {
      inputRows: rows,
      run: () => lines((l) => void (sink.last = l)),
      output: async () => {
        const seen: Tuple[] = [];
        const before = moved(db, 'bytesRead');
        await lines((l) => seen.push([l]));
        const ioBytes = moved(db, 'bytesRead') - before;
        return { ...checksum(seen), ...(store === 'memory' ? {} : { ioBytes }) };
      },
    };
  },
};

/**
 * `scan-table`: the same stored trades (ids in order, so each segment holds a range of them) read
 * by a query keeping the first `keep` of them by id, `scan(db, table, engine, { where })`: the
 * streaming engine pulls segments as the query asks, the materialized engine reads them all
 * first; on a Parquet table both skip the row groups whose statistics rule the filter out. Bytes
 * read per run are recorded: a 10% filter over Parquet should read about a tenth of a full scan.
 */
export const scanTable: Scenario = {
  id: 'scan-table',
  family: 'ingest',
  title: 'a stored table scanned with a filter on its sorted id: streaming vs materialized engine, Parquet row groups skipped by statistics',
  params: { ...sizeParams('stored table'), keep: { default: 0.1, values: [0.01, 0.1, 0.5, 1], doc: 'fraction of rows the filter keeps (the first ones by id)' } },
  data: () => ({}),
  build: notAQuery,
  timing: { minSamples: 5 },
  async task(runner, p, seed, checksum): Promise<TaskCase> {
    if (runner !== 'streaming' && runner !== 'materialized') throw new InternalError('the scan-table scenario has no limit loop');
    const { rows, batchSize, file, db, store, format } = await prepare(p, seed);
    freshTable(db, store, format);
    await S().insertStream(db, 'trades', createReadStream(file), { batchSize });
    rmSync(file);
    const engine = createEngine(runner);
    const where = lt(col('id'), lit(Math.round(rows * (p.keep as number))));
    const query = () => S().scan(db, 'trades', engine, { where }).toArray();
    return {
      inputRows: rows,
      run: async () => query().length,
      output: async () => {
        const before = moved(db, 'bytesRead');
        const out = query();
        const ioBytes = moved(db, 'bytesRead') - before;
        return { ...checksum(out), ...(store === 'memory' ? {} : { ioBytes }) };
      },
    };
  },
};
