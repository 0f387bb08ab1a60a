/**
 * `sluice gate`: measure a base build and this (head) build interleaved in one job, then compare.
 *
 * A baseline stored from another machine, or from the same machine an hour ago, measures the
 * machine as much as the code; on a shared CI runner that is most of the difference. So the gate
 * runs both builds itself, then applies `compare`'s rule to the two results files. By default
 * (paired) one process per case measures both builds in several isolate pairs, each build in a
 * worker thread of its own, taking turns one sample (about 1 ms of runs) at a time, so every head
 * sample has a base sample taken right next to it (see PairJob). With `paired: false`, a base
 * process and a head process run back to back for every case (the order alternating), round after
 * round.
 *
 * The base is a directory holding a sluice checkout, or a git ref of this repository; a ref is
 * checked out as a git worktree under `.sluice/base/<sha>`, installed (node_modules linked from the
 * head when the lockfiles are identical, else `npm ci`) and built, once; later gates reuse it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, SluiceError } from '../../engine/index.js';
import type { CaseSpec } from '../case.js';
import { getScenario } from '../../scenarios/index.js';
import { recordRounds, writeResults, type RunSettings } from '../../core/results.js';
import { caseRunnerPath, childCommand, childFlags, claimOutput, measureArms, newResults, PROJECT_ROOT, suiteSettings, type Arm, type ChildCommand } from '../runner.js';
import { compareResults, undecidedCases } from './compare.js';
import type { Comparison, CompareSettings } from '../../core/comparison.js';
import { formatComparison } from '../../reports/compare.js';

/** The gate's measurement defaults: three processes per case and build, nine heap runs each. */
export const GATE_SETTINGS: Partial<RunSettings> = { rounds: 3, heapRuns: 9 };

/**
 * The paired gate's defaults: one paired process per case holding four isolate pairs (a fresh
 * worker per build each time, which build starts alternating), each taking turns for 0.75 s in
 * samples of about 1 ms, nine heap runs. Several isolate pairs rather than longer turns in one:
 * an isolate can run a query at a speed of its own for its whole life, and only other isolates
 * show that (see harness/stats/random-effects.ts). An isolate pair costs about 0.45 s before its
 * first sample (worker start, the engine loaded, data generated, checked, warmed up).
 */
export const PAIRED_GATE_SETTINGS: Partial<RunSettings> = { rounds: 1, isolates: 4, maxTime: 0.75, heapRuns: 9 };

/** The gate's settings for `suite` in the given mode, then the caller's. */
export function gateSettings(suite: string, paired: boolean, settings: Partial<RunSettings> = {}): RunSettings {
  return suiteSettings(suite, { ...(paired ? PAIRED_GATE_SETTINGS : GATE_SETTINGS), ...settings });
}

/** A base build ready to measure. */
export interface BaseBuild {
  root: string;
  child: ChildCommand;
  /** What was done to prepare it (said on stderr, kept in the comparison's Markdown). */
  steps: string[];
  /** How the base spells a case, when it predates a rename (see {@link legacyCaseFor}). */
  caseFor?: (c: CaseSpec) => CaseSpec;
}

/**
 * A base built before the hand-written loop was named `limit-loop` knows it as `baseline`: its
 * arm is sent the case under that name (the records keep this build's id).
 */
export function legacyCaseFor(root: string): ((c: CaseSpec) => CaseSpec) | undefined {
  let text = '';
  try {
    text = readFileSync(path.join(root, 'dist', 'harness', 'case.js'), 'utf8');
  } catch {
    return undefined;
  }
  if (text.includes("'limit-loop'") || !text.includes("'baseline'")) return undefined;
  return (c) => (c.engine === 'limit-loop' ? { ...c, engine: 'baseline' as never, id: c.id.replace(/\/limit-loop$/, '/baseline') } : c);
}

function run(cmd: string, args: string[], cwd: string, what: string): void {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    const last = `${err.stderr ?? ''}\n${err.stdout ?? ''}`.trim().split('\n').filter((l) => l.trim() && !l.includes('npm warn')).at(-1) ?? err.message;
    throw new SluiceError(`gate: ${what} failed in ${cwd}: ${last.trim()}`);
  }
}

