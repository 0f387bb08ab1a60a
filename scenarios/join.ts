import type { Tuple } from '../engine/index.js';
import { joinTables } from './data.js';
import type { Scenario } from './types.js';

/**
 * Equi-join of two tables of `rows` rows on a key with the given multiplicity (right rows per
 * matched key); about `rows` output rows. `variant=limit10` stops after 10 output rows, where a
 * symmetric join need not read either side to the end; `variant=count` counts the join's rows
 * (`count(*)`), where an engine need not build the output tuples at all. Standard vs symmetric
 * hash join is the engine option `enableSymmetricHashJoin`; the symmetric join draining one side
 * after its first rows (sluice's default) vs alternating to the end (the published engine's) is
 * `enableSymmetricJoinDrain`.
 */
export const join: Scenario = {
  id: 'join',
  family: 'join',
  title: 'equi-join, hash vs symmetric hash',
  params: {
    rows: { default: 10_000, doc: 'rows on each side' },
    multiplicity: { default: 1, values: [1, 10, 100], doc: 'right rows per matched key' },
    variant: { default: 'full', values: ['full', 'limit10', 'count'], doc: 'read the whole join, only its first 10 rows, or count its rows' },
  },
  data: (p, seed) => {
    const { left, right } = joinTables(p.rows as number, p.multiplicity as number, seed);
    return { left: { schema: ['k', 'name', 'a'], rows: left }, right: { schema: ['k', 'seq', 'b'], rows: right } };
  },
  build: (engine, data, p) => {
    const j = data.left!.relation(engine).join(data.right!.relation(engine));
    return p.variant === 'limit10' ? j.limit(10) : p.variant === 'count' ? j.aggregate([], [{ fn: 'count', as: 'n' }]) : j;
  },
  // Which 10 rows a limit keeps after a join depends on the join's (unspecified) output order.
  orderSensitive: (p) => p.variant === 'limit10',
  // The fastest hand-written JavaScript for an integer-key equi-join: an open-addressing hash
  // table over typed arrays (keys in a Float64Array, the left row in an Int32Array, linear
  // probing), built on the left side (unique keys), probed by every right row.
  limitLoop: (data, p, sink) => {
    const left = data.left!, right = data.right!;
    let size = 16;
    while (size < left.length * 2) size *= 2;
    const mask = size - 1;
    const keys = new Float64Array(size), rowOf = new Int32Array(size).fill(-1);
    const slot = (k: number) => Math.imul(k | 0, 0x9e3779b1) >>> 0 & mask;
    for (let i = 0; i < left.length; i++) {
      const k = left.at(i)[0] as number;
      let h = slot(k);
      while (rowOf[h] !== -1 && keys[h] !== k) h = (h + 1) & mask;
      keys[h] = k;
      rowOf[h] = i;
    }
    const limit = p.variant === 'limit10' ? 10 : Infinity, count = p.variant === 'count';
    let n = 0;
    for (let j = 0; j < right.length && n < limit; j++) {
      const r = right.at(j), k = r[0] as number;
      for (let h = slot(k); rowOf[h] !== -1; h = (h + 1) & mask) {
        if (keys[h] !== k) continue;
        n++;
        if (count) break;
        const l = left.at(rowOf[h]!);
        sink([l[0]!, l[1]!, l[2]!, r[1]!, r[2]!]);
        break;
      }
    }
    if (!count) return n;
    sink([n]);
    return 1;
  },
  peers: {
    sql: (p) => p.variant === 'count'
      ? 'SELECT count(*)::INTEGER AS n FROM "left" l JOIN "right" r ON l.k = r.k'
      : `SELECT l.k, l.name, l.a, r.seq, r.b FROM "left" l JOIN "right" r ON l.k = r.k${p.variant === 'limit10' ? ' LIMIT 10' : ''}`,
    arquero: (aq, t, p) => {
      if (p.variant === 'count') {
        const { op } = aq as unknown as { op: Record<string, () => unknown> };
        return t.left!.join(t.right!, 'k').rollup({ n: () => op.count!() });
      }
      const j = t.left!.join(t.right!, 'k').select('k', 'name', 'a', 'seq', 'b');
      return p.variant === 'limit10' ? j.slice(0, 10) : j;
    },
    ix: (ix, data, p) => {
      const j = ix.from(data.left!.rows!).pipe(ix.innerJoin(data.right!.rows!, (l: Tuple) => l[0], (r: Tuple) => r[0], (l: Tuple, r: Tuple) => [l[0], l[1], l[2], r[1], r[2]]));
      if (p.variant === 'count') {
        return (function* count() {
          let n = 0;
          for (const _ of j) n++;
          yield [n];
        })();
      }
      return (p.variant === 'limit10' ? j.pipe(ix.take(10)) : j) as Iterable<Tuple>;
    },
  },
  relevantOptions: ['enableSymmetricHashJoin', 'symmetricJoinBatchSize', 'enableSymmetricJoinDrain', 'symmetricJoinDrainAfter', 'hashTableInitialSize', 'enableIteratorComposition', 'enablePipelineFusion'],
};
