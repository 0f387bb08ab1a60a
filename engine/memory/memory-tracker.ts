import { ResourcesExhaustedError } from '../errors.js';

/**
 * Deterministic memory accounting for one execution context.
 *
 * Every operator that buffers reserves the estimated bytes of what it keeps (see
 * `byte-model.ts`) before keeping it, and releases them when it frees the buffer (on close, or
 * when a materialized intermediate has been consumed). The tracker keeps the running total and its
 * peak, and enforces an optional limit.
 *
 * Reservations are made row by row on the hot path, so `reserve` is two additions and a compare.
 */
export class MemoryTracker {
  private current = 0;
  private peakBytes = 0;

  /** @param limit bytes; `Infinity` for no limit. */
  constructor(readonly limit: number = Infinity) {}

  /** Bytes reserved now. Zero again once every query's buffers are released. */
  get reserved(): number {
    return this.current;
  }

  /** The highest `reserved` seen since construction or the last {@link resetPeak}. */
  get peak(): number {
    return this.peakBytes;
  }

  /**
   * Reserve `bytes` on behalf of `operator`.
   * @throws ResourcesExhaustedError when the limit would be exceeded; nothing is reserved then.
   */
  reserve(bytes: number, operator: string): void {
    const next = this.current + bytes;
    if (next > this.limit) this.exhausted(bytes, operator);
    this.current = next;
    if (next > this.peakBytes) this.peakBytes = next;
  }

  /** Give back bytes reserved earlier. */
  release(bytes: number): void {
    this.current -= bytes;
  }

  /**
   * A reservation for one buffer of one operator, named as the `ResourcesExhaustedError` will
   * name it: what the buffer holds is grown and shrunk through it, and `free()` hands all of it
   * back, so no operator keeps its own count beside the tracker's (DataFusion's
   * `MemoryReservation` over its memory pool is the model).
   */
  reservation(name: string): MemoryReservation {
    return new MemoryReservation(this, name);
  }

  /** Forget the peak (the harness calls this between measured runs). */
  resetPeak(): void {
    this.peakBytes = this.current;
  }

  private exhausted(bytes: number, operator: string): never {
    throw new ResourcesExhaustedError(
      `${operator} needed ${bytes} more bytes with ${this.current} already reserved, ` +
        `over the memory limit of ${this.limit} bytes`,
      operator,
      bytes,
      this.limit,
    );
  }
}

/**
 * Bytes one buffer holds, reserved from a {@link MemoryTracker} under one name (see
 * {@link MemoryTracker.reservation}). `grow` is on the hot path (once per buffered row in hash
 * tables and sorts): a call to the tracker's `reserve` and one addition.
 */
export class MemoryReservation {
  private held = 0;

  constructor(private readonly tracker: MemoryTracker, readonly name: string) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /**
   * Hold `bytes` more.
   * @throws ResourcesExhaustedError naming this reservation, when the tracker's limit would be
   * exceeded; nothing more is held then.
   */
  grow(bytes: number): void {
    this.tracker.reserve(bytes, this.name);
    this.held += bytes;
  }

  /** Hold `bytes` fewer (at most what is held). */
  shrink(bytes: number): void {
    const b = Math.min(bytes, this.held);
    this.tracker.release(b);
    this.held -= b;
  }

  /** Grow by a positive `delta`, shrink by a negative one. */
  resize(delta: number): void {
    if (delta >= 0) this.grow(delta);
    else this.shrink(-delta);
  }

  /** Hand back everything held; returns the bytes freed. Idempotent. */
  free(): number {
    const b = this.held;
    if (b !== 0) this.tracker.release(b);
    this.held = 0;
    return b;
  }
}
