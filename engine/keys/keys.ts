import { ExecutionError } from '../errors.js';
import { HASH_ENTRY_BYTES, valueBytes } from '../memory/byte-model.js';
import type { Tuple } from '../types.js';

/**
 * Dense ids for distinct key tuples: the one hashing structure behind distinct, hash joins,
 * semi/anti joins and grouping.
 *
 * `id(t, indices)` returns 0, 1, 2, … for each new combination of the values at `indices`, and
 * the same id for the same combination again; `find` returns the id or -1 without adding one.
 * Consumers then keep their per-key state in plain arrays indexed by id.
 *
 * Equality is JavaScript's SameValueZero per value: `1`, `'1'`, `true` and `null` are four
 * different values; `NaN` equals itself; `-0` equals `0`.
 *
 * A one-column key is a single Map lookup on the value itself. A wider key never builds a string
 * or an array per row (measured: building a composite string key, with its number-to-string
 * conversions, was most of the cost of grouping by two columns): each column's values are interned
 * to small integers, and the ids are folded pairwise, `pair(prefixId, valueId)`, through one Map
 * per position keyed by the number `prefixId · 2^26 + valueId`. Every new entry is reported to
 * `reserve` so its owner can account for it.
 */
export class KeyIds {
  private readonly values: Map<unknown, number>[] = [];
  private readonly pairs: PairTable[] = [];
  private count = 0;

  constructor(
    readonly width: number,
    private readonly reserve: (bytes: number) => void = () => {},
  ) {
    for (let i = 0; i < Math.max(1, width); i++) {
      this.values.push(new Map());
      this.pairs.push(new PairTable());
    }
  }

  /** Number of distinct keys seen. */
  get size(): number {
    return this.count;
  }

  /** The id of the key at `indices` of `t`, assigning the next id to a new key. */
  id(t: Tuple, indices: readonly number[]): number {
    const n = indices.length;
    if (n === 0) return this.single(0);
    if (n === 1) return this.single(t[indices[0]!]);
    let id = this.intern(0, t[indices[0]!]);
    for (let i = 1; i < n; i++) {
      const v = this.intern(i, t[indices[i]!]);
      const pairs = this.pairs[i]!;
      let p = pairs.find(id, v);
      if (p < 0) {
        p = i === n - 1 ? this.count++ : pairs.size;
        pairs.insert(id, v, p);
        this.reserve(HASH_ENTRY_BYTES);
      }
      id = p;
    }
    return id;
  }

  /** The id of the key at `indices` of `t`, or -1 if that key was never seen. */
  find(t: Tuple, indices: readonly number[]): number {
    const n = indices.length;
    if (n === 0) return this.count > 0 ? 0 : -1;
    if (n === 1) {
      const id = this.values[0]!.get(t[indices[0]!]);
      return id === undefined ? -1 : id;
    }
    let id = this.values[0]!.get(t[indices[0]!]);
    if (id === undefined) return -1;
    for (let i = 1; i < n; i++) {
      const v = this.values[i]!.get(t[indices[i]!]);
      if (v === undefined) return -1;
      const p = this.pairs[i]!.find(id, v);
      if (p < 0) return -1;
      id = p;
    }
    return id;
  }

  /** Drop every key (ids start again from 0). */
  clear(): void {
    for (const m of this.values) m.clear();
    for (const m of this.pairs) m.clear();
    this.count = 0;
  }

  private single(v: unknown): number {
    const m = this.values[0]!;
    let id = m.get(v);
    if (id === undefined) {
      id = this.count++;
      m.set(v, id);
      this.reserve(HASH_ENTRY_BYTES + valueBytes(v));
    }
    return id;
  }

  /** Small integer for value `v` in key position `pos` (per-position numbering). */
  private intern(pos: number, v: unknown): number {
    const m = this.values[pos]!;
    let id = m.get(v);
    if (id === undefined) {
      id = m.size;
      if (id >= PAIR_BASE) throw new ExecutionError(`a key of ${this.width} columns has more than ${PAIR_BASE} distinct values in its column ${pos + 1} (the most a multi-column key can number)`);
      m.set(v, id);
      this.reserve(HASH_ENTRY_BYTES + valueBytes(v));
    }
    return id;
  }
}

/** Ids per position stay below 2^26 (a key column with more distinct values is refused). */
const PAIR_BASE = 2 ** 26;

