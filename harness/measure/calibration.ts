import { measureHeap } from './heap.js';

/**
 * Calibration kernels for the heap measurement: workloads whose true footprint is known, so the
 * measurement's error can be checked (a test requires it within ±10%).
 *
 * - `retain`: allocate `count` arrays of `length` small integers and keep them all: the peak is
 *   their total size, and so is the allocation.
 * - `transient`: allocate the same arrays but keep only one at a time: the allocation is the
 *   total, while the peak is a small fraction of it.
 *
 * An array of n small integers (created with its length, filled with Smis, so it never changes
 * elements kind and is never reallocated) is a 32-byte JSArray plus a FixedArray of 16 + 8n.
 */
export type KernelName = 'retain' | 'transient';
export const KERNELS: readonly KernelName[] = ['retain', 'transient'];

export function arrayBytes(length: number): number {
  return 32 + 16 + 8 * length;
}

export function calibrationKernel(kernel: KernelName, count: number, length: number) {
  const one = arrayBytes(length);
  const make = () => {
    const a = new Array<number>(length);
    for (let i = 0; i < length; i++) a[i] = i;
    return a;
  };
  const work = () => {
    if (kernel === 'retain') {
      const kept: number[][] = new Array(count);
      for (let i = 0; i < count; i++) kept[i] = make();
      return kept.length;
    }
    let sum = 0;
    for (let i = 0; i < count; i++) sum += make()[length - 1]!;
    return sum;
  };
  // Warm up first, as the heap pass does for queries: the JIT's code and feedback for the kernel
  // would otherwise be allocated inside the measured interval.
  work();
  work();
  const { result, heap } = measureHeap(work);
  return {
    kernel,
    result,
    measuredPeakBytes: heap.peakBytes,
    measuredAllocatedBytes: heap.allocatedBytes,
    // The retaining kernel also allocates its list of `count` slots.
    truePeakBytes: kernel === 'retain' ? count * one + arrayBytes(count) : one,
    trueAllocatedBytes: count * one + (kernel === 'retain' ? arrayBytes(count) : 0),
  };
}