function lockHash(root: string): string | undefined {
  const f = path.join(root, 'package-lock.json');
  return existsSync(f) ? createHash('sha256').update(readFileSync(f)).digest('hex') : undefined;
}

const CHILD = path.join('dist', 'harness', 'measure', 'child.js');

/** Install (when needed) and build the checkout at `root`, recording each step. */
function installAndBuild(root: string, steps: string[], log: (l: string) => void, rebuild: boolean): void {
  if (!existsSync(path.join(root, 'node_modules'))) {
    const same = lockHash(root) !== undefined && lockHash(root) === lockHash(PROJECT_ROOT) && existsSync(path.join(PROJECT_ROOT, 'node_modules'));
    if (same) {
      symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
      steps.push(`linked node_modules from the head (identical package-lock.json)`);
    } else {
      log(`sluice gate: installing the base's dependencies (npm ci) in ${root}`);
      run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], root, 'npm ci');
      steps.push('installed its dependencies with npm ci (its package-lock.json differs from the head\'s)');
    }
  }
  if (rebuild || !existsSync(path.join(root, CHILD))) {
    log(`sluice gate: building the base (npm run build) in ${root}`);
    run('npm', ['run', 'build'], root, 'npm run build');
    steps.push('built it with npm run build');
  }
  if (!existsSync(path.join(root, CHILD))) throw new SluiceError(`gate: the base at ${root} has no ${CHILD} after building; it predates the harness`);
}

/**
 * Make `spec` (a directory or a git ref) ready to measure.
 * @throws ConfigError when it is neither; SluiceError when preparing it fails.
 */
