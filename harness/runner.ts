import { isPeer } from '../core/case-spec.js';
import { peerUnavailable } from './peers/load.js';
import { spawn } from 'node:child_process';
import { PARENT_PID_ENV } from './measure/watchdog.js';
import { claimScratch, releaseScratch, SCRATCH_ENV, scratchBase, sweepStaleScratch } from './scratch.js';
import { aligned, pairedRatio, pooledTime } from '../core/stats/paired.js';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../engine/index.js';
import { getScenario } from '../scenarios/index.js';
import type { CaseSpec } from './case.js';
import { RESULT_MARKER, type ChildJob, type ChildOutcome, type OutcomeOf, type OutputOutcome, type TimeOutcome, type WarmLonger } from './measure/protocol.js';
import {
  caseHeapCap, captureEnvironment, environmentMismatches, readResults, recordRounds, writeResults, type CaseRecord, type Environment, type ResultsFile, type RunSettings,
} from '../core/results.js';
import { summarize } from '../core/stats/descriptive.js';

/**
 * Node flags that take chance out of a process, for the paired gate's children (time and heap).
 * Each V8 isolate otherwise differs from the next at random, which a gate reads as the build:
 * - `--single-threaded`: no background compilation or GC threads, whose timing decided when
 *   optimized code arrived and how GC went. Measured on A/A pairs of one build: per-process ratios
 *   of a hash join varied 21% with them, 11% without, which is what the samples' own noise
 *   predicts; heap passes of pipeline-depth 4 allocated 4.43-5.26 MB per run across six processes
 *   with them, 4.43-4.46 MB without.
 * - `--hash-seed`: the same string hashing (Map layouts) in every isolate. Measured: per-process
 *   ratios of the ohlc aggregation (string group keys) varied 10.2% with a random seed per
 *   isolate, 4.7% with a fixed one (4.6% predicted).
 * Time passes keep V8's defaults; group passes and the paired gate use these flags, for runners or
 * builds compared under identical conditions; they are recorded in the results'
 * `environment.nodeFlags`. (Without background GC threads a query that allocates much runs
 * slower than with them: absolute times from group passes are times under these flags.)
 */
export const DETERMINISM_FLAGS: readonly string[] = ['--single-threaded', '--hash-seed=1'];

/** Node flags of the three kinds of measuring child. The heap pass keeps the young generation small
 * (1 MiB semi-spaces) so that "peak heap" is close to the live peak rather than to nursery size;
 * a group pass takes chance out of its isolates as the gate's children do. */
export const CHILD_FLAGS: Environment['nodeFlags'] = { time: ['--expose-gc'], heap: ['--expose-gc', '--max-semi-space-size=1'], group: ['--expose-gc', ...DETERMINISM_FLAGS] };

/**
 * Defaults of a run. Two kinds of time measurement, each where it serves:
 * - group passes (`groupIsolates` isolate groups per process, `groupMaxTime` each): every runner
 *   of a case group taking turns in one process, for the ratios a report prints and, in a
 *   single-build run, for each runner's time too (pooled over the isolate groups); another
 *   process while some ratio's 95% interval is wider than ±`groupTarget`, up to `groupPasses`;
 * - benchmark.js time passes (`rounds` processes per case, `maxTime` each): a case's time in a
 *   process of its own, for what group passes do not time (tasks, a lone runner, cases under a
 *   heap cap, runs with `groupIsolates` 0) and for the gate's unpaired mode.
 */
export const DEFAULT_SETTINGS: RunSettings = {
  rounds: 1, maxTime: 0.3, minSamples: 8, warmupRuns: 3, timeoutSec: 120, heapRuns: 5,
  groupIsolates: 3, groupMaxTime: 0.5, groupPasses: 3, groupTarget: 0.05,
};

/** Per-suite adjustments: quick must finish in 3 minutes on 2 cores; full can afford more. */
export const SUITE_SETTINGS: Readonly<Record<string, Partial<RunSettings>>> = {
  quick: { maxTime: 0.2, minSamples: 6, groupMaxTime: 0.4, groupPasses: 2 },
  reference: { maxTime: 0.2, minSamples: 6, heapRuns: 3, groupMaxTime: 0.3, groupPasses: 2 },
  fusion: { maxTime: 0.4 },
  // Large inputs under a fixed heap cap: few samples (a run takes up to seconds), one heap run,
  // no group passes (the question is how far each engine gets and at what memory, not a ratio).
  scale: { maxTime: 0.3, minSamples: 3, heapRuns: 1, groupIsolates: 0, heapCapMb: 256, timeoutSec: 300 },
  ingest: { maxTime: 1 },
  // Up to nine runners per group, four of them peers whose data each isolate loads afresh.
  peers: { maxTime: 0.3, minSamples: 6, heapRuns: 3, groupMaxTime: 0.3, groupPasses: 2 },
  full: { maxTime: 1, rounds: 2, groupPasses: 4 },
};

/** The project root (where package.json is), from this file's location in src or dist. */
export const PROJECT_ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

/** How to start a measuring child: a script, and node arguments that go before it. */
export interface ChildCommand {
  script: string;
  preload: string[];
}

