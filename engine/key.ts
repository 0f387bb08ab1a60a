import { HASH_ENTRY_BYTES, valueBytes } from './memory/byte-model.js';
import type { Tuple } from './types.js';

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
      if (id >= PAIR_BASE) throw new RangeError(`more than ${PAIR_BASE} distinct values in one key column`);
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
