import test from 'ava';
import fc from 'fast-check';
import { createEngine, ENGINE_KINDS, PlanError, type Tuple, type Value } from '../../../engine/index.js';
import { sequence } from '../../helpers.js';

const ROWS: Tuple[] = [[3, 'a'], [null, 'b'], [1, 'c'], [3, 'd'], [2, 'e'], [null, 'f'], [1, 'g']];

for (const kind of ENGINE_KINDS) {
  test(`${kind}: orderBy asc and desc put nulls last and keep ties in input order (stable)`, (t) => {
    const e = createEngine(kind);
    t.deepEqual(e.from(['n', 's'], ROWS).orderBy(['n']).toArray(), [[1, 'c'], [1, 'g'], [2, 'e'], [3, 'a'], [3, 'd'], [null, 'b'], [null, 'f']]);
    t.deepEqual(e.from(['n', 's'], ROWS).orderBy([{ column: 'n', direction: 'desc' }]).toArray(), [[3, 'a'], [3, 'd'], [2, 'e'], [1, 'c'], [1, 'g'], [null, 'b'], [null, 'f']]);
    t.deepEqual(e.from(['n', 's'], ROWS).orderBy([{ column: 'n', direction: 'desc' }, { column: 's', direction: 'desc' }]).limit(3).toArray(), [[3, 'd'], [3, 'a'], [2, 'e']]);
    t.is(e.context.memory.reserved, 0);
  });

  test(`${kind}: orderBy errors are named`, (t) => {
    const r = createEngine(kind).from(['n'], []);
    t.throws(() => r.orderBy(['x']), { instanceOf: PlanError, message: /unknown column 'x' in orderBy/ });
    t.throws(() => r.orderBy([{ column: 'n', direction: 'up' as never }]), { instanceOf: PlanError, message: /direction must be 'asc' or 'desc'/ });
    t.throws(() => r.orderBy([]), { instanceOf: PlanError, message: /at least one sort key/ });
  });
}

test('orderBy(...).limit(k) on the streaming engine equals a stable sort then limit, on random data with ties', (t) => {
  const valueArb: fc.Arbitrary<Value> = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 4 }), fc.constantFrom('a', 'b'));
  fc.assert(
    fc.property(fc.array(fc.tuple(valueArb, fc.integer()), { maxLength: 60 }), fc.nat(70), fc.boolean(), (rows, k, desc) => {
      const keys = [{ column: 'v', direction: desc ? ('desc' as const) : ('asc' as const) }];
      const expected = createEngine('materialized').from(['v', 'id'], rows).orderBy(keys).toArray().slice(0, k);
      const s = createEngine('streaming');
      const got = s.from(['v', 'id'], rows).orderBy(keys).limit(k).toArray();
      if (JSON.stringify(sequence(got)) !== JSON.stringify(sequence(expected))) throw new Error(`top-${k}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
      if (s.context.memory.reserved !== 0) throw new Error('top-k left memory reserved');
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('streaming top-k keeps only k rows in memory; a full sort keeps them all', (t) => {
  const rows: Tuple[] = Array.from({ length: 10_000 }, (_, i) => [(i * 7919) % 10_007, i]);
  const topK = createEngine('streaming');
  const best = topK.from(['v', 'id'], rows).orderBy([{ column: 'v', direction: 'desc' }]).limit(5).toArray();
  t.deepEqual(best.map((r) => r[0]), [10_006, 10_005, 10_004, 10_003, 10_002]);
  const full = createEngine('streaming');
  full.from(['v', 'id'], rows).orderBy([{ column: 'v', direction: 'desc' }]).toArray();
  t.true(topK.context.memory.peak <= 5 * 80, `top-k peaked at ${topK.context.memory.peak} bytes`);
  t.true(full.context.memory.peak >= 10_000 * 72, `full sort peaked at ${full.context.memory.peak} bytes`);
});
