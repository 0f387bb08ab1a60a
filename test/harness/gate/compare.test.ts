import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../engine/index.js';
import { compareResults, undecidedCases } from '../../../harness/gate/compare.js';
import { formatComparison } from '../../../reports/compare.js';
import { mannWhitney } from '../../../core/stats/mann-whitney.js';
import { processRatio } from '../../../core/stats/paired.js';
import { toGithubActionBenchmark } from '../../../reports/export.js';
import { writeResults, type ResultsFile } from '../../../core/results.js';
import { sluice } from '../../cli-helper.js';
import { suiteCases, synthResults, type SynthCase } from './synthetic.js';
import { tempDir } from '../../temp-dir.js';

const dir = tempDir('sluice-compare-');
const put = (name: string, r: ResultsFile) => {
  const f = path.join(dir, name);
  writeResults(f, r);
  return f;
};
const slowed = (cases: SynthCase[], factor: number, which: (i: number) => boolean) => cases.map((c, i) => (which(i) ? { ...c, time: c.time * factor } : c));

test('gate self-test: a known 30% slowdown exits 1, identical distributions exit 0', async (t) => {
  const cases = suiteCases();
  // Six processes per side: with the process as the unit, three cannot reach significance after Holm over 36 cases.
  const base = put('base.json', synthResults(cases, 1, 6));
  const same = put('same.json', synthResults(cases, 2, 6));
  const slow = put('slow.json', synthResults(slowed(cases, 1.3, (i) => i === 7), 3, 6));
  const a = await sluice(['compare', base, same]);
  t.is(a.code, 0, a.stderr);
  t.regex(a.stdout, /passed/);
  const b = await sluice(['compare', base, slow]);
  t.is(b.code, 1, b.stderr);
  t.regex(b.stdout, /scenario7\/rows=8000\/streaming \| \*\*regressed\*\* \| time/);
  t.regex(b.stderr, /FAILED: 1 regressed/);
});

test('a regression needs both the threshold and significance; improvements are reported', (t) => {
  const cases = suiteCases();
  const base = synthResults(cases, 11, 8);
  // +30% on case 0 (regressed), +5% on case 1 (below the 10% threshold), −30% on case 2 (improved).
  const head = synthResults(cases.map((c, i) => ({ ...c, time: c.time * (i === 0 ? 1.3 : i === 1 ? 1.05 : i === 2 ? 0.7 : 1) })), 12, 8);
  const c = compareResults(base, head);
  const v = (i: number) => c.cases.find((x) => x.id === cases[i]!.id)!;
  t.is(v(0).verdict, 'regressed');
  t.is(v(1).verdict, 'unchanged');
  t.is(v(2).verdict, 'improved');
  const time0 = v(0).metrics.find((m) => m.metric === 'time')!;
  t.true(time0.ratio > 1.2 && time0.ratio < 1.4, `ratio ${time0.ratio}`);
  t.true(time0.ci![0] < time0.ratio && time0.ratio < time0.ci![1]);
  t.true(time0.pAdjusted! < 0.05 && time0.pAdjusted! >= time0.p!, 'Holm never lowers a p-value');
  t.true(c.failed);
  t.is(c.counts.regressed, 1);
  t.is(c.counts.improved, 1);
  // The same +5% is a regression at a 2% threshold.
  t.is(compareResults(base, head, { timeThreshold: 0.02 }).cases.find((x) => x.id === cases[1]!.id)!.verdict, 'regressed');
  // With only 2 samples per side nothing can be significant after Holm, whatever the ratio.
  const tiny = (r: ResultsFile) => ({ ...r, cases: r.cases.map((x) => ({ ...x, rounds: [x.rounds[0]!.slice(0, 2)] })) });
  t.false(compareResults(tiny(base), tiny(head)).failed);
});

