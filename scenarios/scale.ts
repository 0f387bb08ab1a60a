import { col, mod, sub, type AggregateSpec, type Relation } from '../engine/index.js';
import { ohlcAggregates } from './aggregation.js';
import { TRADES_SCHEMA, tradeRows } from './data.js';
import { filterProject } from './selectivity.js';
import { depthPipeline } from './pipeline-depth.js';
import { SOURCES } from './source.js';
import type { Scenario } from './types.js';

/** The queries of the scale family, by name. */
const QUERIES = {
  filter1: (t: Relation) => filterProject(t, 0.01),
  filter10: (t: Relation) => filterProject(t, 0.1),
  filter50: (t: Relation) => filterProject(t, 0.5),
  filter100: (t: Relation) => filterProject(t, 1),
  depth6: (t: Relation) => depthPipeline(t, 6),
  groupby: (t: Relation) => t.aggregate(['sym'], GROUP_BY),
  // Hourly bars per symbol over trades (one trade every 10 ms), their quantity as the volume.
  ohlc: (t: Relation) => t.extend('hour', sub(col('ts'), mod(col('ts'), 3_600_000))).aggregate(['sym', 'hour'], ohlcAggregates('qty')),
  join: (t: Relation, dim: Relation) => t.join(dim),
} as const;

const GROUP_BY: readonly AggregateSpec[] = [
  { fn: 'count', as: 'n' },
  { fn: 'sum', column: 'qty', as: 'qty' },
  { fn: 'min', column: 'price', as: 'low' },
  { fn: 'max', column: 'price', as: 'high' },
];

export const SCALE_QUERIES = Object.keys(QUERIES) as (keyof typeof QUERIES)[];

/**
 * The scale family: one query over trades of 10K to 10M rows and more, read from a `scan` by
 * default (rows generated straight into columns, never held as tuples), each case in a child
 * whose V8 heap is capped (the `scale` suite's `heapCapMb`), so that the largest input each
 * engine completes can be found. `join` joins every trade with a 1000-row table on `qty`.
 */
export const scale: Scenario = {
  id: 'scale',
  family: 'scale',
  title: 'one query over 10K-10M+ scanned rows under a fixed heap cap',
  params: {
    rows: { default: 100_000, doc: 'input rows' },
    query: { default: 'filter10', values: SCALE_QUERIES, doc: 'filter1/10/50/100 (filter keeping that percentage, then project), depth6, groupby (by symbol), ohlc (per symbol and hour), join (with a 1000-row table)' },
    source: { default: 'scan', values: SOURCES, doc: "'scan' (the default here) or 'array'", omitAtDefault: true },
  },
  data: (p, seed) => ({
    trades: { schema: TRADES_SCHEMA, generate: () => tradeRows(p.rows as number, seed) },
    tiers: { schema: ['qty', 'tier'], rows: Array.from({ length: 1000 }, (_, i) => [i + 1, i % 10]) },
  }),
  build: (engine, data, p) => {
    const q = p.query as keyof typeof QUERIES;
    const t = data.trades!.relation(engine);
    return q === 'join' ? QUERIES.join(t, data.tiers!.relation(engine)) : QUERIES[q](t);
  },
  relevantOptions: ['enableIteratorComposition', 'enablePipelineFusion', 'enableStreamingAggregation'],
};
