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
  /** Per key position: numbers other than NaN (open addressing over typed arrays), then every other value. */
  private readonly numbers: NumberTable[] = [];
  private readonly values: Map<unknown, number>[] = [];
  private readonly pairs: PairTable[] = [];
  /** Per key position: the next value id (values and numbers share the numbering). */
  private readonly next: number[] = [];
  private count = 0;

  constructor(
    readonly width: number,
    private readonly reserve: (bytes: number) => void = () => {},
  ) {
    for (let i = 0; i < Math.max(1, width); i++) {
      this.numbers.push(new NumberTable());
      this.values.push(new Map());
      this.pairs.push(new PairTable());
      this.next.push(0);
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
    if (n === 1) return this.lookup(0, t[indices[0]!]);
    let id = this.lookup(0, t[indices[0]!]);
    if (id < 0) return -1;
    for (let i = 1; i < n; i++) {
      const v = this.lookup(i, t[indices[i]!]);
      if (v < 0) return -1;
      const p = this.pairs[i]!.find(id, v);
      if (p < 0) return -1;
      id = p;
    }
    return id;
  }

  /** Drop every key (ids start again from 0). */
  clear(): void {
    for (const m of this.values) m.clear();
    for (const m of this.numbers) m.clear();
    for (const m of this.pairs) m.clear();
    this.next.fill(0);
    this.count = 0;
  }

  /** The id of value `v` at key position `pos`, or -1. */
  private lookup(pos: number, v: unknown): number {
    if (inTable(v)) return this.numbers[pos]!.find(v);
    const id = this.values[pos]!.get(v);
    return id === undefined ? -1 : id;
  }

  private single(v: unknown): number {
    let id = this.lookup(0, v);
    if (id < 0) {
      id = this.count++;
      this.add(0, v, id);
    }
    return id;
  }

  /** Small integer for value `v` in key position `pos` (per-position numbering). */
  private intern(pos: number, v: unknown): number {
    let id = this.lookup(pos, v);
    if (id < 0) {
      id = this.next[pos]!;
      if (id >= PAIR_BASE) throw new RangeError(`more than ${PAIR_BASE} distinct values in one key column`);
      this.next[pos] = id + 1;
      this.add(pos, v, id);
    }
    return id;
  }

  private add(pos: number, v: unknown, id: number): void {
    if (inTable(v)) this.numbers[pos]!.insert(v, id);
    else this.values[pos]!.set(v, id);
    this.reserve(HASH_ENTRY_BYTES + valueBytes(v));
  }
}

/**
 * Numbers a Map keys slowly: those outside the 32-bit integers (a timestamp, a price), which V8
 * keeps as heap objects. A Map on a small integer is as fast as any table here (the gate measured
 * a typed table 8-16% slower on joins over integer keys), so those stay in the Map; so do NaN and
 * -0 (SameValueZero is the Map's own).
 */
function inTable(v: unknown): v is number {
  return typeof v === 'number' && (v | 0) !== v && v === v;
}

/**
 * Ids of numbers outside the 32-bit integers (see {@link inTable}): open addressing with linear probing over typed arrays, hashed
 * from the number's bits. A `Map` hashes and compares a number key through generic code, and a
 * number past the small-integer range (a timestamp, a price) is a heap object it must read:
 * interning the hour of 117K minute bars took 3.4 ms through a Map, 1.6 ms here (reading the
 * values alone: 0.9 ms). NaN and -0 never come here.
 */
class NumberTable {
  /** Scratch views of one number's bits, for the hash. */
  private readonly bits = new Float64Array(1);
  private readonly words = new Int32Array(this.bits.buffer);
  private keys = new Float64Array(16);
  private ids = new Int32Array(16).fill(-1);
  private size = 0;

  private slot(v: number, mask: number): number {
    this.bits[0] = v;
    // murmur3's finalizer over both words: a small integer's double has all-zero low bits in both
    // words, and a plain multiply then put every one in the same slot.
    let h = this.words[0]! ^ Math.imul(this.words[1]!, 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0) & mask;
  }

  find(v: number): number {
    const keys = this.keys, ids = this.ids, mask = ids.length - 1;
    for (let h = this.slot(v, mask); ids[h] !== -1; h = (h + 1) & mask) if (keys[h] === v) return ids[h]!;
    return -1;
  }

  /** Add `v` → `id`; `v` must not be present. */
  insert(v: number, id: number): void {
    if ((this.size + 1) * 2 > this.ids.length) this.rehash(this.ids.length * 2);
    const ids = this.ids, mask = ids.length - 1;
    let h = this.slot(v, mask);
    while (ids[h] !== -1) h = (h + 1) & mask;
    this.keys[h] = v;
    ids[h] = id;
    this.size++;
  }

  clear(): void {
    this.keys = new Float64Array(16);
    this.ids = new Int32Array(16).fill(-1);
    this.size = 0;
  }

  private rehash(capacity: number): void {
    const { keys, ids } = this;
    this.keys = new Float64Array(capacity);
    this.ids = new Int32Array(capacity).fill(-1);
    this.size = 0;
    for (let h = 0; h < ids.length; h++) if (ids[h] !== -1) this.insert(keys[h]!, ids[h]!);
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
  private prefix = new Int32Array(16).fill(-1);
  private value = new Int32Array(16);
  private id = new Int32Array(16);
  size = 0;

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
    this.prefix = new Int32Array(16).fill(-1);
    this.value = new Int32Array(16);
    this.id = new Int32Array(16);
    this.size = 0;
  }

  private rehash(capacity: number): void {
    const { prefix, value, id } = this;
    this.prefix = new Int32Array(capacity).fill(-1);
    this.value = new Int32Array(capacity);
    this.id = new Int32Array(capacity);
    this.size = 0;
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
