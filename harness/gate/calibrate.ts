/**
 * `sluice calibrate`: measure how far the gate can be trusted on this machine.
 *
 * Four arms measure every case, interleaved like the gate: A and B are this build, S1 and S2 are
 * this build slowed by a known amount (the calibration-only extra work, see `ChildJob.slowdown`).
 *
 * **Paired gate** (the default): A (a copy of this build's dist/, so that two sets of modules
 * exist) and B are measured together in 4R pair processes of I isolate pairs each, as the gate
 * measures base and head; S1 (the copy) and S2 (this build, slowed) in 4R more. A gate run draws
 * R·I of the isolate pairs (4 of 16 with the defaults R = 1, I = 4). Isolate pairs are drawn one
 * by one rather than by process: the isolate is the unit that runs off on its own (see
 * harness/stats/random-effects.ts); measured A/A, the processes added no spread of their own.
 * The gate measures a case left undecided by its first R·I isolate pairs again (I more, see
 * runGate's `extend`); a draw does the same, with I more of the isolate pairs it did not draw.
 * - **A/A**: R·I-subsets of the A/B isolate pairs (all of them, or `runs` drawn at random when
 *   there are more: C(16, 4) = 1820), A as base, B as head.
 * - **sensitivity**: R·I of the S1/S2 isolate pairs drawn at random (seeded).
 *
 * **Separate processes** (`--no-paired`): each arm is a process of its own per case and round.
 * - **A/A**: the 2R processes of A and B are split into two groups of R, as a gate with R rounds
 *   would see them (C(2R, R) ordered splits; more runs than that are not made).
 * - **sensitivity**: R of the unslowed processes against R of the slowed ones, drawn at random.
 *
 * In both, a case flagged `regressed` in an A/A run is a false positive; the rate is reported per
 * case and for the suite (runs in which any case was flagged), and the sensitivity as the rate at
 * which the slowed case is flagged. **Heap A/A**: A's heap pass against B's, with the gate's
 * memory rule (one comparison per case).
 *
 * Drawing gate runs from a pool is a resampling shortcut: runs share processes and isolates, so
 * they are not independent and the rates are less precise than N independent gate runs would
 * give, but every run compares as many rounds as a gate compares.
 */
import path from 'node:path';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../engine/index.js';
import type { CaseSpec } from '../case.js';
import { readResults, recordRounds, writeResults, type CaseRecord, type ResultsFile, type RunSettings } from '../../core/results.js';
import { caseRunnerPath, childFlags, claimOutput, FROM_SOURCE, measureArms, newResults, PROJECT_ROOT, type Arm } from '../runner.js';
import { mean, median, prng } from '../../core/stats/descriptive.js';
import { compareResults, undecidedCases } from './compare.js';
import { COMPARE_DEFAULTS, type CompareSettings } from '../../core/comparison.js';
import type { Calibration, CaseCalibration, ThresholdCalibration } from '../../core/calibration.js';
import { formatCalibration } from '../../reports/calibration.js';
import { gateSettings } from './gate.js';

export interface CalibrationOptions {
  /** Normalize by the machine-speed probe, as the gate does by default. */
  probe?: boolean;
  /** A/A splits and sensitivity draws to evaluate. */
  runs: number;
  /** The slowdown the sensitivity check must find, as a fraction (0.10 = +10%). */
  slowdown: number;
  /** Time thresholds to evaluate (the report has one row each). */
  thresholds: number[];
  compare: Partial<CompareSettings>;
  seed: number;
  /**
   * Paired only (default true): evaluate the gate that measures an undecided case again
   * (runGate's `extend`): a draw's undecided cases get one more process's isolate pairs, drawn
   * from the rest of the pool, before the verdict.
   */
  extend?: boolean;
}

/** The four arms' results. */
export interface CalibrationArms {
  a: ResultsFile;
  b: ResultsFile;
  s1: ResultsFile;
  s2: ResultsFile;
}

