import test from 'ava';
import { ConfigError } from '../../engine/index.js';
import { makeCase } from '../../harness/case.js';
import { applyFilter, globToRegExp, parseSet, planSuite, planSweep, shard, SUITES } from '../../harness/plan.js';

test('suites expand into stable, unique case ids with engines grouped together', (t) => {
  for (const suite of Object.keys(SUITES)) {
    const cases = planSuite(suite);
    t.is(new Set(cases.map((c) => c.id)).size, cases.length, `${suite}: ids are unique`);
    // every group's cases are contiguous, so the runner can interleave them
    const order = cases.map((c) => c.group).filter((g, i, xs) => i === 0 || xs[i - 1] !== g);
    t.is(new Set(order).size, order.length, `${suite}: groups are contiguous`);
  }
  t.deepEqual(planSuite('quick'), planSuite('quick'), 'planning is deterministic');
  const q = planSuite('quick').map((c) => c.id);
  t.true(q.includes('selectivity/rows=10000,selectivity=0.1/streaming'));
  t.true(q.includes('join/rows=10000,multiplicity=1,variant=full/streaming+enableSymmetricHashJoin=true'));
  t.true(q.includes('pipeline-depth/rows=10000,depth=4/streaming+enableIteratorComposition=false'));
  t.true(q.includes('memory/variant=aggressive/limit-loop'));
});

test('a case id names scenario, params in declared order, engine and non-default options only', (t) => {
  const c = makeCase('join', { variant: 'limit10', rows: 100 }, 'streaming', { enableSymmetricHashJoin: true, enableTrueStreaming: true });
  t.is(c.id, 'join/rows=100,multiplicity=1,variant=limit10/streaming+enableSymmetricHashJoin=true');
  t.is(c.group, 'join/rows=100,multiplicity=1,variant=limit10');
  t.deepEqual(c.options, { enableSymmetricHashJoin: true });
});

test('filters, engines and --set narrow or adjust a suite', (t) => {
  const sel = planSuite('quick', { filter: 'selectivity/*', engines: ['streaming'] });
  t.is(sel.length, 4);
  t.true(sel.every((c) => c.engine === 'streaming'));
  const set = planSuite('quick', { filter: 'join/*', set: { symmetricJoinBatchSize: 16 } });
  t.true(set.every((c) => c.options.symmetricJoinBatchSize === 16));
  t.true(globToRegExp('a?c*').test('abcdef'));
  t.false(globToRegExp('a.c').test('abc'), 'dots are literal');
  t.throws(() => applyFilter(planSuite('quick'), 'nothing-like-this/*', 'suite quick'), { instanceOf: ConfigError, message: /matches no case/ });
});

test('shards partition the suite by group: disjoint, complete, engines kept together', (t) => {
  const all = planSuite('reference');
  const parts = [1, 2, 3].map((i) => shard(all, `${i}/3`));
  t.is(parts.reduce((n, p) => n + p.length, 0), all.length);
  t.deepEqual(parts.flat().map((c) => c.id).sort(), all.map((c) => c.id).sort());
  for (const p of parts) for (const c of p) t.true(p.filter((x) => x.group === c.group).length === all.filter((x) => x.group === c.group).length);
  for (const bad of ['0/2', '3/2', 'x', '1/0', '1-2']) t.throws(() => shard(all, bad), { instanceOf: ConfigError, message: /--shard must look like i\/n/ });
});

