/**
 * The measuring child process. The runner starts one per case and pass, as
 * `node --expose-gc [flags] child.js <job-json>`, so no JIT or heap state leaks between cases.
 * It prints exactly one line starting with `@@sluice-result ` holding the JSON outcome; anything
 * else on stdout/stderr is diagnostics. A thrown error becomes `{ ok: false, error }`.
 */
import Benchmark from 'benchmark';
import type { CaseSpec } from '../case.js';
import { measureHeap, measureHeapAsync, measureRetained, requireGc } from './heap.js';
import { calibrationKernel } from './calibration.js';
import { pathToFileURL } from 'node:url';
import { RESULT_MARKER, type ChildJob, type PairJob, type TimeSettings } from './protocol.js';
import type { PreparedCase } from './case-runner.js';
import { probe, PROBE_VERSION, warmProbe, work } from './probe.js';
import { median } from '../stats/descriptive.js';
import type { HeapFigures } from './heap.js';

// benchmark.js would otherwise recompile every timed function from its source text, cutting it
// off from its closure; with decompilation off it calls our function, which really runs the query.
(Benchmark as unknown as { support: { decompilation: boolean } }).support.decompilation = false;

// The engine (through the case runner and the scenarios) is imported only when a job needs it:
// a paired child must load both builds' engines the same way, in the order the job gives,
// not one of them at startup (measured: the build loaded first ran 5-13% faster).
type CaseRunnerModule = typeof import('./case-runner.js');

function timed(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0);
}

/** Rows of `work` per calibration sizing step (about 20-40 µs here). */
const WORK_STEP = 16_384;

/**
 * Calibration only: a copy of the query that also does extra work worth `fraction` of its own
 * warm median time after each run, so that a gate can be shown a slowdown of known size. The
 * extra work is a number of rows of the probe's kernel (`work`), not a busy-wait for a number of
 * nanoseconds: on a machine whose speed changes in phases (this one: 100 vs 170 µs for the same
 * query), a fixed wait is a smaller share of a run in a slow phase than in a fast one (measured:
 * the applied slowdown ranged 6-16% per case for a nominal 10%), while CPU work slows with the
 * query. Sized from 15 query runs each followed by a step of work (same phase, so their ratio
 * holds whatever the phase), after a warm-up of at least 0.2 s (first runs are slower).
 */
function slowed(run: () => number, fraction: number): { run: () => number; /** The extra work's intended time (the field keeps its old name). */ busyWaitNs: number; warmMedianNs: number; workRows: number } {
  const until = process.hrtime.bigint() + 200_000_000n;
  for (let i = 0; i < 20 || process.hrtime.bigint() < until; i++) {
    run();
    work(WORK_STEP);
  }
  const times: number[] = [], rowsPerNs: number[] = [];
  for (let i = 0; i < 15; i++) {
    times.push(timed(run));
    rowsPerNs.push(WORK_STEP / timed(() => work(WORK_STEP)));
  }
  const warmMedianNs = median(times);
  const busyWaitNs = fraction * warmMedianNs;
  const workRows = Math.round(busyWaitNs * median(rowsPerNs));
  return {
    run: () => {
      const n = run();
      work(workRows);
      return n;
    },
    busyWaitNs,
    warmMedianNs,
    workRows,
  };
}

function timePass(cr: CaseRunnerModule, spec: CaseSpec, settings: TimeSettings, slowdown = 0) {
  const c = cr.prepareCase(spec);
  const expected = c.runChecked();
  for (let i = 0; i < settings.warmupRuns; i++) c.run();
  const slow = slowdown > 0 ? slowed(() => c.run(), slowdown) : undefined;
  const run = slow ? slow.run : () => c.run();
  let calls = 0, lastCount = -1;
  const bench = new Benchmark('case', () => {
    calls++;
    lastCount = run();
  }, { maxTime: settings.maxTime, minSamples: settings.minSamples, initCount: 1, async: false });
  // The machine-speed probe between cycles (see probe.ts); never inside a timed cycle.
  warmProbe();
  const probes: number[] = [];
  bench.on('cycle', () => void probes.push(probe()));
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
    busyWaitNs: slow?.busyWaitNs ?? 0,
    workRows: slow?.workRows ?? 0,
    warmMedianNs: slow?.warmMedianNs ?? null,
    probeNs: median(probes),
    probeVersion: PROBE_VERSION,
  };
}

