import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sluice } from '../cli-helper.js';
import { describeFailure } from '../../harness/cli.js';
import { ConfigError, ExecutionError, InternalError, PlanError } from '../../engine/index.js';
import { sampleResults } from './sample-results.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('sluice-cli-');

const corrupt = path.join(dir, 'corrupt.json');
writeFileSync(corrupt, '{"schema": "sluice-results", "version": 1, "cases": [');
const otherSchema = path.join(dir, 'other.json');
writeFileSync(otherSchema, JSON.stringify({ schema: 'sluice-results', version: 99 }));
/** A results file the old reader accepted, with one field broken as `edit` says. */
function edited(name: string, edit: (r: ReturnType<typeof sampleResults>) => void): string {
  const r = sampleResults();
  edit(r);
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify(r));
  return f;
}
const emptyEnv = edited('env.json', (r) => void ((r as { environment: unknown }).environment = {}));
const emptySummary = edited('summary.json', (r) => void ((r.cases[0] as { summary: unknown }).summary = {}));
const nullParams = edited('params.json', (r) => void ((r.cases[0] as { params: unknown }).params = null));
const escaping = edited('escape.json', (r) => void ((r.cases[0]!.params as Record<string, unknown>).rows = '../../../escaped'));

const BAD: [string[], RegExp][] = [
  [['run', '--suite', 'nope'], /^sluice: unknown suite 'nope'; known suites: quick, reference, fusion, scale, peers, ingest, full$/],
  [['run', '--engine', 'baseline'], /^sluice: --engine: 'baseline' is now called 'limit-loop' \(the hand-written limit loop\); accepted: materialized, streaming, limit-loop, duckdb, duckdb-stream, arquero, ix$/],
  [['run', '--engine', 'lazy'], /^sluice: --engine: unknown engine 'lazy'; accepted: materialized, streaming, limit-loop, duckdb, duckdb-stream, arquero, ix$/],
  [['run', '--set', 'enableSymmetricHashJoin'], /^sluice: --set takes option=value/],
  [['run', '--set', 'warp=9'], /^sluice: --set: unknown engine option 'warp'/],
  [['run', '--shard', '5/4'], /^sluice: --shard must look like i\/n/],
  [['run', '--filter', 'zzz*'], /^sluice: --filter 'zzz\*' matches no case/],
  [['run', '--rounds', '0'], /^sluice: --rounds must be a positive integer, got '0'$/],
  [['run', '--filter', 'selectivity/rows=10000,selectivity=0.01/limit-loop', '--out', path.join(corrupt, 'sub', 'r.json')], /^sluice: cannot write results file '.*corrupt.json\/sub\/r.json': ENOTDIR$/],
  [['sweep', '--scenario', 'nope', '--vary', 'enableSymmetricHashJoin'], /^sluice: unknown scenario 'nope'/],
  [['sweep', '--scenario', 'join'], /^sluice: sweep needs at least one --vary option$/],
  [['merge', corrupt, otherSchema, '--out', path.join(dir, 'm.json')], /^sluice: results file '.*corrupt.json' is not valid JSON/],
  [['merge', otherSchema, otherSchema, '--out', path.join(dir, 'm.json')], /^sluice: results file '.*other.json' has schema version 99; this sluice reads version 1$/],
  [['frobnicate'], /^sluice: Unknown argument: frobnicate$/],
  [['report', emptyEnv, '--out', path.join(dir, 'r1')], /^sluice: results file '.*env.json': environment.node must be a string, got undefined$/],
  [['report', emptySummary, '--out', path.join(dir, 'r2')], /^sluice: results file '.*summary.json': cases\[0\]\.summary\.n must be a number, got undefined$/],
  [['export', nullParams, '--format', 'github-action-benchmark'], /^sluice: results file '.*params.json': cases\[0\]\.params must be an object, got null$/],
  [['report', escaping, '--out', path.join(dir, 'r3')], /^sluice: results file '.*escape.json': cases\[0\]\.params\.rows must be a number, boolean or plain word, got "\.\.\/\.\.\/\.\.\/escaped"$/],
  [['run', '--rounds', 'abc'], /^sluice: --rounds must be a positive integer, got 'abc'$/],
  [['run', '--rounds', '9007199254740993'], /^sluice: --rounds must be a positive integer, got '9007199254740993'$/],
  [['run', '--filter', 'selectivity/rows=10000,selectivity=0.01/limit-loop', '--out', dir, '--force'], /^sluice: results file '.*' is a directory; name a file/],
  [['sweep', '--scenario', 'selectivity', '--vary', 'enableIteratorComposition', '--param', 'rows=1e400'], /^sluice: scenario 'selectivity' parameter 'rows' must be a positive integer, got '1e400'$/],
  [['sweep', '--scenario', 'selectivity', '--vary', 'enableIteratorComposition', '--param', 'constructor=1'], /^sluice: scenario 'selectivity' has no parameter 'constructor'/],
  [[], /^sluice: name a command: list, run, sweep, report, profile, merge, compare, gate, calibrate or export$/],
];

