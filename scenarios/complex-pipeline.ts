import { col, lt, mul, type Tuple } from '../engine/index.js';
import type { Row } from './peer-api.js';
import { TRADES_SCHEMA, trades, U_RANGE } from './data.js';
import type { Scenario } from './types.js';

/** The published "Complex Pipeline" row: filter, extend, project, filter, distinct; 5% overall. */
export const complexPipeline: Scenario = {
  id: 'complex-pipeline',
  family: 'selectivity',
  title: 'filter 10% → extend notional → project → filter 50% → distinct',
  params: { rows: { default: 5_000, doc: 'input rows' } },
  data: (p, seed) => ({ trades: { schema: TRADES_SCHEMA, rows: trades(p.rows as number, seed) } }),
  build: (engine, data) =>
    data.trades!.relation(engine)
      .filter(lt(col('u'), 0.1 * U_RANGE))
      .extend('notional', mul(col('price'), col('qty')))
      .project(['id', 'sym', 'notional', 'u2'])
      .filter(lt(col('u2'), 0.5 * U_RANGE))
      .distinct(),
  limitLoop: (data, _p, sink) => {
    const { length, at } = data.trades!;
    // ids are unique, so every surviving row is distinct; a seen-set keeps the loop honest anyway.
    const seen = new Set<unknown>();
    let n = 0;
    for (let i = 0; i < length; i++) {
      const t = at(i);
      if ((t[5] as number) >= 0.1 * U_RANGE || (t[6] as number) >= 0.5 * U_RANGE) continue;
      if (seen.has(t[0])) continue;
      seen.add(t[0]);
      sink([t[0]!, t[1]!, (t[2] as number) * (t[3] as number), t[6]!]);
      n++;
    }
    return n;
  },
  peers: {
    sql: () => `SELECT DISTINCT id, sym, notional, u2 FROM (SELECT id, sym, price * qty AS notional, u2 FROM trades WHERE u < ${0.1 * U_RANGE}) WHERE u2 < ${0.5 * U_RANGE}`,
    arquero: (_aq, t) => t.trades!.params({ cut: 0.1 * U_RANGE, cut2: 0.5 * U_RANGE })
      .filter((d: Row, $: Row) => d.u! < $.cut!)
      .derive({ notional: (d: Row) => d.price! * d.qty! })
      .select('id', 'sym', 'notional', 'u2')
      .filter((d: Row, $: Row) => d.u2! < $.cut2!)
      .dedupe(),
    ix: (ix, data) => ix.from(data.trades!.rows!).pipe(
      ix.filter((t: Tuple) => (t[5] as number) < 0.1 * U_RANGE),
      ix.map((t: Tuple) => [t[0], t[1], (t[2] as number) * (t[3] as number), t[6]]),
      ix.filter((t: Tuple) => (t[3] as number) < 0.5 * U_RANGE),
      // Whole-row distinct: IxJS compares keys with ===, so a row's key is its JSON text.
      ix.distinct({ keySelector: (t: Tuple) => JSON.stringify(t) }),
    ) as Iterable<Tuple>,
  },
  relevantOptions: ['enableIteratorComposition'],
};
