import { joinTables } from './data.js';
import type { Scenario } from './types.js';

/**
 * Equi-join of two tables of `rows` rows on a key with the given multiplicity (right rows per
 * matched key); about `rows` output rows. `variant=limit10` stops after 10 output rows, where a
 * symmetric join need not read either side to the end. Standard vs symmetric hash join is the
 * engine option `enableSymmetricHashJoin`.
 */
export const join: Scenario = {
  id: 'join',
  family: 'join',
  title: 'equi-join, hash vs symmetric hash',
  params: {
    rows: { default: 10_000, doc: 'rows on each side' },
    multiplicity: { default: 1, values: [1, 10, 100], doc: 'right rows per matched key' },
    variant: { default: 'full', values: ['full', 'limit10'], doc: 'read the whole join, or only its first 10 rows' },
  },
  data: (p, seed) => {
    const { left, right } = joinTables(p.rows as number, p.multiplicity as number, seed);
    return { left: { schema: ['k', 'name', 'a'], rows: left }, right: { schema: ['k', 'seq', 'b'], rows: right } };
  },
  build: (engine, data, p) => {
    const j = data.left!.relation(engine).join(data.right!.relation(engine));
    return p.variant === 'limit10' ? j.limit(10) : j;
  },
  // Which 10 rows a limit keeps after a join depends on the join's (unspecified) output order.
  orderSensitive: (p) => p.variant === 'limit10',
  relevantOptions: ['enableSymmetricHashJoin', 'symmetricJoinBatchSize', 'hashTableInitialSize', 'enableIteratorComposition'],
};
