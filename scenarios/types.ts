import type { Engine, Relation, Schema, Tuple } from '../engine/index.js';
import type { Table } from './source.js';
import type { PeerQueries } from './peer-api.js';

/** A scenario parameter value. */
export type ParamValue = number | string | boolean;
/** A case's parameters, by name. */
export type Params = Readonly<Record<string, ParamValue>>;

/**
 * What a scenario's generator produces: named tables, each a schema and its rows, or a schema and
 * a generator of its rows (for tables too large to exist as tuples: a `scan` encodes them row by row).
 */
export type Dataset = Readonly<Record<string, { readonly schema: Schema; readonly rows: readonly Tuple[] } | { readonly schema: Schema; generate(): Iterable<Tuple> }>>;

/** The generated tables as a case reads them, through its `source` (see source.ts). */
export type Tables = Readonly<Record<string, Table>>;

/**
 * The hand-written single loop that computes a scenario's result: the practical limit an engine
 * can approach. It receives a `sink` for every output tuple (so the JIT cannot drop the work) and
 * returns the number of output rows.
 */
export type LimitLoop = (data: Tables, params: Params, sink: (t: Tuple) => void) => number;

/** Describes one parameter: its default and, optionally, the values it may take. */
export interface ParamSpec {
  readonly default: ParamValue;
  /** Allowed values; omitted: any positive integer (numbers) or any value of the default's type. */
  readonly values?: readonly ParamValue[];
  readonly doc: string;
  /** Left out of case ids while at its default (a parameter added later keeps old ids valid). */
  readonly omitAtDefault?: boolean;
}

/**
 * A scenario: one query shape, defined once, built through the `Relation` API so that the same
 * definition runs on every engine. Data comes from a seeded generator.
 */
export interface Scenario {
  /** Stable id, used in case ids and on the command line. */
  readonly id: string;
  /** Family, used to group report tables. */
  readonly family: string;
  readonly title: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Deterministic data for the parameters: the same seed gives the same data. */
  data(params: Params, seed: number): Dataset;
  /** The query, on a given engine; tables read through `table.relation(engine)` follow the case's source. */
  build(engine: Engine, data: Tables, params: Params): Relation;
  /** The hand-written limit loop (the filter/project families, OHLC and the join). */
  readonly limitLoop?: LimitLoop;
  /** The query for each peer engine that can express it (see peer-api.ts); a peer without one does not run it. */
  readonly peers?: PeerQueries;
  /**
   * True when the result depends on row order (for example a `limit` after a join, whose order is
   * unspecified): engines must then agree on the row count only, not on which rows.
   */
  readonly orderSensitive?: (params: Params) => boolean;
  /** The engine options that matter for this scenario (for sweeps and the report). */
  readonly relevantOptions?: readonly string[];
  /**
   * A task scenario (asynchronous work with I/O, such as ingest) instead of a query: the harness
   * calls `task` for every runner and times `run()`; `data` and `build` are not used.
   */
  readonly task?: (runner: 'materialized' | 'streaming' | 'limit-loop', params: Params, seed: number, checksum: OutputChecksum) => Promise<TaskCase>;
  /** A task scenario whose `task` accepts the `limit-loop` runner (query scenarios say so with `limitLoop`). */
  readonly hasLimitLoop?: boolean;
  /** Timing settings for this scenario's time pass (long-running tasks take fewer samples). */
  readonly timing?: { readonly minSamples?: number };
}

/** The harness's order-independent checksum of a bag of rows. */
export type OutputChecksum = (rows: readonly Tuple[]) => { rows: number; checksum: string };

/** One runner of a task scenario, ready to run repeatedly. */
export interface TaskCase {
  /** Rows of input the task processes. */
  readonly inputRows: number;
  /** Do the work once; resolves with the number of rows produced or stored. */
  run(): Promise<number>;
  /**
   * After a run: the output's row count and checksum (never timed), and the bytes this run moved
   * to or from storage (files, objects) where the task measures them.
   */
  output(): Promise<{ rows: number; checksum: string; ioBytes?: number }>;
  /** Called after every run, outside the timing: restore the state the next run starts from. */
  reset?(): void;
}