test('memory: tracker peak is compared exactly, measured heap statistically with a floor', (t) => {
  const cases: SynthCase[] = [
    { id: 'a/x=1/streaming', time: 1e5, heap: { peak: 1_000_000, allocated: 2_000_000, tracker: 100_000 } },
    { id: 'b/x=1/streaming', time: 1e5, heap: { peak: 1_000_000, allocated: 2_000_000, tracker: 100_000 } },
    { id: 'c/x=1/streaming', time: 1e5, heap: { peak: 100_000, allocated: 100_000, tracker: null } },
  ];
  const base = synthResults(cases, 5);
  const head = synthResults([
    { ...cases[0]!, heap: { ...cases[0]!.heap!, tracker: 106_000 } }, // tracker +6% > 5%
    { ...cases[1]!, heap: { ...cases[1]!.heap!, peak: 1_300_000 } }, // measured peak +30%
    { ...cases[2]!, heap: { peak: 300_000, allocated: 300_000, tracker: null } }, // +200 KB (3x) but within V8's 256 KiB heap page
  ], 6);
  const c = compareResults(base, head);
  const metric = (id: string, m: string) => c.cases.find((x) => x.id === id)!.metrics.find((y) => y.metric === m)!;
  t.is(metric('a/x=1/streaming', 'trackerPeak').verdict, 'regressed');
  t.is(metric('a/x=1/streaming', 'trackerPeak').method, 'exact');
  t.is(metric('b/x=1/streaming', 'peakHeap').verdict, 'regressed');
  t.is(metric('b/x=1/streaming', 'trackerPeak').verdict, 'unchanged');
  t.is(metric('c/x=1/streaming', 'peakHeap').verdict, 'unchanged');
  t.falsy(c.cases.find((x) => x.id === 'c/x=1/streaming')!.metrics.find((m) => m.metric === 'trackerPeak'), 'no tracker for the limit loop');
  // 5% tracker growth is within a 10% memory threshold.
  t.is(compareResults(base, head, { memoryThreshold: 0.1 }).cases.find((x) => x.id === 'a/x=1/streaming')!.verdict, 'unchanged');
});

test('cases on one side, errored cases and changed outputs are listed, never dropped', (t) => {
  const base = synthResults([
    { id: 'a/x=1/streaming', time: 1e5 }, { id: 'gone/x=1/streaming', time: 1e5 }, { id: 'e/x=1/streaming', time: 1e5 },
    { id: 'both/x=1/streaming', time: 1e5, status: 'errored', error: 'boom' }, { id: 'o/x=1/streaming', time: 1e5 },
  ], 1);
  const head = synthResults([
    { id: 'a/x=1/streaming', time: 1e5 }, { id: 'new/x=1/streaming', time: 1e5 }, { id: 'e/x=1/streaming', time: 1e5, status: 'errored', error: 'timed out after 60 s' },
    { id: 'both/x=1/streaming', time: 1e5, status: 'errored', error: 'boom' }, { id: 'o/x=1/streaming', time: 1e5, checksum: 'ffff0000' },
  ], 2);
  const c = compareResults(base, head);
  t.deepEqual(c.onlyInBase, ['gone/x=1/streaming']);
  t.deepEqual(c.onlyInHead, ['new/x=1/streaming']);
  t.deepEqual(c.erroredInBoth, ['both/x=1/streaming']);
  t.is(c.cases.find((x) => x.id === 'e/x=1/streaming')!.verdict, 'errored');
  t.regex(c.cases.find((x) => x.id === 'e/x=1/streaming')!.detail!, /timed out/);
  t.is(c.cases.find((x) => x.id === 'o/x=1/streaming')!.verdict, 'output-changed');
  t.true(c.failed);
  const md = formatComparison(c);
  for (const s of ['## Only in base', 'gone/x=1/streaming', '## Only in head', 'new/x=1/streaming', '## Errored in both', '**output changed**', '**errored**']) t.true(md.includes(s), s);
});

test('results from different environments are refused unless allowed, and then flagged', (t) => {
  const base = synthResults([{ id: 'a/x=1/streaming', time: 1e5 }], 1);
  const head = synthResults([{ id: 'a/x=1/streaming', time: 1e5 }], 2);
  head.environment = { ...head.environment, cpuModel: 'Some Other CPU', node: 'v18.0.0' };
  t.throws(() => compareResults(base, head), { instanceOf: ConfigError, message: /different environments: CPU model .*node version.*--allow-env-mismatch/ });
  const c = compareResults(base, head, { allowEnvMismatch: true });
  t.is(c.environmentMismatches.length, 2);
  t.regex(formatComparison(c), /Warning.*compared across environments/);
});

