/**
 * Reading stored tables: as a byte stream (NDJSON), as an array, or as a {@link Relation} that
 * either engine can query. Every read takes the table's committed segment list once, at its
 * start, so an insert committing meanwhile is either wholly visible (it committed before) or not
 * at all.
 */
import { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import { ConfigError, PlanError } from '../errors.js';
import type { Expr } from '../expr/expr.js';
import type { Relation, TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { table, type Database, type Table } from './catalog.js';
import { rowObject } from './schema.js';
import { canSkip } from './parquet.js';
import { referencedColumns } from '../expr/compile.js';
import { projector, segmentReader, type IoCounts, type Segment, type SegmentReader, type TableStore } from './store.js';

export interface ReadOptions {
  /** Stop after this many rows (no later segment is read). */
  limit?: number;
  /** Only NDJSON for now: one JSON object per row, keyed by column name, timestamps as ISO-8601. */
  format?: 'ndjson';
}

function checkLimit(limit: unknown): number {
  if (limit === undefined) return Infinity;
  if (typeof limit !== 'number' || !(limit >= 0) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
    throw new ConfigError(`limit must be a non-negative integer, got ${JSON.stringify(limit)}`);
  }
  return limit;
}

/**
 * A Readable of the table as NDJSON, produced one segment at a time and only when the consumer
 * asks (back-pressure): a segment is read when the stream's buffer has room, and a destroyed or
 * limited stream reads no further segment.
 * @throws PlanError for an unknown database or table; ConfigError for a bad limit or format.
 */
export function readStream(db: Database, tableName: string, opts: ReadOptions = {}): Readable {
  const t = table(db, tableName);
  const limit = checkLimit(opts.limit);
  if ((opts.format ?? 'ndjson') !== 'ndjson') throw new ConfigError(`unknown read format ${JSON.stringify(opts.format)}; expected 'ndjson'`);
  const segments = t.store.snapshot();
  const toObject = rowObject(t.schema);
  async function* lines(): AsyncGenerator<string> {
    let left = limit;
    // On a store over a network, the next segments download while this one is turned into text.
    const reader = segmentReader(t.store, segments);
    try {
      for (let rows = left > 0 ? reader.next() : undefined; rows; rows = left > 0 ? reader.next() : undefined) {
        t.store.io.segmentsRead++;
        const n = Math.min(rows.length, left);
        let text = '';
        for (let i = 0; i < n; i++) text += JSON.stringify(toObject(rows[i]!)) + '\n';
        left -= n;
        yield text;
      }
    } finally {
      reader.close();
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
}

/**
 * The table's rows (tuples in schema order; timestamps as epoch milliseconds), at most `limit`.
 * @throws PlanError for an unknown database or table.
 */
export function getTableData(db: Database, tableName: string, limit?: number): Tuple[] {
  const t = table(db, tableName);
  const max = checkLimit(limit);
  const segments = t.store.snapshot();
  if (t.store.readAll && max === Infinity) {
    t.store.io.segmentsRead += segments.length;
    return t.store.readAll(segments);
  }
  const out: Tuple[] = [];
  for (const s of segments) {
    if (out.length >= max) break;
    const rows = t.store.readSegment(s);
    t.store.io.segmentsRead++;
    for (let i = 0; i < rows.length && out.length < max; i++) out.push(rows[i]!);
  }
  return out;
}

/**
 * Iterates the segments of a snapshot, reading each only when the previous one is used up (on a
 * store over a network, with the next ones' download under way meanwhile).
 */
class SegmentIterator implements TupleIterator {
  private rows: readonly Tuple[] = [];
  private i = 0;
  private reader: SegmentReader | undefined;
  private readonly io: IoCounts;
  constructor(store: TableStore, segments: readonly Segment[], columns?: readonly string[], schema?: readonly string[]) {
    this.reader = segmentReader(store, segments, columns, schema);
    this.io = store.io;
  }

  next(): Tuple | undefined {
    while (this.i >= this.rows.length) {
      const rows = this.reader?.next();
      if (!rows) return this.close();
      this.io.segmentsRead++;
      this.rows = rows;
      this.i = 0;
    }
    return this.rows[this.i++];
  }

  close(): undefined {
    this.reader?.close();
    this.reader = undefined;
    this.rows = [];
    return undefined;
  }
}

/** What a scan reads: some columns only, and only segments that may hold rows passing a filter. */
export interface ScanOptions {
  /** The columns of the relation, in this order (default: the table's). A Parquet table reads only these (and the filter's) column chunks. */
  columns?: readonly string[];
  /**
   * A filter, pushed into the scan: applied to every row (the relation holds only rows that pass),
   * and, on a Parquet table, used first to skip every row group whose min/max statistics show
   * that none of its rows can pass (see `canSkip` in parquet.ts).
   */
  where?: Expr;
}

function checkScanColumns(t: Table, opts: ScanOptions): { columns: readonly string[]; read: readonly string[] } {
  const names = t.schema.map((c) => c.name);
  const known = new Set(names);
  const unknown = (c: string) => new PlanError(`scan of ${t.label}: unknown column '${c}'; its columns are ${names.join(', ')}`);
  let columns: readonly string[] = names;
  if (opts.columns !== undefined) {
    if (!Array.isArray(opts.columns) || opts.columns.length === 0) throw new PlanError(`scan of ${t.label}: columns must be a non-empty array of column names, got ${JSON.stringify(opts.columns)}`);
    for (const c of opts.columns) if (!known.has(c)) throw unknown(String(c));
    if (new Set(opts.columns).size !== opts.columns.length) throw new PlanError(`scan of ${t.label}: columns names a column twice: ${opts.columns.join(', ')}`);
    columns = opts.columns;
  }
  const needed = new Set(columns);
  if (opts.where !== undefined) for (const c of referencedColumns(opts.where)) {
    if (!known.has(c)) throw unknown(c);
    needed.add(c);
  }
  // Read in the table's order: what a Parquet reader and a JSON segment both give.
  return { columns, read: names.filter((n) => needed.has(n)) };
}

/**
 * The table as a relation of `engine`: the streaming engine reads it segment by segment as the
 * query pulls rows (on S3, with the next segments' download under way meanwhile; on Parquet, the
 * next row group's); the materialized engine reads it all at once (on S3, each object downloaded
 * whole, then decoded). Column names are the schema's, or `opts.columns`.
 * @throws PlanError for an unknown database, table or column.
 */
export function scan(db: Database, tableName: string, engine: Engine, opts: ScanOptions = {}): Relation {
  const t = table(db, tableName);
  const names = t.schema.map((c) => c.name);
  const { columns, read } = checkScanColumns(t, opts);
  const store = t.store, where = opts.where;
  /** The snapshot's segments, less those the filter rules out by their statistics. */
  const segmentsToRead = (): readonly Segment[] => {
    const all = store.snapshot();
    if (!where || !store.segmentStats) return all;
    return all.filter((s) => {
      const stats = store.segmentStats!(s);
      if (stats && canSkip(where, stats, s.rows)) {
        store.io.segmentsSkipped++;
        return false;
      }
      return true;
    });
  };
  let rel: Relation;
  if (engine.kind === 'materialized' && store.readAll) {
    // The materialized engine reads it all before the first operator runs: as a materializing reader does, whole objects first.
    rel = engine.fromIterator(read, () => {
      const segments = segmentsToRead();
      store.io.segmentsRead += segments.length;
      const rows = projector(read, names)(store.readAll!(segments));
      let i = 0;
      return { next: () => (i < rows.length ? rows[i++] : undefined), close: () => void (i = rows.length) };
    });
  } else {
    rel = engine.fromIterator(read, () => new SegmentIterator(store, segmentsToRead(), read, names));
  }
  if (where) rel = rel.filter(where);
  if (read.length !== columns.length || read.some((c, i) => c !== columns[i])) rel = rel.project(columns);
  return rel;
}
