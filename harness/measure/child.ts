/**
 * The measuring child process. The runner starts one per case and pass, as
 * `node --expose-gc [flags] child.js <job-json>`, so no JIT or heap state leaks between cases.
 * It prints exactly one line starting with `@@sluice-result ` holding the JSON outcome; anything
 * else on stdout/stderr is diagnostics. A thrown error becomes `{ ok: false, error }`.
 */
import type BenchmarkType from 'benchmark';
import type { CaseSpec } from '../case.js';
import os from 'node:os';
import { measureHeap, measureHeapAsync, requireGc } from './heap.js';
import { calibrationKernel } from './calibration.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describeError, RESULT_MARKER, type ChildJob, type HeapOutcome, type PairJob, type PairOutcome, type TimeOutcome, type TimeSettings } from './protocol.js';
import type { ArmData, ArmSamples } from './pair-arm.js';
import type { PreparedCase } from './prepared.js';
import { pairSamples } from './pairing.js';
import { stretched } from './slowdown.js';
import { firstRowMedian, firstRowOf } from './first-row.js';
import { probe, PROBE_VERSION, warmProbe } from './probe.js';
import { median } from '../../core/stats/descriptive.js';
import { dieWithParent, PARENT_PID_ENV } from './watchdog.js';
import type { HeapFigures } from './heap.js';

/**
 * benchmark.js, loaded by the time and heap passes, not by a paired pass (it pulls in lodash:
 * about 130 ms of a process's start; a paired pass's builds run in workers of their own, which
 * never see it). It would otherwise recompile every timed function from its source text, cutting
 * it off from its closure; with decompilation off it calls our function, which really runs the
 * query.
 *
 * The heap pass does not use it, but loads it all the same: its heap figures depend on what else
 * the process holds. Measured (`selectivity 1% materialized`, 9 runs, the heap pass's flags): 130-
 * 270 KiB allocated per run with benchmark.js loaded, 240-520 KiB without, same engine; V8 moves
 * these figures in steps of a V8 page (256 KiB). The gate runs each build's own heap pass, so a heap
 * pass that stopped loading it read as a memory regression of up to 1.9x on 5 cases of 37
 * (`gate --base 7bb65ae`, identical engine).
 */
let Benchmark: typeof BenchmarkType;
async function loadBenchmark(): Promise<void> {
  Benchmark = (await import('benchmark')).default;
  (Benchmark as unknown as { support: { decompilation: boolean } }).support.decompilation = false;
}

// The engine (through the case runner and the scenarios) is imported only when a job needs it:
// a paired child loads no engine in its own thread, only each build's in that build's worker.
type CaseRunnerModule = typeof import('./case-runner.js');

async function timePass(cr: CaseRunnerModule, spec: CaseSpec, settings: TimeSettings, slowdown = 0): Promise<TimeOutcome> {
  const c = await cr.prepareCase(spec);
  if (c.async) {
    if (slowdown > 0) throw new Error('the calibration slowdown applies to synchronous queries only');
    return { ...(await timeDeferred(c.inputRows, { run: () => c.run(), output: () => c.runChecked() }, settings, settings.minSamples)), firstRowNs: await firstRowMedian(c) };
  }
  const expected = c.runChecked();
  const slow = slowdown > 0 ? stretched(() => c.run(), slowdown) : undefined;
  const run = slow ? slow.run : () => c.run();
  for (let i = 0; i < settings.warmupRuns; i++) run();
  slow?.reset();
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
  return {
    rows: expected.rows,
    checksum: expected.checksum,
    inputRows: c.inputRows,
    samplesNs: bench.stats.sample.map((s: number) => s * 1e9),
    calls,
    firstRowNs: await firstRowMedian(c),
    extraFraction: slow?.extraFraction() ?? 0,
    probeNs: median(probes),
    probeVersion: PROBE_VERSION,
  };
}

async function heapPass(cr: CaseRunnerModule, spec: CaseSpec, measuredRuns = 3, light = false): Promise<HeapOutcome> {
  const c = await cr.prepareCase(spec);
  const h = c.async ? await heapDeferred(c.inputRows, { run: () => c.run(), output: () => c.runChecked() }, measuredRuns) : heapPassSync(c, measuredRuns, light);
  return c.setup ? { ...h, setup: c.setup } : h;
}

