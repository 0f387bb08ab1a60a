/**
 * The measuring child process. The runner starts one per case and pass, as
 * `node --expose-gc [flags] child.js <job-json>`, so no JIT or heap state leaks between cases.
 * It prints exactly one line starting with `@@sluice-result ` holding the JSON outcome; anything
 * else on stdout/stderr is diagnostics. A thrown error becomes `{ ok: false, error }`.
 */
import Benchmark from 'benchmark';
import type { CaseSpec } from '../case.js';
import { prepareCase } from './case-runner.js';
import { measureHeap, measureRetained, requireGc } from './heap.js';
import { calibrationKernel } from './calibration.js';
import { RESULT_MARKER, type ChildJob, type TimeSettings } from './protocol.js';


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function timePass(spec: CaseSpec, settings: TimeSettings) {
  const c = prepareCase(spec);
  const expected = c.runChecked();
  for (let i = 0; i < settings.warmupRuns; i++) c.run();
  // benchmark.js would otherwise recompile the function from its source text, cutting it off from
  // its closure; with decompilation off it calls our function, which really runs the query.
  (Benchmark as unknown as { support: { decompilation: boolean } }).support.decompilation = false;
  let calls = 0, lastCount = -1;
  const bench = new Benchmark('case', () => {
    calls++;
    lastCount = c.run();
  }, { maxTime: settings.maxTime, minSamples: settings.minSamples, initCount: 1, async: false });
  bench.run();
  if (bench.error) throw bench.error;
  if (calls === 0) throw new Error('benchmark.js never called the query');
  if (lastCount !== expected.rows) throw new Error(`the query returned ${lastCount} rows under timing but ${expected.rows} when checked`);
  const first: number[] = [];
  for (let i = 0; i < 5; i++) {
    const ns = c.firstRowNs();
    if (ns !== null) first.push(ns);
  }
  return {
    rows: expected.rows,
    checksum: expected.checksum,
    inputRows: c.inputRows,
    samplesNs: bench.stats.sample.map((s: number) => s * 1e9),
    calls,
    firstRowNs: first.length ? median(first) : null,
  };
}

function heapPass(spec: CaseSpec) {
  const c = prepareCase(spec);
  const expected = c.runChecked();
  // Warm up past JIT compilation: optimized code is allocated on the heap too, and would
  // otherwise be counted as the query's allocation.
  for (let i = 0; i < 5; i++) c.run();
  const runs = [0, 1, 2].map(() => {
    const { result, heap } = measureHeap(() => c.run());
    if (result !== expected.rows) throw new Error(`the query returned ${result} rows in the heap pass, expected ${expected.rows}`);
    return { ...heap, trackerPeakBytes: c.trackerPeak() };
  });
  // The result's retained size: warm the collecting path first (its first run also allocates code
  // and inline caches), then take the median of three measurements.
  c.collect();
  c.collect();
  const retained = [0, 1, 2].map(() => {
    const { value, retainedBytes } = measureRetained(() => c.collect());
    if (value.length !== expected.rows) throw new Error('the collected result has the wrong size');
    return retainedBytes;
  });
  const retainedBytes = median(retained);
  return {
    rows: expected.rows,
    checksum: expected.checksum,
    inputRows: c.inputRows,
    peakBytes: median(runs.map((r) => r.peakBytes)),
    allocatedBytes: median(runs.map((r) => r.allocatedBytes)),
    gcCount: median(runs.map((r) => r.gcCount)),
    trackerPeakBytes: runs[0]!.trackerPeakBytes,
    retainedBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

function main(): void {
  let outcome: unknown;
  try {
    const job = JSON.parse(process.argv[2] ?? '') as ChildJob;
    requireGc();
    if (job.mode === 'time') outcome = { ok: true, ...timePass(job.case, job.settings) };
    else if (job.mode === 'heap') outcome = { ok: true, ...heapPass(job.case) };
    else outcome = { ok: true, ...calibrationKernel(job.kernel, job.count, job.length) };
  } catch (e) {
    const err = e as Error;
    outcome = { ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` };
  }
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(outcome)}\n`);
}

main();
