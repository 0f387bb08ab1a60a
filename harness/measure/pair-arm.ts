/**
 * One arm of a paired time pass (see `PairJob`), run in a worker thread of the paired child: its
 * own V8 isolate, so its own heap, JIT feedback and hidden classes. Both builds used to be loaded
 * into one isolate; the one loaded first then ran 20-57% faster or slower than the other, by case
 * (measured on A/A pairs of one build; the sign flipped with the load order), because the two
 * builds' identical code shared object shapes, feedback and the heap. Two isolates show no such
 * effect (within ±4%).
 *
 * The arms take turns: a sample of one arm (the query run `count` times back to back, about
 * 1 ms; the same count for two builds of one query) is followed at once by a sample of the next
 * (a token in shared memory; an arm not running waits in `Atomics.wait`, off the CPU). Every
 * sample of one arm therefore ran within one cycle of a sample of every other, on the same
 * machine phase. The gate's arms are two builds of one case; a report's are the runners of one
 * case group (materialized, streaming, streaming with options, the limit loop) of one build.
 *
 * Why not benchmark.js here (it times `run` and the reports): every benchmark.js cycle recompiles
 * its test loop through lodash.template and runs the test once untimed before timing it, about
 * 6 ms per cycle on this project's VM. Between two builds' samples that put 6-10 ms of other work,
 * where the machine's speed had changed (SD of the log ratio of two neighbouring 5 ms samples:
 * 30%), and it took half of the gate's time. Back to back, 1 ms samples pair at 15-18% on the
 * same queries, three times as many per second (measured A/A, selectivity 1% streaming: 150 pairs
 * in 0.5 s, standard error of the median ratio 1.7%, against about 45 pairs and 5% with
 * benchmark.js cycles).
 *
 * Messages from the parent: `check` (run once with a checksum), `warm` (warm up, reply with the
 * query's warm median time), `firstRow` (a group pass's time to first row, alone), `measure` (the
 * turn-taking samples, `count` runs each). Errors are
 * posted back as `{ error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { CaseSpec } from '../case.js';
import type { AnyPreparedCase, AsyncPreparedCase } from './prepared.js';
import { describeError, type WarmLonger } from './protocol.js';
import { median } from '../../core/stats/descriptive.js';
import { stretched } from './slowdown.js';
import { firstRowSamples } from './first-row.js';
import { timedRuns, timedRunsAsync, warmUntilSteady, warmUntilSteadyAsync } from './warm.js';

/**
 * Warm-up of an arm before its samples (at least 20 runs, and this long). Shorter than a time
 * pass's 0.2 s: a paired pass warms up a fresh isolate pair several times (see PairJob.isolates),
 * and both arms warm up alike, so what little warming is left shows on both sides of every pair.
 */
const PAIR_WARM_SECONDS = 0.1;

/** What the paired child hands each arm. */
export interface ArmData {
  /** This arm's turn slot: 0 starts, then 1, …, `arms - 1`, then 0 again. */
  index: number;
  /** Arms taking turns (2 for the gate's two builds; any number for a report's runners). */
  arms: number;
  /** The build's case-runner module (absolute path). */
  runner: string;
  case: CaseSpec;
  /** Int32Array view: [turn, arm 0 finished, …, arm n-1 finished, arms ready to start]. */
  shared: SharedArrayBuffer;
  /** Seconds of turns (both arms' samples together), after which the arm stops at its next turn. */
  maxTime: number;
  /** Samples to take at least, even past maxTime. */
  minSamples: number;
  /** Calibration only: every run stretched by this fraction of its own time (0 for none; see slowdown.ts). */
  slowdown: number;
  /** Runs the warm-up takes at least (besides its time); 20 when absent. */
  warmRuns?: number;
}

/**
 * What `measure` posts back: the samples (ns per run) and when each ended (hrtime ns, process-wide
 * clock); for a slowed arm, the extra work's time over the query's, as measured while sampling.
 */
export interface ArmSamples {
  samplesNs: number[];
  endsNs: number[];
  rows: number;
  extraFraction: number;
}

/**
 * Turn-taking over a shared Int32Array [turn, done_0 … done_{n-1}, ready]: arm 0, then 1, …, then
 * n-1, then 0 again, one sample each. Once any arm has finished, every other stops at its next
 * turn, so the arms' k-th samples always come from the same cycle.
 */
export class Turns {
  private readonly cell: Int32Array;
  constructor(shared: SharedArrayBuffer, private readonly me: number, private readonly n = 2) {
    this.cell = new Int32Array(shared);
  }

  private get next(): number {
    return (this.me + 1) % this.n;
  }

  /** Block until every arm has called this (none starts while another still prepares). */
  ready(): void {
    const c = this.cell, slot = this.n + 1;
    Atomics.add(c, slot, 1);
    Atomics.notify(c, slot);
    for (let seen = Atomics.load(c, slot); seen < this.n; seen = Atomics.load(c, slot)) Atomics.wait(c, slot, seen, 100);
  }