/** The heap pass of a synchronous query. */
function heapPassSync(c: PreparedCase, measuredRuns: number, light: boolean): HeapOutcome {
  const expected = c.runChecked();
  // Warm up past JIT compilation: optimized code is allocated on the heap too, and would
  // otherwise be counted as the query's allocation. Five runs, or two once 0.5 s have passed: a
  // slow query's loops are optimized within its first run (on-stack replacement), and each
  // further run of a 1M-row query costs a fraction of a second. Light: one.
  const warmUntil = process.hrtime.bigint() + 500_000_000n;
  for (let i = 0; i < (light ? 1 : 5); i++) {
    if (i >= 2 && process.hrtime.bigint() > warmUntil) break;
    c.run();
  }
  const runs = Array.from({ length: measuredRuns }, () => {
    const { result, heap } = measureHeap(() => c.run());
    if (result !== expected.rows) throw new Error(`the query returned ${result} rows in the heap pass, expected ${expected.rows}`);
    return { ...heap, trackerPeakBytes: c.trackerPeak() };
  });
  if (light) return heapOutcome(expected, c.inputRows, runs, runs[0]!.trackerPeakBytes);
  // Allocation per run over many runs: V8's used-heap figure moves in steps of a V8 page (256 KiB) with
  // what the process holds, so one run of a small query reads 0 or a step; over k runs back to
  // back the step is k times smaller. k: enough runs for about 16 MiB, at most 256.
  const single = median(runs.map((r) => r.allocatedBytes));
  const k = Math.max(1, Math.min(256, Math.ceil((16 * 1024 * 1024) / Math.max(single, 4096))));
  const many = measureHeap(() => {
    let n = 0;
    for (let i = 0; i < k; i++) n += c.run();
    return n;
  });
  return { ...heapOutcome(expected, c.inputRows, runs, runs[0]!.trackerPeakBytes), allocatedPerRunBytes: many.heap.allocatedBytes / k, allocatedRuns: k };
}

/** What a heap pass reports: every run's figures (as samples) and their medians. */
function heapOutcome(expected: { rows: number; checksum: string }, inputRows: number, runs: HeapFigures[], trackerPeakBytes: number | null): HeapOutcome {
  return {
    rows: expected.rows,
    checksum: expected.checksum,
    inputRows,
    peakBytes: median(runs.map((r) => r.peakBytes)),
    peakSamples: runs.map((r) => r.peakBytes),
    allocatedBytes: median(runs.map((r) => r.allocatedBytes)),
    allocatedSamples: runs.map((r) => r.allocatedBytes),
    gcCount: median(runs.map((r) => r.gcCount)),
    externalPeakBytes: median(runs.map((r) => r.externalPeakBytes)),
    ...(runs.every((r) => r.rssGrowthBytes !== undefined) ? { rssGrowthBytes: median(runs.map((r) => r.rssGrowthBytes!)) } : {}),
    trackerPeakBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** Work that completes asynchronously: a task, or a query whose result comes back through a promise (DuckDB). */
interface Deferred {
  run(): Promise<number>;
  /** After a run: the output's row count and checksum (never timed), and the bytes it moved to or from storage (tasks that measure it). */
  output(): Promise<{ rows: number; checksum: string; ioBytes?: number }>;
  /** Called after every run, outside the timing. */
  reset?(): void;
}

/**
 * The time pass of a task scenario: {@link timeDeferred}, with fewer samples when the scenario
 * asks (a 1M-row ingest takes seconds).
 */
async function timePassTask(cr: CaseRunnerModule, spec: CaseSpec, settings: TimeSettings, slowdown = 0): Promise<TimeOutcome> {
  if (slowdown > 0) throw new Error('the calibration slowdown applies to query scenarios only');
  const c = await cr.prepareTask(spec);
  const { getScenario } = await import('../../scenarios/index.js');
  const minSamples = getScenario(spec.scenario).timing?.minSamples ?? settings.minSamples;
  return { ...(await timeDeferred(c.inputRows, { run: () => c.run(), output: () => c.output(), reset: () => c.reset?.() }, settings, Math.min(minSamples, settings.minSamples))), firstRowNs: null };
}

/** benchmark.js in deferred mode: each sample awaits the work (the child runs nothing else meanwhile). */
async function timeDeferred(inputRows: number, c: Deferred, settings: TimeSettings, minSamples: number): Promise<Omit<TimeOutcome, 'firstRowNs'>> {
  await c.run();
  const expected = await c.output();
  c.reset?.();
  for (let i = 0; i < settings.warmupRuns; i++) {
    await c.run();
    c.reset?.();
  }
  let calls = 0, lastCount = -1, failure: unknown;
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
    maxTime: settings.maxTime, minSamples, initCount: 1,
  } as unknown as BenchmarkType.Options);
  await new Promise<void>((resolve) => {
    bench.on('complete', () => resolve());
    bench.run({ async: true });
  });
  if (failure) throw failure;
  if (bench.error) throw bench.error;
  if (calls === 0) throw new Error('benchmark.js never called the work');
  if (lastCount !== expected.rows) throw new Error(`the work produced ${lastCount} rows under timing but ${expected.rows} when checked`);
  return {
    rows: expected.rows, checksum: expected.checksum, inputRows,
    ...(expected.ioBytes !== undefined ? { ioBytes: expected.ioBytes } : {}),
    samplesNs: bench.stats.sample.map((s: number) => s * 1e9), calls, extraFraction: 0,
  };
}

