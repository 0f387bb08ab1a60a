import { PlanError } from '../errors.js';
import { columnIndex } from '../expr/compile.js';
import type { Schema } from '../types.js';
import { AGGREGATE_FUNCTIONS, type AggregateFunction, type ResolvedAggregate } from './accumulators.js';

/**
 * One aggregate in `aggregate(groupBy, aggs)`: `{ fn: 'sum', column: 'qty', as: 'volume' }`.
 * `count` without a column is count(*). `first` and `last` need `orderBy`
 * (`{ fn: 'first', column: 'price', orderBy: 'ts', as: 'open' }`).
 */
export interface AggregateSpec {
  readonly fn: AggregateFunction;
  readonly column?: string;
  readonly orderBy?: string;
  readonly as: string;
}

/** A resolved aggregation: group-by indices, aggregates, output schema. */
export interface AggregatePlan {
  readonly groupBy: readonly number[];
  readonly aggs: readonly ResolvedAggregate[];
  readonly schema: Schema;
}

/**
 * Check and resolve an aggregation.
 * @throws PlanError for an unknown function or column, a missing column or orderBy, or a
 *   duplicate output name.
 */
export function planAggregate(schema: Schema, groupBy: readonly string[], aggs: readonly AggregateSpec[]): AggregatePlan {
  if (!Array.isArray(groupBy)) throw new PlanError('aggregate: groupBy must be an array of column names');
  if (!Array.isArray(aggs)) throw new PlanError('aggregate: aggs must be an array of { fn, column, as }');
  const out: string[] = [];
  const seen = (name: string) => {
    if (out.includes(name)) throw new PlanError(`aggregate: output column '${name}' appears twice`);
    out.push(name);
  };
  const groupIdx = groupBy.map((c) => {
    seen(c);
    return columnIndex(schema, c, 'aggregate groupBy');
  });
  const resolved = aggs.map((a, i): ResolvedAggregate => {
    if (a === null || typeof a !== 'object') throw new PlanError(`aggregate: aggs[${i}] must be an object like { fn: 'sum', column: 'qty', as: 'volume' }`);
    if (!AGGREGATE_FUNCTIONS.includes(a.fn)) {
      throw new PlanError(`aggregate: unknown function ${JSON.stringify(a.fn)} in aggs[${i}]; known: ${AGGREGATE_FUNCTIONS.join(', ')}`);
    }
    if (typeof a.as !== 'string' || a.as === '') throw new PlanError(`aggregate: aggs[${i}] (${a.fn}) needs an output name 'as'`);
    seen(a.as);
    if (a.column === undefined && a.fn !== 'count') throw new PlanError(`aggregate: ${a.fn} '${a.as}' needs a column`);
    const column = a.column === undefined ? -1 : columnIndex(schema, a.column, `aggregate ${a.fn} '${a.as}'`);
    let orderBy = -1;
    if (a.fn === 'first' || a.fn === 'last') {
      if (a.orderBy === undefined) throw new PlanError(`aggregate: ${a.fn} '${a.as}' needs an orderBy column (row order is unspecified)`);
      orderBy = columnIndex(schema, a.orderBy, `aggregate ${a.fn} '${a.as}' orderBy`);
    }
    const label = `${a.fn}(${a.column ?? '*'}${a.orderBy ? ` by ${a.orderBy}` : ''}) as ${a.as}`;
    return { fn: a.fn, column, orderBy, as: a.as, label };
  });
  return { groupBy: groupIdx, aggs: resolved, schema: Object.freeze(out) };
}
