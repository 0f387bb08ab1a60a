import test from 'ava';
import { makeCase } from '../../harness/case.js';
import type { CaseRecord, ResultsFile } from '../../core/results.js';
import { summarize } from '../../core/stats/descriptive.js';
import { CaseIndex } from '../../reports/model.js';
import { answerTable, publishedMemoryUnderScan, queryPatterns, sources } from '../../reports/tables.js';

/** A finished case with fixed samples and a fixed peak heap. */
function rec(scenario: string, params: Record<string, unknown>, engine: string, ns: number, peak: number): CaseRecord {
  const c = makeCase(scenario, params, engine);
  const samples = [ns * 0.98, ns, ns * 1.02, ns * 0.99, ns * 1.01];
  return {
    ...c, family: scenario, params: { ...c.params }, options: {}, status: 'ok', rounds: [samples], summary: summarize(samples),
    output: { rows: 100, checksum: 'ab' }, inputRows: 10_000,
    heap: { peakBytes: peak, allocatedBytes: peak, gcCount: 1, trackerPeakBytes: null, maxRssBytes: 1e8, peakSamples: [peak] },
  } as CaseRecord;
}

function results(cases: CaseRecord[]): ResultsFile {
  return { schema: 'sluice-results', version: 1, suite: 'reference', createdAt: '2026-01-01T00:00:00.000Z', environment: {} as never, settings: { rounds: 1, maxTime: 0.2, minSamples: 6, warmupRuns: 1, timeoutSec: 60 }, cases };
}

const P = { rows: 10_000, selectivity: 0.01 };
const MiB = 2 ** 20;

test('array, scan and store side by side: the same query, one row per source, verdicts per source; the published memory claim judged under scan', (t) => {
  const store = (c: CaseRecord, external: number) => ({ ...c, heap: { ...c.heap!, externalPeakBytes: external } });
  const ix = new CaseIndex(results([
    rec('selectivity', P, 'materialized', 100_000, 0.3 * MiB),
    rec('selectivity', P, 'streaming', 90_000, 0.25 * MiB),
    rec('selectivity', { ...P, source: 'scan' }, 'materialized', 1_000_000, 2 * MiB),
    rec('selectivity', { ...P, source: 'scan' }, 'streaming', 200_000, 0.02 * MiB),
    store(rec('selectivity', { ...P, source: 'store' }, 'materialized', 3_000_000, 3 * MiB), 400 * 1024),
    store(rec('selectivity', { ...P, source: 'store' }, 'streaming', 2_000_000, 1 * MiB), 400 * 1024),
  ]));
  const table = sources(ix)!;
  t.deepEqual(table.rows.map((r) => r[1]), ['array (shared tuples)', 'scan (compact columns)', 'store (filesystem table)']);
  const [[label, , rows, timeArray, heapArray], [, , , timeScan, heapScan], [, , , timeStore, heapStore, extStore]] = table.rows as string[][];
  t.is(label, 'filter → project, 1% kept');
  t.is(rows, '10,000');
  t.regex(timeArray!, /faster|no measurable difference/);
  t.regex(timeScan!, /\*\*5\.00x faster\*\*/);
  t.regex(timeStore!, /\*\*1\.50x faster\*\*/);
  t.regex(heapArray!, /below resolution/, 'a 50 KiB difference is below the 256 KiB resolution');
  t.regex(heapScan!, /2\.0 MiB \/ 20\.5 KiB: \*\*100\.0x less\*\* with streaming/);
  t.regex(heapStore!, /3\.0 MiB \/ 1\.0 MiB: \*\*3\.0x less\*\* with streaming/);
  t.is(extStore, '400.0 KiB / 400.0 KiB', 'the external memory of the file reads, beside the heap');
  t.regex(table.notes[0]!, /^Published "99% less memory" for a filter keeping 1% of 10,000 rows, input from a scan: peak heap 2\.0 MiB materialized, 20\.5 KiB streaming, 99% less: \*\*holds\*\*\.$/);
  // The tables that reproduce the published report read the array cases only; the answer table names the source.
  t.regex(queryPatterns(ix)!.rows.map((r) => r.join(' ')).join('\n'), /1%|0\.01/);
  const answer = answerTable(ix)!;
  t.deepEqual(answer.rows.map((r) => r[0]), ['filter → project, 1% kept', 'filter → project, 1% kept, from a scan', 'filter → project, 1% kept, from a stored table']);
});