/** True when running from the TypeScript sources (tests): child processes then need tsx. */
export const FROM_SOURCE = fileURLToPath(import.meta.url).endsWith('.ts');

/**
 * Running from the sources with `SLUICE_CHILDREN_FROM_BUILD=1` (what `npm test` sets, right after
 * its own build): measuring children start from dist/ instead of through tsx, which costs about
 * 0.7 s of CPU per process and per worker started (most of what the harness tests spend). Without
 * it, children run the sources, always as fresh as the test itself.
 */
export const CHILDREN_FROM_BUILD = FROM_SOURCE && process.env.SLUICE_CHILDREN_FROM_BUILD === '1';

/** This build's `harness/measure/<name>` module: compiled JS from dist/, or the TypeScript source. */
function measureModule(name: string): string {
  if (CHILDREN_FROM_BUILD) return path.join(PROJECT_ROOT, 'dist', 'harness', 'measure', `${name}.js`);
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), 'measure', `${name}${path.extname(here)}`);
}

/** How to start one of this build's `harness/measure/` scripts in a child process. */
export function measureCommand(name: string): ChildCommand {
  // tsx by its resolved location, so a child started from another working directory finds it.
  return { script: measureModule(name), preload: FROM_SOURCE && !CHILDREN_FROM_BUILD ? ['--import', import.meta.resolve('tsx')] : [] };
}

/** How to start this build's measuring child. */
export function childCommand(): ChildCommand {
  return measureCommand('child');
}

/** This build's case-runner module (what a paired child imports for it). */
export function caseRunnerPath(): string {
  return measureModule('case-runner');
}

export type { ChildOutcome };

/** How {@link runChild} starts and watches a child. */
export interface ChildOptions {
  /** Called once the child is started, with a function that kills it. */
  onSpawn?: (kill: () => void) => void;
  /** Which script to start (default: this build's measuring child). */
  command?: ChildCommand;
  /**
   * A scratch base (see scratch.ts): the child gets a folder of its own under it for stored
   * tables, deleted when the child has exited. Absent: the system's temporary folder, which the
   * child's stored tables delete on a normal exit only.
   */
  scratch?: string;
}

/**
 * Run one measuring child; never throws for the child's own failures. The outcome's type follows
 * the job's mode (see measure/protocol.ts); the child is trusted to send it, as it is this
 * build's or a gate base's, whose fields are only ever added to.
 */
