import test from 'ava';
import { stretched } from '../../harness/measure/slowdown.js';

/** A clock that only moves when read (by `tick` ns) or when the fake query runs (by its cost). */
function fakeClock(tick: number) {
  let now = 0;
  return { clock: () => (now += tick), advance: (ns: number) => void (now += ns), reads: () => now };
}

test('a stretched run waits until the fraction of its own measured time has passed again', (t) => {
  const f = fakeClock(7);
  const costs = [1000, 5000, 200];
  let k = 0;
  const s = stretched(() => {
    f.advance(costs[k++ % costs.length]!);
    return 42;
  }, 0.1, f.clock);
  t.is(s.run(), 42, 'the query\'s row count passes through');
  // t0 = 7, t1 = 1014 (query 1000 + one read): wait until 1014 + 0.1 × 1007 = 1114.7, read by read.
  t.deepEqual(s.spent(), { queryNs: 1007, extraNs: 105 });
  s.run();
  s.run();
  const { queryNs, extraNs } = s.spent();
  t.is(queryNs, 1007 + 5007 + 207);
  // Each run's wait reaches its own 10% and overshoots by less than one clock read.
  t.true(extraNs >= 0.1 * queryNs && extraNs < 0.1 * queryNs + 3 * 7, `${extraNs} for ${queryNs}`);
  s.reset();
  t.deepEqual(s.spent(), { queryNs: 0, extraNs: 0 });
});

test('a slow run is stretched more than a fast one: the fraction, not a fixed amount', (t) => {
  const f = fakeClock(1);
  let cost = 100;
  const s = stretched(() => {
    f.advance(cost);
    return 0;
  }, 0.5, f.clock);
  s.run();
  const fast = s.spent().extraNs;
  s.reset();
  cost = 10_000;
  s.run();
  t.is(fast, 51, 'half of 101 ns, to the next read');
  t.is(s.spent().extraNs, 5001);
});

test('no stretch at 0, and a bad fraction is refused', (t) => {
  const f = fakeClock(3);
  const s = stretched(() => (f.advance(50), 1), 0, f.clock);
  s.run();
  t.deepEqual(s.spent(), { queryNs: 53, extraNs: 0 });
  for (const bad of [-0.1, NaN, Infinity]) {
    t.throws(() => stretched(() => 0, bad), { message: /the calibration slowdown must be a fraction ≥ 0, got/ });
  }
});

test('the real clock: a stretched run takes at least its query time plus the fraction', (t) => {
  // Deterministic by construction (the wait ends only once the time has passed), not a speed target.
  let rows = 0;
  const s = stretched(() => {
    for (let i = 0; i < 20_000; i++) rows += i & 1;
    return rows;
  }, 0.2);
  for (let i = 0; i < 50; i++) s.run();
  const { queryNs, extraNs } = s.spent();
  t.true(queryNs > 0);
  t.true(extraNs >= 0.2 * queryNs, `${extraNs} ns extra for ${queryNs} ns of query`);
});
