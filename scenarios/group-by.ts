import type { AggregateSpec, Tuple, Value } from '../engine/index.js';
import { rng } from './data.js';
import type { Scenario } from './types.js';

/** Columns of the keyed sales table. */
export const SALES_SCHEMA = ['k', 'price', 'qty'] as const;

/**
 * Sales: a group key `k` drawn uniformly from `groups` keys (the integers 0..groups-1, or the
 * strings 'store-0'..., one string object per key, as a dictionary-decoded column holds them), a
 * price (1..1000, cents) and a quantity (1..1000).
 */
export function sales(n: number, groups: number, key: 'int' | 'string', seed: number): Tuple[] {
  const r = rng(seed);
  const names = Array.from({ length: groups }, (_, i) => `store-${i}`);
  const rows: Tuple[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = (r() * groups) | 0;
    rows[i] = [key === 'int' ? k : names[k]!, Math.round((1 + r() * 999) * 100) / 100, 1 + ((r() * 1000) | 0)];
  }
  return rows;
}

/** count, sum, min and max per key: the aggregation the targets name. */
export const GROUP_BY_AGGREGATES: readonly AggregateSpec[] = [
  { fn: 'count', as: 'n' },
  { fn: 'sum', column: 'qty', as: 'qty' },
  { fn: 'min', column: 'price', as: 'low' },
  { fn: 'max', column: 'price', as: 'high' },
];

/**
 * One group-by over many rows and few groups: count, sum, min and max per key. With integer keys
 * the limit loop indexes typed arrays by the key itself (it knows the keys are 0..groups-1); with
 * string keys it numbers them through a `Map` first, the fastest hand-written JavaScript for each.
 */
export const groupBy: Scenario = {
  id: 'group-by',
  family: 'aggregation',
  title: 'group-by: count, sum, min and max per key',
  params: {
    rows: { default: 100_000, doc: 'input rows' },
    groups: { default: 100, doc: 'distinct keys' },
    key: { default: 'int', values: ['int', 'string'], doc: 'key type: small integers or strings' },
  },
  data: (p, seed) => ({ sales: { schema: SALES_SCHEMA, rows: sales(p.rows as number, p.groups as number, p.key as 'int' | 'string', seed) } }),
  build: (engine, data) => data.sales!.relation(engine).aggregate(['k'], GROUP_BY_AGGREGATES),
  limitLoop: (data, p, sink) => {
    const { length, at } = data.sales!;
    const cap = p.groups as number, ints = p.key === 'int';
    const ids = new Map<Value, number>(), keys: Value[] = [];
    const count = new Float64Array(cap), qty = new Float64Array(cap), low = new Float64Array(cap).fill(Infinity), high = new Float64Array(cap).fill(-Infinity);
    for (let i = 0; i < length; i++) {
      const t = at(i);
      let g: number;
      if (ints) g = t[0] as number;
      else {
        const k = t[0];
        const id = ids.get(k);
        if (id === undefined) {
          g = keys.length;
          ids.set(k, g);
          keys.push(k);
        } else g = id;
      }
      const price = t[1] as number;
      count[g]++;
      qty[g] += t[2] as number;
      if (price < low[g]!) low[g] = price;
      if (price > high[g]!) high[g] = price;
    }
    let n = 0;
    for (let g = 0; g < cap; g++) {
      if (count[g] === 0) continue;
      sink([ints ? g : keys[g]!, count[g]!, qty[g]!, low[g]!, high[g]!]);
      n++;
    }
    return n;
  },
  peers: {
    sql: () => 'SELECT k, count(*)::INTEGER AS n, sum(qty)::DOUBLE AS qty, min(price) AS low, max(price) AS high FROM sales GROUP BY k',
    arquero: (aq, t) => {
      const { op } = aq as unknown as { op: Record<string, (v?: unknown) => unknown> };
      return t.sales!.groupby('k').rollup({
        n: () => op.count!(), qty: (d: { qty: unknown }) => op.sum!(d.qty), low: (d: { price: unknown }) => op.min!(d.price), high: (d: { price: unknown }) => op.max!(d.price),
      });
    },
    ix: (ix, data) => ix.from(data.sales!.rows!).pipe(
      ix.groupBy((t: Tuple) => t[0]),
      ix.map((g: Iterable<Tuple> & { key: unknown }) => {
        let n = 0, qty = 0, low = Infinity, high = -Infinity;
        for (const t of g) {
          n++;
          qty += t[2] as number;
          low = Math.min(low, t[1] as number);
          high = Math.max(high, t[1] as number);
        }
        return [g.key, n, qty, low, high];
      }),
    ) as Iterable<Tuple>,
  },
  relevantOptions: ['enableStreamingAggregation', 'enableIteratorComposition', 'enablePipelineFusion'],
};
