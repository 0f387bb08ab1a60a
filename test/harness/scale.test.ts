import test from 'ava';
import path from 'node:path';
import { makeCase } from '../../harness/case.js';
import { planSuite } from '../../harness/plan.js';
import { readResults, type CaseRecord } from '../../core/results.js';
import { outOfMemory, runCases, SUITE_SETTINGS } from '../../harness/runner.js';
import { allFigures } from '../../reports/figures.js';
import { CaseIndex } from '../../reports/model.js';
import { capacity, scaleTable } from '../../reports/tables.js';
import { SCALE_QUERIES } from '../../scenarios/index.js';
import { summarize } from '../../core/stats/descriptive.js';
import { tempDir } from '../temp-dir.js';

const tmp = () => tempDir('sluice-scale-');

test('under a heap cap, the engine that runs out of memory is recorded as "out of memory at N rows"; the other completes and the run goes on', async (t) => {
  const out = path.join(tmp(), 'r.json');
  // 400K rows: the materialized engine holds every scanned row as a tuple (about 60 MiB); the
  // streaming engine holds almost nothing. The input columns are ArrayBuffers, outside the cap.
  const cases = ['materialized', 'streaming'].map((e) => makeCase('scale', { rows: 400_000, query: 'filter1' }, e as never));
  const r = await runCases({ suite: 'test', cases, out, settings: { rounds: 1, maxTime: 0.05, minSamples: 2, heapRuns: 1, heapCapMb: 40, timeoutSec: 120 } });
  const [m, s] = cases.map((c) => r.cases.find((x) => x.id === c.id)!);
  t.is(m!.status, 'errored');
  t.is(m!.error, 'out of memory at 400,000 rows (heap cap 40 MiB)');
  t.is(s!.status, 'ok', s!.error);
  t.true(s!.heap!.peakBytes < 40 * 1024 * 1024, `streaming peak ${s!.heap!.peakBytes}`);
  t.is(typeof s!.heap!.externalPeakBytes, 'number', 'external memory is recorded');
  t.is(s!.heap!.allocatedPerRunBytes, undefined, 'a capped heap pass measures peaks only');
  t.is(readResults(out).settings.heapCapMb, 40, 'the cap is recorded with the results');
});

test("a case's own heap cap (the scale scenario's heapCap) caps its processes in a run that has none, and its report row says so", async (t) => {
  const out = path.join(tmp(), 'r.json');
  const cases = ['materialized', 'streaming'].map((e) => makeCase('scale', { rows: 400_000, query: 'filter1', heapCap: 32 }, e as never));
  t.is(cases[0]!.id, 'scale/rows=400000,query=filter1,heapCap=32/materialized');
  t.is(makeCase('scale', { rows: 10, heapCap: 0 }, 'streaming').id, 'scale/rows=10,query=filter10/streaming', 'the run\'s own cap: left out of the id');
  t.throws(() => makeCase('scale', { heapCap: 100 }, 'streaming'), { message: /parameter 'heapCap' must be one of 0, 32, 64, 128, 256, 512, 1024, got 100/ });
  const r = await runCases({ suite: 'test', cases, out, settings: { rounds: 1, maxTime: 0.05, minSamples: 2, heapRuns: 1, timeoutSec: 120, groupIsolates: 0 } });
  const [m, s] = cases.map((c) => r.cases.find((x) => x.id === c.id)!);
  t.is(m!.error, 'out of memory at 400,000 rows (heap cap 32 MiB)');
  t.is(s!.status, 'ok', s!.error);
  t.is(s!.heap!.allocatedPerRunBytes, undefined, 'a capped heap pass measures peaks only');
  const table = scaleTable(new CaseIndex(readResults(out)))!;
  t.regex(table.title, /under a 32 MiB heap cap/);
  t.regex(table.notes.join('\n'), /filter 1% → project: materialized completed none of the sizes tried \(out of memory from 400,000 rows\); streaming 400,000 rows/);
});

test('the scale suite: every query at 10K to 10M rows on both engines, capped, without group passes; OHLC also from a stored table', (t) => {
  const cases = planSuite('scale');
  t.is(cases.length, 6 * SCALE_QUERIES.length * 2 + 3 * 2);
  t.true(cases.some((c) => c.id === 'scale/rows=10000000,query=join/streaming'));
  t.is(cases.filter((c) => c.params.source === 'scan').length, 6 * SCALE_QUERIES.length * 2);
  t.deepEqual(cases.filter((c) => c.params.source === 'store').map((c) => c.id).filter((id) => id.endsWith('/streaming')),
    ['scale/rows=100000,query=ohlc,source=store/streaming', 'scale/rows=1000000,query=ohlc,source=store/streaming', 'scale/rows=3000000,query=ohlc,source=store/streaming']);
  t.is(SUITE_SETTINGS.scale?.heapCapMb, 256);
  t.is(SUITE_SETTINGS.scale?.groupIsolates, 0);
});

