import type { ExecutionContext } from '../context.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';

/**
 * A buffer over one source iterator, shared by several cursors (`BufferedIterator`s) that read
 * it independently. Tuples are pulled from the source only when the fastest cursor needs one.
 *
 * - `retain = false` (peek and clone): the buffer keeps only what some cursor has yet to read;
 *   with a single cursor at the end of the buffer, tuples pass straight through, unbuffered.
 * - `retain = true` (the lazy materialization cache): every tuple is kept for later replays.
 *
 * Every buffered tuple is reserved from the memory tracker; everything is released by `free()`.
 * The source is closed as soon as it is exhausted, or by `free()`.
 */
export class TupleBuffer {
  /** Buffered tuples; `rows[k]` is the tuple at absolute position `base + k`. */
  rows: Tuple[] = [];
  /** Absolute position of `rows[0]`. Grows when a non-retaining buffer drops a read prefix. */
  base = 0;
  /** The source has been read to the end (and closed). */
  done = false;
  /** Live cursors. */
  readers = 0;
  /** What the source threw, if it threw; the buffer is then unusable for replay. */
  sourceError: unknown = undefined;
  private source: TupleIterator | null;
  private readonly mem: MemoryReservation;
  private readonly sizer = new TupleSizer();

  constructor(
    source: TupleIterator,
    readonly retain: boolean,
    ctx: ExecutionContext,
    /** Named in `ResourcesExhaustedError`. */
    readonly operator: string,
  ) {
    this.source = source;
    this.mem = ctx.memory.reservation(operator);
  }

  /** Bytes this buffer holds reserved now. */
  get reserved(): number {
    return this.mem.bytes;
  }

  /**
   * Pull one more tuple from the source into the buffer; `undefined` once the source is done.
   * After the source threw, every cursor gets that error again, never a silent end.
   */
  pull(): Tuple | undefined {
    const src = this.source;
    if (src === null) return this.ended();
    const t = this.read(src);
    if (t === undefined) {
      this.finishSource();
      return undefined;
    }
    this.mem.grow(this.sizer.charge(t));
    this.rows.push(t);
    return t;
  }

  /** Pull one tuple straight through, without buffering it (single reader at the buffer's end). */
  pullThrough(): Tuple | undefined {
    const src = this.source;
    if (src === null) return this.ended();
    const t = this.read(src);
    if (t === undefined) {
      this.finishSource();
      return undefined;
    }
    this.base++;
    return t;
  }

  /** Drop every buffered tuple before absolute position `pos` (non-retaining buffers only). */
  dropBefore(pos: number): void {
    if (this.retain || pos <= this.base) return;
    if (pos - this.base >= this.rows.length) {
      this.base += this.rows.length;
      this.rows = [];
      this.mem.free();
    }
  }

  /** Read the source to its end into the buffer (used to complete a cache). */
  fill(): void {
    while (this.pull() !== undefined);
  }

  /** Close the source (if still open) and release every buffered tuple. Idempotent. */
  free(): void {
    const src = this.source;
    this.source = null;
    this.rows = [];
    this.mem.free();
    src?.close();
  }

  /** No source any more: exhausted or freed (`undefined`), or failed (its error, again). */
  private ended(): undefined {
    if (this.sourceError !== undefined) throw this.sourceError;
    return undefined;
  }

  private read(src: TupleIterator): Tuple | undefined {
    try {
      return src.next();
    } catch (e) {
      this.sourceError = e;
      this.source = null;
      src.close();
      throw e;
    }
  }

  private finishSource(): void {
    this.done = true;
    const src = this.source;
    this.source = null;
    src?.close();
  }
}
