/**
 * The parts of the peer libraries' APIs that the scenarios' peer queries use, typed here because
 * the libraries are optional dependencies: sluice must build where one of them could not be
 * installed, so nothing outside harness/peers/ imports them, not even their types. The harness
 * loads each library and hands it to the query (see harness/peers/).
 */
import type { Params, Tables } from './types.js';
import type { Tuple } from '../engine/index.js';

/** An arquero table (`ColumnTable`): the verbs the queries use. */
export interface ArqueroTable {
  params(values: Record<string, unknown>): ArqueroTable;
  filter(predicate: unknown): ArqueroTable;
  select(...columns: string[]): ArqueroTable;
  derive(values: Record<string, unknown>): ArqueroTable;
  dedupe(...keys: string[]): ArqueroTable;
  groupby(...keys: string[]): ArqueroTable;
  orderby(...keys: unknown[]): ArqueroTable;
  rollup(values: Record<string, unknown>): ArqueroTable;
  join(other: ArqueroTable, on?: unknown): ArqueroTable;
  slice(start?: number, end?: number): ArqueroTable;
  numRows(): number;
  columnNames(): string[];
  /** The values of a column for the table's rows, in order (filters and orderings applied). */
  array(name: string): ArrayLike<unknown>;
}

/** arquero's module (`import * as aq from 'arquero'`). */
export interface Arquero {
  table(columns: Record<string, readonly unknown[]>): ArqueroTable;
  /** Window expressions over a frame (`[null, null]`: the whole partition). */
  rolling(expr: unknown, frame?: readonly (number | null)[]): unknown;
  readonly op: Readonly<Record<string, (...args: never[]) => unknown>>;
}

/** An IxJS iterable operator (`ix/iterable/operators`). */
export type IxOperator = (source: Iterable<never>) => Iterable<unknown>;

/** An IxJS iterable (`IterableX`): iterable, and `pipe` through operators. */
export interface IxIterable<T> extends Iterable<T> {
  pipe(...ops: IxOperator[]): IxIterable<never>;
}

/** The IxJS functions the queries use (`ix/iterable` and `ix/iterable/operators`). */
export interface Ix {
  from<T>(source: Iterable<T>): IxIterable<T>;
  filter<T>(predicate: (t: T) => boolean): IxOperator;
  map<T, R>(selector: (t: T) => R): IxOperator;
  take(count: number): IxOperator;
  distinct<T>(options: { keySelector: (t: T) => unknown }): IxOperator;
  innerJoin<L, R, O>(inner: Iterable<R>, outerKey: (l: L) => unknown, innerKey: (r: R) => unknown, result: (l: L, r: R) => O): IxOperator;
  groupBy<T, K>(key: (t: T) => K): IxOperator;
}

/**
 * How a scenario's query is written for each peer, by hand, the way a user of that peer would
 * write it (not translated from sluice's plan: a translation would measure the translator, and
 * hide what each peer's idiomatic query costs). Each returns the scenario's output columns, in
 * the order of its sluice query's schema; the harness checks the rows against sluice's.
 */
export interface PeerQueries {
  /** DuckDB (both reads): SQL over the case's tables, loaded under their dataset names. */
  readonly sql?: (p: Params) => string;
  /** arquero: the query over the case's tables, loaded as arquero tables under their dataset names. */
  readonly arquero?: (aq: Arquero, tables: Readonly<Record<string, ArqueroTable>>, p: Params) => ArqueroTable;
  /** IxJS: a lazy iterable of output tuples over the case's tables' rows (`Table.rows`). */
  readonly ix?: (ix: Ix, data: Tables, p: Params) => Iterable<Tuple>;
}

/** A row as an arquero expression sees it (`d => d.u < 10`), and its parameters (`$`). */
export type Row = Readonly<Record<string, number | undefined>>;
