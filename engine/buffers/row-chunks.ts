import type { Tuple } from '../types.js';

/** log2 of the rows per chunk. */
const CHUNK_BITS = 10;
/** Rows per chunk: a chunk is an 8 KiB array, far below V8's large-object size (128 KiB). */
export const CHUNK_ROWS = 1 << CHUNK_BITS;
/** Row index → position in its chunk. */
const CHUNK_MASK = CHUNK_ROWS - 1;

/**
 * An append-only row array kept in fixed chunks of {@link CHUNK_ROWS} rows: row `i` is
 * `chunks[i >>> CHUNK_BITS][i & CHUNK_MASK]`. The symmetric hash join keeps each side's rows
 * here, not in one array: storing 200K existing rows into one array took 6-8 ms pre-sized and
 * 25-31 ms appended (V8 keeps a backing store past 128 KiB as a large object, and an appended one
 * is copied and reallocated as it grows), into 1024-row chunks 0.8-1.7 ms
 * (`node --expose-gc scripts/row-store-bench.mjs`, Node 20); the gate found the 100K x 100K
 * symmetric join 0.65-0.80x of its time before. Nothing is copied as it grows, and the first row
 * costs one 8 KiB chunk, whatever the expected size. (The standard `HashTable` does not use it:
 * at 10K rows the indirection cost more than the copies it saves.)
 */
export class RowChunks {
  chunks: Tuple[][] = [];
  /** Rows appended. */
  size = 0;

  /** Append `t`; returns its index. */
  push(t: Tuple): number {
    const i = this.size, o = i & CHUNK_MASK;
    // The first chunk grows as rows come (holey, as the later pre-sized ones are: one array kind
    // at every access): a query stopped in its first rows (a join's first row, a LIMIT) need not
    // allocate and clear 8 KiB per buffer.
    if (o === 0) this.chunks.push(i === 0 ? new Array<Tuple>(0) : new Array<Tuple>(CHUNK_ROWS));
    this.chunks[i >>> CHUNK_BITS]![o] = t;
    this.size = i + 1;
    return i;
  }

  /** Row `i` (below {@link size}). */
  at(i: number): Tuple {
    return this.chunks[i >>> CHUNK_BITS]![i & CHUNK_MASK]!;
  }

  /** Drop every row. */
  clear(): void {
    this.chunks = [];
    this.size = 0;
  }
}
