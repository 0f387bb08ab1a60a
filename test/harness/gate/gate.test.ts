import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeCase } from '../../../harness/case.js';
import { casesForBase, legacyCaseFor, scenarioIdsOf } from '../../../harness/gate/gate.js';
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
  t.deepEqual(casesForBase([old, added], known), { both: [old], newInHead: [added] });
  // A directory with no build cannot say, and every case is kept.
  t.is(await scenarioIdsOf(path.join(os.tmpdir(), 'no-such-sluice-base')), null);
  t.deepEqual(casesForBase([old, added], null), { both: [old, added], newInHead: [] });
});