/** The heap pass of a task scenario: {@link heapDeferred}. */
async function heapPassTask(cr: CaseRunnerModule, spec: CaseSpec, measuredRuns = 3): Promise<HeapOutcome> {
  const c = await cr.prepareTask(spec);
  return heapDeferred(c.inputRows, { run: () => c.run(), output: () => c.output(), reset: () => c.reset?.() }, measuredRuns);
}

/** The heap pass of asynchronous work: one warm-up, then measured runs (at most 3: tasks are long). */
async function heapDeferred(inputRows: number, c: Deferred, measuredRuns = 3): Promise<HeapOutcome> {
  await c.run();
  const expected = await c.output();
  c.reset?.();
  await c.run();
  c.reset?.();
  const runs = [];
  for (let i = 0; i < Math.min(3, measuredRuns); i++) {
    const { result, heap } = await measureHeapAsync(() => c.run());
    c.reset?.();
    if (result !== expected.rows) throw new Error(`the work produced ${result} rows in the heap pass, expected ${expected.rows}`);
    runs.push(heap);
  }
  return heapOutcome(expected, inputRows, runs, null);
}

/**
 * Arms that take their longer warm-up at the same time: one per core, at most two. Measured on
 * this 2-core machine, 10K-row filter, five group passes each way: fused/composed 0.78-0.84 two
 * at a time, 0.79-0.84 one at a time (benchmark.js: 0.79), materialized/composed 1.30-1.34 and
 * 1.28-1.33; a 3-arm pass took 4.0 s instead of 4.9 s.
 */
const WARM_AT_ONCE = Math.max(1, Math.min(2, os.availableParallelism()));

/** What one isolate pair of a paired pass gives, per build in the job's order. */
interface IsolateGroup {
  expected: { rows: number; checksum: string; inputRows: number }[];
  /** Per arm (in the job's order): its samples, equal in number, the k-th of each from one cycle. */
  samples: number[][];
  /** Per arm: its extra work's time over its query's time while sampling (0 unless slowed). */
  extraFraction: number[];
  /** Per arm, when the job asked for it: its five warm times to first row (none when it has no first row). */
  firstRowSamples?: number[][];
}

/**
 * One isolate group of the paired time pass (see `PairJob`): a fresh worker (V8 isolate) per arm,
 * each preparing its arm's query on its own data, `order[0]` the arm that starts; then they take
 * turns, one sample each, in `order` (see pair-arm.ts). Two arms are paired by when their samples
 * ended (`pairSamples`); with more, every arm keeps its samples of the cycles all arms completed.
 * Results are in the job's arm order.
 */
