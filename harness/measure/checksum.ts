import type { Tuple } from '../../engine/index.js';

/**
 * An order-independent checksum of a bag of tuples: the sum (mod 2^32) of a 32-bit FNV-1a hash of
 * each tuple's canonical text. Equal bags give equal checksums whatever their order; engines that
 * disagree on any row almost surely differ. Numbers are rounded to 12 significant digits, so a
 * float sum accumulated in another order still agrees.
 */
export class BagChecksum {
  rows = 0;
  private sum = 0;

  add(t: Tuple): void {
    this.rows++;
    this.sum = (this.sum + hashTuple(t)) >>> 0;
  }

  /** The checksum as 8 hex digits. */
  get value(): string {
    return this.sum.toString(16).padStart(8, '0');
  }
}

function hashTuple(t: Tuple): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)))) : v === null ? '\u0000null' : typeof v === 'string' ? `"${v}` : String(v);
    for (let k = 0; k < s.length; k++) {
      h ^= s.charCodeAt(k);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
