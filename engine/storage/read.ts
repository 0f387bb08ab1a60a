/**
 * Reading stored tables: as a byte stream (NDJSON), as an array, or as a {@link Relation} that
 * either engine can query. Every read takes the table's committed segment list once, at its
 * start, so an insert committing meanwhile is either wholly visible (it committed before) or not
 * at all.
 */
import { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import { ConfigError } from '../errors.js';
import type { Relation, TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { table, type Database } from './catalog.js';
import { rowObject } from './schema.js';
import { segmentReader, type Segment, type SegmentReader, type TableStore } from './store.js';

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

/** Counts of work done by reads, for tests and reports: segments read from the store. */
export const readStats = { segmentsRead: 0 };

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
        readStats.segmentsRead++;
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
    readStats.segmentsRead += segments.length;
    return t.store.readAll(segments);
  }
  const out: Tuple[] = [];
  for (const s of segments) {
    if (out.length >= max) break;
    const rows = t.store.readSegment(s);
    readStats.segmentsRead++;
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
  constructor(store: TableStore, segments: readonly Segment[]) {
    this.reader = segmentReader(store, segments);
  }

  next(): Tuple | undefined {
    while (this.i >= this.rows.length) {
      const rows = this.reader?.next();
      if (!rows) return this.close();
      readStats.segmentsRead++;
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

/**
 * The table as a relation of `engine`: the streaming engine reads it segment by segment as the
 * query pulls rows (on S3, with the next segment's download under way meanwhile); the
 * materialized engine reads it all at once (on S3, each object downloaded whole, then decoded). Column names are the schema's.
 * @throws PlanError for an unknown database or table.
 */
export function scan(db: Database, tableName: string, engine: Engine): Relation {
  const t = table(db, tableName);
  const schema = t.schema.map((c) => c.name);
  const store = t.store;
  if (engine.kind === 'materialized' && store.readAll) {
    // The materialized engine reads it all before the first operator runs: as a materializing reader does, whole objects first.
    return engine.fromIterator(schema, () => {
      const segments = store.snapshot();
      readStats.segmentsRead += segments.length;
      const rows = store.readAll!(segments);
      let i = 0;
      return { next: () => (i < rows.length ? rows[i++] : undefined), close: () => void (i = rows.length) };
    });
  }
  return engine.fromIterator(schema, () => new SegmentIterator(store, store.snapshot()));
}
