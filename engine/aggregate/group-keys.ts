import { HASH_ENTRY_BYTES, valueBytes } from '../memory/byte-model.js';

/**
 * Group ids for the generated aggregation loop (`compiled-aggregate.ts`), specialised by key type:
 * each key column's values are numbered by a {@link ValueIds} (small integers by a dense table,
 * other numbers in an open-addressing table over typed arrays, anything else in a `Map`), and the columns' numbers are folded pairwise by
 * {@link PairIds} (a dense grid while the two domains are small, an open-addressing table of pairs
 * beyond). A one-column key's group id is its value's number. Ids are dense, in first-seen order.
 *
 * Equality is SameValueZero per value, as everywhere in the engine (`key.ts`): `1`, `'1'`, `true`
 * and `null` are four values; NaN equals itself; -0 equals 0.
 *
 * Measured over 117K one-minute bars grouped by (symbol, hour), before this module: the engine's
 * {@link KeyIds} (a `Map` per column, then a pair table) took 7.1 ms; a `Map` for the strings, the
 * number table for the hours and the dense grid, 4.1 ms (`Map.get` of a heap number: 2.9 ms; the
 * number table: 1.4 ms). Joins keep `KeyIds`: a number table in front of their `Map` of small
 * integers made them 7-17% slower in the gate.
 */

const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);

/** Slot of a number's bits (murmur3's finalizer: a small integer's double has an all-zero low word). */
function numberSlot(v: number, mask: number): number {
  F64[0] = v;
  let h = I32[0]! ^ I32[1]!;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & mask;
}

/** Integers below this are numbered through a dense table (at most 4 MiB of Int32 per column). */
const DENSE_MAX = 1 << 20;

/**
 * Dense numbers for the distinct values of one key column: small non-negative integers through a
 * dense table indexed by the value, other numbers through an open-addressing table of their bits,
 * anything else through a `Map`. The three share one numbering.
 */
export class ValueIds {
  /** Ids of the integers 0..length-1 (-1: not seen), grown by doubling up to {@link DENSE_MAX}. */
  private dense = new Int32Array(0);
  private keys = new Float64Array(16);
  private ids = new Int32Array(16).fill(-1);
  private numbers = 0;
  private readonly others = new Map<unknown, number>();
  size = 0;

  constructor(private readonly reserve: (bytes: number) => void) {}

  /** The number of `v`, a new one for a new value. */
  id(v: unknown): number {
    return typeof v === 'number' && v === v ? this.number(v) : this.other(v);
  }

  /** The number of a number other than NaN. */
  number(v: number): number {
    if ((v | 0) === v && v >= 0) {
      // A small non-negative integer (-0 included): one load from the dense table.
      if (v < this.dense.length) {
        const id = this.dense[v]!;
        if (id >= 0) return id;
      }
      if (v < DENSE_MAX) return this.insertDense(v);
    }
    const keys = this.keys, ids = this.ids, mask = keys.length - 1;
    const k = v + 0; // -0 becomes 0
    for (let h = numberSlot(k, mask); ; h = (h + 1) & mask) {
      const id = ids[h]!;
      if (id < 0) return this.insert(k, h);
      if (keys[h] === k) return id;
    }
  }

  /** The number of any other value (strings, booleans, null, NaN). */
  other(v: unknown): number {
    let id = this.others.get(v);
    if (id === undefined) {
      id = this.size++;
      this.others.set(v, id);
      this.reserve(HASH_ENTRY_BYTES + valueBytes(v));
    }
    return id;
  }

  /** A new small integer `v` (below {@link DENSE_MAX}): the dense table grows to cover it. */
  private insertDense(v: number): number {
    if (v >= this.dense.length) {
      let cap = Math.max(16, this.dense.length * 2);
      while (cap <= v) cap *= 2;
      const next = new Int32Array(cap).fill(-1);
      next.set(this.dense);
      this.reserve((cap - this.dense.length) * 4);
      this.dense = next;
    }
    this.dense[v] = this.size;
    return this.size++;
  }

  private insert(k: number, h: number): number {
    if ((this.numbers + 1) * 2 > this.keys.length) {
      this.grow();
      return this.number(k);
    }
    this.reserve(HASH_ENTRY_BYTES);
    this.keys[h] = k;
    this.ids[h] = this.size;
    this.numbers++;
    return this.size++;
  }

