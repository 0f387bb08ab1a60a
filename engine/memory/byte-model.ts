/**
 * The byte model: the one place that says how many bytes a buffered value, tuple or buffer slot
 * is estimated to take. The {@link MemoryTracker} counts with it, so its peak is deterministic
 * (the same query on the same data gives the same figure on any machine) and can be compared
 * exactly by the regression gate. It is a model of V8's layout on 64-bit builds with pointer
 * compression off, not a measurement; the harness measures the real heap beside it.
 *
 * - a slot in an array (a reference to a tuple, or one value in a tuple): 8 bytes
 * - a tuple: JSArray object (32) + FixedArray header (16) + 8 per value
 * - a number outside the small-integer range (not an int32) is boxed: +16 (HeapNumber)
 * - a string: 16 byte header + 1 byte per UTF-16 code unit, rounded up to 8 (as if one-byte)
 * - null and booleans: nothing beyond their slot (they are shared oddballs)
 * - a hash-set or hash-map entry: 24 bytes beyond its key (bucket, chain, hash)
 *
 * A buffer is charged for every tuple it retains, even when the tuple object is shared with
 * another buffer: the model answers "what would this buffer keep alive on its own".
 *
 * Sizing a tuple exactly means reading every value, and reading a boxed number or a string means
 * touching memory the query itself never touches (a filter only compares one column; a buffer
 * only stores the tuple reference). Measured, that cost more than the buffering it accounts for.
 * So buffers size tuples with a {@link TupleSizer}: the first 16 tuples exactly, then one tuple
 * in every 64, each charged the running mean of the sized ones. For the same input in the same
 * order the figure is the same on every run and machine, which is what the gate needs.
 */

/** Bytes of one reference slot in an array. */
export const SLOT_BYTES = 8;
/** Fixed bytes of one tuple array, without its values. */
export const TUPLE_BASE_BYTES = 48;
/** Extra bytes for a boxed (non-int32) number. */
export const HEAP_NUMBER_BYTES = 16;
/** Fixed bytes of a string, without its characters. */
export const STRING_BASE_BYTES = 16;
/** Overhead of one entry in a Set or Map, beyond its key. */
export const HASH_ENTRY_BYTES = 24;

/** Estimated bytes of one value held in a tuple slot, excluding the slot itself. */
export function valueBytes(v: unknown): number {
  if (typeof v === 'number') return (v | 0) === v ? 0 : HEAP_NUMBER_BYTES;
  if (typeof v === 'string') return STRING_BASE_BYTES + ((v.length + 7) & ~7);
  return 0;
}

/**
 * Estimated bytes of one tuple: the array, its slots and any boxed values or strings. This runs
 * once per buffered row, so it is written for speed: one pass, no calls, no -0 special case
 * (-0 counts as a small integer).
 */
export function tupleBytes(t: readonly unknown[]): number {
  const n = t.length;
  let bytes = TUPLE_BASE_BYTES + SLOT_BYTES * n;
  for (let i = 0; i < n; i++) {
    const v = t[i];
    if (typeof v === 'number') {
      if ((v | 0) !== v) bytes += HEAP_NUMBER_BYTES;
    } else if (typeof v === 'string') {
      bytes += STRING_BASE_BYTES + ((v.length + 7) & ~7);
    }
  }
  return bytes;
}

/** Estimated bytes of a buffer retaining `t`: its slot in the buffer plus the tuple. */
export function bufferedTupleBytes(t: readonly unknown[]): number {
  return SLOT_BYTES + tupleBytes(t);
}

/** Estimated bytes of one hash-set entry keyed by `key` (a value or an encoded key string). */
export function hashEntryBytes(key: unknown): number {
  return HASH_ENTRY_BYTES + valueBytes(key);
}

/** Tuples a {@link TupleSizer} sizes exactly before it starts sampling. */
const EXACT_PREFIX = 16;
/** After the prefix, one tuple in this many is sized exactly (a power of two). */
const SAMPLE_EVERY = 64;

/**
 * Charges buffered tuples by sampling (see the module comment): exact for the first tuples, then
 * the running mean of every 64th. One per buffer; `charge(t)` is a counter and a compare for most
 * rows.
 */
export class TupleSizer {
  private seen = 0;
  private sampled = 0;
  private sampledBytes = 0;
  private estimate = 0;

  /** Bytes to reserve for buffering `t` (its slot in the buffer plus the tuple). */
  charge(t: readonly unknown[]): number {
    const i = this.seen++;
    if (i < EXACT_PREFIX || (i & (SAMPLE_EVERY - 1)) === 0) {
      const b = bufferedTupleBytes(t);
      this.sampled++;
      this.sampledBytes += b;
      this.estimate = Math.ceil(this.sampledBytes / this.sampled);
      return b;
    }
    return this.estimate;
  }
}