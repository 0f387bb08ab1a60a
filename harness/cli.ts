#!/usr/bin/env node
/**
 * The `sluice` command line. Each command maps its arguments to options in one function and
 * every command has --help with an example. Bad input is one line on stderr and exit code 2.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, InternalError, SluiceError } from '../engine/index.js';
import { SCENARIOS, SOURCES } from '../scenarios/index.js';
import { peersOf, RUNNERS, type Runner } from './case.js';
import { renderReport, withAnswer } from '../reports/render.js';
import { readFileSync } from 'node:fs';
import { mergeResults } from './merge.js';
import { PEER_NOT_INSTALLED } from './peers/load.js';
import { caseFromFlags, defaultProfileDir, parseCaseId, parseDuration, prepareDir, PROFILE_TOOLS, profileCase, type ProfileTool } from './profile.js';
import { parseSet, parseSources, planSuite, planSweep, shard, SUITES } from './plan.js';
import { readResults, writeFileAtomic, writeResults, type ResultsFile } from '../core/results.js';
import { compareResults } from './gate/compare.js';
import { COMPARE_DEFAULTS, type CompareSettings } from '../core/comparison.js';
import { formatComparison } from '../reports/compare.js';
import { EXPORT_FORMATS, toGithubActionBenchmark } from '../reports/export.js';
import { GATE_SETTINGS, PAIRED_GATE_SETTINGS, runGate } from './gate/gate.js';
import { runCalibration } from './gate/calibrate.js';
import { DEFAULT_SETTINGS, PROJECT_ROOT, runCases, SUITE_SETTINGS } from './runner.js';

/** The --source option's help, one text for every command that takes it. */
const SOURCE_HELP = `where query cases read rows: ${SOURCES.join(', ')}, or several as array,scan (default the suite's own)`;
import { runSummary, sweepSummary } from '../reports/summary.js';

/** Exit codes: 0 fine, 1 a finding (errored cases; a regression, for the gate), 2 bad input. */
export const EXIT = { ok: 0, finding: 1, badInput: 2, internal: 70 } as const;

/**
 * What an error that ended a command says on stderr, and its exit code: bad input (a
 * {@link SluiceError} other than an InternalError, or yargs' own) is one line and exit 2; a bug
 * in sluice (an InternalError, or anything else thrown) is an "internal error" with its stack and
 * exit 70 (EX_SOFTWARE), so CI never reads a bug as a user's mistake.
 */
export function describeFailure(e: unknown): { message: string; code: number } {
  const err = e instanceof Error ? e : new Error(String(e));
  if ((e instanceof SluiceError && !(e instanceof InternalError)) || err.name === 'YError') {
    return { message: `sluice: ${err.message.split('\n')[0]}`, code: EXIT.badInput };
  }
  return { message: `sluice: internal error: ${err.stack ?? err.message}`, code: EXIT.internal };
}

function parseEngines(v: string | undefined): Runner[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of list) {
    if (e === 'baseline') throw new ConfigError(`--engine: 'baseline' is now called 'limit-loop' (the hand-written limit loop); accepted: ${RUNNERS.join(', ')}`);
    if (!(RUNNERS as readonly string[]).includes(e)) throw new ConfigError(`--engine: unknown engine '${e}'; accepted: ${RUNNERS.join(', ')}`);
  }
  if (list.length === 0) throw new ConfigError(`--engine needs at least one of ${RUNNERS.join(', ')}`);
  return list as Runner[];
}

function positiveNumber(name: string, v: unknown, integer = false): number | undefined {
  if (v === undefined) return undefined;
  // Options arrive as the text the user typed (yargs would turn 'abc' into NaN), so the message shows it.
  const n = typeof v === 'string' && v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isSafeInteger(n))) throw new ConfigError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${String(v)}'`);
  return n;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

function defaultOut(kind: string): string {
  return path.join('results', `${kind}-${stamp()}.json`);
}

/**
 * A fraction given as a percentage ("10%") or a plain fraction ("0.1").
 * @throws ConfigError for anything else, or a bare number above 1 (is "10" ten percent?).
 */
export function parseFraction(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const text = String(v).trim();
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(text);
  if (!m) throw new ConfigError(`--${name} must be a percentage like 10% or a fraction like 0.1, got '${text}'`);
  const n = Number(m[1]);
  if (m[2] === '%') return n / 100;
  if (n > 1) throw new ConfigError(`--${name} '${text}' is ambiguous: write ${text}% for a percentage or a fraction up to 1`);
  return n;
}