/** Every subset of size k of 0..n-1, in lexicographic order. */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]) => {
    if (acc.length === k) return void out.push([...acc]);
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

function sample(n: number, k: number, r: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k);
}

/** Per case: its processes (rounds) and, when every round has one, their probes. */
type Pool = Map<string, { rec: CaseRecord; rounds: number[][]; probes: number[] | undefined }>;

/** A results file whose cases hold only the chosen rounds (process indices) of each pool. */
function synth(template: ResultsFile, pools: Pool, pick: readonly number[]): ResultsFile {
  return {
    ...template,
    cases: [...pools.values()].map(({ rec, rounds, probes }) => ({
      ...rec, rounds: pick.map((i) => rounds[i]!), probes: probes && pick.map((i) => probes[i]!), heap: undefined,
    })),
  };
}

/** Cases' processes as one pool (probes only if every record has one for every round). */
function pooled(rec: CaseRecord, ...from: CaseRecord[]): { rec: CaseRecord; rounds: number[][]; probes: number[] | undefined } {
  const has = (r: CaseRecord) => r.probes !== undefined && r.probes.length === r.rounds.length;
  return { rec, rounds: from.flatMap((r) => r.rounds), probes: from.every(has) ? from.flatMap((r) => r.probes!) : undefined };
}

/**
 * One gate run to evaluate: what is compared against what; for an extending gate, `more` holds
 * every case with its extension's rounds added (used for the cases that come out undecided).
 */
type GateRun = { base: ResultsFile; head: ResultsFile; more?: { base: ResultsFile; head: ResultsFile } };

/** `x` with the cases named in `ids` taken from `y`. */
function mixCases(x: ResultsFile, y: ResultsFile, ids: ReadonlySet<string>): ResultsFile {
  const fromY = new Map(y.cases.map((c) => [c.id, c]));
  return { ...x, cases: x.cases.map((c) => (ids.has(c.id) ? fromY.get(c.id) ?? c : c)) };
}

/**
 * Evaluate the gate's rule on measured arms (pure: no measuring; `sluice calibrate --from` re-runs
 * it on files of an earlier calibration). Which runs are drawn depends on how the arms were
 * measured (separate or paired processes); how they are judged is the same.
 */
