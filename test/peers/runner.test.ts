import test from 'ava';
import path from 'node:path';
import { makeCase } from '../../harness/case.js';
import type { CaseRecord } from '../../core/results.js';
import { checkAgreement, runCases } from '../../harness/runner.js';
import { importPeer, PeerUnavailableError, peerUnavailable, peerVersion } from '../../harness/peers/load.js';
import { planSuite } from '../../harness/plan.js';
import { tempDir } from '../temp-dir.js';

const FAST = { rounds: 1, maxTime: 0.02, minSamples: 2, warmupRuns: 1, timeoutSec: 60 };

test('peers run in a group pass beside sluice: DuckDB asynchronously, each with its setup, memory and first row recorded', async (t) => {
  const out = path.join(tempDir('sluice-peers-'), 'r.json');
  const params = { rows: 500, selectivity: 0.1 };
  const cases = [makeCase('selectivity', params, 'streaming'), makeCase('selectivity', params, 'limit-loop'), makeCase('selectivity', params, 'duckdb'), makeCase('selectivity', params, 'duckdb-stream', { threads: 2 }), makeCase('selectivity', params, 'arquero'), makeCase('selectivity', params, 'ix')];
  const r = await runCases({ suite: 'test', cases, out, settings: { ...FAST, groupPasses: 1 } });
  const rows = r.cases[0]!.output!.rows;
  for (const c of r.cases) {
    t.is(c.status, 'ok', `${c.id}: ${c.error}`);
    t.is(c.groupRounds!.length, 3, `${c.id} was timed in the group pass`);
    t.deepEqual(c.output, r.cases[0]!.output, `${c.id} returned sluice's rows`);
    t.is(typeof c.firstRowNs, 'number');
    t.is(typeof c.heap!.rssGrowthBytes, 'number', 'RSS growth is measured for every runner');
  }
  t.true(rows > 0);
  const duck = r.cases.find((c) => c.engine === 'duckdb')!, stream = r.cases.find((c) => c.engine === 'duckdb-stream')!;
  t.is(duck.peer!.settings!.threads, '1', 'DuckDB runs single-threaded by default');
  t.is(stream.peer!.settings!.threads, '2', 'and with the threads asked for');
  t.is(stream.id, 'selectivity/rows=500,selectivity=0.1/duckdb-stream+threads=2');
  t.true(duck.peer!.loadNs > 0);
  t.is(duck.peer!.version, peerVersion('duckdb') ?? 'not installed');
  t.is(r.cases.find((c) => c.engine === 'arquero')!.peer!.library, 'arquero');
  t.is(r.cases.find((c) => c.engine === 'streaming')!.peer, undefined);
});

test('a lone DuckDB case is timed by benchmark.js in deferred mode, and its heap pass awaits each run', async (t) => {
  const out = path.join(tempDir('sluice-peers-'), 'r.json');
  const r = await runCases({ suite: 'test', cases: [makeCase('ohlc', { symbols: 2, days: 2, barsPerDay: 60 }, 'duckdb')], out, settings: FAST });
  const c = r.cases[0]!;
  t.is(c.status, 'ok', c.error);
  t.is(c.rounds.length, 1);
  t.true(c.rounds[0]!.length >= 2);
  // 60 one-minute bars from 14:30 fall in two hours (14:00 and 15:00): 2 symbols x 2 days x 2 hours.
  t.is(c.output!.rows, 8);
  t.is(c.heap!.trackerPeakBytes, null);
  t.true(c.heap!.gcCount >= 0 && typeof c.heap!.rssGrowthBytes === 'number');
  t.is(c.peer!.settings!.threads, '1');
});

