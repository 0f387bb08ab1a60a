import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeCase } from '../../../harness/case.js';
import { casesForBase, legacyCaseFor, optionNamesOf, scenarioIdsOf } from '../../../harness/gate/gate.js';
import { tempDir } from '../../temp-dir.js';

/** A fake built base whose dist/harness/case.js holds `text`. */
function base(text: string): string {
  const root = tempDir('sluice-base-');
  mkdirSync(path.join(root, 'dist', 'harness'), { recursive: true });
  writeFileSync(path.join(root, 'dist', 'harness', 'case.js'), text);
  return root;
}

test("a gate base built before the limit loop's rename is sent its cases under the old name", (t) => {
  const loop = makeCase('selectivity', { rows: 100, selectivity: 0.5 }, 'limit-loop');
  const engine = makeCase('selectivity', { rows: 100, selectivity: 0.5 }, 'streaming');
  const old = legacyCaseFor(base("export const RUNNERS = ['materialized', 'streaming', 'baseline'];"))!;
  t.truthy(old);
  t.like(old(loop), { engine: 'baseline', id: 'selectivity/rows=100,selectivity=0.5/baseline', params: loop.params });
  t.is(old(engine), engine, 'engine cases are sent unchanged');
  t.is(legacyCaseFor(base("export const RUNNERS = ['materialized', 'streaming', 'limit-loop'];")), undefined, 'a base that knows the name needs nothing');
  t.is(legacyCaseFor(path.join(os.tmpdir(), 'no-such-sluice-base')), undefined);
});

test('cases of a scenario the base does not have are left out of the gate, not measured into "errored in both"', async (t) => {
  // A fake base that knows one scenario, as a build from before a scenario was added would.
  const root = tempDir('sluice-base-');
  mkdirSync(path.join(root, 'dist', 'scenarios'), { recursive: true });
  writeFileSync(path.join(root, 'dist', 'scenarios', 'index.js'), "export const SCENARIOS = new Map([['selectivity', {}]]);");
  const known = await scenarioIdsOf(root);
  t.deepEqual([...known!], ['selectivity']);
  const old = makeCase('selectivity', { rows: 100, selectivity: 0.5 }, 'streaming');
  const added = makeCase('group-by', { rows: 100, groups: 10, key: 'int' }, 'streaming');
  t.deepEqual(casesForBase([old, added], { scenarios: known, options: null }), { both: [old], newInHead: [added], newScenarios: ['group-by'], newOptions: [] });
  // A directory with no build cannot say, and every case is kept.
  t.is(await scenarioIdsOf(path.join(os.tmpdir(), 'no-such-sluice-base')), null);
  t.deepEqual(casesForBase([old, added], { scenarios: null, options: null }), { both: [old, added], newInHead: [], newScenarios: [], newOptions: [] });
});

test('cases setting an engine option the base does not have are left out of the gate too; peer options are not engine options', async (t) => {
  const root = tempDir('sluice-base-');
  mkdirSync(path.join(root, 'dist', 'engine'), { recursive: true });
  writeFileSync(path.join(root, 'dist', 'engine', 'options.js'), 'export const OPTION_SPECS = { enableSymmetricHashJoin: {}, symmetricJoinBatchSize: {} };');
  const options = await optionNamesOf(root);
  t.deepEqual([...options!], ['enableSymmetricHashJoin', 'symmetricJoinBatchSize']);
  const sym = makeCase('join', { rows: 100 }, 'streaming', { enableSymmetricHashJoin: true });
  const alternating = makeCase('join', { rows: 100 }, 'streaming', { enableSymmetricHashJoin: true, enableSymmetricJoinDrain: false });
  const duck = makeCase('join', { rows: 100 }, 'duckdb', { threads: 1 });
  t.deepEqual(casesForBase([sym, alternating, duck], { scenarios: new Set(['join']), options }), { both: [sym, duck], newInHead: [alternating], newScenarios: [], newOptions: ['enableSymmetricJoinDrain'] });
  t.is(await optionNamesOf(path.join(os.tmpdir(), 'no-such-sluice-base')), null);
});
