#!/usr/bin/env node
/**
 * The `sluice` command line. Each command maps its arguments to options in one function and
 * every command has --help with an example. Bad input is one line on stderr and exit code 2.
 */
import path from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, SluiceError } from '../engine/index.js';
import { SCENARIOS } from '../scenarios/index.js';
import { RUNNERS, type Runner } from './case.js';
import { renderReport } from '../reports/render.js';
import { mergeResults } from './merge.js';
import { caseFromFlags, defaultProfileDir, parseCaseId, parseDuration, prepareDir, PROFILE_TOOLS, profileCase, type ProfileTool } from './profile.js';
import { parseSet, planSuite, planSweep, shard, SUITES } from './plan.js';
import { writeResults, type ResultsFile } from './results.js';
import { DEFAULT_SETTINGS, runCases } from './runner.js';
import { bestPerEngine, formatMedianTable } from './summary.js';

/** Exit codes: 0 fine, 1 a finding (errored cases; a regression, for the gate), 2 bad input. */
export const EXIT = { ok: 0, finding: 1, badInput: 2 } as const;

function parseEngines(v: string | undefined): Runner[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of list) {
    if (!(RUNNERS as readonly string[]).includes(e)) throw new ConfigError(`--engine: unknown engine '${e}'; accepted: ${RUNNERS.join(', ')}`);
  }
  if (list.length === 0) throw new ConfigError(`--engine needs at least one of ${RUNNERS.join(', ')}`);
  return list as Runner[];
}

function positiveNumber(name: string, v: unknown, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new ConfigError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${String(v)}'`);
  return n;
}

function defaultOut(kind: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return path.join('results', `${kind}-${stamp}.json`);
}

/** Settings flags shared by run and sweep. */
function settingsFrom(a: Record<string, unknown>) {
  return {
    ...(a.rounds !== undefined && { rounds: positiveNumber('rounds', a.rounds, true)! }),
    ...(a['max-time'] !== undefined && { maxTime: positiveNumber('max-time', a['max-time'])! }),
    ...(a['min-samples'] !== undefined && { minSamples: positiveNumber('min-samples', a['min-samples'], true)! }),
    ...(a.timeout !== undefined && { timeoutSec: positiveNumber('timeout', a.timeout)! }),
  };
}

function withRunFlags<T>(y: Argv<T>) {
  return y
    .option('engine', { type: 'string', describe: `comma-separated runners to keep (${RUNNERS.join(', ')})` })
    .option('set', { type: 'string', array: true, describe: 'engine option for every engine case, option=value (repeatable)' })
    .option('out', { type: 'string', describe: 'results file to write (default: results/<suite>-<time>.json)' })
    .option('resume', { type: 'boolean', describe: 'continue an interrupted run in --out' })
    .option('force', { type: 'boolean', describe: 'overwrite an existing --out' })
    .option('rounds', { type: 'number', describe: `interleaved rounds per case (default ${DEFAULT_SETTINGS.rounds})` })
    .option('max-time', { type: 'number', describe: `benchmark.js seconds per case and round (default ${DEFAULT_SETTINGS.maxTime})` })
    .option('min-samples', { type: 'number', describe: `benchmark.js minimum samples (default ${DEFAULT_SETTINGS.minSamples})` })
    .option('timeout', { type: 'number', describe: `seconds before a case's process is killed (default ${DEFAULT_SETTINGS.timeoutSec})` })
    .option('seed', { type: 'number', describe: 'data generator seed' })
    .option('report', { type: 'string', describe: 'also render the report into this directory when done' });
}

