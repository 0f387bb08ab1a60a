import type { AggregateSpec } from '../engine/index.js';
import { BARS_SCHEMA, minuteBars } from './data.js';
import type { Scenario } from './types.js';

/** open/high/low/close/volume as one aggregate: first and last price by timestamp. */
export const OHLC_AGGREGATES: readonly AggregateSpec[] = [
  { fn: 'first', column: 'price', orderBy: 'ts', as: 'open' },
  { fn: 'max', column: 'price', as: 'high' },
  { fn: 'min', column: 'price', as: 'low' },
  { fn: 'last', column: 'price', orderBy: 'ts', as: 'close' },
  { fn: 'sum', column: 'volume', as: 'volume' },
];

/** The OHLC query of the published report: hourly bars per symbol from one-minute bars. */
export const aggregation: Scenario = {
  id: 'ohlc',
  family: 'aggregation',
  title: 'OHLC: hourly open/high/low/close/volume per symbol from one-minute bars',
  params: {
    symbols: { default: 3, doc: 'symbols' },
    days: { default: 10, doc: 'trading days' },
    barsPerDay: { default: 390, doc: 'one-minute bars per day (390 in a US session)' },
  },
  data: (p, seed) => ({
    bars: { schema: BARS_SCHEMA, rows: minuteBars(p.symbols as number, p.days as number, p.barsPerDay as number, seed) },
  }),
  build: (engine, data) => data.bars!.relation(engine).aggregate(['sym', 'hour'], OHLC_AGGREGATES),
  relevantOptions: ['enableStreamingAggregation', 'enableIteratorComposition'],
};
