import test from 'ava';
import type { Runner } from '../../harness/case.js';
import type { CaseRecord, ResultsFile } from '../../core/results.js';
import { summarize } from '../../core/stats/descriptive.js';
import { CaseIndex, mediansDisagree } from '../../reports/model.js';
import { runSummary } from '../../reports/summary.js';
import { sweepTable } from '../../reports/tables.js';
import { sampleResults } from '../harness/sample-results.js';

const MiB = 1024 * 1024;

/** A sweep results file: option sets of the selectivity scenario with given times (ns) and peak heaps. */
function sweep(cases: { engine: Runner; options: Record<string, unknown>; ns: number; heap: number }[]): ResultsFile {
  const params = { rows: 1000, selectivity: 0.1 };
  return sampleResults({
    suite: 'sweep:selectivity',
    cases: cases.map(({ engine, options, ns, heap }) => {
      const samples = Array.from({ length: 30 }, (_, i) => ns * (1 + ((i * 7) % 5) / 500));
      const opts = Object.entries(options).map(([k, v]) => `${k}=${String(v)}`).join(',');
      return {
        id: `selectivity/rows=1000,selectivity=0.1/${engine}${opts ? `+${opts}` : ''}`, group: 'selectivity/rows=1000,selectivity=0.1', scenario: 'selectivity', family: 'selectivity',
        params, engine, options, seed: 1, status: 'ok', rounds: [samples.slice(0, 15), samples.slice(15)], summary: summarize(samples),
        output: { rows: 100, checksum: '0000abcd' }, heap: { peakBytes: heap, allocatedBytes: heap, gcCount: 0, trackerPeakBytes: 0, maxRssBytes: 1 },
      } satisfies CaseRecord;
    }),
  });
}

test('the Pareto front leaves out a combination beaten in one measure and not measurably better in the other', (t) => {
  const r = sweep([
    { engine: 'streaming', options: {}, ns: 15_000, heap: 3 * MiB },
    { engine: 'streaming', options: { enableIteratorComposition: false }, ns: 50_000, heap: 3 * MiB + 60 * 1024 }, // slower, heap within resolution
    { engine: 'streaming', options: { hashTableInitialSize: 64 }, ns: 30_000, heap: 1 * MiB }, // slower, but 2 MiB less heap
    { engine: 'materialized', options: {}, ns: 40_000, heap: 4 * MiB }, // slower and more heap
  ]);
  const t0 = sweepTable(new CaseIndex(r))!;
  const front = t0.rows.filter((row) => row[5] === 'yes').map((row) => row[1]);
  t.deepEqual(front, ['streaming', 'streaming hashTableInitialSize=64']);
  t.regex(t0.notes[0]!, /Pareto front over time and peak heap: streaming; streaming hashTableInitialSize=64\.$/);
});

test("the run summary compares each runner with the materialized case, a slower one's interval turned round", (t) => {
  const r = sweep([
    { engine: 'materialized', options: {}, ns: 20_000, heap: MiB },
    { engine: 'streaming', options: {}, ns: 15_000, heap: MiB },
    { engine: 'streaming', options: { enableIteratorComposition: false }, ns: 50_000, heap: MiB },
  ]);
  const out = runSummary(r);
  t.regex(out, /\| streaming \| [^|]+ \| \*\*1\.33x faster\*\* \(1\.3\d–1\.3\d, unpaired\) \|/);
  // 50 µs against 20 µs: 2.50x slower, and the interval is about 2.5 too, not its inverse 0.4.
  t.regex(out, /\| streaming !enableIteratorComposition \| [^|]+ \| \*\*2\.50x slower\*\* \(2\.[45]\d–2\.5\d, unpaired\) \|/);
});

test('a paired ratio that the separate-process medians contradict is flagged, one that they agree with is not', (t) => {
  const r = sweep([
    { engine: 'materialized', options: {}, ns: 40_000, heap: MiB },
    { engine: 'streaming', options: {}, ns: 46_000, heap: MiB },
  ]);
  const [m, s] = r.cases;
  // Paired: streaming measured 1.10x faster in one process; the medians of two processes say 0.87x.
  const paired = { value: 1.1, lo: 1.09, hi: 1.11, paired: true };
  t.regex(mediansDisagree(m, s, paired)!, /^the two medians, from separate processes, give 0\.87x, outside the paired interval \(1\.09–1\.11\)/);
  t.is(mediansDisagree(m, s, { value: 0.87, lo: 0.8, hi: 0.9, paired: true }), undefined, 'inside the interval');
  t.is(mediansDisagree(m, s, { ...paired, paired: false }), undefined, 'an unpaired ratio is the medians\' own');
});
