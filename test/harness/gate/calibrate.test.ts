import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateCalibration } from '../../../harness/gate/calibrate.js';
import { formatCalibration } from '../../../reports/calibration.js';
import { makeCase } from '../../../harness/case.js';
import { caseRunnerPath, childFlags, measureArms, newResults, PAIRED_CHILD_FLAGS, runChild, type Arm } from '../../../harness/runner.js';
import { gateSettings, measureAgain } from '../../../harness/gate/gate.js';
import { compareResults, undecidedCases } from '../../../harness/gate/compare.js';
import { planSuite } from '../../../harness/plan.js';
import { readResults } from '../../../core/results.js';
import { pairSamples } from '../../../harness/measure/pairing.js';
import { PROJECT_ROOT } from '../../../harness/runner.js';
import { sluice } from '../../cli-helper.js';
import { suiteCases, synthResults } from './synthetic.js';
import { tempDir } from '../../temp-dir.js';

const opts = { runs: 20, slowdown: 0.3, thresholds: [0.05, 0.1], compare: {}, seed: 1 };

/** A paired calibration arm: 3 pair processes of `isolates` isolate pairs per case (20 pairs each). */
function pairedArm(cases: ReturnType<typeof suiteCases>, seed: number, isolates: number) {
  const r = synthResults(cases, seed, 3 * isolates, 20);
  r.settings = { ...r.settings, rounds: 3, pairedPool: 3, isolates };
  for (const c of r.cases) c.paired = true;
  return r;
}

test('calibration on synthetic arms: identical builds give no false positives, a 30% slowdown is always found', (t) => {
  const cases = suiteCases();
  const slow = cases.map((c) => ({ ...c, time: c.time * 1.3 }));
  const c = evaluateCalibration({ a: synthResults(cases, 1), b: synthResults(cases, 2), s1: synthResults(slow, 3), s2: synthResults(slow, 4) }, opts);
  t.is(c.cases, 36);
  t.is(c.rounds, 3);
  for (const th of c.thresholds) {
    t.is(th.aaRuns, 20, 'C(6,3) = 20 ordered splits');
    t.is(th.aaSuite, 0);
    t.is(th.detectionWorst, 1);
    for (const x of th.cases) t.true(Math.abs(x.appliedSlowdown - 0.3) < 0.05, `${x.id}: ${x.appliedSlowdown}`);
  }
  t.regex(formatCalibration(c), /threshold 5\.0%: all targets met/);
  t.is(c.thresholds[0]!.cases[0]!.stretchMeasured, null, 'no stretch recorded by these results');
  t.regex(formatCalibration(c), /\| – \|\n/);
});

test('paired calibration draws isolate pairs: a gate run compares R·I of the 3R·I rounds', (t) => {
  const cases = suiteCases().slice(0, 6);
  // 3 pair processes of 3 isolate pairs: 9 rounds per case; a gate run draws 3 of them.
  const arm = (seed: number) => pairedArm(cases, seed, 3);
  const a = arm(1), s1 = arm(3);
  const wiggle = (k: number) => 1 + (((k * 37) % 21) - 10) / 300;
  const b = arm(2), s2 = arm(4);
  b.cases.forEach((c, i) => (c.rounds = a.cases[i]!.rounds.map((r) => r.map((x, k) => x * wiggle(k)))));
  s2.cases.forEach((c, i) => (c.rounds = s1.cases[i]!.rounds.map((r) => r.map((x, k) => x * 1.3 * wiggle(k)))));
  s2.cases.forEach((c) => (c.slowdownMeasured = [0.29, 0.3, 0.31, 0.3, 0.3, 0.3, 0.32, 0.3, 0.28]));
  const c = evaluateCalibration({ a, b, s1, s2 }, { ...opts, runs: 30 });
  t.is(c.rounds, 3, 'a gate run compares 3 isolate pairs');
  t.is(c.extendRounds, 3, 'and an undecided case 3 more, as the extending gate does');
  t.is(evaluateCalibration({ a, b, s1, s2 }, { ...opts, runs: 30, extend: false }).extendRounds, 0);
  t.is(c.thresholds[0]!.cases[0]!.stretchMeasured, 0.3, 'the median of the slowed build\'s own measures');
  t.regex(formatCalibration(c), /\| 30\.0% \|\n/);
  for (const th of c.thresholds) {
    t.is(th.aaRuns, 30, '30 of the C(9, 3) = 84 draws');
    t.is(th.aaSuite, 0);
    t.is(th.detectionWorst, 1);
  }
});

