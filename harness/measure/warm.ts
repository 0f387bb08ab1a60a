import { median } from '../../core/stats/descriptive.js';

/** How {@link warmUntilSteady} warms a query up. */
export interface SteadyWarm {
  /** Runs per round, at least. */
  roundRuns: number;
  /** Seconds per round, at least. */
  roundSeconds: number;
  /** A round whose median is not this fraction below the previous round's ends the warm-up. */
  tolerance: number;
  /** Seconds the warm-up takes at most (a query that keeps getting faster stops here). */
  maxSeconds: number;
}

/**
 * Warm a query up in rounds until it stops getting faster: each round runs it at least
 * `roundRuns` times and `roundSeconds` long, and the warm-up ends at the first round whose median
 * time is not `tolerance` below the previous round's (or at `maxSeconds`). Returns the last
 * round's median (ns) and the rounds run. A warm-up of fixed runs or time assumes that a slow
 * query is warm after a few runs; the 117K-row OHLC aggregation was not: its first 10-15 runs took
 * 15-24 ms and the later ones 9 ms (V8 optimized and threw away its output functions several
 * times), so a group pass's samples, after a 0.1 s warm-up, fell from 20-48 ms to 10 ms within
 * each isolate group and its report said 22 ms.
 */
export function warmUntilSteady(run: () => void, now: () => number, o: SteadyWarm): { medianNs: number; rounds: number } {
  const steady = new SteadyRounds(now, o);
  for (;;) {
    const done = steady.after(median(timedRuns(run, now, o.roundRuns, o.roundSeconds)));
    if (done) return done;
  }
}

/**
 * {@link warmUntilSteady} for an asynchronous query (a DuckDB peer's arm), each run awaited:
 * the same rounds and the same rule, so that no runner of a group pass is warmed for less.
 */
export async function warmUntilSteadyAsync(run: () => Promise<unknown>, now: () => number, o: SteadyWarm): Promise<{ medianNs: number; rounds: number }> {
  const steady = new SteadyRounds(now, o);
  for (;;) {
    const done = steady.after(median(await timedRunsAsync(run, now, o.roundRuns, o.roundSeconds)));
    if (done) return done;
  }
}

/** The rule of {@link warmUntilSteady}, round by round: `after(m)` is the result once a round of median `m` ends the warm-up, else null. */
class SteadyRounds {
  private readonly end: number;
  private previous = Infinity;
  private rounds = 0;

  constructor(private readonly now: () => number, private readonly o: SteadyWarm) {
    this.end = now() + o.maxSeconds * 1e9;
  }

  after(m: number): { medianNs: number; rounds: number } | null {
    this.rounds++;
    if (m > this.previous * (1 - this.o.tolerance) || this.now() >= this.end) return { medianNs: m, rounds: this.rounds };
    this.previous = m;
    return null;
  }
}

/** Run `run` at least `runs` times and for at least `seconds`; each run's time, ns. */
export function timedRuns(run: () => void, now: () => number, runs: number, seconds: number): number[] {
  const until = now() + seconds * 1e9, ns: number[] = [];
  for (let i = 0; i < runs || now() < until; i++) {
    const t0 = now();
    run();
    ns.push(now() - t0);
  }
  return ns;
}

/** {@link timedRuns} for an asynchronous query, each run awaited. */
export async function timedRunsAsync(run: () => Promise<unknown>, now: () => number, runs: number, seconds: number): Promise<number[]> {
  const until = now() + seconds * 1e9, ns: number[] = [];
  for (let i = 0; i < runs || now() < until; i++) {
    const t0 = now();
    await run();
    ns.push(now() - t0);
  }
  return ns;
}
