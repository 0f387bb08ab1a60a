import { captureEnvironment, type ResultsFile } from '../../core/results.js';
import { CHILD_FLAGS, PROJECT_ROOT } from '../../harness/runner.js';

/** A small valid results file, for tests that read, merge or break one. */
export function sampleResults(over: Partial<ResultsFile> = {}): ResultsFile {
  return {
    schema: 'sluice-results', version: 1, suite: 'quick', createdAt: '2026-01-01T00:00:00.000Z',
    environment: captureEnvironment(PROJECT_ROOT, CHILD_FLAGS),
    settings: { rounds: 1, maxTime: 0.1, minSamples: 2, warmupRuns: 1, timeoutSec: 10 },
    cases: [{
      id: 'selectivity/rows=10,selectivity=1/streaming', group: 'selectivity/rows=10,selectivity=1', scenario: 'selectivity', family: 'selectivity',
      params: { rows: 10, selectivity: 1 }, engine: 'streaming', options: {}, seed: 1, status: 'ok', rounds: [[100, 110, 105]],
      output: { rows: 10, checksum: '0000abcd' },
    }],
    ...over,
  };
}

