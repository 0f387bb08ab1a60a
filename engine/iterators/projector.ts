import type { Tuple, Value } from '../types.js';

/**
 * Build the per-row projection for `indices`, shared by both engines. Small widths get an
 * array literal (V8 allocates it pre-sized and packed); wider ones fill a pre-sized array.
 */
export function projector(indices: readonly number[]): (t: Tuple) => Tuple {
  const n = indices.length;
  switch (n) {
    case 0: return () => [];
    case 1: { const a = indices[0]!; return (t) => [t[a]!]; }
    case 2: { const [a, b] = indices as [number, number]; return (t) => [t[a]!, t[b]!]; }
    case 3: { const [a, b, c] = indices as [number, number, number]; return (t) => [t[a]!, t[b]!, t[c]!]; }
    case 4: { const [a, b, c, d] = indices as [number, number, number, number]; return (t) => [t[a]!, t[b]!, t[c]!, t[d]!]; }
    default: {
      const idx = Int32Array.from(indices);
      return (t) => {
        const out = new Array<Value>(n);
        for (let k = 0; k < n; k++) out[k] = t[idx[k]!]!;
        return out;
      };
    }
  }
}

/** Build the per-row "append one computed value" step, shared by both engines. */
export function extender(width: number, value: (t: Tuple) => Value): (t: Tuple) => Tuple {
  switch (width) {
    case 1: return (t) => [t[0]!, value(t)];
    case 2: return (t) => [t[0]!, t[1]!, value(t)];
    case 3: return (t) => [t[0]!, t[1]!, t[2]!, value(t)];
    default:
      return (t) => {
        const out = new Array<Value>(width + 1);
        for (let k = 0; k < width; k++) out[k] = t[k]!;
        out[width] = value(t);
        return out;
      };
  }
}