/**
 * A map from a pair of small integers (a prefix id and a value id) to an id: open addressing with
 * linear probing over typed arrays. It replaced a `Map` keyed by `prefix · 2^26 + value`, a
 * number past the small-integer range once the prefix reached 16, so that every lookup boxed a
 * heap number and hashed it (grouping 117K rows by two columns: 11.0 ms, of which the pair maps
 * were most).
 */
class PairTable {
  private prefix!: Int32Array;
  private value!: Int32Array;
  private id!: Int32Array;
  size = 0;

  constructor() {
    this.clear();
  }

  private slot(a: number, b: number, mask: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) >>> 0 & mask;
  }

  /** The id of (a, b), or -1. */
  find(a: number, b: number): number {
    const prefix = this.prefix, value = this.value, mask = prefix.length - 1;
    for (let h = this.slot(a, b, mask); prefix[h] !== -1; h = (h + 1) & mask) {
      if (prefix[h] === a && value[h] === b) return this.id[h]!;
    }
    return -1;
  }

  /** Add (a, b) → id; (a, b) must not be present. */
  insert(a: number, b: number, id: number): void {
    if ((this.size + 1) * 2 > this.prefix.length) this.rehash(this.prefix.length * 2);
    const prefix = this.prefix, mask = prefix.length - 1;
    let h = this.slot(a, b, mask);
    while (prefix[h] !== -1) h = (h + 1) & mask;
    prefix[h] = a;
    this.value[h] = b;
    this.id[h] = id;
    this.size++;
  }

  clear(): void {
    this.allocate(16);
  }

  /** Empty slots for `capacity` entries (a power of two). */
  private allocate(capacity: number): void {
    this.prefix = new Int32Array(capacity).fill(-1);
    this.value = new Int32Array(capacity);
    this.id = new Int32Array(capacity);
    this.size = 0;
  }

  private rehash(capacity: number): void {
    const { prefix, value, id } = this;
    this.allocate(capacity);
    for (let h = 0; h < prefix.length; h++) if (prefix[h] !== -1) this.insert(prefix[h]!, value[h]!, id[h]!);
  }
}

/** Indices 0..n-1 (for keys over a whole tuple). */
export function allIndices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** True when any of the key columns is null (null keys never match in joins). */
export function hasNullAt(t: Tuple, indices: readonly number[]): boolean {
  for (let x = 0; x < indices.length; x++) if (t[indices[x]!] === null) return true;
  return false;
}

/**
 * Key numbering specialised by type, for the generated aggregation loop (`compiled-aggregate.ts`)
 * and the hash joins' one-column keys (`join/hash-table.ts`, `join/symmetric-hash-join-iterator.ts`):
 * each key column's values are numbered by a {@link ValueIds} (small integers by a dense table,
 * other numbers in an open-addressing table over typed arrays, anything else in a `Map`), and the
 * columns' numbers are folded pairwise by {@link PairIds} (a dense grid while the two domains are
 * small, a {@link PairTable} beyond). A one-column key's group id is its value's number. Ids are dense, in first-seen order.
 *
 * Equality is SameValueZero per value, as in {@link KeyIds}: `1`, `'1'`, `true`
 * and `null` are four values; NaN equals itself; -0 equals 0.
 *
 * Measured over 117K one-minute bars grouped by (symbol, hour), before this module: the engine's
 * {@link KeyIds} (a `Map` per column, then a pair table) took 7.1 ms; a `Map` for the strings, the
 * number table for the hours and the dense grid, 4.1 ms (`Map.get` of a heap number: 2.9 ms; the
 * number table: 1.4 ms). Semi/anti joins, distinct, collect-then-reduce grouping and wider join keys
 * keep `KeyIds`: in front of their `Map`, a number table made joins on small integers 7-17% slower
 * in the gate, and `ValueIds` made small queries 7-33% slower (measured before a dense table's
 * misses stopped costing a `Map` lookup).
 */

const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);

/** Slot of a number's bits (murmur3's finalizer mixes both words of the double). */
function numberSlot(v: number, mask: number): number {
  F64[0] = v;
  let h = I32[0]! ^ I32[1]!;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & mask;
}

/**
 * Values a hash join's key column numbers through its Map before small integers go to a dense
 * table (`HashTable`): a small key set costs the Map no more, and the table's set-up would be
 * most of a small query's extra cost. The generated aggregation uses the dense table from the
 * first value: 100 integer groups over 1M rows took 14 ms with it, 38 ms through the Map.
 */
