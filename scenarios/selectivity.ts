import { col, lt, type Tuple } from '../engine/index.js';
import type { Row } from './peer-api.js';
import { TRADES_SCHEMA, trades, U_RANGE } from './data.js';
import type { Scenario } from './types.js';

/** The published report's "Query pattern performance" rows: filter at a selectivity, then project. */
export const selectivity: Scenario = {
  id: 'selectivity',
  family: 'selectivity',
  title: 'filter at a given selectivity, then project 3 of 7 columns',
  params: {
    rows: { default: 10_000, doc: 'input rows' },
    selectivity: { default: 0.1, values: [0.001, 0.01, 0.1, 0.2, 0.5, 1], doc: 'fraction of rows the filter keeps' },
  },
  data: (p, seed) => ({ trades: { schema: TRADES_SCHEMA, rows: trades(p.rows as number, seed) } }),
  build: (engine, data, p) =>
    data.trades!.relation(engine)
      .filter(lt(col('u'), (p.selectivity as number) * U_RANGE))
      .project(['id', 'price', 'qty']),
  limitLoop: (data, p, sink) => {
    const { length, at } = data.trades!, cut = (p.selectivity as number) * U_RANGE;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const t = at(i);
      if ((t[5] as number) < cut) {
        sink([t[0]!, t[2]!, t[3]!]);
        n++;
      }
    }
    return n;
  },
  peers: {
    sql: (p) => `SELECT id, price, qty FROM trades WHERE u < ${(p.selectivity as number) * U_RANGE}`,
    arquero: (_aq, t, p) => t.trades!.params({ cut: (p.selectivity as number) * U_RANGE }).filter((d: Row, $: Row) => d.u! < $.cut!).select('id', 'price', 'qty'),
    ix: (ix, data, p) => {
      const cut = (p.selectivity as number) * U_RANGE;
      return ix.from(data.trades!.rows!).pipe(ix.filter((t: Tuple) => (t[5] as number) < cut), ix.map((t: Tuple) => [t[0], t[2], t[3]])) as Iterable<Tuple>;
    },
  },
  relevantOptions: ['enableIteratorComposition'],
};
