/**
 * DuckDB as a peer runner, through its Node API (`@duckdb/node-api`): an in-memory database per
 * case, the case's tables loaded through an appender before any timing, and the scenario's SQL
 * prepared once. `duckdb` reads each result whole (`runAndReadAll`, then its rows: a materializing
 * read); `duckdb-stream` reads it chunk by chunk as DuckDB produces it (`stream`, `fetchChunk`).
 * Either way every row is handed to the sink as a JavaScript array, as sluice's rows are.
 *
 * Threads: 1 unless the case says otherwise (`threads`, 0 for DuckDB's default of one per core),
 * so that it is compared with single-threaded sluice on equal terms; the setting DuckDB reports
 * is recorded with the case.
 */
import type { Tuple, Value } from '../../engine/index.js';
import type { Tables } from '../../scenarios/index.js';
import type { CaseSpec } from '../../core/case-spec.js';
import { drainCaseAsync, type AsyncPreparedCase } from '../measure/prepared.js';
import { importPeer } from './load.js';

/** The parts of `@duckdb/node-api` used here (an optional dependency: no type import). */
interface DuckDBModule {
  DuckDBInstance: { create(path: string, options?: Record<string, string>): Promise<Instance> };
  DuckDBDataChunk: DataChunkClass;
  INTEGER: unknown;
  DOUBLE: unknown;
  VARCHAR: unknown;
  BOOLEAN: unknown;
}
interface Instance {
  connect(): Promise<Connection>;
  closeSync(): void;
}
interface Connection {
  run(sql: string): Promise<unknown>;
  runAndReadAll(sql: string): Promise<Reader>;
  prepare(sql: string): Promise<Prepared>;
  createAppender(table: string): Promise<Appender>;
  closeSync(): void;
}
interface Prepared {
  runAndReadAll(): Promise<Reader>;
  stream(): Promise<{ fetchChunk(): Promise<{ rowCount: number; getRows(): unknown[][] } | null> }>;
  destroySync(): void;
}
interface Reader {
  getRows(): unknown[][];
}
interface Appender {
  appendDataChunk(chunk: unknown): void;
  flushSync(): void;
  closeSync(): void;
}
interface DataChunkClass {
  create(types: readonly unknown[], rowCount?: number): { setColumnValues(column: number, values: readonly unknown[]): void };
}

type SqlType = 'INTEGER' | 'DOUBLE' | 'VARCHAR' | 'BOOLEAN';

/** A column's SQL type from its values: exact for every kind the generators produce. */
function sqlType(name: string, rows: readonly Tuple[], c: number): SqlType {
  let type: SqlType | undefined;
  for (const t of rows) {
    const v = t[c];
    if (v === null || v === undefined) continue;
    const here: SqlType = typeof v === 'number' ? (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? 'INTEGER' : 'DOUBLE') : typeof v === 'string' ? 'VARCHAR' : 'BOOLEAN';
    if (type === undefined || type === here) type = here;
    else if ((type === 'INTEGER' && here === 'DOUBLE') || (type === 'DOUBLE' && here === 'INTEGER')) type = 'DOUBLE';
    else throw new Error(`column '${name}' mixes ${type} and ${here} values, which a DuckDB column cannot hold`);
  }
  return type ?? 'VARCHAR';
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Rows per data chunk loaded: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

/**
 * Load a table's rows into a new DuckDB table of the same name: through an appender, a data chunk
 * of columns at a time (0.5 s for 1M trades rows, against 1.1 s value by value).
 */
async function load(db: DuckDBModule, conn: Connection, name: string, schema: readonly string[], rows: readonly Tuple[]): Promise<void> {
  const types = schema.map((col, c) => sqlType(col, rows, c));
  await conn.run(`CREATE TABLE ${quote(name)} (${schema.map((col, c) => `${quote(col)} ${types[c]}`).join(', ')})`);
  const duckTypes = types.map((t) => db[t]);
  const a = await conn.createAppender(name);
  try {
    for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows.length - from);
      const chunk = db.DuckDBDataChunk.create(duckTypes, n);
      for (let c = 0; c < types.length; c++) {
        const values = new Array<Value>(n);
        for (let i = 0; i < n; i++) values[i] = rows[from + i]![c] ?? null;
        chunk.setColumnValues(c, values);
      }
      a.appendDataChunk(chunk);
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
}

const now = () => process.hrtime.bigint();

/**
 * A DuckDB case, ready to run: the database made and loaded (timed once, as `setup.loadNs`), the
 * query prepared. Resources are freed by `dispose()` (and by the process's end).
 */
export async function prepareDuckDB(
  peer: 'duckdb' | 'duckdb-stream', spec: CaseSpec, sql: string, data: Tables, inputRows: number,
  disposeData: () => void, version: string,
): Promise<AsyncPreparedCase> {
  const db = await importPeer<DuckDBModule>(peer);
  const threads = spec.options.threads ?? 1;
  const t0 = now();
  const instance = await db.DuckDBInstance.create(':memory:', threads > 0 ? { threads: String(threads) } : {});
  const conn = await instance.connect();
  let prepared: Prepared | undefined;
  const dispose = () => {
    prepared?.destroySync();
    prepared = undefined;
    conn.closeSync();
    instance.closeSync();
    disposeData();
  };
  try {
    for (const [name, t] of Object.entries(data)) await load(db, conn, name, t.schema, t.rows!);
    const loadNs = Number(now() - t0);
    const setting = String((await conn.runAndReadAll("SELECT current_setting('threads')")).getRows()[0]![0]);
    prepared = await conn.prepare(sql);
    const p = prepared;
    /** Run once, handing each row to `to` (which may throw to stop early); the row count. */
    const drain = peer === 'duckdb'
      ? async (to: (t: Tuple) => void) => {
        const rows = (await p.runAndReadAll()).getRows() as unknown as Tuple[];
        for (let i = 0; i < rows.length; i++) to(rows[i]!);
        return rows.length;
      }
      : async (to: (t: Tuple) => void) => {
        const result = await p.stream();
        let n = 0;
        for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
          const rows = chunk.getRows() as unknown as Tuple[];
          for (let i = 0; i < rows.length; i++) to(rows[i]!);
          n += rows.length;
        }
        return n;
      };
    return drainCaseAsync(drain, { inputRows, dispose, setup: { library: peer, version, loadNs, settings: { threads: setting } } });
  } catch (e) {
    dispose();
    throw e;
  }
}