test('paired calibration of the extending gate: a case whose isolate pairs disagree is found more often with its extension', (t) => {
  const cases = suiteCases().slice(0, 4);
  // 3 pair processes of 4 isolate pairs: a gate run draws 4, and 4 more for an undecided case.
  const arm = (seed: number) => pairedArm(cases, seed, 4);
  const a = arm(1), b = arm(2), s1 = arm(3), s2 = arm(4);
  const wiggle = (k: number) => 1 + (((k * 37) % 21) - 10) / 300;
  b.cases.forEach((c, i) => (c.rounds = a.cases[i]!.rounds.map((r) => r.map((x, k) => x * wiggle(k)))));
  // Slowed by 20% on average, but each isolate pair at a level of its own (2% to 38%): a
  // threshold of 10% sits inside the interval of many draws of 4, and of fewer draws of 8.
  const levels = [1.02, 1.38, 1.2, 1.1, 1.3, 1.2, 1.05, 1.35, 1.15, 1.25, 1.08, 1.32];
  s2.cases.forEach((c, i) => (c.rounds = s1.cases[i]!.rounds.map((r, j) => r.map((x, k) => x * levels[j]! * wiggle(k)))));
  const o = { ...opts, runs: 100, thresholds: [0.1] };
  const withExt = evaluateCalibration({ a, b, s1, s2 }, o).thresholds[0]!;
  const without = evaluateCalibration({ a, b, s1, s2 }, { ...o, extend: false }).thresholds[0]!;
  t.true(withExt.sensitivityExtendedMean > 0, 'some slowed draws were undecided and measured again');
  t.is(without.sensitivityExtendedMean, 0);
  t.log(`detected ${withExt.detectionMean} with the extension (${withExt.sensitivityExtendedMean} cases measured again per draw), ${without.detectionMean} without`);
  t.true(withExt.detectionMean > without.detectionMean, `detected ${withExt.detectionMean} with the extension, ${without.detectionMean} without`);
  t.is(withExt.aaSuite, 0);
});

test('calibration of the unpaired gate: one slow process per case is no longer a false positive, because the process is the unit', (t) => {
  const cases = suiteCases();
  const a = synthResults(cases, 1);
  // Build B's first process 25% slower in every case. Sample-level tests flagged the splits that put
  // it alone on one side (suite A/A above 5%); with processes as units it widens the interval instead.
  const b = synthResults(cases, 2);
  for (const c of b.cases) c.rounds[0] = c.rounds[0]!.map((x) => x * 1.25);
  const c = evaluateCalibration({ a, b, s1: synthResults(cases, 3), s2: synthResults(cases, 4) }, opts);
  const at5 = c.thresholds.find((x) => x.threshold === 0.05)!;
  t.true(at5.aaSuite <= 0.05, `suite A/A ${at5.aaSuite}`);
  t.true(at5.aaPerCaseWorst <= 0.05, `worst case A/A ${at5.aaPerCaseWorst}`);
});

test('the calibration slowdown stretches every timed run by the requested fraction of its own time', async (t) => {
  const c = makeCase('selectivity', { rows: 2000, selectivity: 0.5 }, 'streaming');
  const settings = { maxTime: 0.05, minSamples: 2, warmupRuns: 1 };
  const r = await runChild({ mode: 'time', case: c, settings, slowdown: 0.25 }, ['--expose-gc'], 60);
  t.true(r.ok, JSON.stringify(r));
  const { extraFraction } = r as unknown as { extraFraction: number };
  // Each run waits until a quarter of its own time has passed again, so the total cannot be less.
  // (It can be more: the wait is wall time, and a busy machine may preempt the child inside it.)
  t.true(extraFraction >= 0.25 && Number.isFinite(extraFraction), `extra time over query time: ${extraFraction}`);
  const plain = await runChild({ mode: 'time', case: c, settings }, ['--expose-gc'], 60);
  t.is((plain as unknown as { extraFraction: number }).extraFraction, 0, 'no extra work outside calibration');
  const run = await sluice(['run', '--calibration-slowdown', '10%', '--filter', 'x']);
  t.is(run.code, 2, 'the slowdown is not an option of run');
  t.regex(run.stderr, /Unknown argument/);
});

