import type { ExecutionContext } from '../context.js';
import { RelationConsumedError } from '../errors.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { TupleBuffer } from '../buffers/tuple-buffer.js';

/**
 * A cursor over a {@link TupleBuffer}: an iterator that can `peek()` without consuming and
 * `clone()` into an independent cursor over the same shared buffer.
 *
 * This is what makes a non-consuming `isEmpty()` possible on a single-pass source: peek one
 * tuple, keep it in the buffer, and hand the same cursor to the first real reader. Clones start
 * at the position of the cursor they were cloned from and then move independently; the buffer
 * holds the tuples between the slowest and the fastest cursor. When the last cursor closes,
 * `onLastClose` decides what happens to the buffer (by default: free it and close the source).
 */
export class BufferedIterator implements TupleIterator {
  private closed = false;

  constructor(
    private readonly buffer: TupleBuffer,
    /** Absolute position of the next tuple this cursor returns. */
    private pos = buffer.base,
    private readonly onLastClose: (b: TupleBuffer) => void = (b) => b.free(),
  ) {
    buffer.readers++;
  }

  /** A buffered iterator over `source` that frees its buffer when its last cursor closes. */
  static over(source: TupleIterator, ctx: ExecutionContext, operator = 'buffered iterator'): BufferedIterator {
    return new BufferedIterator(new TupleBuffer(source, false, ctx, operator));
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    const b = this.buffer;
    const k = this.pos - b.base;
    if (k < b.rows.length) {
      const t = b.rows[k]!;
      this.pos++;
      if (b.readers === 1 && !b.retain) b.dropBefore(this.pos);
      return t;
    }
    if (b.done) return undefined;
    let t: Tuple | undefined;
    if (b.readers === 1 && !b.retain) {
      // Sole reader at the end: drop what the others left behind and pass tuples straight through.
      b.dropBefore(this.pos);
      t = b.pullThrough();
    } else {
      t = b.pull();
    }
    if (t !== undefined) this.pos++;
    return t;
  }

  /** The tuple the next `next()` will return, without consuming it; `undefined` at the end. */
  peek(): Tuple | undefined {
    if (this.closed) return undefined;
    const b = this.buffer;
    const k = this.pos - b.base;
    if (k < b.rows.length) return b.rows[k];
    return b.done ? undefined : b.pull();
  }

  /** An independent cursor at this cursor's position over the same buffer. */
  clone(): BufferedIterator {
    if (this.closed) throw new RelationConsumedError('cannot clone a buffered iterator after it was closed');
    return new BufferedIterator(this.buffer, this.pos, this.onLastClose);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const b = this.buffer;
    if (--b.readers === 0) this.onLastClose(b);
  }
}