/** The decision rule's flags, shared by compare, gate and calibrate. */
function compareFrom(a: Record<string, unknown>): Partial<CompareSettings> {
  const alpha = a.alpha === undefined ? undefined : Number(a.alpha);
  if (alpha !== undefined && !(alpha > 0 && alpha < 1)) throw new ConfigError(`--alpha must be a number between 0 and 1, got '${String(a.alpha)}'`);
  return {
    ...(a['time-threshold'] !== undefined && { timeThreshold: parseFraction('time-threshold', a['time-threshold'])! }),
    ...(a['memory-threshold'] !== undefined && { memoryThreshold: parseFraction('memory-threshold', a['memory-threshold'])! }),
    ...(alpha !== undefined && { alpha }),
  };
}

function withCompareFlags<T>(y: Argv<T>) {
  return y
    .option('time-threshold', { type: 'string', describe: `smallest time change that counts (default ${COMPARE_DEFAULTS.timeThreshold * 100}%)` })
    .option('memory-threshold', { type: 'string', describe: `smallest memory change that counts (default ${COMPARE_DEFAULTS.memoryThreshold * 100}%)` })
    .option('alpha', { type: 'string', describe: `significance level after Holm correction (default ${COMPARE_DEFAULTS.alpha})` });
}

function formatFlag(v: unknown): 'md' | 'json' {
  const f = String(v ?? 'md');
  if (f !== 'md' && f !== 'json') throw new ConfigError(`--format must be md or json, got '${f}'`);
  return f;
}

/** Settings flags shared by run and sweep. */
function settingsFrom(a: Record<string, unknown>) {
  return {
    ...(a.rounds !== undefined && { rounds: positiveNumber('rounds', a.rounds, true)! }),
    ...(a['max-time'] !== undefined && { maxTime: positiveNumber('max-time', a['max-time'])! }),
    ...(a['min-samples'] !== undefined && { minSamples: positiveNumber('min-samples', a['min-samples'], true)! }),
    ...(a.timeout !== undefined && { timeoutSec: positiveNumber('timeout', a.timeout)! }),
    ...(a['heap-cap'] !== undefined && { heapCapMb: positiveNumber('heap-cap', a['heap-cap'], true)! }),
    ...(a['group-isolates'] !== undefined && { groupIsolates: a['group-isolates'] === '0' ? 0 : positiveNumber('group-isolates', a['group-isolates'], true)! }),
    ...(a['group-passes'] !== undefined && { groupPasses: positiveNumber('group-passes', a['group-passes'], true)! }),
  };
}

/** What --max-time means for gate and calibrate: the paired turns, or benchmark.js with --no-paired. */
const GATE_MAX_TIME = `seconds each isolate pair takes turns (default ${PAIRED_GATE_SETTINGS.maxTime}); with --no-paired, benchmark.js seconds per case and round (default ${DEFAULT_SETTINGS.maxTime}; quick ${SUITE_SETTINGS.quick?.maxTime})`;

/** The timing flags that `settingsFrom` reads (run, sweep, gate, calibrate). */
function withTimingFlags<T>(y: Argv<T>, rounds: string, maxTime = `benchmark.js seconds per case and round (default ${DEFAULT_SETTINGS.maxTime}; quick ${SUITE_SETTINGS.quick?.maxTime})`) {
  return y
    .option('rounds', { type: 'string', describe: rounds })
    .option('max-time', { type: 'string', describe: maxTime })
    .option('min-samples', { type: 'string', describe: `benchmark.js minimum samples (default ${DEFAULT_SETTINGS.minSamples})` })
    .option('timeout', { type: 'string', describe: `seconds before a case's process is killed (default ${DEFAULT_SETTINGS.timeoutSec})` })
    .option('heap-cap', { type: 'string', describe: `V8 heap cap of every measuring process, MiB; a case over it is recorded as "out of memory at N rows" (default Node's own; scale ${SUITE_SETTINGS.scale?.heapCapMb})` });
}

