import type { Engine, Relation, Schema, Tuple } from '../engine/index.js';

/** A scenario parameter value. */
export type ParamValue = number | string | boolean;
/** A case's parameters, by name. */
export type Params = Readonly<Record<string, ParamValue>>;

/** What a scenario's generator produces: named tables, each a schema and its rows. */
export type Dataset = Readonly<Record<string, { readonly schema: Schema; readonly rows: readonly Tuple[] }>>;

/**
 * The hand-written single loop that computes a scenario's result: the practical limit an engine
 * can approach. It receives a `sink` for every output tuple (so the JIT cannot drop the work) and
 * returns the number of output rows.
 */
export type Baseline = (data: Dataset, params: Params, sink: (t: Tuple) => void) => number;

/** Describes one parameter: its default and, optionally, the values it may take. */
export interface ParamSpec {
  readonly default: ParamValue;
  /** Allowed values; omitted: any positive integer (numbers) or any value of the default's type. */
  readonly values?: readonly ParamValue[];
  readonly doc: string;
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
  /** The query, on a given engine. */
  build(engine: Engine, data: Dataset, params: Params): Relation;
  /** The limit baseline (filter/project families only). */
  readonly baseline?: Baseline;
  /**
   * True when the result depends on row order (for example a `limit` after a join, whose order is
   * unspecified): engines must then agree on the row count only, not on which rows.
   */
  readonly orderSensitive?: (params: Params) => boolean;
  /** The engine options that matter for this scenario (for sweeps and the report). */
  readonly relevantOptions?: readonly string[];
}
