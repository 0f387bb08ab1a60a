import { col, le, lt, type Tuple } from '../engine/index.js';
import type { Row } from './peer-api.js';
import { TRADES_SCHEMA, trades, U_RANGE } from './data.js';
import type { Scenario } from './types.js';

/** The published "Multiple Filters" row: three independent filters, 20% overall, then project. */
export const multipleFilters: Scenario = {
  id: 'multiple-filters',
  family: 'selectivity',
  title: 'three filters (50% x 80% x 50% = 20%), then project',
  params: { rows: { default: 10_000, doc: 'input rows' } },
  data: (p, seed) => ({ trades: { schema: TRADES_SCHEMA, rows: trades(p.rows as number, seed) } }),
  build: (engine, data) =>
    data.trades!.relation(engine)
      .filter(lt(col('u'), 0.5 * U_RANGE))
      .filter(le(col('qty'), 800))
      .filter(lt(col('u2'), 0.5 * U_RANGE))
      .project(['id', 'sym', 'price']),
  limitLoop: (data, _p, sink) => {
    const { length, at } = data.trades!;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const t = at(i);
      if ((t[5] as number) < 0.5 * U_RANGE && (t[3] as number) <= 800 && (t[6] as number) < 0.5 * U_RANGE) {
        sink([t[0]!, t[1]!, t[2]!]);
        n++;
      }
    }
    return n;
  },
  peers: {
    sql: () => `SELECT id, sym, price FROM trades WHERE u < ${0.5 * U_RANGE} AND qty <= 800 AND u2 < ${0.5 * U_RANGE}`,
    arquero: (_aq, t) => t.trades!.params({ cut: 0.5 * U_RANGE })
      .filter((d: Row, $: Row) => d.u! < $.cut!)
      .filter((d: Row) => d.qty! <= 800)
      .filter((d: Row, $: Row) => d.u2! < $.cut!)
      .select('id', 'sym', 'price'),
    ix: (ix, data) => ix.from(data.trades!.rows!).pipe(
      ix.filter((t: Tuple) => (t[5] as number) < 0.5 * U_RANGE),
      ix.filter((t: Tuple) => (t[3] as number) <= 800),
      ix.filter((t: Tuple) => (t[6] as number) < 0.5 * U_RANGE),
      ix.map((t: Tuple) => [t[0], t[1], t[2]]),
    ) as Iterable<Tuple>,
  },
  relevantOptions: ['enableIteratorComposition'],
};