test('bad input: one line on stderr naming what was wrong, exit code 2, no stack trace', async (t) => {
  const results = await Promise.all(BAD.map(([args]) => sluice(args)));
  results.forEach((r, i) => {
    const [args, re] = BAD[i]!;
    t.is(r.code, 2, `sluice ${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, `sluice ${args.join(' ')} printed ${lines.length} lines:\n${r.stderr}`);
    t.regex(lines[0]!, re);
  });
});

test('a bug is not bad input: an InternalError or any other error is an internal error with its stack and exit 70; a SluiceError is one line and exit 2', (t) => {
  const bug = describeFailure(new InternalError('hash table lost a row'));
  t.is(bug.code, 70);
  t.regex(bug.message, /^sluice: internal error: InternalError: hash table lost a row\n\s+at /);
  const thrown = describeFailure(new TypeError('x is undefined'));
  t.is(thrown.code, 70);
  t.regex(thrown.message, /^sluice: internal error: TypeError: x is undefined/);
  t.is(describeFailure('a string').code, 70);
  for (const e of [new ConfigError('--rows: not a number: "x"\nsecond line'), new PlanError('filter: unknown column \'z\''), new ExecutionError('sum got a string')]) {
    const bad = describeFailure(e);
    t.is(bad.code, 2);
    t.is(bad.message.split('\n').length, 1, 'one line');
    t.true(bad.message.startsWith('sluice: '));
  }
});

test('list prints scenarios and suites; --help has an example for every command', async (t) => {
  const [list, cases, ...helps] = await Promise.all([
    sluice(['list']), sluice(['list', '--suite', 'quick', '--filter', 'join/*']),
    ...['run', 'sweep', 'merge', 'list', 'compare', 'gate', 'calibrate', 'export'].map((c) => sluice([c, '--help'])),
  ]);
  t.is(list.code, 0);
  t.regex(list.stdout, /^selectivity {2}\(selectivity\)/m);
  t.regex(list.stdout, /^ohlc .*\[peers: duckdb, duckdb-stream, arquero, ix\]$/m, "list says which peers run a scenario");
  t.regex(list.stdout, /suites: quick \(\d+ cases\), reference \(\d+ cases\), fusion \(\d+ cases\), scale \(\d+ cases\), peers \(\d+ cases\), ingest \(\d+ cases\), full \(\d+ cases\)/);
  t.is(cases.stdout.trim().split('\n').length, 6);
  for (const h of helps) {
    t.is(h.code, 0);
    t.regex(h.stdout, /Examples:/);
  }
});

test('--version prints the package version; help wraps at word boundaries, never inside a word', async (t) => {
  const v = await sluice(['--version']);
  t.is(v.code, 0, v.stderr);
  t.regex(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const h = await sluice(['run', '--help'], { ...process.env, COLUMNS: '80' });
  t.is(h.code, 0);
  // Every word of the descriptions is whole on its line: the run command's own words must appear unbroken.
  for (const word of ['selectivity', 'continue', 'interrupted', 'directory']) {
    const broken = h.stdout.split('\n').some((line, i, lines) => {
      const next = lines[i + 1]?.trimStart() ?? '';
      return word.split('').some((_, k) => k > 0 && line.endsWith(word.slice(0, k)) && next.startsWith(word.slice(k)));
    });
    t.false(broken, `'${word}' is split across lines`);
  }
});

test("every command's help states each default once, the same way: '(default X)' in the description", async (t) => {
  for (const cmd of ['run', 'list', 'sweep', 'report', 'profile', 'merge', 'compare', 'gate', 'calibrate', 'export']) {
    const h = await sluice([cmd, '--help'], { ...process.env, COLUMNS: '200' });
    t.is(h.code, 0, `${cmd}: ${h.stderr}`);
    t.notRegex(h.stdout, /\[default:/, `${cmd} --help shows a yargs default`);
    t.notRegex(h.stdout, /\(default: /, `${cmd} --help writes a default as '(default: '`);
  }
  const gate = await sluice(['gate', '--help'], { ...process.env, COLUMNS: '200' });
  t.regex(gate.stdout, /--max-time +seconds each isolate pair takes turns \(default 0\.75\); with --no-paired, benchmark\.js seconds/);
  const cal = await sluice(['calibrate', '--help'], { ...process.env, COLUMNS: '200' });
  t.regex(cal.stdout, /--calibration-slowdown .*\(default 10%\)/);
});

test('progress on a terminal is one updating line; elsewhere every line is kept', async (t) => {
  const { progressLog } = await import('../../harness/cli.js');
  const fake = (isTTY: boolean) => {
    let out = '';
    return { stream: { isTTY, columns: 40, write: (s: string) => void (out += s) } as unknown as NodeJS.WriteStream, text: () => out };
  };
  const tty = fake(true);
  const a = progressLog(tty.stream);
  a('[1/3] case one time pass');
  a('[2/3] case two time pass that is much longer than forty columns');
  a('  errored: boom');
  a('[3/3] case three');
  a.end();
  const long = '[2/3] case two time pass that is much longer than forty columns';
  t.is(tty.text(), `\r\x1b[K[1/3] case one time pass\r\x1b[K${long.slice(0, 38)}…\n  errored: boom\n\r\x1b[K[3/3] case three\n`, 'cut to the terminal width; a kept line ends the progress line first');
  const pipe = fake(false);
  const b = progressLog(pipe.stream);
  b('[1/2] one');
  b('[2/2] two');
  b.end();
  t.is(pipe.text(), '[1/2] one\n[2/2] two\n');
});

test('a run whose only failures are cases out of memory under their heap cap exits 0 and says how many', async (t) => {
  const out = path.join(dir, 'capped.json');
  const r = await sluice(['run', '--suite', 'scale', '--filter', 'scale/rows=1000000,query=filter10/materialized', '--heap-cap', '32', '--out', out, '--force', '--rounds', '1', '--max-time', '0.05', '--min-samples', '2']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /sluice: wrote .*capped\.json \(0 ok, 1 out of memory under their heap cap, 0 errored\)/);
  t.regex(r.stdout, /\*\*errored\*\*: out of memory at 1,000,000 rows \(heap cap 32 MiB\)/);
});
