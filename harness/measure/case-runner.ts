import { createEngine, type Engine, type Tuple } from '../../engine/index.js';
import { getScenario, prepareTables, type SourceKind, type Tables, type TaskCase } from '../../scenarios/index.js';
import type { CaseSpec } from '../case.js';
import { BagChecksum } from './checksum.js';
import { isPeer } from '../../core/case-spec.js';
import { preparePeer } from '../peers/index.js';

/** A case made ready to run repeatedly on its (already generated) data. */
export interface PreparedCase {
  /** Rows in the input tables, summed. */
  readonly inputRows: number;
  /** Run the query once, pushing its rows to one sink; returns the output row count. Used in the timed loop. */
  run(): number;
  /** Run once and checksum the output (never in the timed loop). */
  runChecked(): { rows: number; checksum: string };
  /** Nanoseconds from building the query (where the materialized engine computes) to its first row. */
  firstRowNs(): number | null;
  /** The memory tracker's peak in the last `run()` (null for the limit loop, which has none). */
  trackerPeak(): number | null;
  /** Delete what the case's tables keep outside the heap (a stored table's files); idempotent. */
  dispose(): void;
  /** A synchronous case (sluice's runners, arquero, IxJS). */
  readonly async?: false;
  /** A peer's setup, for the results (see {@link PeerSetup}). */
  readonly setup?: PeerSetup;
}

/** How a peer runner was set up: its library and version, the untimed load of its data, its settings. */
export interface PeerSetup {
  library: string;
  version: string;
  /** Nanoseconds to load the case's tables into the peer (once, before any timing). */
  loadNs: number;
  /** Settings the peer reports (DuckDB: its threads). */
  settings?: Record<string, string>;
}

/**
 * A case whose query completes asynchronously (DuckDB: the query runs off the JavaScript thread
 * and its result comes back through a promise). The same methods as {@link PreparedCase}, as
 * promises; the measurement loops await each run and run nothing else meanwhile.
 */
export interface AsyncPreparedCase {
  readonly async: true;
  readonly inputRows: number;
  run(): Promise<number>;
  runChecked(): Promise<{ rows: number; checksum: string }>;
  firstRowNs(): Promise<number | null>;
  trackerPeak(): null;
  dispose(): void;
  readonly setup?: PeerSetup;
}

/** A case of any runner, ready to run. */
export type AnyPreparedCase = PreparedCase | AsyncPreparedCase;

/** Thrown by the limit loop's sink to stop at the first row. */
const FIRST_ROW = Symbol('first row');

/** The row most recently handed to a sink, so the JIT cannot drop the work of producing it. */
export let lastRow: Tuple | undefined;

/**
 * The timed loop's consumer, the same for the limit loop and both engines: every output row is
 * pushed to it (`Relation.forEach`, the limit loop's sink), the way a hand-written loop hands rows on.
 */
function keepLast(t: Tuple): void {
  lastRow = t;
}

/**
 * Two full GCs once the data exist (when the process has `--expose-gc`, as measuring children
 * do), before the query first runs. Without them the first scavenges after data generation, with
 * the young generation full of surviving rows, could tip V8's allocation-site pretenuring into
 * tenuring the query's own per-row allocations: in about one process in three, fused depth-8 at
 * 100K rows then allocated every output tuple in old space and ran 2-3x slower for the whole
 * process (9 ms instead of 3.5 ms; 0 slow processes of 14 with this, 3-4 of 12 without).
 */
function settleHeap(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

/**
 * Build the data of `spec` and wrap its query for the measurement loops. Asynchronous because a
 * stored table (`source: 'store'`) is inserted first; nothing after this awaits.
 */
export async function prepareCase(spec: CaseSpec): Promise<AnyPreparedCase> {
  const scenario = getScenario(spec.scenario);
  // Over `scan`, the generated rows are encoded and dropped here, before the heap settles.
  const data: Tables = await prepareTables(scenario.data(spec.params, spec.seed), (spec.params.source ?? 'array') as SourceKind);
  settleHeap();
  const inputRows = Object.values(data).reduce((n, t) => n + t.length, 0);
  const dispose = () => {
    for (const t of Object.values(data)) t.dispose?.();
  };
  if (isPeer(spec.engine)) {
    try {
      return await preparePeer(spec, scenario, data, inputRows, keepLast, dispose);
    } catch (e) {
      dispose();
      throw e;
    }
  }
  if (spec.engine === 'limit-loop') {
    const loop = scenario.limitLoop!;
    return {
      inputRows,
      dispose,
      run: () => loop(data, spec.params, keepLast),
      runChecked: () => {
        const sum = new BagChecksum();
        loop(data, spec.params, (t) => sum.add(t));
        return { rows: sum.rows, checksum: sum.value };
      },
      firstRowNs: () => {
        const t0 = process.hrtime.bigint();
        try {
          loop(data, spec.params, () => {
            throw FIRST_ROW;
          });
        } catch (e) {
          if (e !== FIRST_ROW) throw e;
        }
        return Number(process.hrtime.bigint() - t0);
      },
      trackerPeak: () => null,
    };
  }
  const kind = spec.engine as 'materialized' | 'streaming';
  let last: Engine | undefined;
  const build = () => {
    last = createEngine(kind, spec.options);
    return scenario.build(last, data, spec.params);
  };
  return {
    inputRows,
    dispose,
    run: () => build().forEach(keepLast),
    runChecked: () => {
      const sum = new BagChecksum();
      const it = build().open();
      try {
        for (let t = it.next(); t !== undefined; t = it.next()) sum.add(t);
      } finally {
        it.close();
      }
      return { rows: sum.rows, checksum: sum.value };
    },
    firstRowNs: () => {
      const t0 = process.hrtime.bigint();
      const it = build().open();
      try {
        it.next();
        return Number(process.hrtime.bigint() - t0);
      } finally {
        it.close();
      }
    },
    trackerPeak: () => last?.context.memory.peak ?? null,
  };
}

/** True when `spec` is a task scenario (asynchronous, see `Scenario.task`). */
export function isTask(spec: CaseSpec): boolean {
  return getScenario(spec.scenario).task !== undefined;
}

/** Prepare one runner of a task scenario, with the harness's checksum. */
export function prepareTask(spec: CaseSpec): Promise<TaskCase> {
  const task = getScenario(spec.scenario).task!;
  return task(spec.engine as 'materialized' | 'streaming' | 'limit-loop', spec.params, spec.seed, (rows) => {
    const sum = new BagChecksum();
    for (const t of rows) sum.add(t);
    return { rows: sum.rows, checksum: sum.value };
  });
}
