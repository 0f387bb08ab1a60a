import test from 'ava';
import { timedRunsAsync, warmUntilSteady, warmUntilSteadyAsync, type SteadyWarm } from '../../../harness/measure/warm.js';

/** A query whose n-th run takes times[n] ms (the last repeated), on a fake clock it advances. */
function scripted(timesMs: number[]) {
  let clock = 0, runs = 0;
  return {
    get runs() {
      return runs;
    },
    now: () => clock,
    run: () => {
      clock += timesMs[Math.min(runs++, timesMs.length - 1)]! * 1e6;
    },
  };
}

const W: SteadyWarm = { roundRuns: 5, roundSeconds: 0.01, tolerance: 0.05, maxSeconds: 1 };

test('a query that keeps getting faster is warmed until a round is no longer 5% faster than the one before', (t) => {
  // Ten slow runs (the OHLC aggregation's shape), then steady at 9 ms.
  const q = scripted([24, 20, 18, 16, 15, 15, 14, 12, 11, 10, 9]);
  const { medianNs, rounds } = warmUntilSteady(q.run, q.now, W);
  // Rounds of 5 runs (each round is past 10 ms): medians 18, 12, 9, then 9 again ends it.
  t.is(rounds, 4);
  t.is(medianNs, 9e6);
  t.is(q.runs, 20);
});

test('a query already warm stops after two rounds; each round lasts at least its time', (t) => {
  const q = scripted([0.5]);
  const { medianNs, rounds } = warmUntilSteady(q.run, q.now, W);
  t.is(rounds, 2);
  t.is(medianNs, 0.5e6);
  // 10 ms a round at 0.5 ms a run: 20 runs each.
  t.is(q.runs, 40);
});

test('the warm-up ends at maxSeconds however long the query keeps improving', (t) => {
  // Every run 1% faster than the one before, 50 ms at first: never steady within 5 runs.
  const times = Array.from({ length: 10_000 }, (_, i) => 50 * 0.99 ** i);
  const q = scripted(times);
  const { rounds } = warmUntilSteady(q.run, q.now, { ...W, maxSeconds: 0.5, tolerance: 0.01 });
  t.true(q.now() >= 0.5e9 && q.now() < 0.5e9 + 5 * 50e6, `stopped at ${q.now() / 1e9} s`);
  t.true(rounds >= 2);
});

test('an asynchronous query (a DuckDB arm) is warmed by the same rounds and rule, each run awaited', async (t) => {
  const q = scripted([24, 20, 18, 16, 15, 15, 14, 12, 11, 10, 9]);
  let inFlight = 0, most = 0;
  const run = async () => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    q.run();
    inFlight--;
  };
  const { medianNs, rounds } = await warmUntilSteadyAsync(run, q.now, W);
  // The synchronous case's answer on the same script: medians 18, 12, 9, 9.
  t.is(rounds, 4);
  t.is(medianNs, 9e6);
  t.is(q.runs, 20);
  t.is(most, 1, 'one run at a time');
});

test('timed runs of an asynchronous query last at least their runs and their time', async (t) => {
  const q = scripted([2]);
  const ns = await timedRunsAsync(async () => q.run(), q.now, 3, 0.02);
  t.is(ns.length, 10, '20 ms at 2 ms a run');
  t.true(ns.every((x) => x === 2e6));
  t.is((await timedRunsAsync(async () => q.run(), q.now, 3, 0)).length, 3);
});