test('gate end to end: a base directory and this build, interleaved, compared (and bad bases refused)', async (t) => {
  const out = tempDir('sluice-gate-');
  const r = await sluice(['gate', '--base', PROJECT_ROOT, '--paired', '--filter', 'selectivity/rows=10000,selectivity=0.5/*', '--out', out, '--force',
    '--rounds', '2', '--isolates', '1', '--max-time', '0.05', '--min-samples', '3', '--time-threshold', '50%', '--memory-threshold', '200%', '--no-extend']);
  // The verdict itself depends on timing (a timed assertion has no place here); the mechanics do not.
  t.true(r.code === 0 || r.code === 1, `${r.code}: ${r.stderr.slice(-600)}`);
  for (const f of ['base.json', 'head.json', 'compare.md', 'compare.json']) t.true(existsSync(path.join(out, f)), f);
  const order = r.stderr.split('\n').filter((l) => /paired time pass with (base|head), round 1\/2/.test(l)).map((l) => /\[(base|head)\]/.exec(l)![1]);
  t.deepEqual(order, ['base', 'head'], 'one paired process per case and round, alternating which build is loaded first');
  const cmp = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8'));
  t.is(cmp.cases.length, 2);
  t.is(cmp.failed, r.code === 1, 'the exit code is the comparison\'s verdict');
  t.true(cmp.cases.every((c: { metrics: { metric: string; paired?: boolean }[] }) => c.metrics.find((m) => m.metric === 'time')?.paired === true), 'paired ratios');
  const head = JSON.parse(readFileSync(path.join(out, 'head.json'), 'utf8'));
  t.true(head.cases.every((c: { rounds: number[][] }) => c.rounds.length === 2), 'one round per process (one isolate pair each)');
  t.regex(r.stdout, /## How the gate ran[\s\S]*base: directory/);
  const noPaired = await sluice(['gate', '--base', PROJECT_ROOT, '--no-paired', '--isolates', '2']);
  t.is(noPaired.code, 2);
  t.regex(noPaired.stderr, /--isolates applies to the paired gate only/);
  const noPairedExtend = await sluice(['gate', '--base', PROJECT_ROOT, '--no-paired', '--extend']);
  t.is(noPairedExtend.code, 2);
  t.regex(noPairedExtend.stderr, /--extend applies to the paired gate only/);
  const bad = await sluice(['gate', '--base', 'no-such-ref-or-dir']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--base: 'no-such-ref-or-dir' is neither a directory nor a git ref/);
  const noCalibration = await sluice(['calibrate', '--from', out]);
  t.is(noCalibration.code, 2);
  t.regex(noCalibration.stderr, /--from: '.*' holds no calibration measurements \(missing aa-a.json, aa-b.json, slowed-1.json, slowed-2.json/);
  const notSluice = await sluice(['gate', '--base', os.tmpdir()]);
  t.is(notSluice.code, 2);
  t.regex(notSluice.stderr, /is not a sluice checkout/);
});

test('the gate measures an undecided case again: one more paired process of isolate pairs, its records continued', async (t) => {
  const out = tempDir('sluice-extend-');
  const cases = planSuite('quick', { filter: 'selectivity/rows=10000,selectivity=0.5/*', engines: ['materialized', 'streaming'] });
  t.is(cases.length, 2);
  const settings = gateSettings('quick', true, { isolates: 2, maxTime: 0.05, minSamples: 3 });
  const arms: Arm[] = ['base', 'head'].map((name) => ({
    name, out: path.join(out, `${name}.json`), results: newResults('quick', settings, PROJECT_ROOT, childFlags(true)), caseRunner: caseRunnerPath(),
  }));
  await measureArms(arms, cases, () => {}, { paired: true });
  const first = compareResults(arms[0]!.results, arms[1]!.results, { allowEnvMismatch: true });
  // At a threshold equal to its own ratio, a case is undecided whatever the machine did: the
  // estimate always lies inside its interval.
  const m = first.cases[0]!.metrics.find((x) => x.metric === 'time')!;
  t.true(m.paired);
  t.deepEqual(undecidedCases(first, m.ratio - 1).includes(cases[0]!.id), true);
  await measureAgain(arms, [cases[0]!], settings, () => {});
  for (const a of arms) {
    const saved = readResults(a.out);
    t.deepEqual(saved.settings.extended, [cases[0]!.id], 'the results name the case measured again');
    t.is(saved.settings.rounds, 1, 'the settings still describe the first pass');
    const [again, once] = [saved.cases.find((c) => c.id === cases[0]!.id)!, saved.cases.find((c) => c.id === cases[1]!.id)!];
    t.is(again.rounds.length, 4, 'two isolate pairs, then two more');
    t.is(once.rounds.length, 2, 'the decided case is left alone');
    t.is(again.status, 'ok');
    t.truthy(again.heap, 'the heap pass is kept, not repeated');
  }
  const after = compareResults(readResults(arms[0]!.out), readResults(arms[1]!.out), { allowEnvMismatch: true });
  const m2 = after.cases[0]!.metrics.find((x) => x.metric === 'time')!;
  t.true(m2.paired && m2.roundRatios!.length === 4, 'the second comparison pools all four isolate pairs');
});

test('a paired child measures both builds taking turns, each in its own worker with its own prepared query', async (t) => {
  const c = makeCase('selectivity', { rows: 2000, selectivity: 0.5 }, 'streaming');
  const r = await runChild({
    mode: 'pair', case: c, settings: { maxTime: 0.3, minSamples: 4, warmupRuns: 1 }, sampleSeconds: 0.005,
    runners: [caseRunnerPath(), caseRunnerPath()], slowdown: [0, 0.5], isolates: 2,
  }, PAIRED_CHILD_FLAGS.time, 60);
  t.true(r.ok, JSON.stringify(r));
  const arms = (r as unknown as { arms: { rows: number; checksum: string; rounds: number[][]; extraFractions: number[] }[] }).arms;
  t.is(arms.length, 2);
  t.deepEqual(arms[0]!.rows, arms[1]!.rows);
  t.is(arms[0]!.checksum, arms[1]!.checksum);
  t.is(arms[0]!.rounds.length, 2, 'one round per isolate pair');
  t.is(arms[1]!.rounds.length, 2);
  for (const [j, round] of arms[0]!.rounds.entries()) {
    t.true(round.length >= 2, 'paired samples');
    t.is(arms[1]!.rounds[j]!.length, round.length, 'only paired samples, as many on both sides');
  }
  t.true(arms.every((a) => a.rounds.flat().every((x) => x > 0)));
  t.deepEqual(arms[0]!.extraFractions, [0, 0], 'no extra work outside the slowed arm');
  t.is(arms[1]!.extraFractions.length, 2, 'the slowed arm\'s own measure of its stretch, per isolate pair');
  t.true(arms[1]!.extraFractions.every((x) => x >= 0.5), `every run stretched by at least half its time: ${arms[1]!.extraFractions}`);
  // How much slower the slowed arm reads against the other depends on the machine: a timed
  // assertion has no place here.
  const bad = await runChild({ mode: 'pair', case: c, settings: { maxTime: 0.05, minSamples: 2, warmupRuns: 1 }, sampleSeconds: 0.005, runners: [caseRunnerPath(), '/nonexistent/case-runner.js'] }, PAIRED_CHILD_FLAGS.time, 60);
  t.false(bad.ok);
  t.regex((bad as { error: string }).error, /build 2 of the pair \(\/nonexistent\/case-runner.js\): .*(Cannot find module|ERR_MODULE_NOT_FOUND)/);
});

test('paired samples are matched by when they ended, dropping the unmatched', (t) => {
  // Each arm's samples with the times they ended; arm 1 ran on alone at the end.
  const a = { samplesNs: [100, 101, 102], endsNs: [10, 30, 50] };
  const b = { samplesNs: [200, 201, 202, 203, 204], endsNs: [5, 20, 40, 60, 70] };
  // Time order: b5 a10 | b20 a30 | b40 a50 | b60 b70 → pairs (b200,a100) (b201,a101) (b202,a102).
  t.deepEqual(pairSamples(a, b), [[100, 101, 102], [200, 201, 202]]);
  // Two of one arm in a row: the first is dropped.
  t.deepEqual(pairSamples({ samplesNs: [1, 2, 3], endsNs: [1, 2, 4] }, { samplesNs: [9, 8], endsNs: [3, 5] }), [[2, 3], [9, 8]]);
  // Without end times the n-th samples are paired.
  t.deepEqual(pairSamples({ samplesNs: [1, 2, 3], endsNs: [] }, { samplesNs: [4, 5], endsNs: [] }), [[1, 2], [4, 5]]);
});