test('out-of-memory reasons name the rows and the cap; other errors pass through', (t) => {
  const rec = { params: { rows: 3_000_000 } } as unknown as CaseRecord;
  t.is(outOfMemory(rec, 'out of memory (the V8 heap limit was reached)', 256), 'out of memory at 3,000,000 rows (heap cap 256 MiB)');
  t.is(outOfMemory(rec, 'heap pass: out of memory (the V8 heap limit was reached)', 256), 'out of memory at 3,000,000 rows (heap cap 256 MiB)');
  t.is(outOfMemory(rec, 'group pass: arm 1: ERR_WORKER_OUT_OF_MEMORY', 64), 'out of memory at 3,000,000 rows (heap cap 64 MiB; group pass: arm 1: ERR_WORKER_OUT_OF_MEMORY)');
  t.is(outOfMemory(rec, 'crashed (signal SIGSEGV)', 256), 'crashed (signal SIGSEGV)');
  t.is(outOfMemory(rec, 'out of memory (the V8 heap limit was reached)', undefined), 'out of memory (the V8 heap limit was reached)', 'no cap: the error as it came');
});

/** A scale results file: materialized runs out of memory from 3M rows, streaming completes everything. */
function scaleResults(streamingPeak: (rows: number) => number = () => 1.1 * 2 ** 20) {
  const sizes = [10_000, 1_000_000, 3_000_000, 10_000_000];
  const cases: CaseRecord[] = [];
  for (const rows of sizes) {
    for (const engine of ['materialized', 'streaming']) {
      const c = makeCase('scale', { rows, query: 'filter10' }, engine);
      const oom = engine === 'materialized' && rows >= 3_000_000;
      cases.push({
        ...c, family: 'scale', params: { ...c.params }, options: {},
        status: oom ? 'errored' : 'ok', rounds: oom ? [] : [[rows * 20, rows * 21, rows * 22]],
        ...(oom ? { error: `out of memory at ${rows.toLocaleString('en-US')} rows (heap cap 256 MiB)` } : {
          output: { rows: rows / 10, checksum: 'ab' }, inputRows: rows,
          summary: summarize([rows * 20, rows * 21, rows * 22]),
          heap: { peakBytes: engine === 'streaming' ? streamingPeak(rows) : rows * 160, allocatedBytes: rows * 100, gcCount: 3, trackerPeakBytes: null, maxRssBytes: 3e8, externalPeakBytes: 0, peakSamples: [1] },
        }),
      } as CaseRecord);
    }
  }
  return { schema: 'sluice-results', version: 1, suite: 'scale', createdAt: '2026-01-01T00:00:00.000Z', environment: {} as never, settings: { rounds: 1, maxTime: 0.3, minSamples: 3, warmupRuns: 1, timeoutSec: 300, heapCapMb: 256 }, cases } as never;
}

test('the scale table states where each engine ran out of memory, the capacity ratio and the flatness of the streaming peak', (t) => {
  const ix = new CaseIndex(scaleResults());
  t.deepEqual(capacity(ix, 'filter10', 'materialized'), { completed: 1_000_000, failedAt: 3_000_000, largestTried: 10_000_000 });
  t.deepEqual(capacity(ix, 'filter10', 'streaming'), { completed: 10_000_000, failedAt: undefined, largestTried: 10_000_000 });
  const table = scaleTable(ix)!;
  t.is(table.title, 'Scale: how far each engine gets under a 256 MiB heap cap');
  t.is(table.rows.length, 4);
  t.is(table.rows[2]![2], '**out of memory**');
  t.regex(table.notes[0]!, /materialized completed 1,000,000 rows \(out of memory at 3,000,000\); streaming 10,000,000 rows \(the largest size tried\); capacity ratio \*\*≥ 10x\*\* \(streaming completed every size tried\)/);
  t.regex(table.notes[1]!, /1\.1 MiB → 1\.1 MiB \(flat/);
  // A peak that grows from a small input's figure to the heap pass's young generation is bounded, not growing.
  const young = scaleTable(new CaseIndex(scaleResults((rows) => (rows === 10_000 ? 70 * 1024 : 1.05 * 2 ** 20))))!;
  t.regex(young.notes[1]!, /70\.0 KiB → 1\.1 MiB \(15\.4x, but \*\*bounded\*\*: no more than the heap pass's 1 MiB young generation/);
  const grows = scaleTable(new CaseIndex(scaleResults((rows) => rows * 2)))!;
  t.regex(grows.notes[1]!, /\*\*grows 1000\.0x\*\*/);
  const figures = allFigures(ix).map((f) => f.file);
  t.true(figures.includes('scale-heap.png') && figures.includes('scale-time.png'), figures.join(', '));
});