  /** Block until it is this arm's turn, or another arm has finished. */
  wait(): void {
    const c = this.cell;
    for (let turn = Atomics.load(c, 0); turn !== this.me && !this.otherFinished(); turn = Atomics.load(c, 0)) Atomics.wait(c, 0, turn, 100);
  }

  /** Give the turn to the next arm and wait for it to come back. */
  pass(): void {
    Atomics.store(this.cell, 0, this.next);
    Atomics.notify(this.cell, 0);
    this.wait();
  }

  /** True once any other arm has stopped. */
  otherFinished(): boolean {
    for (let k = 0; k < this.n; k++) if (k !== this.me && Atomics.load(this.cell, 1 + k) !== 0) return true;
    return false;
  }

  /** This arm is done: the others stop at their next turn. */
  finish(): void {
    Atomics.store(this.cell, 1 + this.me, 1);
    Atomics.store(this.cell, 0, this.next);
    Atomics.notify(this.cell, 0);
  }
}

type Message = { kind: 'check' } | { kind: 'warm' } | ({ kind: 'warmMore' } & WarmLonger) | { kind: 'firstRow' } | { kind: 'measure'; count: number };

async function main(): Promise<void> {
  const data = workerData as ArmData;
  const port = parentPort!;
  let prepared: AnyPreparedCase;
  try {
    // Awaited: this build's prepareCase is asynchronous (a stored table is inserted first); an
    // older build's (a gate base) returns the case itself.
    const mod = (await import(pathToFileURL(data.runner).href)) as { prepareCase(spec: CaseSpec): AnyPreparedCase | Promise<AnyPreparedCase> };
    prepared = await mod.prepareCase(data.case);
  } catch (e) {
    port.postMessage({ error: describeError(e) });
    return;
  }
  if (prepared.async) return asyncArm(prepared, data);
  const c = prepared;
  const query = () => c.run();
  // Calibration only: the slowed arm runs the query stretched (see slowdown.ts).
  const slow = data.slowdown > 0 ? stretched(query, data.slowdown) : undefined;
  const run = slow?.run ?? query;
  let warm = false;
  let warmNs = 0;
  port.on('message', (msg: Message) => {
    try {
      if (msg.kind === 'check') port.postMessage({ ...c.runChecked(), inputRows: c.inputRows });
      else if (msg.kind === 'warm') {
        // Both arms at once; the reply is the query's own warm time (for the runs per sample).
        if (data.warmRuns === undefined || slow) {
          // The gate, as calibrated: 20 runs, then the median of 15 more.
          timedRuns(run, now, data.warmRuns ?? 20, PAIR_WARM_SECONDS);
          warmNs = medianRunNs(query, Math.min(15, Math.max(3, data.warmRuns ?? 15)));
        } else {
          // A group pass: the warm time is the median of the warm-up's own later half (a 1M-row
          // query's extra timed runs took a second per isolate group, four arms on two cores).
          const ns = timedRuns(run, now, data.warmRuns, PAIR_WARM_SECONDS);
          warmNs = median(ns.slice(ns.length >> 1));
        }
        warm = true;
        port.postMessage({ warmMedianNs: warmNs });
      } else if (msg.kind === 'warmMore') {
        // On a core of its own (at most one other arm warms up beside it; see WARM_AT_ONCE in child.ts).
        if (warmNs < msg.maxRunNs) {
          const until = now() + msg.maxSeconds * 1e9;
          for (let i = 0; i < msg.runs && now() < until; i++) run();
          warmNs = medianRunNs(query, 5);
        } else {
          // A slower query: on until it stops getting faster (see warmUntilSteady).
          warmNs = warmUntilSteady(run, now, msg.steady).medianNs;
        }
        port.postMessage({ warmMedianNs: warmNs });
      } else if (msg.kind === 'firstRow') {
        // Alone (the parent asks one arm at a time), warm: from building the query to its first row.
        firstRowSamples(c).then((ns) => port.postMessage({ firstRowSamples: ns }), (e: unknown) => port.postMessage({ error: describeError(e) }));
      } else {
        if (!warm) throw new Error('measure before warm');
        slow?.reset();
        port.postMessage({ ...takeTurns(run, msg.count, data), extraFraction: slow?.extraFraction() ?? 0 });
      }
    } catch (e) {
      new Turns(data.shared, data.index, data.arms).finish();
      port.postMessage({ error: describeError(e) });
    }
  });
  port.postMessage({ ready: true });
}

const now = () => Number(process.hrtime.bigint());

/**
 * The arm of an asynchronous case (a DuckDB peer): the same messages and the same turn-taking,
 * each run awaited (the query runs off this thread; the thread waits for it and runs nothing
 * else). While the other arms take their turns this thread blocks in `Atomics.wait`, with no query
 * of its own in flight. The gate's arms are never asynchronous, so no slowdown applies here.
 */