export function prepareBase(spec: string, log: (l: string) => void = () => {}): BaseBuild {
  const steps: string[] = [];
  if (existsSync(spec) && statSync(spec).isDirectory()) {
    const root = path.resolve(spec);
    let name: unknown;
    try {
      name = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).name;
    } catch {
      name = undefined;
    }
    if (name !== 'sluice') throw new ConfigError(`--base: directory '${spec}' is not a sluice checkout (no package.json named sluice)`);
    steps.push(`base: directory ${root}`);
    installAndBuild(root, steps, log, false);
    return withLegacy({ root, child: { script: path.join(root, CHILD), preload: [] }, steps });
  }
  let sha: string;
  try {
    sha = execFileSync('git', ['-C', PROJECT_ROOT, 'rev-parse', '--verify', '--quiet', `${spec}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new ConfigError(`--base: '${spec}' is neither a directory nor a git ref of ${PROJECT_ROOT}`);
  }
  const root = path.join(PROJECT_ROOT, '.sluice', 'base', sha.slice(0, 12));
  const ready = path.join(root, '.sluice-ready');
  steps.push(`base: git ref ${spec} = ${sha.slice(0, 12)}`);
  if (existsSync(ready)) {
    steps.push(`reused the worktree prepared earlier at ${root}`);
  } else {
    if (existsSync(root)) {
      run('git', ['-C', PROJECT_ROOT, 'worktree', 'remove', '--force', root], PROJECT_ROOT, 'removing a half-prepared worktree');
      rmSync(root, { recursive: true, force: true });
    }
    mkdirSync(path.dirname(root), { recursive: true });
    log(`sluice gate: checking out ${spec} (${sha.slice(0, 12)}) as a worktree at ${root}`);
    run('git', ['-C', PROJECT_ROOT, 'worktree', 'add', '--detach', root, sha], PROJECT_ROOT, 'git worktree add');
    steps.push(`checked it out as a git worktree at ${root}`);
    installAndBuild(root, steps, log, true);
    writeFileSync(ready, `${sha}\n`);
  }
  return withLegacy({ root, child: { script: path.join(root, CHILD), preload: [] }, steps });
}

function withLegacy(b: BaseBuild): BaseBuild {
  const caseFor = legacyCaseFor(b.root);
  if (caseFor) b.steps.push("its hand-written loop is called 'baseline' there: its arm runs the limit-loop cases under that name");
  return caseFor ? { ...b, caseFor } : b;
}

/** The scenario ids a build knows (its `dist/scenarios/index.js`), or null when it cannot say. */
export async function scenarioIdsOf(root: string): Promise<ReadonlySet<string> | null> {
  try {
    const mod = (await import(pathToFileURL(path.join(root, 'dist', 'scenarios', 'index.js')).href)) as { SCENARIOS?: unknown };
    return mod.SCENARIOS instanceof Map ? new Set([...mod.SCENARIOS.keys()].map(String)) : null;
  } catch {
    return null;
  }
}

/** The engine option names a build knows (its `dist/engine/options.js`), or null when it cannot say. */
export async function optionNamesOf(root: string): Promise<ReadonlySet<string> | null> {
  try {
    const mod = (await import(pathToFileURL(path.join(root, 'dist', 'engine', 'options.js')).href)) as { OPTION_SPECS?: unknown };
    return mod.OPTION_SPECS !== null && typeof mod.OPTION_SPECS === 'object' ? new Set(Object.keys(mod.OPTION_SPECS)) : null;
  } catch {
    return null;
  }
}

/** What a base build knows: its scenarios and its engines' options (null: it cannot say). */
export interface BaseVocabulary {
  scenarios: ReadonlySet<string> | null;
  options: ReadonlySet<string> | null;
}

/**
 * Split the gate's cases into those both builds can run and those the change under test added:
 * of a scenario the base does not have, or setting an engine option the base does not have.
 * Those have nothing to be compared with, and a paired pass of them would only fail in the base's
 * arm and report them as errored in both.
 */
export function casesForBase(cases: readonly CaseSpec[], known: BaseVocabulary): { both: CaseSpec[]; newInHead: CaseSpec[]; newScenarios: string[]; newOptions: string[] } {
  const newScenarios = new Set<string>(), newOptions = new Set<string>();
  const both: CaseSpec[] = [], newInHead: CaseSpec[] = [];
  for (const c of cases) {
    // Peer runners' options (DuckDB's threads) are not engine options.
    const engineCase = c.engine === 'materialized' || c.engine === 'streaming';
    const unknown = known.options === null || !engineCase ? [] : Object.keys(c.options).filter((o) => !known.options!.has(o));
    if (known.scenarios !== null && !known.scenarios.has(c.scenario)) newScenarios.add(c.scenario);
    else if (unknown.length === 0) {
      both.push(c);
      continue;
    }
    unknown.forEach((o) => newOptions.add(o));
    newInHead.push(c);
  }
  return { both, newInHead, newScenarios: [...newScenarios], newOptions: [...newOptions] };
}

export interface GateRequest {
  base: string;
  suite: string;
  cases: CaseSpec[];
  /** Directory for base.json, head.json, compare.md and compare.json. */
  outDir: string;
  force?: boolean;
  settings?: Partial<RunSettings>;
  compare?: Partial<CompareSettings>;
  /**
   * Measure both builds in the same processes, each in a worker thread of its own, taking turns
   * sample by sample (see PairJob; the CLI's default), instead of one process per build and round.
   */
  paired?: boolean;
  /**
   * Paired only (default true): a case whose time ratio is undecided after the first paired
   * process (its 95% interval spans 1 + the time threshold, see undecidedCases) gets a second
   * one, as many isolate pairs again, before the verdict. Isolate pairs disagree by 5-7% on some
   * cases (an isolate runs a query at a speed of its own), and only more of them narrow the
   * interval; measuring them for every case would cost every case the time that a few need.
   */
  extend?: boolean;
  log?: (l: string) => void;
}

export interface GateResult {
  comparison: Comparison;
  /** Cases measured a second time because their first verdict was undecided (see GateRequest.extend). */
  extended: string[];
  markdown: string;
  files: { base: string; head: string; markdown: string; json: string };
  wallSeconds: number;
}

/**
 * The paired gate's extension: one more paired process (settings.isolates isolate pairs) for each
 * of `cases`, on both arms. The runner continues their records to the next round; the results
 * then name the cases measured again (settings.extended).
 */
export async function measureAgain(arms: readonly Arm[], cases: readonly CaseSpec[], settings: RunSettings, log: (l: string) => void): Promise<void> {
  for (const a of arms) a.results.settings = { ...settings, rounds: settings.rounds + 1 };
  try {
    await measureArms(arms, cases, log, { paired: true });
  } finally {
    for (const a of arms) {
      a.results.settings = { ...settings, extended: cases.map((c) => c.id) };
      writeResults(a.out, a.results);
    }
  }
}

/** Run the gate; see the module comment. */
export async function runGate(req: GateRequest): Promise<GateResult> {
  const log = req.log ?? (() => {});
  const started = Date.now();
  const files = {
    base: path.join(req.outDir, 'base.json'), head: path.join(req.outDir, 'head.json'),
    markdown: path.join(req.outDir, 'compare.md'), json: path.join(req.outDir, 'compare.json'),
  };
  for (const f of [files.base, files.head]) claimOutput(f, !!req.force, 'pass --force to overwrite it or choose another --out');
  // Task scenarios (ingest, read) await I/O; the paired pass times synchronous queries only.
  // Refused before anything is built, instead of a gate that "passes" with every case errored.
  const tasks = req.paired ? req.cases.filter((c) => getScenario(c.scenario).task !== undefined) : [];
  if (tasks.length) throw new ConfigError(`the paired gate measures queries, not task scenarios (${[...new Set(tasks.map((c) => c.scenario))].join(', ')}); gate them with --no-paired, or leave them out with --filter`);
  const base = prepareBase(req.base, log);
  const { both: cases, newInHead, newScenarios, newOptions } = casesForBase(req.cases, { scenarios: await scenarioIdsOf(base.root), options: await optionNamesOf(base.root) });
  if (newInHead.length) {
    const what = [newScenarios.length ? `scenarios (${newScenarios.join(', ')})` : '', newOptions.length ? `engine options (${newOptions.join(', ')})` : ''].filter(Boolean).join(' or ');
    base.steps.push(`left out ${newInHead.length} case(s) of ${what} the base does not have: there is nothing to compare them with`);
  }
  for (const s of base.steps) log(`sluice gate: ${s}`);
  const settings = gateSettings(req.suite, !!req.paired, req.settings);
  const flags = childFlags(!!req.paired);
  const arms: Arm[] = [
    { name: 'base', out: files.base, results: newResults(req.suite, settings, base.root, flags), child: base.child, caseRunner: path.join(base.root, 'dist', 'harness', 'measure', 'case-runner.js'), ...(base.caseFor ? { caseFor: base.caseFor } : {}) },
    { name: 'head', out: files.head, results: newResults(req.suite, settings, PROJECT_ROOT, flags), child: childCommand(), caseRunner: caseRunnerPath() },
  ];
  await measureArms(arms, cases, log, { paired: !!req.paired });
  // Both builds ran on this machine in this job; a differing lockfile is the change under test.
  const compare = () => compareResults(arms[0]!.results, arms[1]!.results, { ...req.compare, allowEnvMismatch: true, baseFile: files.base, headFile: files.head });
  let comparison = compare();
  const extended = req.paired && req.extend !== false ? undecidedCases(comparison) : [];
  if (extended.length) {
    log(`sluice gate: ${extended.length} case(s) undecided after ${recordRounds(settings)} isolate pairs (the 95% interval of the time ratio spans +${(comparison.settings.timeThreshold * 100).toFixed(1)}%); measuring ${settings.isolates ?? 1} more isolate pairs of each: ${extended.join(', ')}`);
    await measureAgain(arms, cases.filter((c) => extended.includes(c.id)), settings, log);
    comparison = compare();
  }
  const wallSeconds = (Date.now() - started) / 1000;
  const again = req.extend === false ? '' : extended.length ? `; ${extended.length} undecided case(s) measured again: ${extended.join(', ')}` : '; no case undecided';
  const how = req.paired
    ? `${settings.rounds} paired process(es) per case of ${settings.isolates ?? 1} isolate pairs each (both builds taking turns)${again}`
    : `${settings.rounds} interleaved processes per case and build`;
  const markdown = formatComparison(comparison) + `\n## How the gate ran\n\n${base.steps.map((s) => `- ${s}`).join('\n')}\n- ${cases.length} cases, ${how} (plus one heap process per build), in ${wallSeconds.toFixed(0)} s\n`;
  writeFileSync(files.markdown, markdown);
  writeFileSync(files.json, JSON.stringify(comparison, null, 1) + '\n');
  for (const a of arms) writeResults(a.out, a.results);
  return { comparison, extended, markdown, files, wallSeconds };
}