function heapPass(cr: CaseRunnerModule, spec: CaseSpec, measuredRuns = 3) {
  const c = cr.prepareCase(spec);
  const expected = c.runChecked();
  // Warm up past JIT compilation: optimized code is allocated on the heap too, and would
  // otherwise be counted as the query's allocation.
  for (let i = 0; i < 5; i++) c.run();
  const runs = Array.from({ length: measuredRuns }, () => {
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
  return heapOutcome(expected, c.inputRows, runs, runs[0]!.trackerPeakBytes, median(retained));
}

/** What a heap pass reports: every run's figures (as samples) and their medians. */
function heapOutcome(expected: { rows: number; checksum: string }, inputRows: number, runs: HeapFigures[], trackerPeakBytes: number | null, retainedBytes: number) {
  return {
    rows: expected.rows,
    checksum: expected.checksum,
    inputRows,
    peakBytes: median(runs.map((r) => r.peakBytes)),
    peakSamples: runs.map((r) => r.peakBytes),
    allocatedBytes: median(runs.map((r) => r.allocatedBytes)),
    allocatedSamples: runs.map((r) => r.allocatedBytes),
    gcCount: median(runs.map((r) => r.gcCount)),
    trackerPeakBytes,
    retainedBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/**
 * The time pass of a task scenario: benchmark.js in deferred mode (each sample awaits the task),
 * fewer samples when the scenario asks (a 1M-row ingest takes seconds).
 */
async function timePassTask(cr: CaseRunnerModule, spec: CaseSpec, settings: TimeSettings, slowdown = 0) {
  if (slowdown > 0) throw new Error('the calibration slowdown applies to query scenarios only');
  const c = await cr.prepareTask(spec);
  await c.run();
  const expected = await c.output();
  c.reset?.();
  for (let i = 0; i < settings.warmupRuns; i++) {
    await c.run();
    c.reset?.();
  }
  let calls = 0, lastCount = -1, failure: unknown;
  const { getScenario } = await import('../../scenarios/index.js');
  const minSamples = getScenario(spec.scenario).timing?.minSamples ?? settings.minSamples;
  const bench = new Benchmark('case', {
    defer: true,
    fn: (deferred: { resolve(): void }) => {
      calls++;
      c.run().then((n) => {
        lastCount = n;
        // resolve() stops benchmark.js's clock at once; the reset after it is not timed.
        deferred.resolve();
        c.reset?.();
      }, (e: unknown) => {
        failure ??= e;
        deferred.resolve();
      });
    },
    maxTime: settings.maxTime, minSamples: Math.min(minSamples, settings.minSamples), initCount: 1,
  } as unknown as Benchmark.Options);
  await new Promise<void>((resolve) => {
    bench.on('complete', () => resolve());
    bench.run({ async: true });
  });
  if (failure) throw failure;
  if (bench.error) throw bench.error;
  if (calls === 0) throw new Error('benchmark.js never called the task');
  if (lastCount !== expected.rows) throw new Error(`the task produced ${lastCount} rows under timing but ${expected.rows} when checked`);
  return {
    rows: expected.rows, checksum: expected.checksum, inputRows: c.inputRows,
    samplesNs: bench.stats.sample.map((s: number) => s * 1e9), calls, firstRowNs: null, busyWaitNs: 0, workRows: 0, warmMedianNs: null,
  };
}

/** The heap pass of a task scenario: one warm-up, then measured runs (at most 3: tasks are long). */
async function heapPassTask(cr: CaseRunnerModule, spec: CaseSpec, measuredRuns = 3) {
  const c = await cr.prepareTask(spec);
  await c.run();
  const expected = await c.output();
  c.reset?.();
  await c.run();
  c.reset?.();
  const runs = [];
  for (let i = 0; i < Math.min(3, measuredRuns); i++) {
    const { result, heap } = await measureHeapAsync(() => c.run());
    c.reset?.();
    if (result !== expected.rows) throw new Error(`the task produced ${result} rows in the heap pass, expected ${expected.rows}`);
    runs.push(heap);
  }
  return heapOutcome(expected, c.inputRows, runs, null, 0);
}

/**
 * The paired time pass (see `PairJob`): each arm's query is prepared by its own build's case
 * runner; then `slices` rounds of one short benchmark.js run per arm, the order alternating, and
 * each slice's median is one sample. Slice k of arm 0 and slice k of arm 1 ran next to each other.
 */
async function pairPass(job: PairJob) {
  // Symmetric preparation: both arms' data first, then both checked, then warm-ups alternating,
  // so neither arm's query runs (and is compiled) before the other's data exist.
  const prepared: PreparedCase[] = [];
  for (const file of job.runners) {
    const mod = (await import(pathToFileURL(file).href)) as { prepareCase(spec: CaseSpec): PreparedCase };
    prepared.push(mod.prepareCase(job.case));
  }
  const expected = prepared.map((c) => c.runChecked());
  for (let k = 0; k < job.settings.warmupRuns; k++) for (const c of prepared) c.run();
  const arms = prepared.map((c, i) => {
    const fraction = job.slowdown?.[i] ?? 0;
    return { c, expected: expected[i]!, run: fraction > 0 ? slowed(() => c.run(), fraction).run : () => c.run() };
  });
  const samples: number[][] = [[], []];
  const sliceTime = job.settings.maxTime / job.slices;
  for (let k = 0; k < job.slices; k++) {
    for (const i of k % 2 === 0 ? [0, 1] : [1, 0]) {
      const a = arms[i]!;
      let last = -1;
      const bench = new Benchmark('slice', () => void (last = a.run()), { maxTime: sliceTime, minSamples: 2, initCount: 1, async: false });
      bench.run();
      if (bench.error) throw bench.error;
      if (last !== a.expected.rows) throw new Error(`arm ${i} returned ${last} rows under timing but ${a.expected.rows} when checked`);
      samples[i]!.push(median(bench.stats.sample.map((x: number) => x * 1e9)));
    }
  }
  return {
    arms: arms.map((a, i) => ({ rows: a.expected.rows, checksum: a.expected.checksum, inputRows: a.c.inputRows, samplesNs: samples[i]! })),
  };
}

async function main(): Promise<void> {
  let outcome: unknown;
  try {
    const job = JSON.parse(process.argv[2] ?? '') as ChildJob;
    requireGc();
    if (job.mode === 'pair') outcome = { ok: true, ...(await pairPass(job)) };
    else if (job.mode === 'time') {
      const cr: CaseRunnerModule = await import('./case-runner.js');
      outcome = { ok: true, ...(cr.isTask(job.case) ? await timePassTask(cr, job.case, job.settings, job.slowdown) : timePass(cr, job.case, job.settings, job.slowdown)) };
    } else if (job.mode === 'heap') {
      const cr: CaseRunnerModule = await import('./case-runner.js');
      outcome = { ok: true, ...(cr.isTask(job.case) ? await heapPassTask(cr, job.case, job.runs) : heapPass(cr, job.case, job.runs)) };
    }
    else outcome = { ok: true, ...calibrationKernel(job.kernel, job.count, job.length) };
  } catch (e) {
    const err = e as Error;
    outcome = { ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` };
  }
  // Exit once the line is flushed: a task may leave handles (file streams) that would keep the
  // process alive until the runner's timeout.
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(outcome)}\n`, () => process.exit(0));
}

await main();
