import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './temp-dir.js';
import { CLI_ARGS } from './cli-helper.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The first ```ts block after `heading` in the README. */
function exampleAfter(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no heading '${heading}'`);
  const m = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  if (!m) throw new Error(`no ts example after '${heading}'`);
  return m[1]!;
}

/**
 * Run a README example as a user would after `npm install /path/to/sluice`: the same code, with the
 * package's two entry points mapped to this checkout's sources (so no build is needed).
 */
async function runExample(code: string): Promise<string> {
  const dir = tempDir('sluice-readme-');
  try {
    const file = path.join(dir, 'example.mts');
    const mapped = code
      .replace(/from 'sluice\/storage'/g, `from '${pathToFileURL(path.join(ROOT, 'engine/storage/index.ts')).href}'`)
      .replace(/from 'sluice'/g, `from '${pathToFileURL(path.join(ROOT, 'engine/index.ts')).href}'`);
    writeFileSync(file, mapped);
    // The example's own temporary folders (os.tmpdir()) land in `dir`, which is deleted below.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 60_000, env: { ...process.env, TMPDIR: dir } });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the README\'s "Using the engine" example runs as written and prints what its comments say', async (t) => {
  const code = exampleAfter('## Using the engine');
  t.regex(code, /from 'sluice'/);
  const out = await runExample(code);
  t.regex(out, /\[ 'AAPL', 1875 \]\n\[ 'NVDA', 4850 \]\n\d+\n/);
});

test('the README\'s "Stored tables" example runs as written, twice (nothing left behind makes a rerun fail)', async (t) => {
  const code = exampleAfter('### Stored tables');
  t.regex(code, /from 'sluice\/storage'/);
  for (const run of [1, 2]) {
    const out = await runExample(code);
    t.regex(out, /\{"id":1,"price":101\.5,"at":"2025-01-06T14:30:00\.000Z"\}\n\{"id":2,"price":null,"at":"2025-01-06T14:33:20\.000Z"\}\n/, `run ${run}`);
    t.regex(out, /\[ \[ 1, 101\.5, 1736173800000 \] \]/, `run ${run}`);
  }
});

test('the README\'s "Tables in S3" example runs as written against the local server it starts', async (t) => {
  const code = exampleAfter('### Tables in S3');
  t.regex(code, /startLocalS3/);
  const out = await runExample(code);
  t.is(out, '20 10000\n');
});

test('the README\'s "Parquet segments" example runs as written: a filtered scan reads one row group\'s two columns', async (t) => {
  const code = exampleAfter('### Parquet segments');
  t.regex(code, /segmentFormat: 'parquet'/);
  t.is(await runExample(code), '9 100000 11%\n', 'one row group in ten, and the footer');
});

/** Every ```sh block of the README, with the heading it sits under. */
function shBlocks(): { heading: string; code: string }[] {
  const out: { heading: string; code: string }[] = [];
  let heading = '';
  for (const m of README.matchAll(/^(#{1,4} .+)$|^```sh\n([\s\S]*?)^```$/gm)) {
    if (m[1]) heading = m[1];
    else out.push({ heading, code: m[2]! });
  }
  return out;
}

/** A block the README marks as not run: its first line says so, and why. */
const NOT_RUN = /^# not run by npm test: \S.*\n/;

/**
 * Run a README shell block as a user would in a sluice checkout: `npx sluice` and `npm run
 * check:page` are this checkout's (its build under `npm test`, else the TypeScript sources); the
 * working directory is a fresh folder, so whatever the block writes starts from nothing.
 */
async function runShell(code: string): Promise<{ stdout: string; dir: string }> {
  const dir = tempDir('sluice-readme-sh-');
  const tsx = import.meta.resolve('tsx');
  const prelude = [
    'set -eo pipefail',
    `npx() { if [ "$1" = sluice ]; then shift; node ${CLI_ARGS.map((a) => `'${a === 'tsx' ? tsx : a}'`).join(' ')} "$@"; else echo "README test: npx $1 is not mapped" >&2; return 97; fi; }`,
    `npm() { if [ "$1" = run ] && [ "$2" = check:page ]; then shift 2; [ "$1" = -- ] && shift; node '${path.join(ROOT, 'scripts/check-report-page.mjs')}' "$@"; else echo "README test: npm $* is not mapped" >&2; return 97; fi; }`,
  ].join('\n');
  const { stdout } = await promisify(execFile)('bash', ['-c', `${prelude}\n${code}`], { cwd: dir, timeout: 100_000, env: { ...process.env, NO_INSIGHT: '1' }, maxBuffer: 1 << 26 });
  return { stdout, dir };
}

test('every sh block in the README is run, or says on its first line why not', (t) => {
  const blocks = shBlocks();
  t.true(blocks.length >= 4, `found ${blocks.length} sh blocks`);
  const run = blocks.filter((b) => !NOT_RUN.test(b.code));
  t.deepEqual(run.map((b) => b.heading), ["## The `sluice` command", '## Why is this case slow?'], 'the blocks the next tests run');
  for (const b of blocks.filter((b) => NOT_RUN.test(b.code))) t.regex(b.code, /takes (about )?[\d.]+ minutes/, `${b.heading}: say how long it would take`);
});

test('the README\'s first-session block runs as written: version, list, a run with its report, the page check', async (t) => {
  const block = shBlocks().find((b) => b.heading === '## The `sluice` command')!;
  const { stdout, dir } = await runShell(block.code);
  t.regex(stdout, /^\d+\.\d+\.\d+\n/, 'the version first');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.regex(stdout, /\| selectivity\/rows=10000,selectivity=0\.1 \| streaming \| [^|]+ \| (\*\*[\d.]+x (faster|slower)\*\*|no measurable difference) \(/);
  t.true(existsSync(path.join(dir, 'results', 'try', 'index.html')));
  t.regex(stdout, /no horizontal scroll, every column has a header|no Chromium here/);
});

test('the README\'s profiling block runs as written and writes both profiles', async (t) => {
  const block = shBlocks().find((b) => b.heading === '## Why is this case slow?')!;
  const { stdout, dir } = await runShell(block.code);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.regex(stdout, /clinic-flame\.html/);
  t.regex(stdout, /\.cpuprofile/);
  t.true(existsSync(path.join(dir, 'results', 'profiles')));
});
