import type { AggregateSpec, Tuple } from '../engine/index.js';
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
  peers: {
    sql: () => 'SELECT sym, hour, arg_min(price, ts) AS open, max(price) AS high, min(price) AS low, arg_max(price, ts) AS close, sum(volume)::DOUBLE AS volume FROM bars GROUP BY sym, hour',
    // arquero has no first/last aggregate: first and last price by ts are whole-partition window values.
    arquero: (aq, t) => {
      const { op } = aq as unknown as { op: Record<string, (v: unknown) => unknown> };
      return t.bars!.groupby('sym', 'hour').orderby('ts')
        .derive({ open: aq.rolling((d: { price: unknown }) => op.first_value!(d.price), [null, null]), close: aq.rolling((d: { price: unknown }) => op.last_value!(d.price), [null, null]) })
        .rollup({
          open: (d: { open: unknown }) => op.any!(d.open), high: (d: { price: unknown }) => op.max!(d.price), low: (d: { price: unknown }) => op.min!(d.price),
          close: (d: { close: unknown }) => op.any!(d.close), volume: (d: { volume: unknown }) => op.sum!(d.volume),
        });
    },
    ix: (ix, data) => ix.from(data.bars!.rows!).pipe(
      ix.groupBy((t: Tuple) => `${t[0] as string}\u0001${t[2] as number}`),
      ix.map((g: Iterable<Tuple>) => {
        let first: Tuple | undefined, last: Tuple | undefined, high = -Infinity, low = Infinity, volume = 0;
        for (const t of g) {
          if (!first || (t[1] as number) < (first[1] as number)) first = t;
          if (!last || (t[1] as number) > (last[1] as number)) last = t;
          high = Math.max(high, t[3] as number);
          low = Math.min(low, t[3] as number);
          volume += t[4] as number;
        }
        return [first![0], first![2], first![3], high, low, last![3], volume];
      }),
    ) as Iterable<Tuple>,
  },
  relevantOptions: ['enableStreamingAggregation', 'enableIteratorComposition'],
};