export function runChild<J extends ChildJob>(job: J, flags: readonly string[], timeoutSec: number, opts: ChildOptions = {}): Promise<ChildOutcome<OutcomeOf<J>>> {
  const { onSpawn, command = childCommand() } = opts;
  const { script, preload } = command;
  // The child's scratch folder goes when it has exited, whatever the way (see scratch.ts).
  const scratch = opts.scratch !== undefined ? claimScratch(opts.scratch) : undefined;
  return new Promise<ChildOutcome<OutcomeOf<J>>>((resolve) => {
    const child = spawn(process.execPath, [...preload, ...flags, script, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [PARENT_PID_ENV]: String(process.pid), ...(scratch ? { [SCRATCH_ENV]: scratch } : {}) },
    });
    let stdout = '', stderr = '', timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSec * 1000);
    onSpawn?.(() => child.kill('SIGKILL'));
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `could not start the measuring process: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (line) {
        try {
          return resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as ChildOutcome<OutcomeOf<J>>);
        } catch {
          /* fall through: treat as a crash */
        }
      }
      if (timedOut) return resolve({ ok: false, error: `timed out after ${timeoutSec} s` });
      if (/heap out of memory|Allocation failed|JavaScript heap/.test(stderr)) return resolve({ ok: false, error: OUT_OF_MEMORY });
      const last = stderr.trim().split('\n').filter((l) => l.trim()).at(-1) ?? '';
      resolve({ ok: false, error: `crashed (${signal ? `signal ${signal}` : `exit code ${code}`})${last ? `: ${last.slice(0, 300)}` : ''}` });
    });
  }).finally(() => {
    if (scratch) releaseScratch(scratch);
  });
}

/** A fresh record for a planned case. */
function pendingRecord(c: CaseSpec): CaseRecord {
  return {
    id: c.id, group: c.group, scenario: c.scenario, family: getScenario(c.scenario).family, params: c.params, engine: c.engine,
    options: c.options, seed: c.seed, status: 'pending', rounds: [],
  };
}

export interface RunRequest {
  suite: string;
  cases: CaseSpec[];
  out: string;
  resume?: boolean;
  force?: boolean;
  settings?: Partial<RunSettings>;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

/** Settings for a new run of `suite`: defaults, then the suite's, then the caller's. */
export function suiteSettings(suite: string, settings: Partial<RunSettings> = {}): RunSettings {
  return { ...DEFAULT_SETTINGS, ...SUITE_SETTINGS[suite], ...settings };
}

/** A new, empty results file for `suite`, measured by the build at `root`. */
export function newResults(suite: string, settings: RunSettings, root: string = PROJECT_ROOT, flags: Environment['nodeFlags'] = CHILD_FLAGS): ResultsFile {
  return {
    schema: 'sluice-results', version: 1, suite, createdAt: new Date().toISOString(),
    environment: captureEnvironment(root, flags), settings, cases: [],
  };
}

/**
 * Check that `out` may be written: absent, or `force`; its directory is created.
 * @throws ConfigError otherwise.
 */
export function claimOutput(out: string, force: boolean, hint = 'pass --resume to continue it or --force to overwrite it'): void {
  if (existsSync(out) && statSync(out).isDirectory()) throw new ConfigError(`results file '${out}' is a directory; name a file (for example ${path.join(out, 'results.json')})`);
  if (existsSync(out) && !force) throw new ConfigError(`results file '${out}' already exists; ${hint}`);
  try {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  } catch (e) {
    throw new ConfigError(`cannot write results file '${out}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Run cases, each pass in its own child process, and write the results file after every
 * measurement (atomically), so an interruption loses nothing already measured.
 * See {@link measureArms} for the order.
 * @throws ConfigError for an existing output without --resume/--force, or a resume that does not fit.
 */
export async function runCases(req: RunRequest): Promise<ResultsFile> {
  let results: ResultsFile;
  if (req.resume) {
    if (!existsSync(req.out)) throw new ConfigError(`--resume: results file '${req.out}' does not exist`);
    results = readResults(req.out);
    if (results.suite !== req.suite) throw new ConfigError(`--resume: '${req.out}' holds suite '${results.suite}', not '${req.suite}'`);
    const mismatch = environmentMismatches(results.environment, captureEnvironment(PROJECT_ROOT, CHILD_FLAGS));
    if (mismatch.length) throw new ConfigError(`--resume: '${req.out}' was measured in another environment: ${mismatch.join('; ')}`);
  } else {
    claimOutput(req.out, !!req.force);
    results = newResults(req.suite, suiteSettings(req.suite, req.settings));
  }
  await measureArms([{ name: '', out: req.out, results }], req.cases, req.log);
  return results;
}

/**
 * One build being measured, with its own results file. A plain run has one arm; the gate has
 * two (base and head builds) and calibration has the same build twice, once slowed down.
 */
export interface Arm {
  /** Label in progress lines ('base', 'head'); empty for a plain run. */
  name: string;
  out: string;
  /** The results being filled in (records of cases already measured are continued). */
  results: ResultsFile;
  /** How to start this arm's measuring child (default: this build's). */
  child?: ChildCommand;
  /** Calibration only: see `ChildJob.slowdown`. */
  slowdown?: number;
  /** Time passes only (calibration's slowed arms: the extra work has nothing to say about memory). */
  skipHeap?: boolean;
  /** How this arm's build spells a case, when it differs from this build (an older gate base). */
  caseFor?: (c: CaseSpec) => CaseSpec;
  /** Paired mode: this build's `harness/measure/case-runner` module, loaded into the paired child. */
  caseRunner?: string;
}

/**
 * A paired time pass's sample: about this long of back-to-back runs of one build, before the
 * other's turn (see PairJob, pair-arm.ts). Measured A/A on this project's VM: 1 ms samples paired
 * at 15-18% (SD of the log ratio) against 19-30% for 5 ms ones.
 */
export const PAIR_SAMPLE_SECONDS = 0.001;

/**
 * A group pass's longer warm-up for quick queries: each arm whose warm run takes under 1 ms runs
 * 2500 more times (at most 0.3 s), alone. A query is planned on every run, and the planner's functions (called once per
 * run, not per row) reach optimized code only after a few thousand runs: a 10K-row fused filter
 * ran at 112 µs after the 0.1 s warm-up group passes had before, against 76 µs in benchmark.js
 * and 75-80 µs once the same isolates had run for a second (composed iterators 120 against 96, the
 * limit loop 64 against 51; `sluice run --suite reference --filter
 * 'selectivity/rows=10000,selectivity=0.1/*'`), so the fused arm's gain all but vanished from the
 * paired ratios. With this warm-up: 85-90 µs in three isolate groups. Alone, because a run's time
 * under contention (four arms on two cores) says nothing, and warming four arms at once to the same
 * runs gave 106-115 µs. Past 1 ms a run, planning is under 1% of it: such an arm warms up, alone
 * too, in rounds of at least 5 runs and 0.05 s until a round is not 5% faster than the one before
 * (at most 1 s; see `warmUntilSteady`).
 */
export const GROUP_WARM: WarmLonger = { runs: 2500, maxSeconds: 0.3, maxRunNs: 1e6, steady: { roundRuns: 5, roundSeconds: 0.05, tolerance: 0.05, maxSeconds: 1 } };


/** Node flags of the paired gate's children: the paired time pass and each build's heap pass. */
export const PAIRED_CHILD_FLAGS: Environment['nodeFlags'] = { time: [...CHILD_FLAGS.time, ...DETERMINISM_FLAGS], heap: [...CHILD_FLAGS.heap, ...DETERMINISM_FLAGS] };

/** The children's node flags of a measurement, paired or not (what its results record). */
export function childFlags(paired: boolean): Environment['nodeFlags'] {
  return paired ? PAIRED_CHILD_FLAGS : CHILD_FLAGS;
}


/** A child's error when V8 ran out of heap (runChild reads it from the child's stderr). */
export const OUT_OF_MEMORY = 'out of memory (the V8 heap limit was reached)';

/**
 * A failure's reason: "out of memory at N rows (heap cap C MiB)" when a capped child (or a group
 * pass's worker) ran out of heap (N: the case's `rows` parameter, or its input rows), else the
 * error as it came.
 */
export function outOfMemory(rec: CaseRecord, error: string, capMb: number | undefined): string {
  const child = error.endsWith(OUT_OF_MEMORY), worker = error.includes('ERR_WORKER_OUT_OF_MEMORY');
  if (!capMb || !(child || worker)) return error;
  const rows = typeof rec.params.rows === 'number' ? rec.params.rows : rec.inputRows;
  return `out of memory at ${rows === undefined ? 'its' : rows.toLocaleString('en-US')} rows (heap cap ${capMb} MiB${child ? '' : `; ${error}`})`;
}

/**
 * Measure `cases` on every arm, each pass in its own child process, writing each arm's results
 * file after every measurement.
 *
 * Order: for each round, for each group (scenario and params), every engine of the group in turn,
 * the engine order rotating from round to round so that machine drift hits every engine alike;
 * with several arms, each case runs on every arm back to back (base, head, then head, base for the
 * next case...), so both builds see the same machine. The heap pass runs once per case and arm,
 * in round 1. After a group's first round, the outputs of its engines (row count and checksum)
 * are compared within each arm; a disagreement marks the group's cases errored.
 */
export async function measureArms(arms: readonly Arm[], cases: readonly CaseSpec[], logFn?: (line: string) => void, opts: { paired?: boolean } = {}): Promise<void> {
  const log = logFn ?? (() => {});
  const capped = (f: readonly string[], cap: number | undefined) => (cap ? [...f, `--max-old-space-size=${cap}`] : [...f]);
  const baseFlags = childFlags(!!opts.paired);
  /** A case's heap cap, MiB (its own, or the run's: every arm measures with the same settings). */
  const capOf = (c: { readonly params: Readonly<Record<string, unknown>> }) => (arms[0] ? caseHeapCap(c, arms[0].results.settings) : undefined);
  /** A case's node flags: its heap cap on top of the pass's flags. */
  const flagsFor = (c: CaseSpec) => ({ time: capped(baseFlags.time, capOf(c)), heap: capped(baseFlags.heap, capOf(c)) });
  if (opts.paired && (arms.length !== 2 || arms.some((a) => !a.caseRunner))) throw new ConfigError('paired measurement needs exactly two builds, each with its case runner');
  const state = arms.map((arm) => {
    const records = new Map(arm.results.cases.map((r) => [r.id, r]));
    for (const c of cases) {
      if (!records.has(c.id)) {
        const r = pendingRecord(c);
        records.set(c.id, r);
        arm.results.cases.push(r);
      }
    }
    writeResults(arm.out, arm.results);
    return { arm, records, settings: arm.results.settings };
  });

  // A peer whose library does not load here (an optional dependency npm could not install)
  // errors at once with the reason, before any group pass would fail on it.
  const unavailable = new Map<string, string | undefined>();
  for (const a of state) {
    for (const c of cases) {
      const rec = a.records.get(c.id)!;
      if (!isPeer(c.engine) || rec.status !== 'pending') continue;
      if (!unavailable.has(c.engine)) unavailable.set(c.engine, await peerUnavailable(c.engine));
      const why = unavailable.get(c.engine);
      if (why !== undefined) {
        rec.status = 'errored';
        rec.error = why;
      }
    }
    writeResults(a.arm.out, a.arm.results);
  }
  for (const why of unavailable.values()) if (why !== undefined) log(`sluice: ${why}`);

  // Stored tables of this run's children go beside its (first) results file; folders a killed
  // run left there are deleted first.
  const scratch = arms[0] ? scratchBase(path.dirname(path.resolve(arms[0].out))) : undefined;
  if (scratch) sweepStaleScratch(scratch);

  const groups = new Map<string, CaseSpec[]>();
  for (const c of cases) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  /** A query case (tasks await I/O and are not measured in group passes). */
  const isQuery = (c: CaseSpec) => getScenario(c.scenario).task === undefined;
  const single = state.length === 1 && !opts.paired;
  /**
   * Groups timed by their group passes alone (see {@link measureByGroup}): in a single-build run
   * with group passes, two or more query runners and no heap cap. A capped case may run out of
   * memory, which its own time pass finds before a group pass would fail with it.
   */
  const byGroup = new Set([...groups].filter(([, ms]) => single && (state[0]!.settings.groupIsolates ?? 0) > 0 && ms.length >= 2 && ms.every((c) => isQuery(c) && !capOf(c))).map(([g]) => g));
  // Processes still to run (a paired process fills `isolates` rounds at once), plus the heap pass.
  const timePasses = (r: CaseRecord, a: Arm) => (byGroup.has(r.group) ? 0 : Math.max(0, Math.ceil((recordRounds(a.results.settings) - r.rounds.length) / (a.results.settings.isolates ?? 1))));
  const units = (r: CaseRecord, a: Arm) => (r.status === 'errored' ? 0 : timePasses(r, a) + (r.heap || a.skipHeap ? 0 : 1));
  const groupUnits = single && (state[0]!.settings.groupIsolates ?? 0) > 0
    ? [...groups.values()].filter((ms) => ms.filter(isQuery).length >= 2).length : 0;
  let total = groupUnits + state.reduce((n, a) => n + cases.reduce((m, c) => m + units(a.records.get(c.id)!, a.arm), 0), 0);
  const maxRounds = Math.max(...state.map((a) => a.settings.rounds));
  let done = 0, caseIndex = 0;
  const started = Date.now();
  const where = arms.length === 1 ? `into ${arms[0]!.out}` : arms.map((a) => `${a.name} into ${a.out}`).join(', ');
  log(`sluice: ${cases.length} cases of '${arms[0]?.results.suite ?? ''}'${arms.length > 1 ? ` on ${arms.length} builds` : ''}, ${total} measurements to make, ${where}`);
  /** Kill functions of the children running now (two at once for a paired gate's heap passes). */
  const running = new Set<() => void>();
  /** runChild, with the child killable by SIGINT while it runs. */
  const runTracked = async <J extends ChildJob>(job: J, nodeFlags: readonly string[], timeoutSec: number, command?: ChildCommand): Promise<ChildOutcome<OutcomeOf<J>>> => {
    let kill: (() => void) | undefined;
    try {
      return await runChild(job, nodeFlags, timeoutSec, { onSpawn: (k) => void running.add((kill = k)), command, scratch });
    } finally {
      if (kill) running.delete(kill);
    }
  };
  const onSigint = () => {
    for (const kill of running) kill();
    if (scratch) sweepStaleScratch(scratch, process.pid);
    log(`\ninterrupted: ${done} of ${total} measurements are saved in ${arms.map((a) => a.out).join(', ')}${arms.length === 1 ? '; continue with --resume' : ''}`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);

  const progress = (c: CaseSpec, arm: Arm, what: string) => {
    const elapsed = (Date.now() - started) / 1000;
    const eta = done > 0 ? ((elapsed / done) * (total - done)).toFixed(0) : '?';
    log(`[${done + 1}/${total}] ${c.id}${arm.name ? ` [${arm.name}]` : ''} ${what} (elapsed ${elapsed.toFixed(0)} s, ETA ${eta} s)`);
  };
  const fail = (rec: CaseRecord, error: string) => {
    rec.status = 'errored';
    rec.error = outOfMemory(rec, error, capOf(rec));
    log(`  errored: ${rec.error}`);
  };

  type ArmState = (typeof state)[number];
  /** Record one time pass's outcome (from a child of its own, or its half of a paired child). */
  /** One round of samples with its output: a time pass's outcome, or one isolate group of a paired pass (no first row or probe). */
  type Round = OutputOutcome & Pick<TimeOutcome, 'samplesNs'> & Partial<Pick<TimeOutcome, 'firstRowNs' | 'extraFraction' | 'probeNs' | 'probeVersion'>>;
  const recordTime = (rec: CaseRecord, t: ChildOutcome<Round>) => {
    if (!t.ok) fail(rec, t.error);
    else if (!sameOutput(rec, t)) fail(rec, `its output changed between passes: ${describeOutput(rec.output)} then ${describeOutput(t)}`);
    else {
      rec.output = { rows: t.rows, checksum: t.checksum };
      rec.inputRows = t.inputRows;
      if (t.ioBytes !== undefined) rec.ioBytes = t.ioBytes;
      rec.rounds.push(t.samplesNs);
      // Probe figures only while every round has one (an older base build's child has none).
      if (typeof t.probeNs === 'number' && (rec.probes?.length ?? 0) === rec.rounds.length - 1) {
        rec.probes = [...(rec.probes ?? []), t.probeNs];
        if (t.probeVersion !== undefined) rec.probeVersion = t.probeVersion;
      }
      if (typeof t.extraFraction === 'number' && t.extraFraction > 0) rec.slowdownMeasured = [...(rec.slowdownMeasured ?? []), t.extraFraction];
      rec.summary = summarize(rec.rounds.flat());
      if (rec.firstRowNs === undefined || rec.firstRowNs === null) rec.firstRowNs = t.firstRowNs ?? null;
      else if (typeof t.firstRowNs === 'number') rec.firstRowNs = Math.min(rec.firstRowNs, t.firstRowNs);
    }
  };
  /** The heap pass of a case on one arm (once), and the record's final status. */
  const heapAndFinish = async (c: CaseSpec, a: ArmState) => {
    const { arm, settings } = a;
    const rec = a.records.get(c.id)!;
    if (!errored(rec) && !rec.heap && !arm.skipHeap) {
      progress(c, arm, 'heap pass');
      // Under a heap cap, peak figures only (one warm-up run, no many-run allocation figure).
      const h = await runTracked({ mode: 'heap', case: arm.caseFor?.(c) ?? c, runs: settings.heapRuns ?? 3, ...(capOf(c) ? { light: true } : {}) }, flagsFor(c).heap, settings.timeoutSec, arm.child);
      done++;
      if (!h.ok) fail(rec, `heap pass: ${h.error}`);
      else if (!sameOutput(rec, h)) fail(rec, `its output differs between the time and heap passes: ${describeOutput(rec.output)} vs ${describeOutput(h)}`);
      else {
        const { peakBytes, allocatedBytes, gcCount, trackerPeakBytes, retainedBytes, maxRssBytes, externalPeakBytes } = h;
        rec.heap = { peakBytes, allocatedBytes, gcCount, trackerPeakBytes: trackerPeakBytes ?? null, maxRssBytes };
        if (typeof retainedBytes === 'number') rec.heap.retainedBytes = retainedBytes;
        if (typeof externalPeakBytes === 'number') rec.heap.externalPeakBytes = externalPeakBytes;
        if (typeof h.rssGrowthBytes === 'number') rec.heap.rssGrowthBytes = h.rssGrowthBytes;
        if (h.setup) rec.peer = h.setup;
        if (Array.isArray(h.peakSamples)) rec.heap.peakSamples = h.peakSamples;
        if (Array.isArray(h.allocatedSamples)) rec.heap.allocatedSamples = h.allocatedSamples;
        if (typeof h.allocatedPerRunBytes === 'number') {
          rec.heap.allocatedPerRunBytes = h.allocatedPerRunBytes;
          if (h.allocatedRuns !== undefined) rec.heap.allocatedRuns = h.allocatedRuns;
        }
      }
    }
    // A group timed by its group passes has no time passes (one that fell back has them all).
    const timed = rec.rounds.length >= recordRounds(settings) || (byGroup.has(rec.group) && rec.rounds.length === 0 && (rec.groupRounds?.length ?? 0) > 0);
    if (!errored(rec) && timed && (rec.heap || arm.skipHeap)) rec.status = 'ok';
    writeResults(arm.out, arm.results);
  };

  const measureOne = async (c: CaseSpec, a: ArmState, round: number, heapNow = true) => {
    const { arm, settings } = a;
    const rec = a.records.get(c.id)!;
    if (rec.status === 'errored' || round > settings.rounds) return;
    if (rec.rounds.length < round) {
      progress(c, arm, `time pass, round ${round}/${settings.rounds}`);
      const job: ChildJob = { mode: 'time', case: arm.caseFor?.(c) ?? c, settings, ...(arm.slowdown ? { slowdown: arm.slowdown } : {}) };
      recordTime(rec, await runTracked(job, flagsFor(c).time, settings.timeoutSec, arm.child));
      done++;
      // Saved before the heap pass: a kill during it must not lose this measurement.
      writeResults(arm.out, arm.results);
    }
    // Also after a resume whose time passes were saved but whose heap pass was not.
    if (heapNow) await heapAndFinish(c, a);
  };

  /** Paired mode: one child measures the case on both arms in alternating slices (see PairJob). */
  const measurePair = async (c: CaseSpec, round: number, first: number) => {
    const [a0, a1] = state as [ArmState, ArmState];
    const recs = [a0.records.get(c.id)!, a1.records.get(c.id)!];
    const settings = a0.settings;
    const isolates = settings.isolates ?? 1;
    if (recs.some((r) => r.status === 'errored') || round > settings.rounds) return;
    // Time rounds already saved (a resume after a kill during the heap passes): only the heap passes are left.
    if (recs.every((r) => r.rounds.length >= round * isolates)) return void (await Promise.all(state.map((a) => heapAndFinish(c, a))));
    const order = first === 0 ? [0, 1] : [1, 0];
    progress(c, state[order[0]!]!.arm, `paired time pass with ${state[order[1]!]!.arm.name}, round ${round}/${settings.rounds}${isolates > 1 ? ` (${isolates} isolate pairs)` : ''}`);
    const job: ChildJob = {
      mode: 'pair', case: c, settings: { ...settings, heapCapMb: capOf(c) }, sampleSeconds: PAIR_SAMPLE_SECONDS,
      cases: order.map((i) => state[i]!.arm.caseFor?.(c) ?? c),
      runners: order.map((i) => state[i]!.arm.caseRunner!) as [string, string],
      slowdown: order.map((i) => state[i]!.arm.slowdown ?? 0) as [number, number], isolates,
    };
    const t = await runTracked(job, flagsFor(c).time, settings.timeoutSec);
    done += 2;
    order.forEach((armIndex, k) => {
      const rec = recs[armIndex]!;
      rec.paired = true;
      if (!t.ok) return recordTime(rec, t);
      const { rounds, extraFractions, ...arm } = t.arms[k]!;
      rounds.forEach((samplesNs, j) => recordTime(rec, { ok: true, ...arm, samplesNs, extraFraction: extraFractions?.[j] ?? 0 }));
    });
    for (const a of state) writeResults(a.arm.out, a.arm.results);
    // Both builds' heap passes at once, one per core: heap figures are V8's GC statistics, not
    // times, so they do not need the machine to themselves (and the gate saves a second per case).
    await Promise.all(state.map((a) => heapAndFinish(c, a)));
  };

  /** A group's query cases that can be measured together (not tasks, not errored). */
  const groupMembers = (members: CaseSpec[], a: ArmState) => members.filter((c) => isQuery(c) && !errored(a.records.get(c.id)!));

  /**
   * Group passes (single-build runs with `groupIsolates`): every runner of a case group in one
   * process, each in an isolate of its own, taking turns (see PairJob), `groupIsolates` isolate
   * groups per process. Another process is run while the ratio of any two runners of the group
   * has a 95% interval wider than ±`groupTarget`, up to `groupPasses` processes: the time goes
   * where intervals are wide.
   *
   * `first` (a group timed by its group passes alone): the passes also give each record its
   * output, input rows, time to first row and time summary (pooled over isolates), and a first
   * pass that fails marks nothing: its error is returned, for the caller to time each runner on
   * its own instead.
   */
  const measureGroup = async (members: CaseSpec[], a: ArmState, first = false): Promise<string | undefined> => {
    const { arm, settings } = a;
    const isolates = settings.groupIsolates ?? 0;
    const live = groupMembers(members, a);
    if (isolates <= 0 || live.length < 2) return first ? 'fewer than two runners left to measure together' : undefined;
    const ids = live.map((c) => c.id);
    const recs = live.map((c) => a.records.get(c.id)!);
    // A resume keeps group rounds measured with the same runners; anything else starts over.
    for (const r of recs) {
      if (!r.pairedWith || r.pairedWith.join('\n') !== ids.join('\n')) {
        r.groupRounds = [];
        r.pairedWith = ids;
      }
    }
    const maxPasses = settings.groupPasses ?? 1, target = settings.groupTarget ?? 0.05;
    for (;;) {
      const passes = Math.floor(Math.min(...recs.map((r) => r.groupRounds!.length)) / isolates);
      if (passes >= maxPasses || (passes >= 1 && widestInterval(recs) <= target)) return;
      if (passes >= 1) total++; // an extension pass: not in the first estimate
      progress(live[0]!, arm, `group pass ${passes + 1} of ${live.length} runners taking turns (${isolates} isolate groups)`);
      const job: ChildJob = {
        mode: 'pair', case: live[0]!, cases: live, runners: live.map(() => arm.caseRunner ?? caseRunnerPath()),
        settings: { ...settings, heapCapMb: capOf(live[0]!), maxTime: settings.groupMaxTime ?? settings.maxTime, minSamples: Math.min(settings.minSamples, 6) }, sampleSeconds: PAIR_SAMPLE_SECONDS, isolates,
        // Each isolate group warms up afresh; 20 runs of a 1M-row query would take seconds per arm.
        warmRuns: 5,
        warmLonger: GROUP_WARM,
        ...(recs.some((r) => r.firstRowNs === undefined) ? { firstRow: true } : {}),
      };
      // The gate's determinism flags: no background compiler or GC threads, one hash seed, so that
      // fresh isolates differ less from one another (what limits these intervals).
      const t = await runTracked(job, capped(CHILD_FLAGS.group!, capOf(live[0]!)), settings.timeoutSec);
      done++;
      if (!t.ok) {
        if (first && passes === 0) return t.error;
        for (const r of recs) fail(r, `group pass: ${t.error}`);
        writeResults(arm.out, arm.results);
        return;
      }
      recs.forEach((r, k) => {
        const o = t.arms[k]!;
        if (!sameOutput(r, o)) return fail(r, `its output differs between two passes: ${describeOutput(r.output)}, then ${describeOutput(o)} in group pass ${passes + 1}`);
        r.groupRounds!.push(...o.rounds);
        if (!first) return;
        r.output = { rows: o.rows, checksum: o.checksum };
        r.inputRows = o.inputRows;
        if (o.firstRowNs !== undefined && r.firstRowNs === undefined) {
          r.firstRowNs = o.firstRowNs;
          if (o.firstRowRounds?.every((xs) => xs.length > 0)) r.firstRowRounds = o.firstRowRounds;
        }
        r.summary = pooledTime(r.groupRounds!);
      });
      writeResults(arm.out, arm.results);
      if (recs.some((r) => errored(r))) return;
    }
  };

  /**
   * A group timed by its group passes alone (single-build runs; see `byGroup`): its runners'
   * times, ratios, outputs and first rows all come from the processes in which they take turns,
   * times pooled over the isolate groups as the ratios are; no benchmark.js pass of its own (it
   * took a quarter of `npm start`, for figures that one process's samples cannot vouch for).
   * Then the heap passes and the agreement check. When the first group pass fails (a runner
   * throws, say), each runner is timed in a process of its own as other groups are, so that the
   * failure is pinned on its case and the others are still measured together.
   */
  const measureByGroup = async (members: CaseSpec[], a: ArmState) => {
    // A resumed group that had fallen back already has time passes: it goes on that way.
    const timedAlone = members.some((c) => a.records.get(c.id)!.rounds.length > 0);
    const error = timedAlone ? 'resumed after timing its runners one at a time' : await measureGroup(members, a, true);
    if (error !== undefined) {
      log(`  group pass: ${error}; timing each runner of the group in a process of its own`);
      const fallback = groupMembers(members, a).filter((c) => a.records.get(c.id)!.rounds.length === 0);
      total += fallback.length;
      for (let round = 1; round <= maxRounds; round++) for (const c of fallback) await measureOne(c, a, round, false);
    }
    await inParallel(members.map((c) => () => heapAndFinish(c, a)), HEAP_PASSES_AT_ONCE);
    checkAgreement(members.map((c) => a.records.get(c.id)!), log);
    writeResults(a.arm.out, a.arm.results);
    if (error !== undefined) await measureGroup(members, a);
  };

  try {
    for (let round = 1; round <= maxRounds; round++) {
      for (const [key, members] of groups) {
        if (byGroup.has(key)) {
          if (round === 1) await measureByGroup(members, state[0]!);
          continue;
        }
        const order = members.map((_, i) => members[(i + round - 1) % members.length]!);
        for (const c of order) {
          // Alternate which build goes first, so neither always runs on a machine the other warmed.
          const first = caseIndex++ % state.length;
          if (opts.paired) await measurePair(c, round, first);
          else if (state.length === 1) await measureOne(c, state[0]!, round, false);
          else for (let k = 0; k < state.length; k++) await measureOne(c, state[(first + k) % state.length]!, round);
        }
        // One build: its group's heap passes after the group's time passes, HEAP_PASSES_AT_ONCE at
        // a time (heap figures are V8's GC statistics, not times; the paired gate runs its two
        // builds' heap passes at once the same way). Never beside a time pass.
        if (state.length === 1 && !opts.paired) await inParallel(order.map((c) => () => heapAndFinish(c, state[0]!)), HEAP_PASSES_AT_ONCE);
        if (round === 1) {
          for (const a of state) {
            checkAgreement(members.map((c) => a.records.get(c.id)!), log);
            writeResults(a.arm.out, a.arm.results);
          }
        }
        if (round === maxRounds && state.length === 1 && !opts.paired) await measureGroup(members, state[0]!);
      }
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * The widest 95% interval, relative to its ratio (e.g. 0.05 for ±5%), among the paired ratios of
 * every two records of a group, from their group rounds (any pair may be a ratio a report prints).
 */
export function widestInterval(recs: readonly CaseRecord[]): number {
  let widest = 0;
  for (let i = 0; i < recs.length; i++) {
    for (let j = i + 1; j < recs.length; j++) {
      const a = recs[i]!.groupRounds ?? [], b = recs[j]!.groupRounds ?? [];
      if (!aligned(a, b)) return Infinity;
      const p = pairedRatio(a, b, 'hk');
      widest = Math.max(widest, p.ci[1] / p.ratio - 1, 1 - p.ci[0] / p.ratio);
    }
  }
  return widest;
}

/** Heap passes of one build run this many at a time (one per core of a 2-core machine). */
const HEAP_PASSES_AT_ONCE = 2;

/** Run `tasks` with at most `n` running at once; resolves when all have. */
async function inParallel(tasks: readonly (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
}

/** A read of the status that TypeScript does not narrow away (fail() changes it behind its back). */
function errored(rec: CaseRecord): boolean {
  return rec.status === 'errored';
}

function describeOutput(o: { rows: number; checksum: string } | undefined): string {
  return o ? `${o.rows} rows #${o.checksum}` : 'nothing';
}

function sameOutput(rec: CaseRecord, o: Pick<OutputOutcome, 'rows' | 'checksum'>): boolean {
  return rec.output === undefined || (rec.output.rows === o.rows && rec.output.checksum === o.checksum);
}

/**
 * Every runner of a group must return the same rows. If sluice's own runners (the engines and the
 * limit loop) disagree, no timing of the group can be trusted: all its cases become errors that
 * list each runner's output. A peer that disagrees with them errors alone (its rows, not sluice's,
 * are in question), and shows as an error, never as a timing. A group of peers alone must agree
 * among themselves.
 */
export function checkAgreement(group: CaseRecord[], log: (line: string) => void = () => {}): boolean {
  const measured = group.filter((r) => r.output !== undefined);
  if (measured.length === 0) return true;
  const first = measured[0]!;
  const countsOnly = getScenario(first.scenario).orderSensitive?.(first.params) ?? false;
  const said = (r: CaseRecord) => (countsOnly ? String(r.output!.rows) : describeOutput(r.output));
  const label = (r: CaseRecord) => `${r.engine}${Object.keys(r.options).length ? '+' + JSON.stringify(r.options) : ''}: ${describeOutput(r.output)}`;
  const own = measured.filter((r) => !isPeer(r.engine));
  const judges = own.length ? own : measured;
  const outputs = new Set(judges.map(said));
  if (outputs.size > 1) {
    const detail = measured.map(label).join('; ');
    for (const r of group) {
      r.status = 'errored';
      r.error = `engines disagree on the result: ${detail}`;
    }
    log(`  engines disagree in ${group[0]!.group}: ${detail}`);
    return false;
  }
  const want = [...outputs][0]!;
  let agree = true;
  for (const r of measured) {
    if (said(r) === want) continue;
    r.status = 'errored';
    r.error = `peer '${r.engine}' returned other rows than sluice: ${describeOutput(r.output)}, sluice ${describeOutput(judges[0]!.output)}`;
    log(`  ${r.error} in ${r.group}`);
    agree = false;
  }
  return agree;
}