export function evaluateCalibration(arms: CalibrationArms, opts: CalibrationOptions): Calibration {
  const byId = (r: ResultsFile) => new Map(r.cases.filter((c) => c.status === 'ok').map((c) => [c.id, c]));
  const [a, b, s1, s2] = [arms.a, arms.b, arms.s1, arms.s2].map(byId) as [Map<string, CaseRecord>, Map<string, CaseRecord>, Map<string, CaseRecord>, Map<string, CaseRecord>];
  const ids = [...a.keys()].filter((id) => b.has(id) && s1.has(id) && s2.has(id));
  const paired = arms.a.cases.some((c) => c.paired);
  const r = prng(opts.seed);
  const poolOf = (m: (id: string) => ReturnType<typeof pooled>): Pool => new Map(ids.map((id) => [id, m(id)]));
  let rounds: number, aaRuns: GateRun[], sensRuns: GateRun[], applied: (id: string) => number, extendRounds = 0;
  if (paired) {
    // A (a copy of this build) and B were measured together in P·R pair processes (P the pool
    // factor), S1 (the copy) and S2 (slowed) in P·R more, I isolate pairs each; a gate run draws
    // R·I isolate pairs, and compares the pairs it drew.
    const total = recordRounds(arms.a.settings);
    rounds = Math.max(1, Math.round(total / (arms.a.settings.pairedPool ?? 2)));
    const [pa, pb, ps1, ps2] = [a, b, s1, s2].map((m) => poolOf((id) => pooled(a.get(id)!, m.get(id)!)));
    // An extending gate's undecided case gets one more process (I isolate pairs): drawn from the
    // rounds of the pool that the run did not draw first.
    if (opts.extend !== false) extendRounds = Math.min(arms.a.settings.isolates ?? 1, total - rounds);
    let picks = subsets(total, rounds);
    if (picks.length > opts.runs) picks = sample(picks.length, opts.runs, r).map((i) => picks[i]!);
    const run = (idx: number[], more: number[], x: Pool, y: Pool): GateRun => ({
      base: synth(arms.a, x, idx), head: synth(arms.a, y, idx),
      ...(extendRounds > 0 && { more: { base: synth(arms.a, x, [...idx, ...more]), head: synth(arms.a, y, [...idx, ...more]) } }),
    });
    aaRuns = picks.map((idx) => {
      const rest = [...Array(total).keys()].filter((i) => !idx.includes(i));
      return run(idx, sample(rest.length, extendRounds, r).map((i) => rest[i]!), pa!, pb!);
    });
    sensRuns = Array.from({ length: opts.runs }, () => sample(total, rounds + extendRounds, r)).map((idx) => run(idx.slice(0, rounds), idx.slice(rounds), ps1!, ps2!));
    applied = (id) => median(s2.get(id)!.rounds.flatMap((rr, i) => rr.map((x, k) => x / s1.get(id)!.rounds[i]![k]!))) - 1;
  } else {
    // A and B (this build) and S1, S2 (slowed) are separate processes: A/A splits the 2R processes
    // of A and B into R against R (a split and its complement are both gates: base/head swapped);
    // sensitivity draws R unslowed against R slowed.
    rounds = arms.a.settings.rounds;
    const poolSize = 2 * rounds;
    const pool = poolOf((id) => pooled(a.get(id)!, a.get(id)!, b.get(id)!));
    const slow = poolOf((id) => pooled(a.get(id)!, s1.get(id)!, s2.get(id)!));
    let splits = subsets(poolSize, rounds).map((x) => [x, [...Array(poolSize).keys()].filter((i) => !x.includes(i))] as const);
    if (splits.length > opts.runs) splits = sample(splits.length, opts.runs, r).map((i) => splits[i]!);
    aaRuns = splits.map(([x, y]) => ({ base: synth(arms.a, pool, x), head: synth(arms.a, pool, y) }));
    sensRuns = Array.from({ length: opts.runs }, () => ({ base: synth(arms.a, pool, sample(poolSize, rounds, r)), head: synth(arms.a, slow, sample(poolSize, rounds, r)) }));
    applied = (id) => median(slow.get(id)!.rounds.flat()) / median(pool.get(id)!.rounds.flat()) - 1;
  }

  const stretch = (id: string) => {
    const m = s2.get(id)!.slowdownMeasured;
    return m?.length ? median(m) : null;
  };
  const compare = { ...COMPARE_DEFAULTS, ...opts.compare };
  // Each run is compared once at threshold 0; verdicts at each threshold follow from ratio and p,
  // except that an extending gate compares again with its undecided cases (which depend on the
  // threshold) extended.
  type Judged = { verdicts: Map<string, { ratio: number; pAdj: number }>; undecided: (t: number) => string[] };
  const judge = (base: ResultsFile, head: ResultsFile): Judged => {
    const c = compareResults(base, head, { ...compare, timeThreshold: 0, metrics: ['time'], intervals: false, allowEnvMismatch: true, probe: opts.probe !== false });
    return { verdicts: new Map(c.cases.map((x) => [x.id, { ratio: x.metrics[0]?.ratio ?? 1, pAdj: x.metrics[0]?.pAdjusted ?? 1 }])), undecided: (t) => undecidedCases(c, t) };
  };
  const first = (runs: GateRun[]) => runs.map((g) => judge(g.base, g.head));
  const aa1 = first(aaRuns), sens1 = first(sensRuns);
  /** The verdicts of each run at threshold t, and how many cases it measured again. */
  const finalAt = (runs: GateRun[], judged: Judged[], t: number) => runs.map((g, i) => {
    const j = judged[i]!;
    const again = new Set(g.more ? j.undecided(t) : []);
    if (again.size === 0) return { m: j.verdicts, again: 0 };
    return { m: judge(mixCases(g.base, g.more!.base, again), mixCases(g.head, g.more!.head, again)).verdicts, again: again.size };
  });
  const flagged = (f: { ratio: number; pAdj: number } | undefined, t: number) => !!f && f.pAdj < compare.alpha && f.ratio > 1 + t;
  const rate = (runs: { m: Judged['verdicts'] }[], id: string, t: number) => runs.filter(({ m }) => flagged(m.get(id), t)).length / Math.max(1, runs.length);
  const thresholds = opts.thresholds.map((t): ThresholdCalibration => {
    const aa = finalAt(aaRuns, aa1, t), sens = finalAt(sensRuns, sens1, t);
    const cases = ids.map((id): CaseCalibration => ({ id, aaFalsePositiveRate: rate(aa, id, t), detectionRate: rate(sens, id, t), appliedSlowdown: applied(id), stretchMeasured: stretch(id) }));
    return {
      threshold: t, aaRuns: aa.length, sensitivityRuns: sens.length,
      aaPerCaseMean: mean(cases.map((c) => c.aaFalsePositiveRate)), aaPerCaseWorst: Math.max(0, ...cases.map((c) => c.aaFalsePositiveRate)),
      aaSuite: aa.filter(({ m }) => ids.some((id) => flagged(m.get(id), t))).length / Math.max(1, aa.length),
      detectionMean: mean(cases.map((c) => c.detectionRate)), detectionWorst: Math.min(1, ...cases.map((c) => c.detectionRate)),
      aaExtendedMean: mean(aa.map((x) => x.again)), sensitivityExtendedMean: mean(sens.map((x) => x.again)),
      cases,
    };
  });
  const heap = compareResults(arms.a, arms.b, { ...compare, metrics: ['peakHeap', 'allocated', 'trackerPeak'], intervals: false, allowEnvMismatch: true });
  return {
    suite: arms.a.suite, rounds, extendRounds, slowdown: opts.slowdown, alpha: compare.alpha, cases: ids.length, thresholds,
    heapAA: { compared: heap.cases.length, flagged: heap.cases.filter((c) => c.verdict === 'regressed').map((c) => c.id) },
  };
}

