import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import { DENSE_FROM, hasNullAt, KeyIds, ValueIds } from '../keys/keys.js';
import { SLOT_BYTES, TupleSizer } from '../memory/byte-model.js';
import type { Tuple } from '../types.js';

/** A key numbering one table lends another (see `HashTable`'s constructor): one of the two is set. */
export interface KeyNumbering {
  readonly single: ValueIds | null;
  readonly keys: KeyIds | null;
}

/** Bytes per row slot of a join table's own arrays: a row reference and a 4-byte chain link (the symmetric join's sides too). */
export const ROW_SLOT_BYTES = SLOT_BYTES + 4;
/** Bytes per row of a table over a borrowed row array (see {@link HashTable.borrowing}): its chain link only. */
const LINK_BYTES = 4;

/**
 * A multimap from join key to rows, built for probing. Keys get dense ids ({@link KeyIds});
 * `heads[id]` is the index of the newest row with that key, and `chain[i]` links row i to the
 * previous row with the same key (-1 ends the chain). A key with many rows costs no per-key
 * array, and a probe walks the chain with no allocation:
 *
 * ```ts
 * for (let j = table.head(probeRow, probeKeys); j >= 0; j = table.chain[j]) use(table.rows[j]);
 * ```
 *
 * The row and chain arrays are pre-sized to the build side's known size, else the
 * `hashTableInitialSize` option; past it the chain is doubled and rows and heads grow by
 * appending (never by setting `length`: the symmetric join's rows grown that way made a 10K-row
 * join 5x slower, a third of its time in V8's length setter). Growing costs: built this way, a
 * 100K-row table took 6.0-7.6 ms against 3.5-3.7 pre-sized (`grow` alone 2.7 ms). A table whose
 * owner may stop early (the symmetric join's drain) is given a smaller first size and jumps to the
 * known size in one step when that fills. The symmetric join keeps its alternating rows
 * in chunks (`RowChunks`, buffers/row-chunks.ts); this table does not. Tried twice: through `RowChunks`' methods
 * the 10K-row standard and materialized joins were 8-28% slower in the gate (15-20% gained at
 * 100K); read inline, the materialized 100K joins took 0.71-0.76x of their time but a standard
 * 10K join stopped at 10 rows (all build) 1.46-1.56x, in two runs. Rows with a null key column are never
 * inserted (null keys never match). The arrays, every retained row and every distinct key are
 * reserved from the memory tracker; `free()` releases all.
 */
export class HashTable {
  rows: Tuple[];
  chain: Int32Array;
  /** Rows inserted (a borrowed table: every row of its array, from the start). */
  size = 0;
  /**
   * Newest row per key id, -1 for a key with no row here. Sized with the row arrays (a key's id
   * is below the row count, as every new key comes with a row; with a numbering shared with the
   * symmetric join, below the numbering's size): pushed one key at a time, its growth was a sixth
   * of a 100K-key build. A typed array, off the JS heap: as a number array it was 0.4 MiB of a
   * 100K-row join's measured heap peak.
   */
  private heads: Int32Array;
  /** The key numbering belongs to the symmetric join that lent it (see the constructor): never cleared here. */
  private readonly sharedIds: boolean;
  /** Keys of more than one column; a one-column key's values are numbered by `single`. */
  private readonly keys: KeyIds | null;
  /**
   * One-column keys: small integers through a dense table once there are many (a 100K x 100K
   * join counted in 13-19 ms instead of 38, most of it the Map's inserts), anything else through a Map.
   */
  private readonly single: ValueIds | null;
  private readonly k0: number;
  private reserved = 0;
  private readonly sizer = new TupleSizer();
  /** The known size the arrays grow to at once when the first capacity fills (0: doubling). */
  private readonly target: number;
  /** Whether `insert` reserves a head slot for each new key (else the numbering's reserve does). */
  private readonly slotPerKey: boolean;
  /** Whether `rows` is the build side's own array (see {@link borrowing}), which this table never writes. */
  private readonly borrowed: boolean;