  private grow(): void {
    const { keys, ids } = this;
    const cap = keys.length * 2, mask = cap - 1;
    this.keys = new Float64Array(cap);
    this.ids = new Int32Array(cap).fill(-1);
    for (let i = 0; i < keys.length; i++) {
      if (ids[i]! < 0) continue;
      let h = numberSlot(keys[i]!, mask);
      while (this.ids[h]! >= 0) h = (h + 1) & mask;
      this.keys[h] = keys[i]!;
      this.ids[h] = ids[i]!;
    }
  }
}

/** Cells of a dense grid at most (4 MiB of Int32); past it, pairs go to the hash table. */
const DENSE_MAX_CELLS = 1 << 20;

/**
 * Dense numbers for distinct pairs (a, b) of small non-negative integers. While `rows × 2^shift`
 * cells fit {@link DENSE_MAX_CELLS}, a pair's number is one load from a grid indexed
 * `(a << shift) | b` (grown by doubling, copied); beyond it, an open-addressing table of pairs.
 */
export class PairIds {
  private grid: Int32Array | null = new Int32Array(16 * 16).fill(-1);
  private shift = 4;
  private rows = 16;
  private prefix: Int32Array = new Int32Array(0);
  private value: Int32Array = new Int32Array(0);
  private pid: Int32Array = new Int32Array(0);
  size = 0;

  /** `reserve(bytes)` accounts for every byte held; a negative count hands bytes back. */
  constructor(private readonly reserve: (bytes: number) => void) {
    reserve(this.grid!.length * 4);
  }

  id(a: number, b: number): number {
    const grid = this.grid;
    if (grid !== null && a < this.rows && b < 1 << this.shift) {
      const c = (a << this.shift) | b;
      const id = grid[c]!;
      if (id >= 0) return id;
      grid[c] = this.size;
      return this.size++;
    }
    return this.slow(a, b);
  }

  private slow(a: number, b: number): number {
    if (this.grid !== null) {
      let rows = this.rows, shift = this.shift;
      while (a >= rows) rows *= 2;
      while (b >= 1 << shift) shift++;
      if (rows * 2 ** shift <= DENSE_MAX_CELLS) {
        this.regrid(rows, shift);
        return this.id(a, b);
      }
      this.toTable();
    }
    const mask = this.prefix.length - 1;
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) >>> 0 & mask;
    for (; this.prefix[h] !== -1; h = (h + 1) & mask) {
      if (this.prefix[h] === a && this.value[h] === b) return this.pid[h]!;
    }
    if ((this.size + 1) * 2 > this.prefix.length) {
      this.rehash(this.prefix.length * 2);
      return this.slow(a, b);
    }
    this.reserve(HASH_ENTRY_BYTES);
    this.prefix[h] = a;
    this.value[h] = b;
    this.pid[h] = this.size;
    return this.size++;
  }

  private regrid(rows: number, shift: number): void {
    const old = this.grid!, oldShift = this.shift, next = new Int32Array(rows << shift).fill(-1);
    this.reserve((next.length - old.length) * 4);
    for (let c = 0; c < old.length; c++) {
      if (old[c]! >= 0) next[((c >>> oldShift) << shift) | (c & ((1 << oldShift) - 1))] = old[c]!;
    }
    this.grid = next;
    this.rows = rows;
    this.shift = shift;
  }

  /** Move every pair from the grid to the hash table, for good. */
  private toTable(): void {
    const grid = this.grid!, shift = this.shift, n = this.size;
    this.grid = null;
    this.size = 0;
    this.rehash(2 ** Math.ceil(Math.log2(Math.max(16, 4 * n))));
    const pairs = new Array<[number, number]>(n);
    for (let c = 0; c < grid.length; c++) if (grid[c]! >= 0) pairs[grid[c]!] = [c >>> shift, c & ((1 << shift) - 1)];
    for (const [a, b] of pairs) this.slow(a, b);
    this.reserve(-grid.length * 4); // the grid is handed back
  }

  private rehash(capacity: number): void {
    const { prefix, value, pid } = this;
    this.prefix = new Int32Array(capacity).fill(-1);
    this.value = new Int32Array(capacity);
    this.pid = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < prefix.length; i++) {
      if (prefix[i] === -1) continue;
      let h = (Math.imul(prefix[i]!, 0x9e3779b1) ^ Math.imul(value[i]!, 0x85ebca6b)) >>> 0 & mask;
      while (this.prefix[h] !== -1) h = (h + 1) & mask;
      this.prefix[h] = prefix[i]!;
      this.value[h] = value[i]!;
      this.pid[h] = pid[i]!;
    }
  }
}
