import test from 'ava';
import { makeCase } from '../../harness/case.js';
import { prepareCase, type AnyPreparedCase } from '../../harness/measure/case-runner.js';
import { PEERS } from '../../core/case-spec.js';
import { SCENARIOS } from '../../scenarios/index.js';

/** Small parameters per scenario with peer queries (every shape each peer writes). */
const POINTS: Record<string, Record<string, unknown>[]> = {
  selectivity: [{ rows: 3000, selectivity: 0.01 }, { rows: 3000, selectivity: 1 }],
  'multiple-filters': [{ rows: 3000 }],
  'complex-pipeline': [{ rows: 3000 }],
  'pipeline-depth': [{ rows: 2000, depth: 1 }, { rows: 2000, depth: 4 }, { rows: 2000, depth: 7 }],
  memory: [{ variant: 'moderate' }, { variant: 'projection-only' }],
  join: [{ rows: 2000, multiplicity: 1, variant: 'full' }, { rows: 2000, multiplicity: 10, variant: 'full' }, { rows: 2000, multiplicity: 1, variant: 'limit10' }, { rows: 2000, multiplicity: 10, variant: 'count' }],
  ohlc: [{ symbols: 2, days: 2, barsPerDay: 390 }],
  'group-by': [{ rows: 3000, groups: 100, key: 'int' }, { rows: 3000, groups: 7, key: 'string' }],
};

const checked = async (c: AnyPreparedCase) => {
  try {
    return await c.runChecked();
  } finally {
    c.dispose();
  }
};

test('every scenario with peer queries has them for every peer, and a test point here', (t) => {
  const withPeers = [...SCENARIOS.values()].filter((s) => s.peers).map((s) => s.id).sort();
  t.deepEqual(withPeers, Object.keys(POINTS).sort());
  for (const id of withPeers) t.truthy(SCENARIOS.get(id)!.peers!.sql && SCENARIOS.get(id)!.peers!.arquero && SCENARIOS.get(id)!.peers!.ix, id);
});

// Differential: every peer returns the same bag of rows as the materialized engine (row count and
// checksum), on the scenario's seeded data, for each shape.
for (const [scenario, points] of Object.entries(POINTS)) {
  for (const params of points) {
    test(`peers agree with sluice: ${scenario} ${JSON.stringify(params)}`, async (t) => {
      const want = await checked(await prepareCase(makeCase(scenario, params, 'materialized')));
      t.true(want.rows > 0);
      const countsOnly = SCENARIOS.get(scenario)!.orderSensitive?.(makeCase(scenario, params, 'materialized').params) ?? false;
      for (const peer of PEERS) {
        const got = await checked(await prepareCase(makeCase(scenario, params, peer)));
        if (countsOnly) t.is(got.rows, want.rows, peer);
        else t.deepEqual(got, want, peer);
      }
    });
  }
}
