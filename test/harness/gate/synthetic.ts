import type { CaseRecord, ResultsFile } from '../../../core/results.js';
import { captureEnvironment } from '../../../core/results.js';
import { prng, summarize } from '../../../core/stats/descriptive.js';
import { CHILD_FLAGS, PROJECT_ROOT } from '../../../harness/runner.js';

/** Deterministic PRNG (mulberry32). */
export const rng = prng;

/** Timing-like samples: a median of `center` ns with right-skewed noise (±`spread`). */
export function samples(r: () => number, n: number, center: number, spread = 0.05): number[] {
  return Array.from({ length: n }, () => center * (1 + spread * (r() + r() + r() - 1.5) + spread * (r() < 0.1 ? r() * 2 : 0)));
}

export interface SynthCase {
  id: string;
  /** Median time per round, ns. */
  time: number;
  heap?: { peak: number; allocated: number; tracker: number | null };
  status?: CaseRecord['status'];
  error?: string;
  checksum?: string;
}

/** A results file with `rounds` rounds of `perRound` samples per case. */
export function synthResults(cases: SynthCase[], seed: number, rounds = 3, perRound = 10): ResultsFile {
  const r = rng(seed);
  return {
    schema: 'sluice-results', version: 1, suite: 'quick', createdAt: '2026-11-21T00:00:00.000Z',
    environment: captureEnvironment(PROJECT_ROOT, CHILD_FLAGS),
    settings: { rounds, maxTime: 0.2, minSamples: 6, warmupRuns: 3, timeoutSec: 60, heapRuns: 9 },
    cases: cases.map((c) => {
      const [scenario, params, engine] = c.id.split('/');
      const rs = c.status === 'errored' ? [] : Array.from({ length: rounds }, () => samples(r, perRound, c.time));
      return {
        id: c.id, group: `${scenario}/${params}`, scenario: scenario!, family: scenario!, params: {}, engine: (engine ?? 'streaming') as CaseRecord['engine'],
        options: {}, seed: 1, status: c.status ?? 'ok', ...(c.error ? { error: c.error } : {}),
        rounds: rs,
        ...(rs.length ? { summary: summarize(rs.flat()) } : {}),
        output: { rows: 100, checksum: c.checksum ?? 'abcd0001' },
        ...(c.heap ? {
          heap: {
            peakBytes: c.heap.peak, allocatedBytes: c.heap.allocated, gcCount: 0, trackerPeakBytes: c.heap.tracker, retainedBytes: 0, maxRssBytes: 0,
            peakSamples: samples(r, 9, c.heap.peak, 0.01), allocatedSamples: samples(r, 9, c.heap.allocated, 0.01),
          },
        } : {}),
      };
    }),
  };
}

/** A quick-suite-sized list of cases (36), with times from 40 µs to 6 ms. */
export function suiteCases(): SynthCase[] {
  return Array.from({ length: 36 }, (_, i) => ({
    id: `scenario${i}/rows=${1000 * (i + 1)}/${i % 2 ? 'streaming' : 'materialized'}`,
    time: 40_000 * (1 + i * 4),
    heap: { peak: 200_000 + 10_000 * i, allocated: 300_000 + 10_000 * i, tracker: i % 3 === 0 ? 0 : 50_000 * i },
  }));
}
