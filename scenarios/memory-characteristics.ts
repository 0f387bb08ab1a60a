import { col, lt, type Tuple } from '../engine/index.js';
import type { Row } from './peer-api.js';
import { TRADES_SCHEMA, trades, U_RANGE } from './data.js';
import type { Scenario } from './types.js';

/** The three shapes of the published "Memory characteristics" table. */
const VARIANTS = {
  aggressive: { rows: 100_000, keep: 0.001 },
  moderate: { rows: 10_000, keep: 0.1 },
  'projection-only': { rows: 5_000, keep: 1 },
} as const;

type Variant = keyof typeof VARIANTS;

/** Aggressive filter 100K→100, moderate 10K→1K, projection only 5K→5K. */
export const memoryCharacteristics: Scenario = {
  id: 'memory',
  family: 'memory-characteristics',
  title: 'memory characteristics: aggressive filter, moderate filter, projection only',
  params: {
    variant: { default: 'moderate', values: Object.keys(VARIANTS), doc: 'aggressive (100K→100), moderate (10K→1K) or projection-only (5K→5K)' },
  },
  data: (p, seed) => ({ trades: { schema: TRADES_SCHEMA, rows: trades(VARIANTS[p.variant as Variant].rows, seed) } }),
  build: (engine, data, p) => {
    const v = VARIANTS[p.variant as Variant];
    const base = data.trades!.relation(engine);
    return (v.keep < 1 ? base.filter(lt(col('u'), v.keep * U_RANGE)) : base).project(['id', 'price', 'qty']);
  },
  limitLoop: (data, p, sink) => {
    const cut = VARIANTS[p.variant as Variant].keep * U_RANGE;
    const { length, at } = data.trades!;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const t = at(i);
      if (cut >= U_RANGE || (t[5] as number) < cut) {
        sink([t[0]!, t[2]!, t[3]!]);
        n++;
      }
    }
    return n;
  },
  peers: {
    sql: (p) => {
      const keep = VARIANTS[p.variant as Variant].keep;
      return `SELECT id, price, qty FROM trades${keep < 1 ? ` WHERE u < ${keep * U_RANGE}` : ''}`;
    },
    arquero: (_aq, t, p) => {
      const keep = VARIANTS[p.variant as Variant].keep;
      const base = keep < 1 ? t.trades!.params({ cut: keep * U_RANGE }).filter((d: Row, $: Row) => d.u! < $.cut!) : t.trades!;
      return base.select('id', 'price', 'qty');
    },
    ix: (ix, data, p) => {
      const cut = VARIANTS[p.variant as Variant].keep * U_RANGE;
      const rows = ix.from(data.trades!.rows!);
      const project = ix.map((t: Tuple) => [t[0], t[2], t[3]]);
      return (cut < U_RANGE ? rows.pipe(ix.filter((t: Tuple) => (t[5] as number) < cut), project) : rows.pipe(project)) as Iterable<Tuple>;
    },
  },
  relevantOptions: ['enableIteratorComposition'],
};
