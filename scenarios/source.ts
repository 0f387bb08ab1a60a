/**
 * Where a query scenario's rows come from: its `source` parameter.
 *
 * - `array`: the generator's rows, an array of tuples that both engines share. The input is
 *   already materialized before either engine starts, so the materializing engine's scan costs
 *   nothing: it wraps the array.
 * - `scan`: the rows encoded once, before any timing, into compact columns (typed arrays; strings
 *   as dictionary codes; `encodeColumns` in the engine), read through `engine.fromColumns`: the
 *   streaming engine decodes a fresh tuple per row as a query pulls it (a filter or projection
 *   written over the scan is pushed into it, and a fused run reads the columns it uses: both build
 *   only their output tuples); the materialized engine decodes the whole
 *   scan into an array first, as a materializing engine does. This is the cost the published
 *   work is about.
 *   In memory, so that I/O does not dominate; the tuples decoded are the same values as the
 *   array's (the case's checksums agree across sources).
 *
 * - `store`: the rows inserted once, before any timing, into a table of sluice's own filesystem
 *   store (a fresh catalog in a scratch folder, deleted by `dispose()` or when the process
 *   exits; under the harness, in a folder per child that the parent deletes once the child has
 *   exited however it ended: see {@link SCRATCH_ENV}), read through
 *   `scan()` from `sluice/storage`: segment files read and decoded as the query pulls them
 *   (streaming), or all of them before the first operator runs (materialized). I/O and the
 *   row format's decoding are part of every run; the operating system's page cache keeps the
 *   files in memory after the first.
 *
 * - `s3`: as `store`, but the table is in sluice's S3 store, on a local S3-compatible server (s3rver,
 *   in a process of its own, objects in the scratch folder) over loopback HTTP: the streaming
 *   engine's scan downloads a segment (a ranged GET) as the query pulls it, with the next one's
 *   download under way; the materialized engine downloads each object whole, then decodes it all.
 *
 * The limit loop reads a table through the same `at(i)` on every source: over `scan` it is a
 * hand-written loop over the same decoder, over `store` over the same segment reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dataset } from './types.js';
import { columnarBytes, ConfigError, encodeColumns, rowDecoder, type ColumnKind, type Engine, type Relation, type Schema, type Tuple } from '../engine/index.js';
import type { Catalog, ColumnType, IoCounts, LocalS3 } from '../engine/storage/index.js';

export const SOURCES = ['array', 'scan', 'store', 's3'] as const;
export type SourceKind = (typeof SOURCES)[number];

/** One input table of a case, as its query and its limit loop read it. */
export interface Table {
  readonly schema: Schema;
  /** Rows in the table. */
  readonly length: number;
  readonly source: SourceKind;
  /** Row `i` (0 ≤ i < length): the array's own tuple, or one decoded afresh from the columns. */
  readonly at: (i: number) => Tuple;
  /** The array itself (`array` source only): what a peer that iterates JavaScript rows (IxJS) reads. */
  readonly rows?: readonly Tuple[];
  /** The table as a relation of `engine` (over the array, or pulling from the decoder). */
  relation(engine: Engine): Relation;
  /** Bytes the table's encoded columns take (scan), or undefined (array: V8 objects, not counted). */
  readonly encodedBytes?: number;
  /** What the stored table's store read and wrote, and the segments its scans read (store and s3 sources). */
  readonly io?: IoCounts;
  /** Delete what the table keeps outside the heap (store: its scratch folder); idempotent. */
  dispose?(): void;
}

/** A table over the generator's own array of rows. */
export function arrayTable(schema: Schema, rows: readonly Tuple[]): Table {
  return {
    schema,
    length: rows.length,
    source: 'array',
    at: (i) => rows[i]!,
    rows,
    relation: (engine) => engine.from(schema, rows),
  };
}

/**
 * The rows encoded into columns (`encodeColumns`, see the module comment), pushed one at a time:
 * `rows` may be a generator, so that a table larger than the heap never exists as tuples; it is
 * not kept. Queries read it through `engine.fromColumns`.
 * @throws ConfigError when a row's width is not the schema's.
 */
export function columnTable(schema: Schema, rows: Iterable<Tuple>): Table {
  const table = encodeColumns(schema, rows);
  return {
    schema,
    length: table.length,
    source: 'scan',
    at: rowDecoder(table),
    relation: (engine) => engine.fromColumns(schema, table),
    encodedBytes: columnarBytes(table),
  };
}

/** The stored column type for an encoded column: exact for every kind the generators produce. */
function storedType(name: string, kind: ColumnKind): ColumnType {
  switch (kind) {
    case 'i32': return 'int';
    case 'f64': return 'float';
    case 'bool': return 'bool';
    case 'dict8': case 'dict16': case 'dict32': return 'string';
    case 'any': throw new ConfigError(`source 'store': column '${name}' mixes value types, which a stored table cannot hold`);
  }
}