function asyncArm(c: AsyncPreparedCase, data: ArmData): void {
  const port = parentPort!;
  const run = () => c.run();
  let warm = false, warmNs = 0;
  const timed = (runs: number, seconds = 0): Promise<number[]> => timedRunsAsync(run, now, runs, seconds);
  port.on('message', (msg: Message) => {
    void (async () => {
      try {
        if (data.slowdown > 0) throw new Error('the calibration slowdown applies to synchronous queries only');
        if (msg.kind === 'check') port.postMessage({ ...(await c.runChecked()), inputRows: c.inputRows });
        else if (msg.kind === 'warm') {
          const ns = await timed(data.warmRuns ?? 20, PAIR_WARM_SECONDS);
          warmNs = data.warmRuns === undefined ? median(await timed(15)) : median(ns.slice(ns.length >> 1));
          warm = true;
          port.postMessage({ warmMedianNs: warmNs });
        } else if (msg.kind === 'warmMore') {
          if (warmNs < msg.maxRunNs) {
            const until = now() + msg.maxSeconds * 1e9;
            for (let i = 0; i < msg.runs && now() < until; i++) await run();
            warmNs = median(await timed(5));
          } else {
            // A slower query: on until it stops getting faster, as the synchronous arms are.
            warmNs = (await warmUntilSteadyAsync(run, now, msg.steady)).medianNs;
          }
          port.postMessage({ warmMedianNs: warmNs });
        } else if (msg.kind === 'firstRow') port.postMessage({ firstRowSamples: await firstRowSamples(c) });
        else {
          if (!warm) throw new Error('measure before warm');
          port.postMessage({ ...(await takeTurnsAsync(run, msg.count, data)), extraFraction: 0 });
        }
      } catch (e) {
        new Turns(data.shared, data.index, data.arms).finish();
        port.postMessage({ error: describeError(e) });
      }
    })();
  });
  port.postMessage({ ready: true });
}

/**
 * {@link takeTurns} for an asynchronous query: each run awaited within the arm's turn (the loop
 * itself is not shared: the synchronous one is the gate's calibrated path and stays free of awaits).
 */
async function takeTurnsAsync(run: () => Promise<number>, count: number, d: ArmData): Promise<Omit<ArmSamples, 'extraFraction'>> {
  const s = new Samples(count, d);
  let rows = -1;
  try {
    while (s.more()) {
      const t0 = now();
      for (let i = 0; i < count; i++) rows = await run();
      s.record(t0, now());
    }
  } finally {
    s.finish();
  }
  return { samplesNs: s.samplesNs, endsNs: s.endsNs, rows };
}

/**
 * An arm's samples while taking turns (both turn loops): waits for the arm's first turn, then
 * says whether to take another sample (until its first turn after `maxTime` seconds and
 * `minSamples` samples, or another arm has stopped), records one and hands the turn over.
 */
class Samples {
  readonly samplesNs: number[] = [];
  readonly endsNs: number[] = [];
  private readonly turns: Turns;
  private readonly deadline: number;
  constructor(private readonly count: number, private readonly d: ArmData) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`runs per sample must be a positive integer, got ${count}`);
    this.turns = new Turns(d.shared, d.index, d.arms);
    this.turns.ready();
    this.turns.wait();
    this.deadline = now() + d.maxTime * 1e9;
  }

  more(): boolean {
    return !this.turns.otherFinished() && (this.samplesNs.length < this.d.minSamples || now() < this.deadline);
  }

  /** A sample of `count` runs from `t0` to `t1`; the turn goes to the next arm, and comes back. */
  record(t0: number, t1: number): void {
    this.samplesNs.push((t1 - t0) / this.count);
    this.endsNs.push(t1);
    this.turns.pass();
  }

  finish(): void {
    this.turns.finish();
  }
}

/** The median time of `runs` runs of `run`, ns (call it warm). */
function medianRunNs(run: () => number, runs = 15): number {
  return median(Array.from({ length: runs }, () => {
    const t0 = now();
    run();
    return now() - t0;
  }));
}

/**
 * The arm's samples, taking turns with the other arm: wait for the turn, run the query `count`
 * times, record the time per run, hand the turn over. Stops at its first turn after `maxTime`
 * seconds (and `minSamples` samples), or when the other arm has stopped.
 */
function takeTurns(run: () => number, count: number, d: ArmData): Omit<ArmSamples, 'extraFraction'> {
  const s = new Samples(count, d);
  let rows = -1;
  try {
    while (s.more()) {
      const t0 = now();
      for (let i = 0; i < count; i++) rows = run();
      s.record(t0, now());
    }
  } finally {
    s.finish();
  }
  return { samplesNs: s.samplesNs, endsNs: s.endsNs, rows };
}

await main();
