import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

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
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-readme-'));
  try {
    const file = path.join(dir, 'example.mts');
    const mapped = code
      .replace(/from 'sluice\/storage'/g, `from '${pathToFileURL(path.join(ROOT, 'engine/storage/index.ts')).href}'`)
      .replace(/from 'sluice'/g, `from '${pathToFileURL(path.join(ROOT, 'engine/index.ts')).href}'`);
    writeFileSync(file, mapped);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, timeout: 60_000 });
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
