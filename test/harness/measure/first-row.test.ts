import test from 'ava';
import { FIRST_ROW_WARM_NS, FIRST_ROW_WARM_RUNS, firstRowMedian, firstRowSamples } from '../../../harness/measure/first-row.js';

/** A case whose first rows take the given times in turn (the last repeated), counting its runs. */
function scripted(times: (number | null)[]) {
  let runs = 0;
  return {
    get runs() {
      return runs;
    },
    firstRowNs: () => times[Math.min(runs++, times.length - 1)]!,
  };
}

test('first rows are timed after untimed warm-up runs, which are not in the samples', async (t) => {
  // The cold runs a first row measured straight after the timed runs would take.
  const c = scripted([900, 300, 200, 10, 11, 12, 13, 14]);
  const ns = await firstRowSamples(c);
  t.is(c.runs, FIRST_ROW_WARM_RUNS + 5);
  // Runs 1-5 (900 … 11) untimed, 6-10 timed.
  t.deepEqual(ns, [12, 13, 14, 14, 14]);
});

test('a slow first row warms up for at most FIRST_ROW_WARM_NS', async (t) => {
  const slow = FIRST_ROW_WARM_NS / 2 + 1;
  const c = scripted([slow]);
  const ns = await firstRowSamples(c);
  // Two untimed runs pass the warm-up budget, then the five timed ones.
  t.is(c.runs, 2 + 5);
  t.deepEqual(ns, [slow, slow, slow, slow, slow]);
});

test('a case without a first row runs once and has no samples, and no median', async (t) => {
  const c = scripted([null]);
  t.deepEqual(await firstRowSamples(c), []);
  t.is(c.runs, 1);
  t.is(await firstRowMedian(scripted([null])), null);
});

test('asynchronous first rows are awaited; the median is of the timed runs', async (t) => {
  let runs = 0;
  const times = [1000, 1000, 1000, 1000, 1000, 5, 3, 9, 1, 7];
  const c = { firstRowNs: async () => times[runs++]! };
  t.is(await firstRowMedian(c), 5);
  t.is(runs, 10);
});
