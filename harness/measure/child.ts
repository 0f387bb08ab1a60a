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
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describeError, RESULT_MARKER, type ChildJob, type PairJob, type TimeSettings } from './protocol.js';
import type { ArmData, ArmSamples } from './pair-arm.js';
import { pairSamples } from './pairing.js';
import { slowed } from './slowdown.js';
import { probe, PROBE_VERSION, warmProbe } from './probe.js';
import { median } from '../stats/descriptive.js';
import type { HeapFigures } from './heap.js';

// benchmark.js would otherwise recompile every timed function from its source text, cutting it
// off from its closure; with decompilation off it calls our function, which really runs the query.
(Benchmark as unknown as { support: { decompilation: boolean } }).support.decompilation = false;

// The engine (through the case runner and the scenarios) is imported only when a job needs it:
// a paired child loads no engine in its own thread, only each build's in that build's worker.
type CaseRunnerModule = typeof import('./case-runner.js');

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
 * The paired time pass (see `PairJob`): each arm in a worker thread of its own (its own isolate,
 * see pair-arm.ts), preparing its build's query on its own data; then both take turns, one
 * benchmark.js cycle each. A sample of one arm is paired with the sample of the other taken next
 * to it in time (`pairSamples`); only paired samples are kept, in the same order on both sides.
 */
async function pairPass(job: PairJob) {
  const shared = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const here = fileURLToPath(import.meta.url);
  const script = path.join(path.dirname(here), `pair-arm${path.extname(here)}`);
  // From source (tests), the worker registers tsx first (see tsx-worker.mjs).
  const fromSource = script.endsWith('.ts');
  const workers = job.runners.map((runner, index) => {
    const data: ArmData = {
      index: index as 0 | 1, runner, case: job.case, shared, maxTime: job.settings.maxTime, minTime: job.sampleSeconds,
      minSamples: job.settings.minSamples, slowdown: job.slowdown?.[index] ?? 0,
    };
    return fromSource
      ? new Worker(path.join(path.dirname(here), 'tsx-worker.mjs'), { workerData: { ...data, entry: pathToFileURL(script).href } })
      : new Worker(script, { workerData: data });
  });
  /** The next message of arm i, failing on its error, crash or exit. */
  const reply = <T>(i: number): Promise<T> => new Promise((resolve, reject) => {
    const w = workers[i]!;
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: T & { error?: string }) => {
      done();
      if (m.error) reject(new Error(`build ${i + 1} of the pair (${job.runners[i]}): ${m.error}`));
      else resolve(m);
    };
    const onError = (e: Error) => {
      done();
      reject(new Error(`build ${i + 1} of the pair (${job.runners[i]}): ${e.message}`));
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`build ${i + 1} of the pair (${job.runners[i]}) stopped (exit code ${code})`));
    };
    w.on('message', onMessage);
    w.once('error', onError);
    w.once('exit', onExit);
  });
  const ask = <T>(i: number, msg: unknown): Promise<T> => {
    const r = reply<T>(i);
    workers[i]!.postMessage(msg);
    return r;
  };
  try {
    // Both isolates generate their data at once (one per core), then check and warm up in turn.
    await Promise.all([0, 1].map((i) => reply(i)));
    const expected: { rows: number; checksum: string; inputRows: number }[] = [];
    for (const i of [0, 1]) expected.push(await ask(i, { kind: 'check' }));
    for (let k = 0; k < job.settings.warmupRuns; k++) for (const i of [0, 1]) await ask(i, { kind: 'warm', runs: 1 });
    const measured = await Promise.all([0, 1].map((i) => ask<ArmSamples>(i, { kind: 'measure' })));
    measured.forEach((m, i) => {
      if (m.rows !== expected[i]!.rows) throw new Error(`build ${i + 1} of the pair returned ${m.rows} rows under timing but ${expected[i]!.rows} when checked`);
    });
    const [s0, s1] = pairSamples(measured[0]!, measured[1]!);
    if (s0.length < 2) throw new Error(`only ${s0.length} paired samples: raise the time per build`);
    return {
      arms: [s0, s1].map((samplesNs, i) => ({ rows: expected[i]!.rows, checksum: expected[i]!.checksum, inputRows: expected[i]!.inputRows, samplesNs, workRows: measured[i]!.workRows })),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
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
    outcome = { ok: false, error: describeError(e) };
  }
  // Exit once the line is flushed: a task may leave handles (file streams) that would keep the
  // process alive until the runner's timeout.
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(outcome)}\n`, () => process.exit(0));
}

await main();