function withRunFlags<T>(y: Argv<T>) {
  return withTimingFlags(y, `interleaved rounds per case (default ${DEFAULT_SETTINGS.rounds})`)
    .option('group-isolates', { type: 'string', describe: `isolate groups per group pass, where a case group's runners take turns in one process; 0: no group passes, every case timed by benchmark.js in a process of its own (default ${DEFAULT_SETTINGS.groupIsolates}; scale ${SUITE_SETTINGS.scale?.groupIsolates})` })
    .option('group-passes', { type: 'string', describe: `most group passes (processes) per case group, while a ratio's 95% interval is wider than ±${(DEFAULT_SETTINGS.groupTarget ?? 0) * 100}% (default ${DEFAULT_SETTINGS.groupPasses}; quick and reference ${SUITE_SETTINGS.reference?.groupPasses})` })
    .option('engine', { type: 'string', describe: `comma-separated runners to keep (${RUNNERS.join(', ')})` })
    .option('source', { type: 'string', describe: SOURCE_HELP })
    .option('set', { type: 'string', array: true, describe: 'engine option for every engine case, option=value (repeatable)' })
    .option('out', { type: 'string', describe: 'results file to write (default results/<suite>-<time>.json)' })
    .option('resume', { type: 'boolean', describe: 'continue an interrupted run in --out' })
    .option('force', { type: 'boolean', describe: 'overwrite an existing --out' })
    .option('seed', { type: 'string', describe: 'data generator seed' })
    .option('report', { type: 'string', describe: 'also render the report into this directory when done' });
}

async function runCommand(a: Record<string, unknown>): Promise<number> {
  const suite = String(a.suite ?? 'quick');
  let cases = planSuite(suite, {
    filter: a.filter as string | string[] | undefined,
    engines: parseEngines(a.engine as string | undefined),
    set: parseSet((a.set as string[] | undefined) ?? []),
    seed: positiveNumber('seed', a.seed, true),
    sources: parseSources(a.source as string | undefined),
  });
  if (a.shard !== undefined) cases = shard(cases, String(a.shard));
  const settings = settingsFrom(a);
  const out = (a.out as string | undefined) ?? defaultOut(suite);
  const log = progressLog();
  const results = await runCases({ suite, cases, out, resume: !!a.resume, force: !!a.force, settings, log });
  log.end();
  return finish(results, out, a.report as string | undefined);
}