test('compare --format json is the documented, stable shape', async (t) => {
  const base = put('j-base.json', synthResults(suiteCases().slice(0, 3), 1));
  const head = put('j-head.json', synthResults(suiteCases().slice(0, 3), 2));
  const r = await sluice(['compare', base, head, '--format', 'json', '--time-threshold', '5%', '--alpha', '0.01']);
  t.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.is(j.schema, 'sluice-compare');
  t.is(j.version, 3);
  t.deepEqual(Object.keys(j).sort(), ['base', 'cases', 'counts', 'environmentMismatches', 'erroredInBoth', 'failed', 'head', 'onlyInBase', 'onlyInHead', 'schema', 'separateProcesses', 'settings', 'version']);
  t.true(j.separateProcesses);
  t.deepEqual(j.settings, { timeThreshold: 0.05, memoryThreshold: 0.05, alpha: 0.01, memoryFloorBytes: 262144 });
  t.deepEqual(Object.keys(j.cases[0].metrics[0]).sort(), ['base', 'ci', 'head', 'method', 'metric', 'nBase', 'nHead', 'normalized', 'p', 'pAdjusted', 'paired', 'ratio', 'roundRatios', 'tau', 'unit', 'verdict']);
  t.is(j.cases[0].metrics[0].method, 'processes');
});

