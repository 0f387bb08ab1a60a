/**
 * One arm of a paired time pass (see `PairJob`), run in a worker thread of the paired child: its
 * own V8 isolate, so its own heap, JIT feedback and hidden classes. Both builds used to be loaded
 * into one isolate; the one loaded first then ran 20-57% faster or slower than the other, by case
 * (measured on A/A pairs of one build; the sign flipped with the load order), because the two
 * builds' identical code shared object shapes, feedback and the heap. Two isolates show no such
 * effect (within ±4%).
 *
 * The two arms take turns: each benchmark.js cycle of one arm is followed by a cycle of the other
 * (a token in shared memory; the arm not running waits in `Atomics.wait`, off the CPU). Every
 * sample of one build therefore ran within a few milliseconds of a sample of the other, on the
 * same machine phase. The waiting happens in benchmark.js's `cycle` event, outside its clock.
 *
 * Messages from the parent: `check` (run once with a checksum), `measure` (warm up, then the
 * turn-taking benchmark). Errors are posted back as `{ error }`.
 */
import Benchmark from 'benchmark';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { CaseSpec } from '../case.js';
import type { PreparedCase } from './case-runner.js';
import { describeError } from './protocol.js';
import { slowed } from './slowdown.js';

(Benchmark as unknown as { support: { decompilation: boolean } }).support.decompilation = false;

/**
 * Warm-up of an arm before its benchmark (at least 20 runs, and this long). Shorter than a time
 * pass's 0.2 s: a paired pass warms up a fresh isolate pair several times (see PairJob.isolates),
 * and both arms warm up alike, so what little warming is left shows on both sides of every pair.
 */
const PAIR_WARM_SECONDS = 0.1;

/** What the paired child hands each arm. */
export interface ArmData {
  /** 0 or 1: who starts, and whose turn slot this is. */
  index: 0 | 1;
  /** The build's case-runner module (absolute path). */
  runner: string;
  case: CaseSpec;
  /** Int32Array view: [turn, arm 0 finished, arm 1 finished, arms ready to start]. */
  shared: SharedArrayBuffer;
  /** benchmark.js settings of this arm. */
  maxTime: number;
  minTime: number;
  minSamples: number;
  /** Calibration only: the extra work's fraction of the query's time (0 for none). */
  slowdown: number;
}

/** What `measure` posts back: the samples and when each ended (hrtime ns, process-wide clock). */
export interface ArmSamples {
  samplesNs: number[];
  endsNs: number[];
  rows: number;
  workRows: number;
}

/** Turn-taking over a shared Int32Array [turn, done0, done1, ready]. */
export class Turns {
  private readonly cell: Int32Array;
  constructor(shared: SharedArrayBuffer, private readonly me: 0 | 1) {
    this.cell = new Int32Array(shared);
  }

  private get other(): 0 | 1 {
    return this.me === 0 ? 1 : 0;
  }

  /** Block until both arms have called this (neither starts while the other still prepares). */
  ready(): void {
    const c = this.cell;
    Atomics.add(c, 3, 1);
    Atomics.notify(c, 3);
    for (let seen = Atomics.load(c, 3); seen < 2; seen = Atomics.load(c, 3)) Atomics.wait(c, 3, seen, 100);
  }

  /** Block until it is this arm's turn, or the other arm has finished. */
  wait(): void {
    const c = this.cell;
    while (Atomics.load(c, 0) !== this.me && Atomics.load(c, 1 + this.other) === 0) Atomics.wait(c, 0, this.other, 100);
  }

  /** Give the turn to the other arm and wait for it to come back. */
  pass(): void {
    Atomics.store(this.cell, 0, this.other);
    Atomics.notify(this.cell, 0);
    this.wait();
  }

  /** This arm is done: the other runs on alone. */
  finish(): void {
    Atomics.store(this.cell, 1 + this.me, 1);
    Atomics.store(this.cell, 0, this.other);
    Atomics.notify(this.cell, 0);
  }
}

async function main(): Promise<void> {
  const data = workerData as ArmData;
  const port = parentPort!;
  let c: PreparedCase;
  try {
    const mod = (await import(pathToFileURL(data.runner).href)) as { prepareCase(spec: CaseSpec): PreparedCase };
    c = mod.prepareCase(data.case);
  } catch (e) {
    port.postMessage({ error: describeError(e) });
    return;
  }
  port.on('message', (msg: { kind: 'check' } | { kind: 'measure' }) => {
    try {
      if (msg.kind === 'check') port.postMessage({ ...c.runChecked(), inputRows: c.inputRows });
      else port.postMessage(measure(c, data));
    } catch (e) {
      new Turns(data.shared, data.index).finish();
      port.postMessage({ error: describeError(e) });
    }
  });
  port.postMessage({ ready: true });
}

/** The turn-taking benchmark of one arm. */
function measure(c: PreparedCase, d: ArmData): ArmSamples {
  // Both arms size the calibration work (it is also a warm-up), slowed or not, so that they reach
  // the benchmark equally warm.
  const slow = slowed(() => c.run(), d.slowdown, PAIR_WARM_SECONDS);
  const run = d.slowdown > 0 ? slow.run : () => c.run();
  const turns = new Turns(d.shared, d.index);
  let last = -1;
  const bench = new Benchmark('arm', () => void (last = run()), { maxTime: d.maxTime, minTime: d.minTime, minSamples: d.minSamples, initCount: 1, async: false });
  const endsNs: number[] = [];
  bench.on('cycle', () => {
    // A cycle that reached minTime completes a sample (benchmark.js keeps its period).
    if ((bench as unknown as { times: { cycle: number } }).times.cycle >= d.minTime) endsNs.push(Number(process.hrtime.bigint()));
    turns.pass();
  });
  turns.ready();
  turns.wait();
  try {
    bench.run();
  } finally {
    turns.finish();
  }
  if (bench.error) throw bench.error;
  const samplesNs = bench.stats.sample.map((s: number) => s * 1e9);
  return { samplesNs, endsNs: endsNs.length === samplesNs.length ? endsNs : [], rows: last, workRows: d.slowdown > 0 ? slow.workRows : 0 };
}

await main();