export const DENSE_FROM = 256;

const EMPTY_IDS = new Int32Array(0);
const EMPTY_KEYS = new Float64Array(0);

/** Integers below this may be numbered through a dense table (at most 4 MiB of Int32 per column). */
const DENSE_MAX = 1 << 20;

/**
 * Dense numbers for the distinct values of one key column: small non-negative integers through a
 * dense table indexed by the value, numbers other than int32s through an open-addressing table of
 * their bits (with `hashNumbers`), anything else (int32s the dense table does not cover included)
 * through a `Map`; they share one numbering, in first-seen order. The dense table is used from the
 * `denseFrom`th value on, and covers an integer only while it stays dense (below 4 x (values seen
 * + 64)): keys spread thinly over a wide range stay in the Map, so a few large keys never cost
 * megabytes. Every integer the dense table reaches is in it: when it grows over integers numbered
 * in the Map before, their numbers are copied in. So a miss in its reach is a new value, with no
 * Map lookup (a 100K-key join's build side did one failed `Map.get` per row before).
 *
 * Memory: the dense table's bytes as it grows, and per value elsewhere a hash entry and the
 * value's bytes, reported to `reserve`.
 */
export class ValueIds {
  /**
   * Ids of the integers 0..length-1 (-1: not seen, so new: every integer it reaches is in it). The
   * generated aggregation reads it directly, and reloads it after any call that may grow it.
   */
  dense = EMPTY_IDS;
  /** The hashed numbers (allocated at the first one: many columns never need them). */
  private keys = EMPTY_KEYS;
  private ids = EMPTY_IDS;
  private hashed = 0;
  private readonly others = new Map<unknown, number>();
  /** Non-negative int32s below {@link DENSE_MAX} numbered in the Map and not yet in the dense table's reach. */
  private mapped: number[] = [];
  /** The least of {@link mapped} ({@link DENSE_MAX} when empty): a growth short of it takes none. */
  private mappedMin = DENSE_MAX;
  size = 0;

  /**
   * `hashNumbers`: numbers other than int32s in the typed table (the generated aggregation, whose
   * group keys are often timestamps); off, they go to the Map like any other value (a hash join's
   * keys, rarely fractions). `denseFrom`: see {@link DENSE_FROM}. `expected`: how many values the
   * owner expects (a hash join's build side, when its size is known): the dense table may cover
   * integers below 4 x that from the first value, instead of growing its reach with the values seen.
   */
  constructor(private readonly reserve: (bytes: number) => void, private readonly hashNumbers = true, private readonly denseFrom = 0, private readonly expected = 0) {}

  /** The number of `v`, a new one for a new value. */
  id(v: unknown): number {
    return typeof v === 'number' && v === v ? this.number(v) : this.other(v);
  }

  /** The number of `v`, or -1 if it was never numbered. */
  find(v: unknown): number {
    if (typeof v === 'number' && (v | 0) === v && v >= 0 && v < this.dense.length) return this.dense[v]!;
    if (typeof v !== 'number' || v !== v || (v | 0) === v || !this.hashNumbers) {
      const id = this.others.get(v);
      return id === undefined ? -1 : id;
    }
    if (this.hashed === 0) return -1;
    const keys = this.keys, ids = this.ids, mask = keys.length - 1;
    for (let h = numberSlot(v, mask); ; h = (h + 1) & mask) {
      const id = ids[h]!;
      if (id < 0 || keys[h] === v) return id;
    }
  }

  /** The number of a number other than NaN. */
  number(v: number): number {
    if ((v | 0) === v) {
      // An int32 (-0 included): the dense table, where every integer it reaches is (a miss is a
      // new value), else the Map (V8's Map is fast on small integers) unless the table may grow to reach it.
      if (v >= 0 && v < this.dense.length) {
        const id = this.dense[v]!;
        return id >= 0 ? id : this.insertDense(v);
      }
      const id = this.others.get(v);
      if (id !== undefined) return id;
      return v >= 0 && v < DENSE_MAX && this.size >= this.denseFrom && v < 4 * (Math.max(this.size, this.expected) + 64) ? this.insertDense(v) : this.insertOther(v);
    }
    // Any other number (fractions, large integers, infinities): hashed by its bits, where a Map
    // would hash a heap number (2x slower, measured on timestamps).
    if (!this.hashNumbers) return this.other(v);
    const keys = this.keys, ids = this.ids, mask = keys.length - 1;
    if (this.hashed > 0) {
      for (let h = numberSlot(v, mask); ; h = (h + 1) & mask) {
        const id = ids[h]!;
        if (id < 0) break;
        if (keys[h] === v) return id;
      }
    }
    return this.insert(v);
  }