test('a published memory claim that the scan does not bear out says so', (t) => {
  const ix = new CaseIndex(results([
    rec('memory', { variant: 'aggressive', source: 'scan' }, 'materialized', 1e6, 10 * MiB),
    rec('memory', { variant: 'aggressive', source: 'scan' }, 'streaming', 1e5, 5 * MiB),
  ]));
  t.deepEqual(publishedMemoryUnderScan(ix), ['Published "99.9% less memory" for the aggressive filter (100,000 → 100 rows), input from a scan: peak heap 10.0 MiB materialized, 5.0 MiB streaming, 50% less: **does not hold**.']);
  // A streaming peak at the heap pass's 1 MiB young-generation floor bounds what the size can show.
  const floor = new CaseIndex(results([
    rec('selectivity', { rows: 10_000, selectivity: 0.1, source: 'scan' }, 'materialized', 1e6, 1.8 * MiB),
    rec('selectivity', { rows: 10_000, selectivity: 0.1, source: 'scan' }, 'streaming', 1e5, 1.0 * MiB),
  ]));
  t.regex(publishedMemoryUnderScan(floor)[0]!, /44% less: \*\*cannot be judged at this size\*\*: the streaming figure is the heap pass's floor/);
  const only = sources(ix)!.rows;
  t.is(only.length, 1, 'a scan without its array twin still gets its row');
  t.deepEqual(only[0]!.slice(1, 3), ['scan (compact columns)', '10,000'], 'and no array row');
  t.is(sources(new CaseIndex(results([rec('selectivity', P, 'materialized', 1, 1), rec('selectivity', P, 'streaming', 1, 1)]))), null, 'no scan: no table');
});

test('the S3 first-row target is judged through the first-row interval when both engines have first-row rounds, and says it has none otherwise', (t) => {
  const S3 = { ...P, source: 's3' };
  const big = (c: CaseRecord, firstRowNs: number, rounds?: number[][]) => ({ ...c, inputRows: 1_000_000, firstRowNs, ...(rounds ? { firstRowRounds: rounds } : {}) });
  const groups = (x: number, spread: number) => [0, 1, 2, 3].map((g) => [0, 1, 2, 3, 4].map((i) => x * (1 + (spread * ((g + i) % 4)) / 3)));
  const note = (m: CaseRecord, s: CaseRecord) => sources(new CaseIndex(results([m, s])))!.notes.find((n) => n.includes('S3 table'));
  const m = rec('selectivity', S3, 'materialized', 3e9, 3 * MiB), s = rec('selectivity', S3, 'streaming', 2e7, MiB);
  // Tight groups at 100x: met through the interval.
  t.regex(note(big(m, 3e9, groups(3e9, 0.05)), big(s, 3e7, groups(3e7, 0.05)))!, /100x earlier \(95% CI \d+–\d+, over isolate groups\); target at least 20x: met\./);
  // Groups spread around 20x: the interval spans it.
  const wide = [[3e9, 3e9, 3e9, 3e9, 3e9], [3e9, 3e9, 3e9, 3e9, 3e9], [3e9, 3e9, 3e9, 3e9, 3e9], [3e9, 3e9, 3e9, 3e9, 3e9]];
  t.regex(note(big(m, 3e9, wide), big(s, 15e7, [[6e7], [3e8], [6e7], [3e8]].map((g) => [g[0]!, g[0]!, g[0]!, g[0]!, g[0]!])))!, /target at least 20x: undecided \(the interval spans 20x\)\./);
  // Without rounds (an older results file): two medians, and it says so.
  t.regex(note(big(m, 3e9), big(s, 1e8))!, /30x earlier \(medians of warm runs, without an interval\); target at least 20x: met\./);
});