test('bad plan input is a ConfigError naming what was wrong', (t) => {
  t.throws(() => planSuite('fast'), { instanceOf: ConfigError, message: "unknown suite 'fast'; known suites: quick, reference, fusion, scale, peers, ingest, full" });
  t.throws(() => makeCase('nope', {}, 'streaming'), { instanceOf: ConfigError, message: /unknown scenario 'nope'; known scenarios: selectivity/ });
  t.throws(() => makeCase('selectivity', {}, 'lazy'), { instanceOf: ConfigError, message: /unknown engine 'lazy'/ });
  t.throws(() => makeCase('scale', {}, 'limit-loop'), { instanceOf: ConfigError, message: "scenario 'scale' has no limit loop (see 'sluice list': the scenarios that have one say so)" });
  t.throws(() => makeCase('selectivity', { selectivity: 0.3 }, 'streaming'), { instanceOf: ConfigError, message: /parameter 'selectivity' must be one of/ });
  t.throws(() => makeCase('selectivity', { rows: -5 }, 'streaming'), { instanceOf: ConfigError, message: /parameter 'rows' must be a positive integer/ });
  t.throws(() => makeCase('selectivity', { colour: 1 }, 'streaming'), { instanceOf: ConfigError, message: /has no parameter 'colour'/ });
  t.throws(() => parseSet(['enableSymmetricHashJoin']), { instanceOf: ConfigError, message: /--set takes option=value/ });
  t.throws(() => parseSet(['nope=1']), { instanceOf: ConfigError, message: /--set: unknown engine option 'nope'/ });
  t.throws(() => parseSet(['enableSymmetricHashJoin=yes']), { instanceOf: ConfigError, message: /takes true or false, got 'yes'/ });
  t.throws(() => parseSet(['symmetricJoinBatchSize=0']), { instanceOf: ConfigError, message: /must be a positive integer/ });
  t.deepEqual(parseSet(['enableSymmetricHashJoin=true', 'memoryLimit=Infinity']), { enableSymmetricHashJoin: true, memoryLimit: Infinity });
});

test('a sweep is the grid of the varied options on each engine, one case per distinct code path', (t) => {
  const cases = planSweep('join', ['enableSymmetricHashJoin', 'symmetricJoinBatchSize=16,64,256'], { engines: ['streaming'] });
  // Symmetric join off: the batch size is not read, so one case; on: three batch sizes.
  t.is(cases.length, 4);
  t.is(new Set(cases.map((c) => c.id)).size, 4);
  // A chain of switches: the drain's row count is read only with the drain on, and the drain only with the symmetric join on.
  const drains = planSweep('join', ['enableSymmetricHashJoin', 'enableSymmetricJoinDrain', 'symmetricJoinDrainAfter=256,1024'], { engines: ['streaming'] });
  // (Options at their defaults are left out of a case.)
  t.deepEqual(drains.map((c) => JSON.stringify(c.options)).sort(), [
    '{"enableSymmetricHashJoin":true,"enableSymmetricJoinDrain":false}',
    '{"enableSymmetricHashJoin":true,"symmetricJoinDrainAfter":256}',
    '{"enableSymmetricHashJoin":true}',
    '{}',
  ]);
  t.is(planSweep('selectivity', ['enableIteratorComposition']).length, 1 + 2 + 1, 'materialized once (it ignores the option), streaming x two values, plus the limit loop');
  t.throws(() => planSweep('join', []), { instanceOf: ConfigError, message: /at least one --vary/ });
  t.throws(() => planSweep('join', ['symmetricJoinBatchSize']), { instanceOf: ConfigError, message: /needs values/ });
  t.throws(() => planSweep('join', ['warp=1']), { instanceOf: ConfigError, message: /unknown engine option 'warp'/ });
});

test('a repeated --filter keeps the union of its globs, and a glob that matches nothing is named', (t) => {
  const quick = planSuite('quick');
  const both = applyFilter(quick, ['group-by*', 'ohlc*'], 'suite quick');
  t.true(both.length > 0);
  t.deepEqual(both.map((c) => c.id), quick.filter((c) => c.id.startsWith('group-by') || c.id.startsWith('ohlc')).map((c) => c.id));
  t.throws(() => applyFilter(quick, ['group-by*', 'grup-by*'], 'suite quick'), { instanceOf: ConfigError, message: "--filter 'grup-by*' matches no case of suite quick (see 'sluice list')" });
});