/** The error a case gets when it ran out of memory under a heap cap (see runner.outOfMemory). */
const CAPPED_OUT_OF_MEMORY = /^out of memory at .+ rows \(heap cap \d+ MiB/;


function finish(results: ResultsFile, out: string, reportDir: string | undefined): number {
  process.stdout.write(runSummary(results) + '\n');
  // Out of memory under a heap cap is what a capped case is there to find (see runner.outOfMemory):
  // it is counted and reported, not a failure of the run.
  const capped = results.cases.filter((c) => c.status === 'errored' && CAPPED_OUT_OF_MEMORY.test(c.error ?? ''));
  // So is a peer whose optional library is not installed here: its cases say why, the run is fine.
  const absent = results.cases.filter((c) => c.status === 'errored' && PEER_NOT_INSTALLED.test(c.error ?? ''));
  const errored = results.cases.filter((c) => c.status === 'errored' && !capped.includes(c) && !absent.includes(c));
  const ok = results.cases.length - errored.length - capped.length - absent.length;
  process.stderr.write(`sluice: wrote ${out} (${ok} ok, ${capped.length ? `${capped.length} out of memory under their heap cap, ` : ''}${absent.length ? `${absent.length} of peers not installed here, ` : ''}${errored.length} errored)\n`);
  if (reportDir !== undefined) {
    const r = renderReport(out, reportDir);
    process.stderr.write(`sluice: report written; open ${path.resolve(r.index)}\n`);
  }
  return errored.length ? EXIT.finding : EXIT.ok;
}

async function sweepCommand(a: Record<string, unknown>): Promise<number> {
  const scenario = String(a.scenario);
  // --param name=v1,v2,... sweeps over parameter values too (every combination of them).
  let points: Record<string, unknown>[] = [{}];
  for (const p of (a.param as string[] | undefined) ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--param takes name=value or name=v1,v2 (for example --param rows=1e4,1e5), got '${p}'`);
    const name = p.slice(0, eq), values = p.slice(eq + 1).split(',');
    points = points.flatMap((pt) => values.map((v) => ({ ...pt, [name]: v })));
  }
  const opts = { engines: parseEngines(a.engine as string | undefined), seed: positiveNumber('seed', a.seed, true), set: parseSet((a.set as string[] | undefined) ?? []) };
  const cases = [...new Map(points.flatMap((params) => planSweep(scenario, (a.vary as string[] | undefined) ?? [], { ...opts, params })).map((c) => [c.id, c])).values()];
  const settings = settingsFrom(a);
  const out = (a.out as string | undefined) ?? defaultOut(`sweep-${scenario}`);
  const log = progressLog();
  const results = await runCases({ suite: `sweep:${scenario}`, cases, out, resume: !!a.resume, force: !!a.force, settings, log });
  log.end();
  process.stdout.write('\nOption combinations ranked by paired time ratio to the fastest:\n' + sweepSummary(results) + '\n');
  return finish(results, out, a.report as string | undefined);
}

function listCommand(a: Record<string, unknown>): number {
  if (a.suite !== undefined) {
    const cases = planSuite(String(a.suite), { filter: a.filter as string | string[] | undefined, engines: parseEngines(a.engine as string | undefined), sources: parseSources(a.source as string | undefined) });
    for (const c of cases) process.stdout.write(c.id + '\n');
    process.stderr.write(`${cases.length} cases\n`);
    return EXIT.ok;
  }
  for (const s of SCENARIOS.values()) {
    const peers = peersOf(s);
    process.stdout.write(`${s.id}  (${s.family}) ${s.title}${s.limitLoop ? '  [has a limit loop]' : ''}${peers.length ? `  [peers: ${peers.join(', ')}]` : ''}\n`);
    for (const [name, p] of Object.entries(s.params)) {
      process.stdout.write(`    ${name} = ${String(p.default)}${p.values ? `  (one of ${p.values.join(', ')})` : ''}  ${p.doc}\n`);
    }
  }
  process.stdout.write(`\nsuites: ${Object.entries(SUITES).map(([k]) => `${k} (${planSuite(k).length} cases)`).join(', ')}\n`);
  return EXIT.ok;
}

function reportCommand(a: Record<string, unknown>): number {
  const file = String(a.results);
  const out = (a.out as string | undefined) ?? path.join(path.dirname(file), path.basename(file, '.json') + '-report');
  const r = renderReport(file, out);
  process.stderr.write(`sluice: wrote ${r.files.length} files into ${r.dir}\n`);
  if (a.readme !== undefined) {
    const readme = String(a.readme);
    writeFileAtomic(readme, withAnswer(readme, r.markdown), 'README');
    process.stderr.write(`sluice: copied the report's answer table into ${readme}\n`);
  }
  process.stdout.write(path.resolve(r.index) + '\n');
  return EXIT.ok;
}

async function profileCommand(a: Record<string, unknown>): Promise<number> {
  const tool = String(a.tool) as ProfileTool;
  if (!(PROFILE_TOOLS as readonly string[]).includes(tool)) throw new ConfigError(`--tool: unknown profiling tool '${tool}'; accepted: ${PROFILE_TOOLS.join(', ')}`);
  let c;
  if (a.case !== undefined) {
    if (a.scenario !== undefined) throw new ConfigError('give either a case id or --scenario, not both');
    c = parseCaseId(String(a.case));
  } else {
    if (a.scenario === undefined) throw new ConfigError('name a case id (see sluice list --suite reference) or --scenario with --engine');
    c = caseFromFlags(String(a.scenario), String(a.engine ?? 'streaming'), (a.param as string[] | undefined) ?? [], (a.set as string[] | undefined) ?? []);
  }
  const duration = parseDuration(String(a.duration ?? '10s'));
  const out = (a.out as string | undefined) ?? defaultProfileDir(c, tool);
  prepareDir(out);
  process.stderr.write(`sluice: profiling ${c.id} with ${tool} for ${duration} s into ${out}\n`);
  const r = await profileCase(c, tool, duration, out);
  if (!r.ok) {
    process.stderr.write(`sluice: ${r.reason}\n`);
    return EXIT.finding;
  }
  process.stdout.write(path.resolve(r.file) + '\n');
  return EXIT.ok;
}

function mergeCommand(a: Record<string, unknown>): number {
  const files = (a.files as string[] | undefined) ?? [];
  const { merged, warnings } = mergeResults(files, !!a['allow-env-mismatch']);
  for (const w of warnings) process.stderr.write(`sluice: warning: ${w}\n`);
  writeResults(String(a.out), merged);
  process.stderr.write(`sluice: merged ${files.length} files, ${merged.cases.length} cases, into ${String(a.out)}\n`);
  return EXIT.ok;
}

function compareCommand(a: Record<string, unknown>): number {
  const format = formatFlag(a.format);
  const settings = compareFrom(a);
  const baseFile = String(a.base), headFile = String(a.head);
  const c = compareResults(readResults(baseFile), readResults(headFile), { ...settings, allowEnvMismatch: !!a['allow-env-mismatch'], baseFile, headFile });
  process.stdout.write(format === 'json' ? JSON.stringify(c, null, 1) + '\n' : formatComparison(c));
  if (c.environmentMismatches.length) process.stderr.write(`sluice: warning: compared across environments: ${c.environmentMismatches.join('; ')}\n`);
  process.stderr.write(`sluice compare: ${c.failed ? 'FAILED' : 'passed'}: ${c.counts.regressed} regressed, ${c.counts.errored} errored, ${c.counts['output-changed']} with changed output, ${c.counts.improved} improved, ${c.counts.unchanged} unchanged\n`);
  return c.failed ? EXIT.finding : EXIT.ok;
}

/** The cases of a gate or calibration: the suite, without the hand-written loop unless asked. */
function gateCases(a: Record<string, unknown>) {
  return planSuite(String(a.suite ?? 'quick'), {
    filter: a.filter as string | string[] | undefined,
    engines: parseEngines(a.engine as string | undefined) ?? ['materialized', 'streaming'],
    sources: parseSources(a.source as string | undefined),
  });
}

/** The timing flags of gate and calibrate: settingsFrom's, and --isolates (paired only). */
function gateSettingsFrom(a: Record<string, unknown>) {
  if (a.isolates !== undefined && a.paired === false) throw new ConfigError('--isolates applies to the paired gate only (drop --no-paired or --isolates)');
  if (a.extend !== undefined && a.paired === false) throw new ConfigError('--extend applies to the paired gate only (drop --no-paired or --extend)');
  return { ...settingsFrom(a), ...(a.isolates !== undefined && { isolates: positiveNumber('isolates', a.isolates, true)! }) };
}

async function gateCommand(a: Record<string, unknown>): Promise<number> {
  const format = formatFlag(a.format);
  const compare = compareFrom(a);
  const cases = gateCases(a);
  if (cases.length === 0) throw new ConfigError('the gate has no cases to run (check --suite, --filter and --engine)');
  const outDir = (a.out as string | undefined) ?? path.join('results', `gate-${stamp()}`);
  const log = (l: string) => process.stderr.write(l + '\n');
  const r = await runGate({ base: String(a.base), suite: String(a.suite ?? 'quick'), cases, outDir, force: !!a.force, settings: gateSettingsFrom(a), compare, paired: a.paired !== false, extend: a.extend !== false, log });
  process.stdout.write(format === 'json' ? JSON.stringify(r.comparison, null, 1) + '\n' : r.markdown);
  log(`sluice gate: ${r.comparison.failed ? 'FAILED' : 'passed'} in ${r.wallSeconds.toFixed(0)} s; wrote ${r.files.markdown} and ${r.files.json}`);
  return r.comparison.failed ? EXIT.finding : EXIT.ok;
}

async function calibrateCommand(a: Record<string, unknown>): Promise<number> {
  const slowdown = parseFraction('calibration-slowdown', a['calibration-slowdown'] ?? '10%')!;
  if (slowdown <= 0) throw new ConfigError('--calibration-slowdown must be above 0%');
  const runs = positiveNumber('runs', a.runs ?? 20, true)!;
  const compare = compareFrom(a);
  const thresholds = [...new Set([compare.timeThreshold ?? COMPARE_DEFAULTS.timeThreshold, 0.05, 0.1].map((t) => Math.round(t * 1e4) / 1e4))].sort((x, y) => x - y);
  const from = a.from as string | undefined;
  const outDir = from ?? (a.out as string | undefined) ?? path.join('results', `calibrate-${stamp()}`);
  const r = await runCalibration({
    suite: String(a.suite ?? 'quick'), cases: from ? [] : gateCases(a), outDir, force: !!a.force, settings: gateSettingsFrom(a), reuse: from !== undefined, paired: a.paired !== false, extend: a.extend !== false,
    runs, slowdown, thresholds, compare, seed: positiveNumber('seed', a.seed ?? 1, true)!, log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(r.markdown);
  process.stderr.write(`sluice calibrate: wrote ${r.file}\n`);
  return EXIT.ok;
}

function exportCommand(a: Record<string, unknown>): number {
  const format = String(a.format);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ConfigError(`--format: unknown export format '${format}'; accepted: ${EXPORT_FORMATS.join(', ')}`);
  const { entries, skipped } = toGithubActionBenchmark(readResults(String(a.results)));
  const text = JSON.stringify(entries, null, 1) + '\n';
  if (a.out !== undefined) {
    const out = String(a.out);
    writeFileAtomic(out, text, 'export');
    process.stderr.write(`sluice export: wrote ${entries.length} entries to ${out}\n`);
  } else process.stdout.write(text);
  if (skipped) process.stderr.write(`sluice export: left out ${skipped} cases that did not finish ok\n`);
  return EXIT.ok;
}

/**
 * yargs through its CommonJS build: the ES module build lays help out with cliui's plain wrap,
 * which breaks lines mid-word ("case / s"); the CommonJS one wraps at word boundaries.
 */
const require = createRequire(import.meta.url);
const yargs = require('yargs') as typeof import('yargs').default;
const VERSION = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The runner's log on stderr. On a terminal, progress lines (`[k/n] …`) replace one another on a
 * single updating line; every other line (errors, summaries) is kept. Elsewhere (CI, a pipe,
 * a file) every line is written as it comes, so the log stays complete.
 */
export function progressLog(stream: NodeJS.WriteStream = process.stderr): ((line: string) => void) & { end(): void } {
  let pending = false;
  const tty = stream.isTTY === true;
  const log = ((line: string) => {
    if (tty && line.startsWith('[')) {
      // A terminal that reports no width (some pseudo-terminals say 0) gets 120 columns.
      const width = (stream.columns && stream.columns > 20 ? stream.columns : 120) - 1;
      stream.write(`\r\x1b[K${line.length > width ? line.slice(0, width - 1) + '…' : line}`);
      pending = true;
      return;
    }
    if (pending) stream.write('\n');
    pending = false;
    stream.write(line + '\n');
  }) as ((line: string) => void) & { end(): void };
  log.end = () => {
    if (pending) stream.write('\n');
    pending = false;
  };
  return log;
}

/** Build the parser; exported so tests can drive it without spawning. */
export function buildCli(argv: string[]) {
  let exitCode: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('sluice')
    .wrap(Math.min(120, yargs().terminalWidth()))
    .usage('$0 <command> [options]\n\nMeasures streaming vs materializing query execution. See README.md.')
    .command('list', 'list scenarios and their parameters, or the cases of a suite', (y) =>
      y.option('suite', { type: 'string', describe: `list the cases of a suite (${Object.keys(SUITES).join(', ')})` })
        .option('filter', { type: 'string', describe: 'glob over case ids; repeat it for a union' })
        .option('engine', { type: 'string', describe: 'comma-separated runners to keep' })
        .option('source', { type: 'string', describe: SOURCE_HELP })
        .example('$0 list --suite quick', 'print the case ids of the quick suite'),
    async (a) => void (exitCode = listCommand(a)))
    .command('run', 'run a suite of cases, each in its own process, and write a results file', (y) =>
      withRunFlags(y.option('suite', { type: 'string', describe: `suite to run: ${Object.keys(SUITES).join(', ')} (default quick)` })
        .option('filter', { type: 'string', describe: "glob over case ids, e.g. 'join/*'; repeat it for a union" })
        .option('shard', { type: 'string', describe: 'run only shard i of n, e.g. 2/4 (split by scenario and params)' }))
        .example('$0 run --suite quick', 'the CI-sized suite (about 3 minutes)')
        .example("$0 run --suite reference --filter 'selectivity/*' --engine streaming,limit-loop", 'one family, two runners')
        .example('$0 run --suite full --shard 1/4 --out shard1.json', 'a quarter of the full suite, for a CI matrix job'),
    async (a) => void (exitCode = await runCommand(a)))
    .command('sweep', 'run a grid of engine options on one scenario and report the best combination', (y) =>
      withRunFlags(y.option('scenario', { type: 'string', demandOption: true, describe: 'scenario id (see sluice list)' })
        .option('vary', { type: 'string', array: true, describe: 'option to vary: a boolean name, or name=v1,v2,... (repeatable)' })
        .option('param', { type: 'string', array: true, describe: 'scenario parameter, name=value, or name=v1,v2,... to sweep over its values too (repeatable)' }))
        .example('$0 sweep --scenario join --vary enableSymmetricHashJoin --vary symmetricJoinBatchSize=16,64,256', 'four distinct streaming combinations (the batch size is read only by the symmetric join) and one materialized (it reads neither option)')
        .example('$0 sweep --scenario selectivity --vary enablePipelineFusion --param rows=1e4,1e5,1e6', 'where does fusion start to pay? the same grid at three sizes'),
    async (a) => void (exitCode = await sweepCommand(a)))
    .command('report <results>', 'render a results file as report.md, PNG charts and a self-contained index.html', (y) =>
      y.positional('results', { type: 'string', demandOption: true, describe: 'results file (from sluice run or sweep)' })
        .option('out', { type: 'string', describe: 'output directory (default beside the results file, <name>-report/)' })
        .option('readme', { type: 'string', describe: 'also copy the report\'s answer table into this Markdown file, between its answer markers' })
        .example('$0 report results/reference.json --out report', 'write report/index.html, report/report.md and the charts')
        .example('$0 report reports/reference/results.json --out reports/reference --readme README.md', 'regenerate the committed reference report and the README\'s answer'),
    (a) => void (exitCode = reportCommand(a)))
    .command('profile [case]', 'profile one case with Clinic.js or V8\'s profilers, running exactly the measured code path', (y) =>
      y.positional('case', { type: 'string', describe: 'case id (see sluice list --suite reference)' })
        .option('tool', { type: 'string', demandOption: true, describe: `profiler: ${PROFILE_TOOLS.join(', ')}` })
        .option('scenario', { type: 'string', describe: 'instead of a case id: the scenario' })
        .option('engine', { type: 'string', describe: 'with --scenario: materialized, streaming or limit-loop (default streaming)' })
        .option('param', { type: 'string', array: true, describe: 'with --scenario: scenario parameter, name=value (repeatable)' })
        .option('set', { type: 'string', array: true, describe: 'with --scenario: engine option, option=value (repeatable)' })
        .option('duration', { type: 'string', describe: 'how long to run the query in a loop (default 10s)' })
        .option('out', { type: 'string', describe: 'output directory (default results/profiles/<case>/<tool>/)' })
        .example("$0 profile 'selectivity/rows=100000,selectivity=0.1/streaming' --tool flame", 'a flame graph of one case')
        .example('$0 profile --scenario join --engine streaming --set enableSymmetricHashJoin=true --tool cpu-prof --duration 5s', 'a V8 CPU profile'),
    async (a) => void (exitCode = await profileCommand(a)))
    .command('merge <files..>', 'join results files from shards of one run', (y) =>
      y.positional('files', { type: 'string', array: true, describe: 'results files', default: undefined })
        .option('out', { type: 'string', demandOption: true, describe: 'merged results file' })
        .option('allow-env-mismatch', { type: 'boolean', describe: 'merge files from different environments (and say so)' })
        .example('$0 merge shard1.json shard2.json --out all.json', 'one results file from two shards'),
    (a) => void (exitCode = mergeCommand(a)))
    .command('compare <base> <head>', 'compare two results files: per case, each process one unit (or isolate pairs, from gate), Holm-corrected, with thresholds; exit 1 on a regression', (y) =>
      withCompareFlags(y.positional('base', { type: 'string', demandOption: true, describe: 'results file of the base' })
        .positional('head', { type: 'string', demandOption: true, describe: 'results file of the head' }))
        .option('format', { type: 'string', describe: 'md (a report) or json (stable; see docs/compare-format.md) (default md)' })
        .option('allow-env-mismatch', { type: 'boolean', describe: 'compare results from different environments (and say so)' })
        .example('$0 compare base.json head.json --time-threshold 5%', 'exit 1 if a case got more than 5% slower, significantly'),
    (a) => void (exitCode = compareCommand(a)))
    .command('gate', 'run a base build and this build interleaved on this machine, then compare them (exit 1 on a regression)', (y) =>
      withTimingFlags(withCompareFlags(y.option('base', { type: 'string', demandOption: true, describe: 'base: a sluice checkout directory or a git ref (e.g. origin/main)' })
        .option('suite', { type: 'string', describe: `suite to run: ${Object.keys(SUITES).join(', ')} (default quick)` })
        .option('filter', { type: 'string', describe: 'glob over case ids; repeat it for a union' })
        .option('engine', { type: 'string', describe: 'runners to compare (default materialized,streaming; the hand-written loop has no engine code)' })
        .option('source', { type: 'string', describe: SOURCE_HELP })
        .option('out', { type: 'string', describe: 'directory for base.json, head.json, compare.md, compare.json (default results/gate-<time>/)' })
        .option('force', { type: 'boolean', describe: 'overwrite results in --out' })
        .option('format', { type: 'string', describe: 'md or json (default md)' })
        .option('paired', { type: 'boolean', describe: 'measure both builds in the same processes, each in its own worker thread, taking turns sample by sample (default on; --no-paired: one process per build and round, see README)' })
        .option('isolates', { type: 'string', describe: `paired: isolate pairs (fresh workers) per process, each measured for --max-time (default ${PAIRED_GATE_SETTINGS.isolates})` })
        .option('extend', { type: 'boolean', describe: 'paired: measure a case again (one more process of --isolates pairs) when the 95% interval of its time ratio spans the threshold (default on; --no-extend: never)' })), `processes per case (default ${PAIRED_GATE_SETTINGS.rounds} paired; ${GATE_SETTINGS.rounds} per build with --no-paired)`, GATE_MAX_TIME)
        .example('$0 gate --base origin/main', 'the quick suite, main against this checkout (build first: npm run gate -- --base origin/main)')
        .example('$0 gate --base ../sluice-main --time-threshold 5%', 'against a checkout in a directory'),
    async (a) => void (exitCode = await gateCommand(a)))
    .command('calibrate', 'measure the gate on this machine: A/A false positives and detection of a known slowdown', (y) =>
      withTimingFlags(withCompareFlags(y.option('suite', { type: 'string', describe: 'suite to calibrate on (default quick)' })
        .option('runs', { type: 'string', describe: 'A/A splits and slowed draws to evaluate (default 20)' })
        .option('calibration-slowdown', { type: 'string', describe: 'slowdown to detect: every run stretched by that fraction of its own time, with CPU work; calibrate only (default 10%)' })
        .option('filter', { type: 'string', describe: 'glob over case ids; repeat it for a union' })
        .option('engine', { type: 'string', describe: 'runners (default materialized,streaming)' })
        .option('source', { type: 'string', describe: SOURCE_HELP })
        .option('out', { type: 'string', describe: 'directory for the four measured arms and calibration.md (default results/calibrate-<time>/)' })
        .option('from', { type: 'string', describe: 're-evaluate the arms measured earlier in this directory (no measuring)' })
        .option('paired', { type: 'boolean', describe: 'calibrate the paired gate (default on; needs the built CLI; --no-paired: the gate with one process per build and round)' })
        .option('isolates', { type: 'string', describe: `paired: isolate pairs per process, as the gate (default ${PAIRED_GATE_SETTINGS.isolates})` })
        .option('extend', { type: 'boolean', describe: 'paired: evaluate the gate that measures undecided cases again, as gate does (default on; --no-extend: the gate without it)' })
        .option('force', { type: 'boolean', describe: 'overwrite results in --out' })
        .option('seed', { type: 'string', describe: 'seed of the random draws (default 1)' })), `processes per case of a gate run (default ${PAIRED_GATE_SETTINGS.rounds} paired, of which calibrate measures 4x; ${GATE_SETTINGS.rounds} with --no-paired, measured 2x)`, GATE_MAX_TIME)
        .example('$0 calibrate --runs 20 --calibration-slowdown 10%', 'false-positive rate and sensitivity of the gate on the quick suite')
        .example('$0 calibrate --from results/calibrate-20261121-101500 --time-threshold 5%', 're-evaluate earlier measurements at another threshold'),
    async (a) => void (exitCode = await calibrateCommand(a)))
    .command('export <results>', 'convert a results file for other tools (github-action-benchmark)', (y) =>
      y.positional('results', { type: 'string', demandOption: true, describe: 'results file' })
        .option('format', { type: 'string', demandOption: true, describe: `output format: ${EXPORT_FORMATS.join(', ')}` })
        .option('out', { type: 'string', describe: 'file to write (default stdout)' })
        .example('$0 export results/quick.json --format github-action-benchmark --out bench.json', 'entries for tool: customSmallerIsBetter'),
    (a) => void (exitCode = exportCommand(a)))
    .demandCommand(1, 'name a command: list, run, sweep, report, profile, merge, compare, gate, calibrate or export')
    .strict()
    .help()
    .version(VERSION)
    .fail((msg, err) => {
      throw err ?? new ConfigError(msg);
    });
  return { parser, exitCode: () => exitCode };
}

/** Run the CLI; returns the exit code. Errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const { parser, exitCode } = buildCli(argv);
  try {
    await parser.parseAsync();
    return exitCode();
  } catch (e) {
    const { message, code } = describeFailure(e);
    process.stderr.write(`${message}\n`);
    return code;
  }
}

// `sluice list | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const invokedDirectly = process.argv[1] !== undefined && /(^|[\\/])(cli\.[jt]s|sluice)$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = await main(hideBin(process.argv));
