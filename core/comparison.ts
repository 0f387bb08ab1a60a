/**
 * What `sluice compare` and `sluice gate` decide, as data: the decision rule's settings and the
 * comparison (the `--format json` output, documented in docs/compare-format.md). harness/gate
 * computes it; reports/compare.ts renders it.
 */
import { HEAP_STEP_BYTES } from './results.js';

export const COMPARE_SCHEMA = 'sluice-compare';
export const COMPARE_VERSION = 3;

/** The decision rule's knobs. */
export interface CompareSettings {
  /** Smallest time ratio change that counts, as a fraction (0.10 = 10%). */
  timeThreshold: number;
  /** Smallest memory change that counts, as a fraction. */
  memoryThreshold: number;
  /** Family-wise significance level (per metric, across cases, after Holm). */
  alpha: number;
  /**
   * Heap differences below this many bytes are never called (V8 heap figures move in pages and
   * GC timing; a 2 KiB change on a 40 KiB peak is not a finding).
   */
  memoryFloorBytes: number;
}

/**
 * Defaults. The memory floor is V8's heap step: a fused 100K-row filter's peak heap sat at 1.0 MiB
 * in one build's heap process and 1.25 MiB in another's with identical code paths (both modes also
 * seen within one build at 1M rows), which a 16 KiB floor reported as a 21% regression.
 */
export const COMPARE_DEFAULTS: CompareSettings = { timeThreshold: 0.1, memoryThreshold: 0.05, alpha: 0.05, memoryFloorBytes: HEAP_STEP_BYTES };

export type Verdict = 'regressed' | 'improved' | 'unchanged';
export type MetricName = 'time' | 'peakHeap' | 'allocated' | 'trackerPeak';
export const METRICS: readonly MetricName[] = ['time', 'peakHeap', 'allocated', 'trackerPeak'];

/** One metric of one case. Medians in `unit`; `ratio` is head / base. */
export interface MetricComparison {
  metric: MetricName;
  unit: 'ns' | 'bytes';
  /**
   * `processes` for time from separate processes (each process a unit: random-effects pooled with a
   * Hartung–Knapp t interval), `random-effects` for paired time samples, `mann-whitney` for the
   * heap figures, `exact` for the deterministic tracker peak.
   */
  method: 'mann-whitney' | 'random-effects' | 'processes' | 'exact';
  base: number;
  head: number;
  ratio: number;
  /** 95% interval of the ratio (sampled metrics only): bootstrap, or from the pooled standard error when paired. */
  ci: [number, number] | null;
  nBase: number;
  nHead: number;
  p: number | null;
  /** Holm-adjusted across the compared cases of this metric. */
  pAdjusted: number | null;
  /** Time only: the samples were divided by their process's probe (see harness/measure/probe.ts). */
  normalized?: boolean;
  /**
   * Time only: both sides were measured in pairs (see PairJob); `ratio` is then the random-effects
   * pooled ratio over the rounds (isolate pairs), `ci` its 95% interval and `p` its test.
   */
  paired?: boolean;
  /** Paired time only: each round's median ratio of its pairs (one per isolate pair). */
  roundRatios?: number[];
  /** Paired time only: the between-round standard deviation of the log ratio (√τ², 0 when the rounds agree within their noise). */
  tau?: number;
  verdict: Verdict;
}

export type CaseVerdict = Verdict | 'errored' | 'output-changed';

export interface CaseComparison {
  id: string;
  verdict: CaseVerdict;
  /** Why the case errored or its output changed. */
  detail?: string;
  metrics: MetricComparison[];
}

/** The whole comparison: the `--format json` output (documented in docs/compare-format.md). */
export interface Comparison {
  schema: typeof COMPARE_SCHEMA;
  version: typeof COMPARE_VERSION;
  base: { file: string; suite: string; gitSha: string; createdAt: string };
  head: { file: string; suite: string; gitSha: string; createdAt: string };
  settings: CompareSettings;
  /** Environment differences; non-empty only with allowEnvMismatch. */
  environmentMismatches: string[];
  /** Exit status the CLI uses: true when any case regressed, errored anew or changed output. */
  failed: boolean;
  counts: Record<CaseVerdict, number> & { onlyInBase: number; onlyInHead: number };
  cases: CaseComparison[];
  onlyInBase: string[];
  onlyInHead: string[];
  /** Cases that errored on both sides (listed; not a new failure). */
  erroredInBoth: string[];
  /**
   * No time was compared in pairs: base and head come from separate processes, so a change of the
   * machine between them cannot be told from a change of the code (only `sluice gate` can).
   */
  separateProcesses: boolean;
}