  /** Forget every value (numbers start again from 0). */
  clear(): void {
    this.dense = EMPTY_IDS;
    this.keys = EMPTY_KEYS;
    this.ids = EMPTY_IDS;
    this.hashed = 0;
    this.others.clear();
    this.mapped = [];
    this.mappedMin = DENSE_MAX;
    this.size = 0;
  }

  /** The number of any other value (strings, booleans, null, NaN; int32s the dense table does not reach). */
  other(v: unknown): number {
    const id = this.others.get(v);
    return id === undefined ? this.insertOther(v) : id;
  }

  /** Number a new value in the Map (a non-negative int32 is remembered for the dense table). */
  private insertOther(v: unknown): number {
    const id = this.size++;
    this.others.set(v, id);
    this.reserve(HASH_ENTRY_BYTES + valueBytes(v));
    if (typeof v === 'number' && (v | 0) === v && v >= 0 && v < DENSE_MAX) {
      this.mapped.push(v);
      if (v < this.mappedMin) this.mappedMin = v;
    }
    return id;
  }

  /**
   * A new small integer `v`: the dense table grows (doubling) to cover it, taking in the numbers
   * of the integers it now reaches that were numbered in the Map.
   */
  private insertDense(v: number): number {
    if (v >= this.dense.length) this.growDense(v);
    this.dense[v] = this.size;
    return this.size++;
  }

  /**
   * Double the dense table until it reaches `v`, and copy in the numbers of the Map integers it
   * now reaches (they stay in the Map too). Kept out of the insert: the generated aggregation's
   * loop inlines the lookup, and a bigger insert made the 10K-row group-by 15-28% slower.
   */
  private growDense(v: number): void {
    let cap = Math.max(16, this.dense.length * 2);
    while (cap <= v) cap *= 2;
    const next = new Int32Array(cap).fill(-1);
    next.set(this.dense);
    this.reserve((cap - this.dense.length) * 4);
    this.dense = next;
    if (cap <= this.mappedMin) return;
    // Compact in place, keeping the integers still out of reach and their least.
    const mapped = this.mapped;
    let n = 0, min = DENSE_MAX;
    for (let i = 0; i < mapped.length; i++) {
      const k = mapped[i]!;
      if (k < cap) this.dense[k] = this.others.get(k)!;
      else {
        mapped[n++] = k;
        if (k < min) min = k;
      }
    }
    mapped.length = n;
    this.mappedMin = min;
  }

  private insert(k: number): number {
    if ((this.hashed + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let h = numberSlot(k, mask);
    while (this.ids[h]! >= 0) h = (h + 1) & mask;
    this.reserve(HASH_ENTRY_BYTES + valueBytes(k));
    this.keys[h] = k;
    this.ids[h] = this.size;
    this.hashed++;
    return this.size++;
  }

  private grow(): void {
    const { keys, ids } = this;
    const cap = Math.max(16, keys.length * 2), mask = cap - 1;
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
  /** The pairs once the grid is given up ({@link PairTable}, as `KeyIds` folds its columns). */
  private table: PairTable | null = null;
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
    const table = this.table!;
    const p = table.find(a, b);
    return p >= 0 ? p : this.insert(table, a, b);
  }

  private insert(table: PairTable, a: number, b: number): number {
    this.reserve(HASH_ENTRY_BYTES);
    table.insert(a, b, this.size);
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

  /** Move every pair from the grid to the hash table, for good, keeping their numbers. */
  private toTable(): void {
    const grid = this.grid!, shift = this.shift, n = this.size;
    const table = (this.table = new PairTable());
    this.grid = null;
    this.size = 0;
    const pairs = new Array<[number, number]>(n);
    for (let c = 0; c < grid.length; c++) if (grid[c]! >= 0) pairs[grid[c]!] = [c >>> shift, c & ((1 << shift) - 1)];
    for (const [a, b] of pairs) this.insert(table, a, b);
    this.reserve(-grid.length * 4); // the grid is handed back
  }
}