async function runCommand(a: Record<string, unknown>): Promise<number> {
  const suite = String(a.suite);
  let cases = planSuite(suite, {
    filter: a.filter as string | undefined,
    engines: parseEngines(a.engine as string | undefined),
    set: parseSet((a.set as string[] | undefined) ?? []),
    seed: positiveNumber('seed', a.seed, true),
  });
  if (a.shard !== undefined) cases = shard(cases, String(a.shard));
  const settings = settingsFrom(a);
  const out = (a.out as string | undefined) ?? defaultOut(suite);
  const results = await runCases({ suite, cases, out, resume: !!a.resume, force: !!a.force, settings, log: (l) => process.stderr.write(l + '\n') });
  return finish(results, out, a.report as string | undefined);
}

function finish(results: ResultsFile, out: string, reportDir: string | undefined): number {
  process.stdout.write(formatMedianTable(results) + '\n');
  const errored = results.cases.filter((c) => c.status === 'errored');
  process.stderr.write(`sluice: wrote ${out} (${results.cases.length - errored.length} ok, ${errored.length} errored)\n`);
  if (reportDir !== undefined) {
    const r = renderReport(out, reportDir);
    process.stderr.write(`sluice: report written; open ${path.resolve(r.index)}\n`);
    process.stdout.write(path.resolve(r.index) + '\n');
  }
  return errored.length ? EXIT.finding : EXIT.ok;
}