export interface CalibrateRequest extends CalibrationOptions {
  suite: string;
  cases: CaseSpec[];
  outDir: string;
  force?: boolean;
  settings?: Partial<RunSettings>;
  /** Re-evaluate the arms in outDir instead of measuring. */
  reuse?: boolean;
  /** Calibrate the paired gate (both builds in one process, see PairJob) instead of separate processes. */
  paired?: boolean;
  log?: (l: string) => void;
}

/**
 * A copy of this build's dist/ (with package.json and a link to node_modules) in `dir`: a second,
 * separate set of modules for the paired A/A check. Returns its case-runner path.
 * @throws ConfigError when running from source (there is no dist/ to copy).
 */
function copyBuild(dir: string): string {
  if (FROM_SOURCE) throw new ConfigError('calibrating the paired gate needs the built CLI: npm run calibrate (or npm run build, then node dist/harness/cli.js calibrate); --no-paired calibrates the separate-process gate');
  const root = path.join(dir, 'build-copy');
  mkdirSync(root, { recursive: true });
  cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(root, 'dist'), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, 'package.json'), path.join(root, 'package.json'));
  if (!existsSync(path.join(root, 'node_modules'))) symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return path.join(root, 'dist', 'harness', 'measure', 'case-runner.js');
}

/**
 * Paired calibration measures this many times the gate's rounds (see runCalibration): a draw takes
 * R·I isolate pairs, and an undecided case I more, from 4R·I (16 for the defaults).
 */
const PAIRED_POOL = 4;