  constructor(
    private readonly keyIndices: readonly number[],
    private readonly ctx: ExecutionContext,
    private readonly operator: string,
    /** The build side's row count when it is known without reading it, else -1. */
    knownSize = -1,
    /**
     * Rows to size the arrays for at first, when under a quarter of `knownSize` (a symmetric join's
     * drain, which a LIMIT may stop early): once full, they grow to `knownSize` in one step.
     */
    startSize = knownSize,
    /**
     * A key numbering to use instead of its own (the symmetric join's, whose drained side this
     * table takes: one numbering for both, so a row's id from `insert` is its id there too). Its
     * owner clears it and keeps its bytes.
     */
    ids?: KeyNumbering,
    /** The build side's own rows, to index instead of copying (see {@link borrowing}). */
    borrow?: readonly Tuple[],
  ) {
    const capacity = knownSize > 0 ? (startSize * 4 >= knownSize ? knownSize : Math.max(1, startSize)) : ctx.options.hashTableInitialSize;
    this.target = knownSize > capacity ? knownSize : 0;
    this.k0 = keyIndices[0]!;
    // A one-column key's head slot is reserved when the key is first seen (insert). With the build
    // side's size known, small integer keys go to the dense table from the first, up to 4x that size.
    const known = knownSize >= DENSE_FROM;
    this.sharedIds = ids !== undefined;
    this.single = keyIndices.length !== 1 ? null : (ids?.single ?? new ValueIds((bytes) => this.reserve(bytes), false, known ? 0 : DENSE_FROM, known ? knownSize : 0));
    // An own KeyIds reserves each key's head slot with the key; a lent one, like ValueIds, does not.
    this.keys = keyIndices.length === 1 ? null : (ids?.keys ?? new KeyIds(keyIndices.length, (bytes) => this.reserve(bytes + SLOT_BYTES)));
    this.slotPerKey = this.single !== null || this.sharedIds;
    const cap = Math.max(1, capacity);
    this.borrowed = borrow !== undefined;
    this.reserve(cap * (this.borrowed ? LINK_BYTES : ROW_SLOT_BYTES));
    // Borrowed, never written here (see `fillBorrowed`): typed as the table's own for its readers.
    this.rows = borrow !== undefined ? (borrow as Tuple[]) : new Array<Tuple>(cap);
    this.heads = new Int32Array(Math.max(cap, ids ? (this.single ?? this.keys)!.size : 0)).fill(-1);
    this.chain = new Int32Array(cap);
    // A borrowed table is full from the start: an insert would grow it, which refuses (off the
    // insert's own path: with the check in insert, the gate put a standard 10K join stopped at 10
    // rows at 1.17x (1.11-1.24) of 72aa339; with it here, 0.97x and 1.05x, both undecided).
    if (this.borrowed) this.size = cap;
  }

  /**
   * A table over the build side's own row array, which the caller keeps unchanged until it frees
   * the table: row `i` of the table is `rows[i]`, linked by key (rows with a null key column are
   * left out of every chain) by {@link fillBorrowed}, which the caller calls next (so that a
   * memory limit met while filling leaves a table to free). Nothing is copied and no row array is
   * allocated: a 100K-row table's own array was a large object whose allocation took 0.6-0.8 ms (a
   * tenth of a 100K x 100K counted join), and the rows' bytes are the source's, not the join's.
   * The hand-written limit loop indexes its build side the same way.
   */
  static borrowing(rows: readonly Tuple[], keyIndices: readonly number[], ctx: ExecutionContext, operator: string): HashTable {
    return new HashTable(keyIndices, ctx, operator, rows.length, rows.length, undefined, rows);
  }

  /**
   * Link every borrowed row by its key (see {@link borrowing}). It reads the rows as the array
   * scan it stands for would: polling the abort signal every 1024 rows, and counting the rows read
   * into `metrics.sourceRows` (those read before a failure too).
   */
  fillBorrowed(): void {
    const rows = this.rows, n = rows.length, ctx = this.ctx;
    let i = 0;
    try {
      for (; i < n; i++) {
        if ((i & ABORT_CHECK_MASK) === 0) ctx.checkAborted();
        // Ids stay below the row count: the heads, sized for it, never grow here.
        const id = this.idOf(rows[i]!);
        if (id >= 0) this.link(i, id);
      }
    } finally {
      ctx.metrics.sourceRows += i;
    }
  }

