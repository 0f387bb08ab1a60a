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
  // The fastest hand-written JavaScript for this query (issue: "better limit loops"): a dense
  // group index from the data's domain (symbol number x hour of the run's days, which the loop
  // knows), and every accumulator a typed array indexed by it. No Map per row, no boxed state.
  limitLoop: (data, p, sink) => {
    const { length, at } = data.bars!;
    // Every bar's hour lies in the run's days (24 slots a day) from the generator's first day.
    const slots = (p.days as number) * 24 + 24, cap = (p.symbols as number) * slots;
    const base = Date.UTC(2025, 0, 6);
    const symIds = new Map<string, number>(), syms: string[] = [];
    const count = new Int32Array(cap), openTs = new Float64Array(cap), open = new Float64Array(cap), closeTs = new Float64Array(cap), close = new Float64Array(cap);
    const high = new Float64Array(cap), low = new Float64Array(cap), volume = new Float64Array(cap);
    for (let i = 0; i < length; i++) {
      const t = at(i);
      const sym = t[0] as string;
      let s = symIds.get(sym);
      if (s === undefined) {
        s = syms.length;
        symIds.set(sym, s);
        syms.push(sym);
      }
      const g = s * slots + ((((t[2] as number) - base) / 3_600_000) | 0);
      const ts = t[1] as number, price = t[3] as number;
      if (count[g]++ === 0) {
        openTs[g] = closeTs[g] = ts;
        open[g] = close[g] = high[g] = low[g] = price;
        volume[g] = t[4] as number;
        continue;
      }
      if (ts < openTs[g]!) (openTs[g] = ts), (open[g] = price);
      if (ts > closeTs[g]!) (closeTs[g] = ts), (close[g] = price);
      if (price > high[g]!) high[g] = price;
      if (price < low[g]!) low[g] = price;
      volume[g]! += t[4] as number;
    }
    let n = 0;
    for (let s = 0; s < syms.length; s++) {
      for (let h = 0; h < slots; h++) {
        const g = s * slots + h;
        if (count[g] === 0) continue;
        sink([syms[s]!, base + h * 3_600_000, open[g]!, high[g]!, low[g]!, close[g]!, volume[g]!]);
        n++;
      }
    }
    return n;
  },
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
  relevantOptions: ['enableStreamingAggregation', 'enableIteratorComposition', 'enablePipelineFusion'],
};
