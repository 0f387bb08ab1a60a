import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeCase } from '../../harness/case.js';
import { runCases, runChild } from '../../harness/runner.js';
import { claimScratch, releaseScratch, scratchBase, sweepStaleScratch } from '../../harness/scratch.js';
import { tempDir } from '../temp-dir.js';

const FAST = { rounds: 1, maxTime: 0.02, minSamples: 2, warmupRuns: 1, timeoutSec: 60 };

test('a stored table lives in the child\'s scratch folder, which goes when the child is killed mid-run', async (t) => {
  const dir = tempDir('sluice-scratch-');
  const base = scratchBase(dir);
  let kill: (() => void) | undefined;
  const c = makeCase('selectivity', { rows: 300_000, selectivity: 1, source: 'store' }, 'materialized');
  const done = runChild({ mode: 'time', case: c, settings: FAST }, ['--expose-gc'], 60, { scratch: base, onSpawn: (k) => (kill = k) });
  // Wait until the child has written its table, then kill it the way a timeout does (SIGKILL:
  // the child's own exit handlers do not run).
  const stored = () => existsSync(base) && readdirSync(base).some((d) => readdirSync(path.join(base, d)).some((f) => f.startsWith('sluice-store-')));
  for (let i = 0; i < 300 && !stored(); i++) await new Promise((r) => setTimeout(r, 50));
  t.true(stored(), 'the child stored its table under the scratch base, not in the system\'s temporary folder');
  kill!();
  const r = await done;
  t.false(r.ok);
  t.false(existsSync(base), 'the killed child\'s scratch folder and the empty base are gone');
});

test('a run with stored tables leaves no scratch folder behind, also for a case that runs out of memory', async (t) => {
  const dir = tempDir('sluice-scratch-');
  const out = path.join(dir, 'r.json');
  const cases = [
    makeCase('selectivity', { rows: 2000, selectivity: 0.5, source: 'store' }, 'streaming'),
    makeCase('scale', { rows: 1_000_000, query: 'filter100', heapCap: 32, source: 'store' }, 'materialized'),
  ];
  const r = await runCases({ suite: 'test', cases, out, settings: { ...FAST, groupIsolates: 0 } });
  t.is(r.cases[0]!.status, 'ok', r.cases[0]!.error);
  t.is(r.cases[1]!.status, 'errored');
  t.regex(r.cases[1]!.error!, /out of memory at 1,000,000 rows \(heap cap 32 MiB/);
  t.deepEqual(readdirSync(dir).sort(), ['r.json'], 'nothing but the results file is left in the output folder');
});

test('stale scratch folders of dead processes are swept; live ones and foreign files are kept', async (t) => {
  const base = path.join(tempDir('sluice-scratch-'), '.sluice-scratch');
  // A pid that is provably gone: a child that has exited.
  const dead = await new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['-e', '0']);
    p.on('exit', () => resolve(p.pid!));
  });
  mkdirSync(path.join(base, `${dead}-abcDEF`, 'sluice-store-x'), { recursive: true });
  writeFileSync(path.join(base, `${dead}-abcDEF`, 'sluice-store-x', 'seg.ndjson'), '[1]\n');
  const mine = claimScratch(base);
  writeFileSync(path.join(base, 'notes.txt'), 'not ours');
  t.deepEqual(sweepStaleScratch(base), [`${dead}-abcDEF`]);
  t.true(existsSync(mine), 'a live process\'s folder is kept');
  t.true(existsSync(path.join(base, 'notes.txt')), 'a file not named as scratch folders are is kept');
  t.deepEqual(sweepStaleScratch(base, process.pid), [path.basename(mine)], 'an interrupted run sweeps its own folders');
  releaseScratch(path.join(base, 'gone-already'));
  t.true(existsSync(base), 'the base stays while it holds something');
});