async function isolateGroup(job: PairJob, order: readonly number[]): Promise<IsolateGroup> {
  const n = order.length;
  const shared = new SharedArrayBuffer((n + 2) * Int32Array.BYTES_PER_ELEMENT);
  const here = fileURLToPath(import.meta.url);
  const script = path.join(path.dirname(here), `pair-arm${path.extname(here)}`);
  // From source (tests), the worker registers tsx first (see tsx-worker.mjs).
  const fromSource = script.endsWith('.ts');
  const caseOf = (arm: number) => job.cases?.[arm] ?? job.case;
  const name = (k: number) => (job.cases ? `arm ${order[k]! + 1} of ${n} (${caseOf(order[k]!).id})` : `build ${order[k]! + 1} of the pair (${job.runners[order[k]!]})`);
  const workers = order.map((arm, index) => {
    const data: ArmData = {
      index, arms: n, runner: job.runners[arm]!, case: caseOf(arm), shared, maxTime: job.settings.maxTime,
      minSamples: job.settings.minSamples, slowdown: job.slowdown?.[arm] ?? 0, ...(job.warmRuns !== undefined ? { warmRuns: job.warmRuns } : {}),
    };
    const cap = job.settings.heapCapMb;
    const limits = cap ? { resourceLimits: { maxOldGenerationSizeMb: cap } } : {};
    return fromSource
      ? new Worker(path.join(path.dirname(here), 'tsx-worker.mjs'), { workerData: { ...data, entry: pathToFileURL(script).href }, ...limits })
      : new Worker(script, { workerData: data, ...limits });
  });
  /** The next message of worker k, failing on its error, crash or exit. */
  const reply = <T>(k: number): Promise<T> => new Promise((resolve, reject) => {
    const w = workers[k]!;
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: T & { error?: string }) => {
      done();
      if (m.error) reject(new Error(`${name(k)}: ${m.error}`));
      else resolve(m);
    };
    const onError = (e: Error) => {
      done();
      reject(new Error(`${name(k)}: ${e.message}`));
    };
    const onExit = (code: number) => {
      done();
      reject(new Error(`${name(k)} stopped (exit code ${code})`));
    };
    w.on('message', onMessage);
    w.once('error', onError);
    w.once('exit', onExit);
  });
  const ask = <T>(k: number, msg: unknown): Promise<T> => {
    const r = reply<T>(k);
    workers[k]!.postMessage(msg);
    return r;
  };
  const all = <T>(msg: unknown | ((k: number) => unknown)) => Promise.all(order.map((_, k) => ask<T>(k, typeof msg === 'function' ? (msg as (k: number) => unknown)(k) : msg)));
  try {
    // The isolates generate their data, check their output and warm up at once (none of it is
    // timed; a group pass's quick arms then warm up longer, one by one: see WarmLonger); then
    // they take turns. Two builds of one case run the same runs per sample (about
    // `sampleSeconds` at their mean warm speed); arms of different queries each run about
    // `sampleSeconds` per sample at their own speed.
    await Promise.all(order.map((_, k) => reply(k)));
    // Every isolate group checks its output first, as every other pass does: the check is also
    // the query's first run, and skipping it changed how V8 compiled some queries (a scan's limit
    // loop ran at 3.2 ms without it in the same process as 0.3 ms with it).
    const expected = await all<{ rows: number; checksum: string; inputRows: number }>({ kind: 'check' });
    let warm = await all<{ warmMedianNs: number }>({ kind: 'warm' });
    if (job.warmLonger) {
      // WARM_AT_ONCE arms at a time, one per core: an arm that shares its core while it warms up
      // leaves its planner less optimized (see GROUP_WARM in runner.ts).
      const more: { warmMedianNs: number }[] = [];
      for (let k = 0; k < n; k += WARM_AT_ONCE) {
        const batch = Array.from({ length: Math.min(WARM_AT_ONCE, n - k) }, (_, j) => ask<{ warmMedianNs: number }>(k + j, { kind: 'warmMore', ...job.warmLonger! }));
        more.push(...(await Promise.all(batch)));
      }
      warm = more;
    }
    const runsFor = (ns: number) => Math.max(1, Math.round((job.sampleSeconds * 1e9) / Math.max(ns, 1)));
    const meanNs = warm.reduce((a, w) => a + w.warmMedianNs, 0) / n;
    const measured = await all<ArmSamples>((k: number) => ({ kind: 'measure', count: job.cases ? runsFor(warm[k]!.warmMedianNs) : runsFor(meanNs) }));
    measured.forEach((m, k) => {
      if (m.rows !== expected[k]!.rows) throw new Error(`${name(k)} returned ${m.rows} rows under timing but ${expected[k]!.rows} when checked`);
    });
    // After the samples, so that what it runs (a limit loop stopped by an exception at its first
    // row) cannot change how the timed runs were compiled.
    // In every isolate group, so that a first-row ratio has rounds to pool as a time ratio does.
    const firstRows: number[][] = [];
    if (job.firstRow) {
      for (let k = 0; k < n; k++) firstRows.push((await ask<{ firstRowSamples: number[] }>(k, { kind: 'firstRow' })).firstRowSamples);
    }
    const paired = n === 2 ? pairSamples(measured[0]!, measured[1]!) : cycles(measured);
    if (paired[0]!.length < 2) throw new Error(`only ${paired[0]!.length} paired samples: raise the time per arm`);
    // Back to the job's arm order.
    const at = (arm: number) => order.indexOf(arm);
    return {
      expected: order.map((_, arm) => expected[at(arm)]!),
      samples: order.map((_, arm) => paired[at(arm)]!),
      extraFraction: order.map((_, arm) => measured[at(arm)]!.extraFraction),
      ...(firstRows.length ? { firstRowSamples: order.map((_, arm) => firstRows[at(arm)]!) } : {}),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Samples of the cycles every arm completed (round-robin turns: the k-th samples share a cycle). */
function cycles(measured: readonly ArmSamples[]): number[][] {
  const k = Math.min(...measured.map((m) => m.samplesNs.length));
  return measured.map((m) => m.samplesNs.slice(0, k));
}

/**
 * The paired pass: `job.isolates` isolate groups one after the other, which arm starts rotating
 * from one to the next; each is a round of every arm's results. A slowed build's
 * `extraFractions` are what its stretching measured in each isolate pair (0 for the other).
 */
async function pairPass(job: PairJob): Promise<PairOutcome> {
  const isolates = job.isolates ?? 1;
  if (!Number.isInteger(isolates) || isolates < 1) throw new Error(`isolates must be a positive integer, got ${isolates}`);
  const n = job.runners.length;
  if (n < 2 || (job.cases !== undefined && job.cases.length !== n)) throw new Error(`a paired pass needs two or more arms, each with a case; got ${n} runners and ${job.cases?.length ?? 'no'} cases`);
  const rounds: number[][][] = Array.from({ length: n }, () => []);
  const extra: number[][] = Array.from({ length: n }, () => []);
  const firstRowRounds: number[][][] = Array.from({ length: n }, () => []);
  let first: IsolateGroup | undefined;
  for (let j = 0; j < isolates; j++) {
    const order = Array.from({ length: n }, (_, k) => (k + j) % n);
    const r = await isolateGroup(job, order);
    r.extraFraction.forEach((x, b) => extra[b]!.push(x));
    first ??= r;
    r.expected.forEach((e, b) => {
      const f = first!.expected[b]!;
      if (e.rows !== f.rows || e.checksum !== f.checksum) throw new Error(`arm ${b + 1} of the paired pass returned ${e.rows} rows #${e.checksum} in isolate group ${j + 1} but ${f.rows} rows #${f.checksum} in the first`);
    });
    r.samples.forEach((xs, b) => rounds[b]!.push(xs));
    r.firstRowSamples?.forEach((xs, b) => firstRowRounds[b]!.push(xs));
  }
  return {
    arms: rounds.map((rs, b) => ({
      rows: first!.expected[b]!.rows, checksum: first!.expected[b]!.checksum, inputRows: first!.expected[b]!.inputRows, rounds: rs, extraFractions: extra[b]!,
      ...(first!.firstRowSamples ? { firstRowNs: firstRowOf(first!.firstRowSamples[b]!), firstRowRounds: firstRowRounds[b]! } : {}),
    })),
  };
}

async function main(): Promise<void> {
  // A child whose runner was killed must not run on (a hung one would never end).
  dieWithParent(Number(process.env[PARENT_PID_ENV]));
  let outcome: unknown;
  try {
    const job = JSON.parse(process.argv[2] ?? '') as ChildJob;
    requireGc();
    if (job.mode === 'pair') outcome = { ok: true, ...(await pairPass(job)) };
    else if (job.mode === 'time') {
      await loadBenchmark();
      const cr: CaseRunnerModule = await import('./case-runner.js');
      outcome = { ok: true, ...(cr.isTask(job.case) ? await timePassTask(cr, job.case, job.settings, job.slowdown) : await timePass(cr, job.case, job.settings, job.slowdown)) };
    } else if (job.mode === 'heap') {
      await loadBenchmark();
      const cr: CaseRunnerModule = await import('./case-runner.js');
      outcome = { ok: true, ...(cr.isTask(job.case) ? await heapPassTask(cr, job.case, job.runs) : await heapPass(cr, job.case, job.runs, job.light)) };
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