const ARM_FILES = { a: 'aa-a.json', b: 'aa-b.json', s1: 'slowed-1.json', s2: 'slowed-2.json' } as const;

/** Measure (unless reusing) and evaluate; writes calibration.md and calibration.json into outDir. */
export async function runCalibration(req: CalibrateRequest): Promise<{ calibration: Calibration; markdown: string; file: string }> {
  const files = Object.fromEntries(Object.entries(ARM_FILES).map(([k, f]) => [k, path.join(req.outDir, f)])) as Record<keyof typeof ARM_FILES, string>;
  let arms: CalibrationArms;
  if (req.reuse) {
    const missing = Object.values(files).filter((f) => !existsSync(f));
    if (missing.length) throw new ConfigError(`--from: '${req.outDir}' holds no calibration measurements (missing ${missing.map((f) => path.basename(f)).join(', ')}; write them with sluice calibrate --out)`);
    arms = { a: readResults(files.a), b: readResults(files.b), s1: readResults(files.s1), s2: readResults(files.s2) };
  } else {
    for (const f of Object.values(files)) claimOutput(f, !!req.force, 'pass --force to overwrite it, or --from to re-evaluate it');
    const settings = gateSettings(req.suite, !!req.paired, req.settings);
    const flags = childFlags(!!req.paired);
    const list: Arm[] = [
      { name: 'A', out: files.a, results: newResults(req.suite, settings, PROJECT_ROOT, flags) },
      { name: 'B', out: files.b, results: newResults(req.suite, settings, PROJECT_ROOT, flags) },
      { name: 'slowed-1', out: files.s1, results: newResults(req.suite, settings, PROJECT_ROOT, flags), slowdown: req.slowdown, skipHeap: true },
      { name: 'slowed-2', out: files.s2, results: newResults(req.suite, settings, PROJECT_ROOT, flags), slowdown: req.slowdown, skipHeap: true },
    ];
    if (req.paired) {
      // Pairs of (a copy of this build, this build): A/A; and (the copy, this build slowed).
      // PAIRED_POOL times the processes, so that a gate's R·I isolate pairs can be drawn from
      // 4R·I (C(16, 4) = 1820 ways for the defaults R = 1, I = 4), and an extension's from the rest.
      const copy = copyBuild(req.outDir);
      const pool = { ...settings, rounds: settings.rounds * PAIRED_POOL, pairedPool: PAIRED_POOL };
      for (const a of list) a.results.settings = pool;
      list[0]!.caseRunner = copy;
      list[1]!.caseRunner = caseRunnerPath();
      list[2]!.caseRunner = copy;
      list[2]!.slowdown = undefined;
      list[2]!.skipHeap = true;
      list[3]!.caseRunner = caseRunnerPath();
      await measureArms([list[0]!, list[1]!], req.cases, req.log, { paired: true });
      await measureArms([list[2]!, list[3]!], req.cases, req.log, { paired: true });
    } else {
      await measureArms(list, req.cases, req.log);
    }
    for (const a of list) writeResults(a.out, a.results);
    arms = { a: list[0]!.results, b: list[1]!.results, s1: list[2]!.results, s2: list[3]!.results };
  }
  const calibration = evaluateCalibration(arms, req);
  // The same measurements without the probe, to show what normalization buys on this machine.
  const pairedRun = arms.a.cases.some((c) => c.paired);
  const raw = pairedRun ? undefined : evaluateCalibration(arms, { ...req, probe: false });
  const markdown = formatCalibration(calibration) + (raw ? '\n## The same measurements without probe normalization\n\n' + formatCalibration(raw).split('\n').slice(2).join('\n').replace(/## Per case[\s\S]*$/, '') : '');
  const file = path.join(req.outDir, 'calibration.md');
  writeFileSync(file, markdown);
  writeFileSync(path.join(req.outDir, 'calibration.json'), JSON.stringify(calibration, null, 1) + '\n');
  return { calibration, markdown, file };
}
