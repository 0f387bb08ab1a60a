/**
 * What `sluice calibrate` finds, as data: how often the gate flags identical builds, and how
 * often it finds a known slowdown. harness/gate/calibrate.ts measures it; reports/calibration.ts
 * renders it.
 */

export interface CaseCalibration {
  id: string;
  aaFalsePositiveRate: number;
  detectionRate: number;
  /** Median time of the slowed processes over the unslowed ones: the slowdown actually applied. */
  appliedSlowdown: number;
  /**
   * The slowed build's own measure of its extra work (median over rounds of extra time over query
   * time, see harness/measure/slowdown.ts); null for results from before it was recorded.
   */
  stretchMeasured: number | null;
}

export interface ThresholdCalibration {
  threshold: number;
  aaRuns: number;
  sensitivityRuns: number;
  /** Mean and worst (highest) per-case A/A false-positive rate. */
  aaPerCaseMean: number;
  aaPerCaseWorst: number;
  /** Fraction of A/A runs in which any case of the suite was flagged. */
  aaSuite: number;
  /** Mean and worst (lowest) per-case detection rate of the slowdown. */
  detectionMean: number;
  detectionWorst: number;
  /** Extending gate only: cases measured again per A/A run and per slowed run, on average (what the extension costs). */
  aaExtendedMean: number;
  sensitivityExtendedMean: number;
  cases: CaseCalibration[];
}

export interface Calibration {
  suite: string;
  rounds: number;
  /** Rounds (isolate pairs) an undecided case gets on top of `rounds`; 0 for a gate that does not extend. */
  extendRounds: number;
  slowdown: number;
  alpha: number;
  cases: number;
  thresholds: ThresholdCalibration[];
  heapAA: { compared: number; flagged: string[] };
}

