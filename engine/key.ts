import type { Tuple, Value } from './types.js';

/**
 * Hash keys for distinct, joins and grouping.
 *
 * A single value is used as a Map/Set key directly: JavaScript's SameValueZero already keeps
 * `1`, `'1'`, `true` and `null` apart, treats `NaN` as equal to itself and `-0` as `0`.
 * Several values are encoded into one string, so a composite key costs one string per row
 * and no array. The encoding is injective: each value carries a type tag, and strings carry
 * their length, so no separator inside a string can make two different keys collide.
 */
export type Key = Value;

/** Append the encoding of one value to `acc`. */
function encodeValue(acc: string, v: Value): string {
  switch (typeof v) {
    case 'number': return acc + 'n' + (v === 0 ? '0' : String(v)) + ';';
    case 'string': return acc + 's' + v.length + ':' + v;
    case 'boolean': return acc + (v ? 'T' : 'F');
    default: return acc + 'N';
  }
}

/** Encode the whole tuple into one key. */
export function tupleKey(t: Tuple): Key {
  if (t.length === 1) return t[0]!;
  let k = '';
  for (let i = 0; i < t.length; i++) k = encodeValue(k, t[i]!);
  return k;
}

/**
 * A key function over the given column indices: the value itself for one column, an encoded
 * string for several. Built once per operator, so the per-row work is a loop with no allocation
 * beyond the key string.
 */
export function keyFunction(indices: readonly number[]): (t: Tuple) => Key {
  if (indices.length === 1) {
    const i = indices[0]!;
    return (t) => t[i]!;
  }
  if (indices.length === 2) {
    const [i, j] = indices as [number, number];
    return (t) => encodeValue(encodeValue('', t[i]!), t[j]!);
  }
  return (t) => {
    let k = '';
    for (let x = 0; x < indices.length; x++) k = encodeValue(k, t[indices[x]!]!);
    return k;
  };
}

/** True when any of the key columns is null (null keys never match in joins). */
export function hasNullAt(t: Tuple, indices: readonly number[]): boolean {
  for (let x = 0; x < indices.length; x++) if (t[indices[x]!] === null) return true;
  return false;
}
