import { col, lt, mod, sub, type AggregateSpec, type Relation } from '../engine/index.js';
import { TRADES_SCHEMA, tradeRows, U_RANGE } from './data.js';
import { depthPipeline } from './pipeline-depth.js';
import { SOURCES } from './source.js';
import type { Scenario } from './types.js';

/** The queries of the scale family, by name. */
const QUERIES = {
  filter1: (t: Relation) => t.filter(lt(col('u'), 0.01 * U_RANGE)).project(['id', 'price', 'qty']),
  filter10: (t: Relation) => t.filter(lt(col('u'), 0.1 * U_RANGE)).project(['id', 'price', 'qty']),
  filter50: (t: Relation) => t.filter(lt(col('u'), 0.5 * U_RANGE)).project(['id', 'price', 'qty']),
  filter100: (t: Relation) => t.filter(lt(col('u'), U_RANGE)).project(['id', 'price', 'qty']),
  depth6: (t: Relation) => depthPipeline(t, 6),
  groupby: (t: Relation) => t.aggregate(['sym'], GROUP_BY),
  ohlc: (t: Relation) => t.extend('hour', sub(col('ts'), mod(col('ts'), 3_600_000))).aggregate(['sym', 'hour'], OHLC),
  join: (t: Relation, dim: Relation) => t.join(dim),
} as const;

const GROUP_BY: readonly AggregateSpec[] = [
  { fn: 'count', as: 'n' },
  { fn: 'sum', column: 'qty', as: 'qty' },
  { fn: 'min', column: 'price', as: 'low' },
  { fn: 'max', column: 'price', as: 'high' },
];

/** Hourly open/high/low/close/volume per symbol, over trades (one trade every 10 ms). */
const OHLC: readonly AggregateSpec[] = [
  { fn: 'first', column: 'price', orderBy: 'ts', as: 'open' },
  { fn: 'max', column: 'price', as: 'high' },
  { fn: 'min', column: 'price', as: 'low' },
  { fn: 'last', column: 'price', orderBy: 'ts', as: 'close' },
  { fn: 'sum', column: 'qty', as: 'volume' },
];

export const SCALE_QUERIES = Object.keys(QUERIES) as (keyof typeof QUERIES)[];

/**
 * The scale family: one query over trades of 10K to 10M rows and more, read from a `scan` by
 * default (rows generated straight into columns, never held as tuples), each case in a child
 * whose V8 heap is capped (the `scale` suite's `heapCapMb`, or the case's own `heapCap`), so that
 * the largest input each engine completes can be found. `join` joins every trade with a 1000-row table on `qty`.
 */
export const scale: Scenario = {
  id: 'scale',
  family: 'scale',
  title: 'one query over 10K-10M+ scanned rows under a fixed heap cap',
  params: {
    rows: { default: 100_000, doc: 'input rows' },
    query: { default: 'filter10', values: SCALE_QUERIES, doc: 'filter1/10/50/100 (filter keeping that percentage, then project), depth6, groupby (by symbol), ohlc (per symbol and hour), join (with a 1000-row table)' },
    source: { default: 'scan', values: SOURCES, doc: "'scan' (the default here), 'array' or 'store'", omitAtDefault: true },
    heapCap: { default: 0, values: [0, 32, 64, 128, 256, 512, 1024], doc: "V8 heap cap of this case's processes, MiB (0: the run's own, --heap-cap)", omitAtDefault: true },
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