async function sweepCommand(a: Record<string, unknown>): Promise<number> {
  const scenario = String(a.scenario);
  const params: Record<string, unknown> = {};
  for (const p of (a.param as string[] | undefined) ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--param takes name=value (for example --param rows=100000), got '${p}'`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const cases = planSweep(scenario, (a.vary as string[] | undefined) ?? [], {
    params, engines: parseEngines(a.engine as string | undefined), seed: positiveNumber('seed', a.seed, true), set: parseSet((a.set as string[] | undefined) ?? []),
  });
  const settings = settingsFrom(a);
  const out = (a.out as string | undefined) ?? defaultOut(`sweep-${scenario}`);
  const results = await runCases({ suite: `sweep:${scenario}`, cases, out, resume: !!a.resume, force: !!a.force, settings, log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write('\nBest option combination per engine (lowest median time):\n' + bestPerEngine(results) + '\n');
  return finish(results, out, a.report as string | undefined);
}

function listCommand(a: Record<string, unknown>): number {
  if (a.suite !== undefined) {
    const cases = planSuite(String(a.suite), { filter: a.filter as string | undefined, engines: parseEngines(a.engine as string | undefined) });
    for (const c of cases) process.stdout.write(c.id + '\n');
    process.stderr.write(`${cases.length} cases\n`);
    return EXIT.ok;
  }
  for (const s of SCENARIOS.values()) {
    process.stdout.write(`${s.id}  (${s.family}) ${s.title}${s.baseline ? '  [has limit baseline]' : ''}\n`);
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

/** Build the parser; exported so tests can drive it without spawning. */
export function buildCli(argv: string[]) {
  let exitCode: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('sluice')
    .usage('$0 <command> [options]\n\nMeasures streaming vs materializing query execution. See README.md.')
    .command('list', 'list scenarios and their parameters, or the cases of a suite', (y) =>
      y.option('suite', { type: 'string', describe: `list the cases of a suite (${Object.keys(SUITES).join(', ')})` })
        .option('filter', { type: 'string', describe: 'glob over case ids' })
        .option('engine', { type: 'string', describe: 'comma-separated runners to keep' })
        .example('$0 list --suite quick', 'print the case ids of the quick suite'),
    async (a) => void (exitCode = listCommand(a)))
    .command('run', 'run a suite of cases, each in its own process, and write a results file', (y) =>
      withRunFlags(y.option('suite', { type: 'string', default: 'quick', describe: `suite to run (${Object.keys(SUITES).join(', ')})` })
        .option('filter', { type: 'string', describe: "glob over case ids, e.g. 'join/*'" })
        .option('shard', { type: 'string', describe: 'run only shard i of n, e.g. 2/4 (split by scenario and params)' }))
        .example('$0 run --suite quick', 'the CI-sized suite (about 3 minutes)')
        .example("$0 run --suite reference --filter 'selectivity/*' --engine streaming,baseline", 'one family, two runners')
        .example('$0 run --suite full --shard 1/4 --out shard1.json', 'a quarter of the full suite, for a CI matrix job'),
    async (a) => void (exitCode = await runCommand(a)))
    .command('sweep', 'run a grid of engine options on one scenario and report the best combination', (y) =>
      withRunFlags(y.option('scenario', { type: 'string', demandOption: true, describe: 'scenario id (see sluice list)' })
        .option('vary', { type: 'string', array: true, describe: 'option to vary: a boolean name, or name=v1,v2,... (repeatable)' })
        .option('param', { type: 'string', array: true, describe: 'scenario parameter, name=value (repeatable)' }))
        .example('$0 sweep --scenario join --vary enableSymmetricHashJoin --vary symmetricJoinBatchSize=16,64,256', 'six combinations on both engines'),
    async (a) => void (exitCode = await sweepCommand(a)))
    .command('report <results>', 'render a results file as report.md, PNG charts and a self-contained index.html', (y) =>
      y.positional('results', { type: 'string', demandOption: true, describe: 'results file (from sluice run or sweep)' })
        .option('out', { type: 'string', describe: 'output directory (default: beside the results file, <name>-report/)' })
        .example('$0 report results/reference.json --out report', 'write report/index.html, report/report.md and the charts'),
    (a) => void (exitCode = reportCommand(a)))
    .command('profile [case]', 'profile one case with Clinic.js or V8\'s profilers, running exactly the measured code path', (y) =>
      y.positional('case', { type: 'string', describe: 'case id (see sluice list --suite reference)' })
        .option('tool', { type: 'string', demandOption: true, describe: `profiler: ${PROFILE_TOOLS.join(', ')}` })
        .option('scenario', { type: 'string', describe: 'instead of a case id: the scenario' })
        .option('engine', { type: 'string', describe: 'with --scenario: materialized, streaming or baseline (default streaming)' })
        .option('param', { type: 'string', array: true, describe: 'with --scenario: scenario parameter, name=value (repeatable)' })
        .option('set', { type: 'string', array: true, describe: 'with --scenario: engine option, option=value (repeatable)' })
        .option('duration', { type: 'string', describe: 'how long to run the query in a loop (default 10s)' })
        .option('out', { type: 'string', describe: 'output directory (default results/profiles/<case>/<tool>/)' })
        .example("$0 profile 'selectivity/rows=100000,selectivity=0.1/streaming' --tool flame", 'a flame graph of one case')
        .example('$0 profile --scenario join --engine streaming --set enableSymmetricHashJoin=true --tool cpu-prof --duration 5s', 'a V8 CPU profile'),
    async (a) => void (exitCode = await profileCommand(a)))
    .command('merge <files..>', 'join results files from shards of one run', (y) =>
      y.positional('files', { type: 'string', array: true, describe: 'results files' })
        .option('out', { type: 'string', demandOption: true, describe: 'merged results file' })
        .option('allow-env-mismatch', { type: 'boolean', describe: 'merge files from different environments (and say so)' })
        .example('$0 merge shard1.json shard2.json --out all.json', 'one results file from two shards'),
    (a) => void (exitCode = mergeCommand(a)))
    .demandCommand(1, 'name a command: list, run, sweep, report, profile or merge')
    .strict()
    .help()
    .version(false)
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
    const err = e as Error;
    if (err instanceof SluiceError || !(err instanceof Error) || err.name === 'YError') {
      process.stderr.write(`sluice: ${err.message.split('\n')[0]}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`sluice: internal error: ${err.stack ?? err.message}\n`);
    return 70;
  }
}

// `sluice list | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const invokedDirectly = process.argv[1] !== undefined && /(^|[\\/])(cli\.[jt]s|sluice)$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = await main(hideBin(process.argv));
