import v8 from 'node:v8';
import { openSync, readFileSync, writeSync } from 'node:fs';

/** What one heap measurement saw. */
export interface HeapFigures {
  /** Highest used heap during the run (just before any GC, or at the end) above the baseline. */
  peakBytes: number;
  /** Bytes allocated during the run: heap growth between GCs plus what each GC reclaimed. */
  allocatedBytes: number;
  /** GCs during the run. */
  gcCount: number;
  /**
   * Highest external memory (ArrayBuffers, Buffers and other memory V8 is told about but does not
   * hold in its heap) during the run, above the baseline's, the same way as the heap's peak.
   */
  externalPeakBytes: number;
  /**
   * Highest resident set size during the run above the RSS at its start (Linux: the kernel's
   * peak, reset just before the run; undefined elsewhere). Counts memory the V8 figures miss,
   * such as a native library's (DuckDB's buffers); moves in pages, and counts the heap's growth too.
   */
  rssGrowthBytes?: number;
}

/**
 * Linux's peak-RSS reset: writing 5 to /proc/self/clear_refs sets the process's peak resident set
 * (VmHWM) to its current one, so that VmHWM read after a run is the run's own peak. Opened once,
 * when this module loads, and written from a buffer made once: the reset comes after the heap's
 * baseline is read, and must allocate nothing that would count as the run's (opened there, it
 * made a calibration kernel read 5.6-11% high). Null where the file cannot be opened.
 */
const CLEAR_REFS = (() => {
  try {
    return openSync('/proc/self/clear_refs', 'w');
  } catch {
    return null;
  }
})();
const FIVE = Buffer.from('5');

/** Reset the peak RSS; the RSS now, or undefined where it cannot be reset. */
function resetPeakRss(): number | undefined {
  if (CLEAR_REFS === null) return undefined;
  try {
    writeSync(CLEAR_REFS, FIVE);
    return process.memoryUsage.rss();
  } catch {
    return undefined;
  }
}

/** The process's peak resident set since the last reset, bytes (Linux), or undefined. */
function peakRss(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** `globalThis.gc`, present when node runs with --expose-gc. */
export function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('heap measurement needs node --expose-gc');
  return gc;
}

/**
 * Measure the heap while `run` executes, from V8's own GC statistics (`v8.GCProfiler`): before
 * the run the heap is collected to a baseline; during it, every GC reports the used heap before
 * and after; after it, the used heap is read once more before anything is collected.
 *
 * - peak = max(used before each GC, used at the end) − baseline. Between GCs the heap only grows,
 *   so its maximum is always just before a GC or at the end. It includes young garbage not yet
 *   collected; run with a small `--max-semi-space-size` to bring it close to the live peak.
 * - allocated = Σ (used before GC − used after the previous GC, or the baseline) + (end − used
 *   after the last GC).
 *
 * Nothing here is computed from row counts or formulas: these are V8's numbers.
 */
export function measureHeap<T>(run: () => T): { result: T; heap: HeapFigures } {
  const m = startMeasuring();
  let result: T;
  try {
    result = run();
  } finally {
    m.end();
  }
  return { result, heap: m.figures() };
}

/** Collect to a baseline and start V8's GC profiler; `end()` reads the heap once the work is done. */
function startMeasuring(): { end(): void; figures(): HeapFigures } {
  const gc = requireGc();
  gc();
  gc();
  const start = v8.getHeapStatistics();
  const rssStart = resetPeakRss();
  const profiler = new v8.GCProfiler();
  profiler.start();
  let end = start, rssPeak: number | undefined;
  return {
    end: () => {
      end = v8.getHeapStatistics();
      rssPeak = rssStart === undefined ? undefined : peakRss();
    },
    figures: () => {
      const f = figures(profiler.stop().statistics, start, end);
      return rssStart !== undefined && rssPeak !== undefined ? { ...f, rssGrowthBytes: Math.max(0, rssPeak - rssStart) } : f;
    },
  };
}

/** Peak and allocation from the GC statistics of a measured interval (see {@link measureHeap}). */
function figures(stats: v8.GCProfilerResult['statistics'], start: v8.HeapInfo, end: v8.HeapInfo): HeapFigures {
  const baseline = start.used_heap_size;
  let peak = end.used_heap_size, allocated = 0, prevAfter = baseline;
  let external = end.external_memory;
  for (const s of stats) {
    const before = s.beforeGC.heapStatistics.usedHeapSize;
    const after = s.afterGC.heapStatistics.usedHeapSize;
    if (before > peak) peak = before;
    external = Math.max(external, s.beforeGC.heapStatistics.externalMemory);
    allocated += Math.max(0, before - prevAfter);
    prevAfter = after;
  }
  allocated += Math.max(0, end.used_heap_size - prevAfter);
  return {
    peakBytes: Math.max(0, peak - baseline),
    allocatedBytes: allocated,
    gcCount: stats.length,
    externalPeakBytes: Math.max(0, external - start.external_memory),
  };
}

/** {@link measureHeap} for asynchronous work: the child runs nothing else while it waits. */
export async function measureHeapAsync<T>(run: () => Promise<T>): Promise<{ result: T; heap: HeapFigures }> {
  const m = startMeasuring();
  let result: T;
  try {
    result = await run();
  } finally {
    m.end();
  }
  return { result, heap: m.figures() };
}