  /** Insert a row and return its key's id; a row with a null key column is skipped (-1). */
  insert(t: Tuple): number {
    const id = this.idOf(t);
    if (id < 0) return -1;
    this.reserve(this.sizer.charge(t));
    const i = this.size;
    // First: growing may replace the heads (read after it).
    if (i === this.chain.length) this.grow();
    if (id >= this.heads.length) this.growHeads(id + 1);
    this.rows[i] = t;
    this.link(i, id);
    this.size = i + 1;
    return id;
  }

  /** The id of the key of `t` (a new one for a new key), -1 when a key column is null. */
  private idOf(t: Tuple): number {
    if (this.single !== null) {
      const v = t[this.k0];
      return v === null ? -1 : this.single.id(v);
    }
    return hasNullAt(t, this.keyIndices) ? -1 : this.keys!.id(t, this.keyIndices);
  }

  /** Row `i` becomes the newest of key `id`'s chain (a key's first row: its head slot reserved). */
  private link(i: number, id: number): void {
    const heads = this.heads, prev = heads[id]!;
    this.chain[i] = prev;
    heads[id] = i;
    if (prev < 0 && this.slotPerKey) this.reserve(SLOT_BYTES);
  }

  /**
   * Index of the newest row whose key equals the values of `probe` at `probeKeys`, or -1 (also
   * for a null probe key). Follow `chain` for the others.
   */
  head(probe: Tuple, probeKeys: readonly number[]): number {
    let id: number;
    if (this.single !== null) {
      const v = probe[probeKeys[0]!];
      if (v === null) return -1;
      id = this.single.find(v);
    } else {
      if (hasNullAt(probe, probeKeys)) return -1;
      id = this.keys!.find(probe, probeKeys);
    }
    return id < 0 ? -1 : this.heads[id]!;
  }

  /** Drop everything and release the reservation. Idempotent. */
  free(): void {
    if (!this.sharedIds) {
      this.keys?.clear();
      this.single?.clear();
    }
    this.heads = new Int32Array(0);
    this.rows = [];
    this.chain = new Int32Array(0);
    this.size = 0;
    this.ctx.memory.release(this.reserved);
    this.reserved = 0;
  }

  private grow(): void {
    if (this.borrowed) throw new Error('HashTable: a table over borrowed rows takes no inserts');
    const cap = this.chain.length, target = this.target;
    const next = target > cap ? target : cap * 2;
    this.reserve((next - cap) * ROW_SLOT_BYTES);
    const chain = new Int32Array(next);
    chain.set(this.chain);
    this.chain = chain;
    // A key's id is below the row count: the heads grow with the chain.
    if (next > this.heads.length) this.growHeads(next);
    if (target > cap) {
      // To the known size in one step (appended, the rows would grow in many).
      const rows = new Array<Tuple>(next), r = this.rows;
      for (let i = 0; i < cap; i++) rows[i] = r[i]!;
      this.rows = rows;
    }
  }

  /**
   * Heads for at least `length` ids (and at least twice as many as before), the new ones -1. Their
   * bytes are reserved per key (`SLOT_BYTES` at a key's first row), as when they were a number array.
   */
  private growHeads(length: number): void {
    const old = this.heads;
    const heads = new Int32Array(Math.max(length, old.length * 2));
    heads.set(old);
    heads.fill(-1, old.length);
    this.heads = heads;
  }

  /**
   * Its own count beside the tracker, not a `MemoryReservation`: with a reservation's `grow` once
   * per inserted row, the gate found a 10K-row join stopped at 10 rows 8-10% slower (twice),
   * though the work is the same two calls. Collect-then-reduce aggregation does the same.
   */
  private reserve(bytes: number): void {
    this.ctx.memory.reserve(bytes, this.operator);
    this.reserved += bytes;
  }
}