test('a peer that returns other rows than sluice errors alone; sluice runners that disagree still error the whole group', (t) => {
  const rec = (engine: string, rows: number, checksum: string): CaseRecord =>
    ({ id: engine, group: 'g', scenario: 'selectivity', family: 'f', params: {}, engine, options: {}, seed: 1, status: 'ok', rounds: [], output: { rows, checksum } }) as CaseRecord;
  const group = [rec('materialized', 10, 'aaaa'), rec('streaming', 10, 'aaaa'), rec('duckdb', 10, 'bbbb'), rec('ix', 10, 'aaaa')];
  t.false(checkAgreement(group));
  t.deepEqual(group.map((c) => c.status), ['ok', 'ok', 'errored', 'ok']);
  t.is(group[2]!.error, "peer 'duckdb' returned other rows than sluice: 10 rows #bbbb, sluice 10 rows #aaaa");
  const bad = [rec('materialized', 10, 'aaaa'), rec('streaming', 9, 'aaaa'), rec('duckdb', 10, 'aaaa')];
  t.false(checkAgreement(bad));
  t.true(bad.every((c) => c.status === 'errored' && /^engines disagree/.test(c.error!)));
});

test('peer cases are checked: options, source and scenario', (t) => {
  t.throws(() => makeCase('selectivity', {}, 'arquero', { threads: 2 }), { message: "peer 'arquero' has no option 'threads' (it takes no options)" });
  t.throws(() => makeCase('selectivity', {}, 'duckdb', { enablePipelineFusion: true }), { message: "peer 'duckdb' has no option 'enablePipelineFusion' (DuckDB's runners take 'threads')" });
  t.throws(() => makeCase('selectivity', {}, 'duckdb', { threads: -1 }), { message: "peer 'duckdb' option 'threads' must be a whole number from 0 (DuckDB's default: one per core) to 1024, got -1" });
  t.throws(() => makeCase('selectivity', {}, 'duckdb', { threads: 1.5 }), { message: /got 1.5$/ });
  t.throws(() => makeCase('selectivity', { source: 'scan' }, 'ix'), { message: "peer 'ix' reads its own copy of the data, so it runs with source 'array' only, got 'scan'" });
  t.throws(() => makeCase('scale', {}, 'duckdb'), { message: "scenario 'scale' has no query written for peer 'duckdb'" });
  t.throws(() => makeCase('selectivity', {}, 'streaming', { threads: 2 } as never), { message: /threads/ });
  t.is(makeCase('selectivity', {}, 'duckdb', { threads: 1 }).id, 'selectivity/rows=10000,selectivity=0.1/duckdb', 'one thread is the default, left out of the id');
  t.is(makeCase('selectivity', {}, 'duckdb', { threads: 0 }).id, 'selectivity/rows=10000,selectivity=0.1/duckdb+threads=0');
});

test('the peers suite runs peers beside the array source only, and --set leaves peers alone', (t) => {
  const cases = planSuite('peers', { sources: ['array', 'scan'], set: { enableIteratorComposition: false } });
  t.true(cases.some((c) => c.engine === 'duckdb'));
  t.false(cases.some((c) => c.engine === 'duckdb' && c.params.source === 'scan'));
  t.true(cases.some((c) => c.engine === 'streaming' && c.params.source === 'scan'));
  for (const c of cases.filter((x) => x.engine === 'arquero')) t.deepEqual(c.options, {});
});

test('a peer library that does not load gives one clear reason', async (t) => {
  const e = await t.throwsAsync(importPeer('duckdb', '@duckdb/no-such-package'), { instanceOf: PeerUnavailableError });
  t.is(e!.message, "peer 'duckdb' did not run: its library @duckdb/node-api is an optional dependency and it is not installed; `npm install` installs it where the registry has a build for this machine");
  t.is(await peerUnavailable('ix'), undefined, 'ix is installed here');
});

test("a run counts a peer that is not installed here apart from errors: the run's exit code is not a failure for it", async (t) => {
  const { PEER_NOT_INSTALLED } = await import('../../harness/peers/load.js');
  const e = await t.throwsAsync(importPeer('arquero', 'arquero-not-here'));
  t.regex(e!.message, PEER_NOT_INSTALLED);
  t.notRegex("peer 'duckdb' returned other rows than sluice: 1 rows #a, sluice 2 rows #b", PEER_NOT_INSTALLED, 'a peer that disagrees is still an error');
});
