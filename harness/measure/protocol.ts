import type { CaseSpec } from '../case.js';
import type { KernelName } from './calibration.js';

/** Timing settings handed down by the runner. */
export interface TimeSettings {
  /** benchmark.js maxTime, seconds. */
  maxTime: number;
  /** benchmark.js minSamples. */
  minSamples: number;
  /** Untimed runs before benchmark.js starts (it also warms up on its own). */
  warmupRuns: number;
}

/** What the runner asks a measuring child to do (passed as JSON in argv[2]). */
export type ChildJob =
  | { mode: 'time'; case: CaseSpec; settings: TimeSettings }
  | { mode: 'heap'; case: CaseSpec }
  | { mode: 'calibrate'; kernel: KernelName; count: number; length: number };

/** The child's one result line starts with this. */
export const RESULT_MARKER = '@@sluice-result ';
