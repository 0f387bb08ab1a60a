import { add, col, lt, type Relation, type Tuple } from '../engine/index.js';
import type { Row } from './peer-api.js';
import { TRADES_SCHEMA, trades, U_RANGE } from './data.js';
import type { Scenario } from './types.js';

/**
 * Stage k (1-based) of a depth-d pipeline: odd stages filter (each drops another 5% of the input,
 * via `u < (1 - 0.05k) * 1e6`); even stages extend a column `x{k} = price + k` and project back to
 * four columns (id, u, price, x{k}).
 */
function threshold(k: number): number {
  return (1 - 0.05 * k) * U_RANGE;
}

/** The stages of a depth-`depth` pipeline over a trades relation. */
export function depthPipeline(trades: Relation, depth: number): Relation {
  let r = trades.project(['id', 'u', 'price', 'qty']);
  for (let k = 1; k <= depth; k++) {
    if (k % 2 === 1) r = r.filter(lt(col('u'), threshold(k)));
    else r = r.extend(`x${k}`, add(col('price'), k)).project(['id', 'u', 'price', `x${k}`]);
  }
  return r;
}

/** 1 to 8 stages that alternate filter and extend/project (also the iterator-composition table). */
export const pipelineDepth: Scenario = {
  id: 'pipeline-depth',
  family: 'pipeline-depth',
  title: 'pipeline of 1-8 stages alternating filter and extend+project',
  params: {
    rows: { default: 100_000, doc: 'input rows' },
    depth: { default: 4, values: [1, 2, 3, 4, 5, 6, 7, 8], doc: 'number of stages' },
  },
  data: (p, seed) => ({ trades: { schema: TRADES_SCHEMA, rows: trades(p.rows as number, seed) } }),
  build: (engine, data, p) => depthPipeline(data.trades!.relation(engine), p.depth as number),
  limitLoop: (data, p, sink) => {
    const { length, at } = data.trades!, depth = p.depth as number;
    // All filters test u against a falling threshold, so the last one decides; the last extend wins.
    const cut = threshold(depth % 2 === 1 ? depth : depth - 1);
    const lastExtend = depth % 2 === 0 ? depth : depth - 1;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const t = at(i);
      if ((t[5] as number) >= cut) continue;
      sink(lastExtend === 0 ? [t[0]!, t[5]!, t[2]!, t[3]!] : [t[0]!, t[5]!, t[2]!, (t[2] as number) + lastExtend]);
      n++;
    }
    return n;
  },
  peers: {
    // Stage by stage, as the sluice query is built (DuckDB's optimizer flattens the nesting).
    sql: (p) => {
      let q = 'SELECT id, u, price, qty FROM trades';
      for (let k = 1; k <= (p.depth as number); k++) {
        q = k % 2 === 1 ? `SELECT * FROM (${q}) WHERE u < ${threshold(k)}` : `SELECT id, u, price, price + ${k} AS x${k} FROM (${q})`;
      }
      return q;
    },
    arquero: (_aq, t, p) => {
      let r = t.trades!.select('id', 'u', 'price', 'qty');
      for (let k = 1; k <= (p.depth as number); k++) {
        r = k % 2 === 1
          ? r.params({ cut: threshold(k) }).filter((d: Row, $: Row) => d.u! < $.cut!)
          : r.params({ k }).derive({ [`x${k}`]: (d: Row, $: Row) => d.price! + $.k! }).select('id', 'u', 'price', `x${k}`);
      }
      return r;
    },
    ix: (ix, data, p) => {
      const ops = [ix.map((t: Tuple) => [t[0], t[5], t[2], t[3]])];
      for (let k = 1; k <= (p.depth as number); k++) {
        const cut = threshold(k);
        ops.push(k % 2 === 1 ? ix.filter((t: Tuple) => (t[1] as number) < cut) : ix.map((t: Tuple) => [t[0], t[1], t[2], (t[2] as number) + k]));
      }
      return ix.from(data.trades!.rows!).pipe(...ops) as Iterable<Tuple>;
    },
  },
  relevantOptions: ['enableIteratorComposition'],
};