test('compare: bad input is one line and exit 2', async (t) => {
  const good = put('g.json', synthResults([{ id: 'a/x=1/streaming', time: 1e5 }], 1));
  const notResults = path.join(dir, 'not.json');
  writeFileSync(notResults, '{"hello": 1}');
  for (const [args, msg] of [
    [[good, path.join(dir, 'missing.json')], /cannot read results file .*no such file/],
    [[good, notResults], /is not a sluice results file/],
    [[good, good, '--time-threshold', 'ten'], /--time-threshold must be a percentage like 10% or a fraction like 0.1/],
    [[good, good, '--time-threshold', '10'], /ambiguous: write 10% for a percentage/],
    [[good, good, '--alpha', '2'], /--alpha must be a number between 0 and 1/],
    [[good, good, '--format', 'xml'], /--format must be md or json/],
    [[good], /Not enough non-option arguments|head/],
  ] as const) {
    const r = await sluice(['compare', ...args]);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, msg);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('export --format github-action-benchmark writes smaller-is-better entries', async (t) => {
  const r = synthResults([{ id: 'a/x=1/streaming', time: 1e5, heap: { peak: 1000, allocated: 2000, tracker: 500 } }, { id: 'b/x=1/streaming', time: 1e5, status: 'errored', error: 'x' }], 1);
  const { entries, skipped } = toGithubActionBenchmark(r);
  t.is(skipped, 1);
  t.deepEqual(entries.map((e) => [e.name, e.unit]), [['a/x=1/streaming time', 'ns'], ['a/x=1/streaming peak heap', 'bytes'], ['a/x=1/streaming tracker peak', 'bytes']]);
  t.true(entries.every((e) => typeof e.value === 'number' && Number.isFinite(e.value)));
  const file = put('e.json', r);
  const out = path.join(dir, 'bench.json');
  const cli = await sluice(['export', file, '--format', 'github-action-benchmark', '--out', out]);
  t.is(cli.code, 0, cli.stderr);
  t.regex(cli.stderr, /wrote 3 entries.*\n.*left out 1 case/);
  const bad = await sluice(['export', file, '--format', 'csv']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown export format 'csv'; accepted: github-action-benchmark/);
});

test('time samples are divided by their process\'s machine-speed probe when both sides have one of the same version', (t) => {
  const cases = suiteCases().slice(0, 4);
  const base = synthResults(cases, 21);
  // The head ran on a machine 30% slower throughout: its queries and its probes both took 1.3x.
  const head = synthResults(cases.map((c) => ({ ...c, time: c.time * 1.3 })), 22);
  for (const c of base.cases) Object.assign(c, { probes: c.rounds.map(() => 50_000), probeVersion: 1 });
  for (const c of head.cases) Object.assign(c, { probes: c.rounds.map(() => 65_000), probeVersion: 1 });
  const n = compareResults(base, head);
  t.false(n.failed, 'a slower machine is not a regression');
  t.true(n.cases.every((c) => c.metrics[0]!.normalized === true && Math.abs(c.metrics[0]!.ratio - 1) < 0.05));
  t.true(compareResults(base, head, { probe: false }).failed, 'without the probe it looks like one');
  // Different probe kernels cannot be compared: raw samples are used, and it says so.
  for (const c of head.cases) c.probeVersion = 2;
  const mixed = compareResults(base, head);
  t.true(mixed.failed);
  t.true(mixed.cases.every((c) => c.metrics[0]!.normalized === false));
});

test('paired records: the ratio pools the rounds\' median ratios of samples taken next to each other', (t) => {
  const cases = suiteCases().slice(0, 4);
  const base = synthResults(cases, 31), head = synthResults(cases, 32);
  // The machine's speed moves over 1x-2.8x from sample to sample, the same for both builds; the
  // head is 20% slower in case 0, and in case 3 6% slower with 5% noise per pair.
  const noise = [1.05, 0.95, 1.02, 0.98, 1.0, 1.04, 0.96, 1.01, 0.99, 1.03, 0.97];
  for (const [i, c] of base.cases.entries()) {
    const h = head.cases[i]!;
    c.paired = h.paired = true;
    c.rounds = c.rounds.map((r) => r.map((x, k) => x * (1 + ((k * 7) % 10) / 5)));
    h.rounds = c.rounds.map((r) => r.map((x, k) => x * (i === 0 ? 1.2 : i === 3 ? 1.06 * noise[k % noise.length]! : 1)));
  }
  const c = compareResults(base, head, { timeThreshold: 0.05 });
  const m = (i: number) => c.cases[i]!.metrics.find((x) => x.metric === 'time')!;
  t.true(m(0).paired);
  t.is(m(0).method, 'random-effects');
  t.is(m(0).roundRatios!.length, 3, 'one ratio per round');
  // The drift hides a 6% change from a test that ignores the pairing; the paired test sees it.
  const pooled = mannWhitney(head.cases[3]!.rounds.flat(), base.cases[3]!.rounds.flat()).p;
  t.true(pooled > 0.05, `U test p ${pooled}`);
  t.true(m(3).pAdjusted! < 0.001, `paired p ${m(3).pAdjusted}`);
  t.is(c.cases[3]!.verdict, 'regressed');
  t.true(Math.abs(m(0).ratio - 1.2) < 1e-9, `ratio ${m(0).ratio}`);
  t.is(m(1).ratio, 1);
  t.true(m(0).ci![0] <= 1.2 && m(0).ci![1] >= 1.2);
  t.is(c.cases[0]!.verdict, 'regressed');
  t.is(c.cases[1]!.verdict, 'unchanged');
  t.is(m(0).tau, 0, 'the rounds agree');
  // Unequal shapes cannot be paired: the pooled ratio of medians is used instead.
  head.cases[1]!.rounds[0]!.pop();
  t.falsy(compareResults(base, head).cases[1]!.metrics.find((x) => x.metric === 'time')!.paired);
});

/**
 * Make base and head paired: head case i, round j is base's times `levels[i][j]` times a
 * deterministic pair noise of ±`spread`.
 */
function pairAtLevels(base: ResultsFile, head: ResultsFile, levels: number[][], spread: number): void {
  const wiggle = (k: number) => 1 + ((((k * 37) % 21) - 10) / 10) * spread;
  for (const [i, c] of base.cases.entries()) {
    const h = head.cases[i]!;
    c.paired = h.paired = true;
    h.rounds = c.rounds.map((r, j) => r.map((x, k) => x * levels[i]![j]! * wiggle(k + j)));
  }
}

test('paired records: one round running off on its own is not a regression; every round moving is', (t) => {
  const cases = suiteCases().slice(0, 2);
  const base = synthResults(cases, 41, 3, 40), head = synthResults(cases, 42, 3, 40);
  // Pair noise: the head's sample is the base's times a ratio spread ±10% around the round's own
  // level. Case 0: rounds at 1.00, 0.98 and 1.35 (one isolate ran 35% slow, as measured on the
  // ohlc aggregation with identical code). Case 1: every round 12% slower.
  pairAtLevels(base, head, [[1.0, 0.98, 1.35], [1.12, 1.12, 1.12]], 0.1);
  const c = compareResults(base, head, { timeThreshold: 0.05 });
  const m = (i: number) => c.cases[i]!.metrics.find((x) => x.metric === 'time')!;
  // Pooling every pair into one test would call case 0 (its pooled median is above 1.05 and 40
  // of 120 pairs sit at +35%); the rounds disagree far beyond their noise, so τ absorbs it.
  t.true(m(0).tau! > 0.1, `tau ${m(0).tau}`);
  t.true(m(0).ci![1] / m(0).ci![0] > 1.3, `wide interval ${m(0).ci}`);
  t.is(c.cases[0]!.verdict, 'unchanged');
  t.true(m(1).tau! < 0.02, `tau ${m(1).tau}`);
  t.true(Math.abs(m(1).ratio - 1.12) < 0.02, `ratio ${m(1).ratio}`);
  t.is(c.cases[1]!.verdict, 'regressed');
});

test('undecided cases: a paired time interval that spans 1 + threshold, and only that', (t) => {
  const cases = suiteCases().slice(0, 3);
  const base = synthResults(cases, 51, 4, 40), head = synthResults(cases, 52, 4, 40);
  // Case 0: rounds that disagree (1.00 to 1.20): a wide interval around +10%. Case 1: every round
  // at 1.00. Case 2: every round at 1.30.
  pairAtLevels(base, head, [[1.0, 1.2, 1.05, 1.15], [1, 1, 1, 1], [1.3, 1.3, 1.3, 1.3]], 0.05);
  const c = compareResults(base, head, { timeThreshold: 0.1 });
  const ci = c.cases[0]!.metrics.find((x) => x.metric === 'time')!.ci!;
  t.true(ci[0] < 1.1 && ci[1] > 1.1, `interval ${ci}`);
  t.deepEqual(undecidedCases(c), [cases[0]!.id], 'only the case whose interval spans 1.10');
  t.deepEqual(undecidedCases(c, 0.3), [cases[2]!.id], 'at another threshold, the case whose interval spans 1.30');
  // Unpaired records are never undecided: the gate cannot measure them again pair by pair.
  for (const r of [...base.cases, ...head.cases]) r.paired = false;
  t.deepEqual(undecidedCases(compareResults(base, head, { timeThreshold: 0.1 })), []);
});

test('two separate runs of one build, two processes each: the process is the unit, so process-level speed differences are not regressions, and the output says why', (t) => {
  const cases = suiteCases().slice(0, 12);
  const base = synthResults(cases, 61, 2, 200), head = synthResults(cases, 62, 2, 200);
  // Each process runs at a speed of its own (measured on this VM: 10-30% between isolates of identical code).
  let seed = 7;
  const level = () => 0.85 + 0.3 * ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (const r of [base, head]) for (const c of r.cases) c.rounds = c.rounds.map((round) => { const f = level(); return round.map((x) => x * f); });
  const c = compareResults(base, head);
  let sampleLevel = 0;
  for (const x of c.cases) {
    const m = x.metrics.find((y) => y.metric === 'time')!;
    t.is(m.method, 'processes');
    t.not(x.verdict, 'regressed', `${x.id}: ${m.ratio} ${m.ci} p ${m.p}`);
    const b = base.cases.find((y) => y.id === x.id)!, h = head.cases.find((y) => y.id === x.id)!;
    if (mannWhitney(h.rounds.flat(), b.rounds.flat()).p < 1e-7) sampleLevel++;
  }
  t.true(sampleLevel > 0, 'a test over all samples would have called some of these at p < 1e-7');
  t.true(c.separateProcesses);
  t.regex(formatComparison(c), /measured in separate processes, so each process counts once .* `sluice gate --base <ref>`/);
});

test('two runs whose cases were timed by group passes: each group pass (process) counts once, not each isolate group, so a whole run\'s speed phase is no regression', (t) => {
  const cases = suiteCases().slice(0, 6);
  const base = synthResults(cases, 71, 1, 200), head = synthResults(cases, 72, 1, 200);
  let seed = 11;
  const noise = () => 0.97 + 0.06 * ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (const [r, speed] of [[base, 1], [head, 1.12]] as const) {
    r.settings = { ...r.settings, groupIsolates: 3 };
    for (const c of r.cases) {
      // Two group passes of three isolate groups; the head run sat in a 12% slower machine phase throughout.
      const sample = c.rounds[0]!;
      c.groupRounds = Array.from({ length: 6 }, () => { const f = speed * noise(); return sample.map((x) => x * f); });
      c.rounds = [];
      c.probes = undefined;
    }
  }
  const c = compareResults(base, head);
  for (const x of c.cases) {
    const m = x.metrics.find((y) => y.metric === 'time')!;
    t.is(m.method, 'processes');
    t.true(m.ratio > 1.08, 'the shift is seen');
    t.not(x.verdict, 'regressed', `${x.id}: two processes per side cannot tell a machine phase from the code (${m.ci})`);
    // Had each isolate group counted as a process, the same data would have been called a regression.
    const b = base.cases.find((y) => y.id === x.id)!, h = head.cases.find((y) => y.id === x.id)!;
    t.true(processRatio(h.groupRounds!, b.groupRounds!).ci[0] > 1.07);
  }
});
