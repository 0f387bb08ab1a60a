import type { CaseSpec } from '../case.js';
import type { PeerRecord } from '../../core/results.js';
import type { KernelName } from './calibration.js';
import type { SteadyWarm } from './warm.js';

/** Timing settings handed down by the runner. */
export interface TimeSettings {
  /** benchmark.js maxTime, seconds. */
  maxTime: number;
  /** benchmark.js minSamples. */
  minSamples: number;
  /** Untimed runs before benchmark.js starts (it also warms up on its own). */
  warmupRuns: number;
  /** The V8 old-generation cap, MiB: the child runs with it, and a paired pass's isolates get it too. */
  heapCapMb?: number;
}

/**
 * What the runner asks a measuring child to do (passed as JSON in argv[2]).
 * - `slowdown` (calibration only, set by `sluice calibrate`, never by `run` or `gate`): stretch
 *   every run of the query to (1 + slowdown) times its own duration, measured run by run, with
 *   pure-CPU work after it (harness/measure/slowdown.ts); the gate must detect it. The child
 *   reports what it measured of the stretch (`extraFraction`, per isolate pair in a paired pass:
 *   `extraFractions`). (Older children did a fixed amount of extra work instead; the field is the
 *   same.)
 * - `runs`: measured heap runs (each one sample of peak and allocated bytes); default 3.
 * The gate runs children of another build (the base), so fields are only ever added, with
 * defaults that keep older children working.
 */
export type ChildJob =
  | { mode: 'time'; case: CaseSpec; settings: TimeSettings; slowdown?: number }
  /**
   * `light`: peak figures only (one warm-up run, no allocation over many runs: under a heap cap,
   * where a 10M-row query's runs are long).
   */
  | { mode: 'heap'; case: CaseSpec; runs?: number; light?: boolean }
  | PairJob
  | { mode: 'calibrate'; kernel: KernelName; count: number; length: number };

/** What every measuring child reports of the output it checked. */
export interface OutputOutcome {
  rows: number;
  checksum: string;
  /** Rows in the case's input tables (tasks: rows ingested or read). */
  inputRows: number;
  /** Tasks that measure it: bytes one run moved to or from storage. */
  ioBytes?: number;
}

/** A time pass (benchmark.js, one case in the child). */
export interface TimeOutcome extends OutputOutcome {
  samplesNs: number[];
  calls: number;
  firstRowNs: number | null;
  /** Calibration only: the slowdown the child measured it added (0 otherwise). */
  extraFraction: number;
  /** The machine-speed probe between cycles (queries; a task's pass and older builds have none). */
  probeNs?: number;
  probeVersion?: number;
}

/** A heap pass: every measured run's figures and their medians. */
export interface HeapOutcome extends OutputOutcome {
  peakBytes: number;
  peakSamples: number[];
  allocatedBytes: number;
  allocatedSamples: number[];
  gcCount: number;
  /** Older builds (a gate base) report none. */
  externalPeakBytes?: number;
  trackerPeakBytes: number | null;
  maxRssBytes: number;
  /** Allocation per run over many runs back to back (not under a heap cap, not for tasks). */
  allocatedPerRunBytes?: number;
  allocatedRuns?: number;
  retainedBytes?: number;
  /**
   * Growth of the process's resident set during a run above what it was at the run's start (the
   * median over the measured runs): memory outside the V8 heap too, such as a native peer's (DuckDB).
   * Linux only (the kernel's peak RSS, reset before each run); older builds report none.
   */
  rssGrowthBytes?: number;
  /** A peer's setup (library, version, the untimed load of its data, its settings). */
  setup?: PeerRecord;
}

/** A paired pass: per arm in the job's order, its output and one round of samples per isolate group. */
export interface PairOutcome {
  /**
   * `firstRowNs`: when the job asked for it (`firstRow`), the median of 5 first-row times in the
   * first isolate group; `firstRowRounds`: the 5 times of every isolate group.
   */
  arms: (OutputOutcome & { rounds: number[][]; extraFractions?: number[]; firstRowNs?: number | null; firstRowRounds?: number[][] })[];
}

/** The calibration kernel's measurement (see calibration.ts). */
export type KernelOutcome = ReturnType<typeof import('./calibration.js').calibrationKernel>;

/** What a job's child reports, by job. */
export type OutcomeOf<J extends ChildJob> =
  J extends { mode: 'time' } ? TimeOutcome
    : J extends { mode: 'heap' } ? HeapOutcome
      : J extends { mode: 'pair' } ? PairOutcome
        : KernelOutcome;

/** The child's one result: its outcome, or the one-line error that ended it. */
export type ChildOutcome<T = unknown> = ({ ok: true } & T) | { ok: false; error: string };

/** An error as one line for a result (`Name: message`), in the child and in a paired child's workers. */
export function describeError(e: unknown): string {
  const err = e as Error;
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
}

/** The child's one result line starts with this. */
export const RESULT_MARKER = '@@sluice-result ';

/**
 * A paired time pass: two builds' case runners (absolute paths of their
 * `harness/measure/case-runner.js`, or `.ts` from source), each loaded into a worker thread of its
 * own (its own V8 isolate) in one process, measured taking turns: one sample of one build (the
 * query run back to back for about `sampleSeconds`, the same number of runs for both), then one of
 * the other, so that both see the same machine from one sample to the next (see pair-arm.ts).
 * `settings.maxTime` is the seconds of turns per isolate pair (both builds' samples together),
 * `settings.minSamples` the fewest samples per build. The result lists the arms in the
 * job's order, each with one round per isolate pair holding only the samples that were paired, in order.
 * `slowdown[i]` is the calibration slowdown of arm i (0 for none).
 */
/**
 * A longer warm-up for quick queries: after the usual one (all arms at once), each arm whose warm
 * run took less than `maxRunNs` runs on alone (the others waiting), `runs` more times or for
 * `maxSeconds`, whichever ends first.
 */
export interface WarmLonger {
  runs: number;
  maxSeconds: number;
  maxRunNs: number;
  /** Arms at or past `maxRunNs` a run: warmed until they stop getting faster (see `harness/measure/warm.ts`). */
  steady: SteadyWarm;
}

export interface PairJob {
  mode: 'pair';
  case: CaseSpec;
  settings: TimeSettings;
  /** Per arm, the case-runner module it loads (two builds for the gate; this build's, N times, for a report). */
  runners: string[];
  /**
   * Per arm, its own case (a report's group: the same scenario and data on each runner); when
   * absent every arm runs `case` (the gate: one case on two builds).
   */
  cases?: CaseSpec[];
  sampleSeconds: number;
  slowdown?: number[];
  /** Runs each arm's warm-up takes at least (besides 0.1 s); 20 when absent (the gate's calibrated value). */
  warmRuns?: number;
  /** Group passes: a quick query's arms keep warming up after `warmRuns` (absent for the gate, as calibrated). */
  warmLonger?: WarmLonger;
  /**
   * Isolate pairs to measure one after the other (1 when absent): each is a fresh worker per
   * build, measured for `settings.maxTime`, which build starts alternating. One isolate can run a
   * query at a speed of its own for its whole life, so a comparison needs several; each is a round
   * of the results (`arms[i].rounds`).
   */
  isolates?: number;
  /**
   * Group passes: also measure each arm's time to first row in every isolate group, warm, one arm
   * at a time (5 runs each), for a case that has no time pass of its own: the first group's median
   * is the case's `firstRowNs`, every group's runs its `firstRowRounds`.
   */
  firstRow?: boolean;
}
