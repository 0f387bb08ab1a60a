import type { ExecutionContext } from '../context.js';
import { hasNullAt, keyFunction, type Key } from '../key.js';
import { TupleSizer, hashEntryBytes, SLOT_BYTES } from '../memory/byte-model.js';
import type { Tuple } from '../types.js';

/** Bytes per row slot of the table's own arrays: a row reference and a 4-byte chain link. */
const ROW_SLOT_BYTES = SLOT_BYTES + 4;

/**
 * A multimap from join key to rows, built for probing. Rows live in one array; each key maps to
 * the index of its most recent row, and `chain[i]` links row i to the previous row with the same
 * key (-1 ends the chain). A key with many rows costs no per-key array, and a probe walks the
 * chain with no allocation:
 *
 * ```ts
 * for (let j = table.head(key); j >= 0; j = table.chain[j]) use(table.rows[j]);
 * ```
 *
 * The row and chain arrays are pre-sized to `capacity` (the build side's known size, else the
 * `hashTableInitialSize` option) and doubled when full; JavaScript's Map cannot be pre-sized.
 * Rows with a null key column are never inserted (null keys never match). The arrays, every
 * retained row and every distinct key are reserved from the memory tracker; `free()` releases all.
 */
export class HashTable {
  rows: Tuple[];
  chain: Int32Array;
  /** Rows inserted. */
  size = 0;
  private readonly heads = new Map<Key, number>();
  private readonly keyOf: (t: Tuple) => Key;
  private reserved = 0;
  private readonly sizer = new TupleSizer();

  constructor(
    private readonly keyIndices: readonly number[],
    private readonly ctx: ExecutionContext,
    private readonly operator: string,
    capacity: number = ctx.options.hashTableInitialSize,
  ) {
    this.keyOf = keyFunction(keyIndices);
    const cap = Math.max(1, capacity);
    this.reserve(cap * ROW_SLOT_BYTES);
    this.rows = new Array<Tuple>(cap);
    this.chain = new Int32Array(cap);
  }

  /** Insert a row; a row with a null key column is skipped. */
  insert(t: Tuple): void {
    if (hasNullAt(t, this.keyIndices)) return;
    const k = this.keyOf(t);
    const prev = this.heads.get(k);
    this.reserve(prev === undefined ? this.sizer.charge(t) + hashEntryBytes(k) : this.sizer.charge(t));
    const i = this.size;
    if (i === this.chain.length) this.grow();
    this.rows[i] = t;
    this.chain[i] = prev === undefined ? -1 : prev;
    this.heads.set(k, i);
    this.size = i + 1;
  }

  /** Index of the newest row with key `k`, or -1. Follow `chain` for the others. */
  head(k: Key): number {
    const i = this.heads.get(k);
    return i === undefined ? -1 : i;
  }

  /** Whether any row has key `k`. */
  has(k: Key): boolean {
    return this.heads.has(k);
  }

  /** Drop everything and release the reservation. Idempotent. */
  free(): void {
    this.heads.clear();
    this.rows = [];
    this.chain = new Int32Array(0);
    this.size = 0;
    this.ctx.memory.release(this.reserved);
    this.reserved = 0;
  }

  private grow(): void {
    const cap = this.chain.length;
    this.reserve(cap * ROW_SLOT_BYTES);
    const chain = new Int32Array(cap * 2);
    chain.set(this.chain);
    this.chain = chain;
    this.rows.length = cap * 2;
  }

  private reserve(bytes: number): void {
    this.ctx.memory.reserve(bytes, this.operator);
    this.reserved += bytes;
  }
}
