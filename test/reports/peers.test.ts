import test from 'ava';
import { makeCase } from '../../harness/case.js';
import type { CaseRecord, ResultsFile } from '../../core/results.js';
import { pooledTime } from '../../core/stats/paired.js';
import { CaseIndex } from '../../reports/model.js';
import { peersTable, peerStreamingTable } from '../../reports/peers.js';

const P = { rows: 100_000, selectivity: 0.1 };

/**
 * A group of runners measured together: every runner's group rounds are its base time with the
 * same per-sample machine noise (so paired ratios are tight), 3 isolate groups of 6 samples.
 */
function group(times: Record<string, number>, extra: Record<string, Partial<CaseRecord>> = {}): CaseRecord[] {
  const specs = Object.keys(times).map((k) => {
    const [engine, opt] = k.split('+');
    return makeCase('selectivity', P, engine!, opt ? Object.fromEntries([opt.split('=')].map(([a, b]) => [a, a === 'threads' ? Number(b) : b === 'true'])) : {});
  });
  const ids = specs.map((c) => c.id);
  return specs.map((c, i) => {
    const base = Object.values(times)[i]!;
    const groupRounds = [0, 1, 2].map((g) => [0, 1, 2, 3, 4, 5].map((s) => base * (1 + 0.01 * (((g * 7 + s * 3) % 5) - 2))));
    return {
      ...c, family: 'selectivity', params: { ...c.params }, status: 'ok', rounds: [], groupRounds, pairedWith: ids, summary: pooledTime(groupRounds),
      output: { rows: 10_000, checksum: 'ab' }, inputRows: 100_000, firstRowNs: base / 10,
      heap: { peakBytes: 1e6, allocatedBytes: 1e6, gcCount: 1, trackerPeakBytes: null, maxRssBytes: 1e8, rssGrowthBytes: c.engine === 'duckdb' ? 18e6 : 2e5 },
      ...(c.engine.startsWith('duckdb') ? { peer: { library: c.engine, version: '1.5.6', loadNs: 1.5e8, settings: { threads: c.options.threads === 0 ? '2' : '1' } } } : {}),
      ...extra[Object.keys(times)[i]!],
    } as CaseRecord;
  });
}

const results = (cases: CaseRecord[]): ResultsFile => ({ schema: 'sluice-results', version: 1, suite: 'peers', createdAt: '2026-01-01T00:00:00.000Z', environment: {} as never, settings: { rounds: 1, maxTime: 0.2, minSamples: 6, warmupRuns: 1, timeoutSec: 60 }, cases });

test('the peers table: every runner with its ratio to the limit loop and to sluice\'s best, and where sluice stands against each peer', (t) => {
  const cases = group({ materialized: 4e6, streaming: 3e6, 'limit-loop': 2e6, duckdb: 6e6, 'duckdb+threads=0': 1.5e6, 'duckdb-stream': 3e6, ix: 9e6 });
  const table = peersTable(new CaseIndex(results(cases)))!;
  t.is(table.rows.length, 7);
  const row = (runner: string) => table.rows.find((r) => r[2] === runner)!;
  t.is(row('sluice streaming')[5], "sluice's best");
  t.regex(row('duckdb (1 thread)')[5]!, /^2\.00x \(\d\.\d\d–\d\.\d\d\)$/, 'paired ratio to sluice\'s best, with its interval');
  t.regex(row('duckdb (1 thread)')[4]!, /^3\.00x/, 'and to the limit loop');
  t.is(row('limit loop (hand-written)')[4], '');
  t.is(row('duckdb (1 thread)')[8], '17.2 MiB', 'RSS growth shown');
  t.is(row('duckdb (1 thread)')[9], '150.00 ms', 'the untimed load, apart');
  t.truthy(row("duckdb (2 threads, DuckDB's default)"));
  const notes = table.notes.join('\n');
  t.regex(notes, /\*\*duckdb \(1 thread\)\*\* over 1 group: its time is 2\.00x sluice's best \(geometric mean\)\. sluice is ahead in 1/);
  t.regex(notes, /\*\*duckdb \(2 threads, DuckDB's default\)\*\* over 1 group: .* sluice is behind in 1/);
  t.regex(notes, /\*\*duckdb-stream \(1 thread\)\*\* over 1 group: .*no measurable difference in 1/);
  t.regex(notes, /RSS growth .* is the figure to compare across every runner/);
});

test('a peer that errored shows its reason in place of a time, and counts in no standing', (t) => {
  const cases = group({ materialized: 4e6, streaming: 3e6, ix: 9e6 }, {
    ix: { status: 'errored', error: "peer 'ix' returned other rows than sluice: 9 rows #aa, sluice 10 rows #ab" },
  });
  const table = peersTable(new CaseIndex(results(cases)))!;
  t.is(table.rows.find((r) => r[2] === 'ix')![3], "errored: peer 'ix' returned other rows than sluice: 9 rows #aa, sluice 10 rows #ab");
  t.regex(table.notes[0]!, /^ix: no group has both its time and sluice's\.$/);
});

test("DuckDB's streaming against materializing read, beside sluice's, with verdicts only where the interval allows", (t) => {
  const cases = group({ materialized: 4e6, streaming: 2e6, duckdb: 3e6, 'duckdb-stream': 6e6 });
  const table = peerStreamingTable(new CaseIndex(results(cases)))!;
  t.is(table.rows.length, 1);
  t.regex(table.rows[0]![2]!, /^\*\*2\.00x slower\*\*/);
  t.regex(table.rows[0]![3]!, /^\*\*2\.00x faster\*\*/);
  t.is(peerStreamingTable(new CaseIndex(results(group({ materialized: 4e6, streaming: 2e6 })))), null, 'no table without DuckDB');
  t.is(peersTable(new CaseIndex(results(group({ materialized: 4e6, streaming: 2e6 })))), null, 'no peers table without a peer');
});