/**
 * The environment variable naming the folder in which stored tables are created (the harness
 * sets it for every measuring child, see harness/scratch.ts); the system's temporary folder
 * when unset. Read when a table is stored, so a worker thread sees its parent's.
 */
export const SCRATCH_ENV = 'SLUICE_SCRATCH';

/** Rows per insert: each is one commit (a segment file and a manifest), small enough to keep the heap flat. */
const STORE_INSERT_ROWS = 65_536;

/**
 * The rows inserted into a fresh filesystem table (see the module comment). The rows are first
 * encoded into columns, which gives the stored column types without holding tuples, then
 * inserted in commits of {@link STORE_INSERT_ROWS}. The scratch folder goes when `dispose()` is
 * called or the process (or worker) exits; in `scratch` (default: {@link SCRATCH_ENV}'s folder).
 */
export async function storeTable(schema: Schema, rows: Iterable<Tuple>, scratch: string = process.env[SCRATCH_ENV] || os.tmpdir(), kind: 'filesystem' | 's3' = 'filesystem'): Promise<Table> {
  // Loaded here, not with the scenarios: a child measuring a query over an array loads no storage code.
  const { createDatabase, createTable, insertBatches, openCatalog, scan, table: storedTable, startLocalS3 } = await import('../engine/storage/index.js');
  const cols = encodeColumns(schema, rows);
  const kinds = cols.columns.map((c) => c.kind);
  const root = mkdtempSync(path.join(scratch, 'sluice-store-'));
  let server: LocalS3 | undefined, catalog: Catalog | undefined;
  const dispose = () => {
    void catalog?.close();
    void server?.stop();
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', dispose);
  try {
    if (kind === 's3') {
      server = await startLocalS3(path.join(root, 's3'));
      await server.createBucket('sluice-bench');
    }
    catalog = openCatalog(server ? { s3: server.options('sluice-bench') } : { root });
    const db = createDatabase(catalog, 'sluice');
    createTable(db, 't', schema.map((name, c) => ({ name, type: storedType(name, kinds[c]!), nullable: true })), { store: kind });
    const at = rowDecoder(cols);
    for (let from = 0; from < cols.length; from += STORE_INSERT_ROWS) {
      const chunk: Tuple[] = [];
      for (let i = from; i < Math.min(cols.length, from + STORE_INSERT_ROWS); i++) chunk.push(at(i));
      await insertBatches(db, 't', chunk, 4096);
    }
    const store = storedTable(db, 't').store;
    const segments = store.snapshot();
    // Row i through the segments, in order: the limit loop reads rows 0, 1, 2... so one segment
    // is read per segment's worth of rows, as the scan does.
    let seg = -1, start = 0, rowsOf: readonly Tuple[] = [];
    const read = (i: number): Tuple => {
      // Row 0 starts over (every pass of the loop opens the table, as a scan does); then forward.
      if (i === 0 || i < start) (seg = -1), (start = 0), (rowsOf = []);
      while (i >= start + rowsOf.length) {
        start += rowsOf.length;
        rowsOf = store.readSegment(segments[++seg]!);
      }
      return rowsOf[i - start]!;
    };
    return {
      schema,
      length: cols.length,
      source: kind === 's3' ? 's3' : 'store',
      at: read,
      relation: (engine) => scan(db, 't', engine),
      io: store.io,
      dispose: () => {
        process.removeListener('exit', dispose);
        dispose();
      },
    };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Every table of a generated dataset, as `source` reads it (a generated table's rows are made here). */
export async function prepareTables(data: Dataset, source: SourceKind): Promise<Readonly<Record<string, Table>>> {
  const out: Record<string, Table> = {};
  try {
    for (const [name, t] of Object.entries(data)) {
      const rows = 'rows' in t ? t.rows : t.generate();
      out[name] = source === 'scan' ? columnTable(t.schema, rows)
        : source === 'store' || source === 's3' ? await storeTable(t.schema, rows, undefined, source === 's3' ? 's3' : 'filesystem')
        : arrayTable(t.schema, Array.isArray(rows) ? rows : [...rows]);
    }
  } catch (e) {
    for (const t of Object.values(out)) t.dispose?.();
    throw e;
  }
  return out;
}

/** The `source` parameter every query scenario takes (omitted from case ids at its default). */
export const SOURCE_PARAM = {
  default: 'array',
  values: SOURCES,
  doc: "where rows come from: 'array' (a shared in-memory array), 'scan' (decoded one row at a time from compact columns), 'store' (a filesystem table read through scan()) or 's3' (an S3 table on a local server, read through scan())",
  omitAtDefault: true,
} as const;
