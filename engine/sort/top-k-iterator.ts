import type { ExecutionContext } from '../context.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { bufferedTupleBytes } from '../memory/byte-model.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * `orderBy(keys).limit(k)` in bounded memory: one pass keeping the k smallest rows in a binary
 * max-heap (the largest kept row on top, evicted when a smaller one arrives). Ties are broken by
 * arrival order, so the result equals a stable sort followed by limit. Only k rows are ever
 * reserved. The first `next()` reads the input; the kept rows are then emitted in order.
 */
export class TopKIterator implements TupleIterator {
  private out: Tuple[] | null = null;
  private pos = 0;
  private readonly mem: MemoryReservation;
  private closed = false;

  constructor(
    private readonly input: TupleIterator,
    private readonly compare: (a: Tuple, b: Tuple) => number,
    private readonly k: number,
    ctx: ExecutionContext,
  ) {
    this.mem = ctx.memory.reservation('streaming top-k (orderBy + limit)');
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    const out = (this.out ??= this.select());
    if (this.pos < out.length) return out[this.pos++];
    this.close();
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out = null;
    this.mem.free();
    this.input.close();
  }

  private select(): Tuple[] {
    const k = this.k;
    const heap: Tuple[] = [];
    const seq: number[] = [];
    const cmp = this.compare;
    // Order by (key, arrival): a row "beats" another when it sorts before it.
    const after = (i: number, j: number) => {
      const c = cmp(heap[i]!, heap[j]!);
      return c > 0 || (c === 0 && seq[i]! > seq[j]!);
    };
    const swap = (i: number, j: number) => {
      const t = heap[i]!; heap[i] = heap[j]!; heap[j] = t;
      const s = seq[i]!; seq[i] = seq[j]!; seq[j] = s;
    };
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && after(l, m)) m = l;
        if (r < heap.length && after(r, m)) m = r;
        if (m === i) return;
        swap(i, m);
        i = m;
      }
    };
    const src = this.input;
    let n = 0;
    if (k > 0) {
      for (let t = src.next(); t !== undefined; t = src.next(), n++) {
        if (heap.length < k) {
          const bytes = bufferedTupleBytes(t);
          this.mem.grow(bytes);
          heap.push(t);
          seq.push(n);
          for (let i = heap.length - 1; i > 0; ) {
            const p = (i - 1) >> 1;
            if (!after(i, p)) break;
            swap(i, p);
            i = p;
          }
        } else if (cmp(t, heap[0]!) < 0) {
          // Strictly smaller than the largest kept row (a tie arrived later, so it loses).
          const bytes = bufferedTupleBytes(t) - bufferedTupleBytes(heap[0]!);
          this.mem.resize(bytes);
          heap[0] = t;
          seq[0] = n;
          siftDown(0);
        }
      }
    }
    src.close();
    const order = heap.map((_, i) => i).sort((i, j) => cmp(heap[i]!, heap[j]!) || seq[i]! - seq[j]!);
    return order.map((i) => heap[i]!);
  }
}
