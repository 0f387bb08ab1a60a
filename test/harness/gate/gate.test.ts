import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeCase } from '../../../harness/case.js';
import { legacyCaseFor } from '../../../harness/gate/gate.js';
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
