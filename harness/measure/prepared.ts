/**
 * A case made ready to run: what the measurement loops call. Engines build theirs in
 * case-runner.ts; every other runner (a limit loop, a peer) is a drain, `drain(to)`: run the query
 * once, hand every output row to `to`, return the row count. {@link drainCase} and
 * {@link drainCaseAsync} make a prepared case of a drain, so that every runner hands its rows to
 * the same sink, checksums them the same way and stops at its first row the same way.
 */
import type { Tuple } from '../../engine/index.js';
import type { PeerRecord } from '../../core/results.js';
import { BagChecksum } from './checksum.js';

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
  /** A peer's setup, for the results. */
  readonly setup?: PeerRecord;
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
  readonly setup?: PeerRecord;
}

/** A case of any runner, ready to run. */
export type AnyPreparedCase = PreparedCase | AsyncPreparedCase;

/** The row most recently handed to a sink, so the JIT cannot drop the work of producing it. */
export let lastRow: Tuple | undefined;

/**
 * The timed loop's consumer, the same for every runner: every output row is pushed to it
 * (`Relation.forEach`, a drain's `to`), the way a hand-written loop hands rows on.
 */
export function keepLast(t: Tuple): void {
  lastRow = t;
}

/** Thrown by a first-row sink to stop a query at its first row. */
const FIRST_ROW = Symbol('first row');
function stopAtFirst(): never {
  throw FIRST_ROW;
}

/** What a drain's case carries besides its query. */
interface DrainBase {
  readonly inputRows: number;
  dispose(): void;
  readonly setup?: PeerRecord;
}

/** A prepared case of a synchronous drain (a limit loop, arquero, IxJS). */
export function drainCase(drain: (to: (t: Tuple) => void) => number, base: DrainBase): PreparedCase {
  return {
    ...base,
    run: () => drain(keepLast),
    runChecked: () => {
      const sum = new BagChecksum();
      drain((t) => sum.add(t));
      return { rows: sum.rows, checksum: sum.value };
    },
    firstRowNs: () => {
      const t0 = process.hrtime.bigint();
      try {
        drain(stopAtFirst);
      } catch (e) {
        if (e !== FIRST_ROW) throw e;
      }
      return Number(process.hrtime.bigint() - t0);
    },
    trackerPeak: () => null,
  };
}

/** A prepared case of an asynchronous drain (DuckDB). */
export function drainCaseAsync(drain: (to: (t: Tuple) => void) => Promise<number>, base: DrainBase): AsyncPreparedCase {
  return {
    ...base,
    async: true,
    run: () => drain(keepLast),
    runChecked: async () => {
      const sum = new BagChecksum();
      await drain((t) => sum.add(t));
      return { rows: sum.rows, checksum: sum.value };
    },
    firstRowNs: async () => {
      const t0 = process.hrtime.bigint();
      try {
        await drain(stopAtFirst);
      } catch (e) {
        if (e !== FIRST_ROW) throw e;
      }
      return Number(process.hrtime.bigint() - t0);
    },
    trackerPeak: () => null,
  };
}
