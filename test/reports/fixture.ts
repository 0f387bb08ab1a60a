import type { CaseRecord, ResultsFile } from '../../core/results.js';
import { summarize } from '../../core/stats/descriptive.js';

/** A small, fixed results file: every report table has something, one case errored. */
export function fixtureResults(): ResultsFile {
  const cases: CaseRecord[] = [];
  const add = (scenario: string, family: string, params: Record<string, number | string>, engine: 'materialized' | 'streaming' | 'limit-loop', options: Record<string, unknown>, base: number, extra: Partial<CaseRecord> = {}) => {
    const samples = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => base * (1 + ((i * 37) % 11) / 100));
    const group = `${scenario}/${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(',')}`;
    const opts = Object.entries(options).map(([k, v]) => `${k}=${String(v)}`).join(',');
    cases.push({
      id: `${group}/${engine}${opts ? `+${opts}` : ''}`, group, scenario, family, params, engine, options, seed: 1, status: 'ok',
      inputRows: 10_000, output: { rows: 100, checksum: '00c0ffee' }, rounds: [samples.slice(0, 4), samples.slice(4)], summary: summarize(samples),
      firstRowNs: engine === 'materialized' ? base : base / 50,
      heap: { peakBytes: base * 3, allocatedBytes: base * 4, gcCount: 1, trackerPeakBytes: engine === 'limit-loop' ? null : engine === 'materialized' ? base * 2 : 0, retainedBytes: 5_000, maxRssBytes: 90_000_000 },
      ...extra,
    });
  };
  for (const sel of [0.01, 0.1, 0.5]) {
    add('selectivity', 'selectivity', { rows: 10_000, selectivity: sel }, 'materialized', {}, 300_000 * (1 + sel));
    add('selectivity', 'selectivity', { rows: 10_000, selectivity: sel }, 'streaming', {}, 200_000 * (1 + sel));
    add('selectivity', 'selectivity', { rows: 10_000, selectivity: sel }, 'limit-loop', {}, 90_000 * (1 + sel));
  }
  for (const depth of [1, 4]) {
    add('pipeline-depth', 'pipeline-depth', { rows: 10_000, depth }, 'materialized', {}, 500_000 * depth);
    add('pipeline-depth', 'pipeline-depth', { rows: 10_000, depth }, 'streaming', {}, 300_000 * depth);
    add('pipeline-depth', 'pipeline-depth', { rows: 10_000, depth }, 'streaming', { enableIteratorComposition: false }, 900_000 * depth);
    add('pipeline-depth', 'pipeline-depth', { rows: 10_000, depth }, 'limit-loop', {}, 100_000);
  }
  add('memory', 'memory-characteristics', { variant: 'aggressive' }, 'materialized', {}, 1_500_000);
  add('memory', 'memory-characteristics', { variant: 'aggressive' }, 'streaming', {}, 1_400_000, { status: 'errored', error: 'out of memory (the V8 heap limit was reached)', summary: undefined, heap: undefined, rounds: [] });
  for (const variant of ['full', 'limit10']) {
    const p = { rows: 10_000, multiplicity: 1, variant };
    add('join', 'join', p, 'materialized', {}, 4_000_000);
    add('join', 'join', p, 'streaming', { enableSymmetricHashJoin: false }, variant === 'full' ? 3_900_000 : 1_700_000);
    add('join', 'join', p, 'streaming', { enableSymmetricHashJoin: true }, variant === 'full' ? 6_000_000 : 70_000);
    // The symmetric join alternating to the end, for the full join only (a row without it shows '–').
    if (variant === 'full') add('join', 'join', p, 'streaming', { enableSymmetricHashJoin: true, enableSymmetricJoinDrain: false }, 8_000_000);
  }
  for (const engine of ['materialized', 'streaming'] as const) {
    add('ohlc', 'aggregation', { symbols: 3, days: 10, barsPerDay: 390 }, engine, { enableStreamingAggregation: false }, 9_000_000);
    add('ohlc', 'aggregation', { symbols: 3, days: 10, barsPerDay: 390 }, engine, {}, 4_000_000);
  }
  return {
    schema: 'sluice-results', version: 1, suite: 'fixture', createdAt: '2026-01-01T00:00:00.000Z',
    environment: {
      node: 'v20.0.0', v8: '11.3', cpuModel: 'Test CPU', cores: 2, os: 'Linux test x64', gitSha: 'abc123', lockfileHash: '0123456789abcdef',
      nodeFlags: { time: ['--expose-gc'], heap: ['--expose-gc', '--max-semi-space-size=1'] },
    },
    settings: { rounds: 2, maxTime: 0.2, minSamples: 6, warmupRuns: 3, timeoutSec: 120 },
    cases,
  };
}
