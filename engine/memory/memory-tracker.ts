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
