import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeResults } from '../../core/results.js';
import { renderReport } from '../../reports/render.js';
import { fixtureResults } from './fixture.js';
import { tempDir } from '../temp-dir.js';

const tmp = () => tempDir('sluice-page-');
const SCRIPT = path.resolve('scripts/check-report-page.mjs');

function fixturePage(): string {
  const dir = tmp(), f = path.join(dir, 'fixture.json');
  writeResults(f, fixtureResults());
  return renderReport(f, path.join(dir, 'report')).index;
}

/** Chromium on this machine, if any (CI has none; the browser check then says it was skipped). */
function chromium(): string | undefined {
  if (process.env.CHROME) return process.env.CHROME;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {}
  }
  return undefined;
}

test('index.html opens with the answer, split into time and memory; every column has a header; profile commands are folded', (t) => {
  const html = readFileSync(fixturePage(), 'utf8').replace(/src="data:image\/png;base64,[^"]*"/g, 'src=""');
  const heads = [...html.matchAll(/<h2[^>]*>([^<]*)<\/h2>/g)].map((m) => m[1]);
  t.deepEqual(heads.slice(0, 3), ['The answer: streaming vs materializing, in time', 'The answer: streaming vs materializing, in peak heap', 'How to read this report']);
  const answer = /<h2 id="answer">[\s\S]*?<\/table>/.exec(html)![0];
  t.deepEqual([...answer.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]), ['Query', 'Input rows', 'Streaming vs materialized', 'Streaming / limit loop', 'Profile']);
  t.notRegex(html, /<th>\s*<\/th>/, 'no column without a header');
  t.regex(html, /<details><summary>3 commands<\/summary><code>npx sluice profile /);
  t.notRegex(html, /\d (kB|MB)\b/, 'tables use KiB/MiB (charts: see the chart test)');
  t.notRegex(html, /\/baseline\b/, 'one name for the limit loop');
});

const browser = chromium();
(browser ? test : test.skip)('in a headless browser at 1280 px the report does not scroll sideways, and a page that does is caught', async (t) => {
  const run = promisify(execFile);
  const page = fixturePage();
  const ok = await run(process.execPath, [SCRIPT, page, '--out', path.join(tmp(), 'shot.png')]);
  t.regex(ok.stdout, /1280 px wide, \d+ px tall; screenshot .*shot\.png\nno horizontal scroll, every column has a header\n$/);
  const wide = path.join(tmp(), 'wide.html');
  writeFileSync(wide, '<!doctype html><html><body><h2>Too wide</h2><table><tr><th>a</th><th></th></tr><tr><td style="min-width:2000px">x</td><td>y</td></tr></table></body></html>');
  const bad = await run(process.execPath, [SCRIPT, wide]).then(() => undefined, (e: { code: number; stdout: string }) => e);
  t.is(bad?.code, 1);
  t.regex(bad!.stdout, /the page scrolls sideways: \d+ px wide in a 1280 px window/);
  t.regex(bad!.stdout, /wider than the window: table under "Too wide"/);
  t.regex(bad!.stdout, /a column without a header in the table under "Too wide"/);
});

test('the page check refuses bad input in one line, exit 2', async (t) => {
  const e = await promisify(execFile)(process.execPath, [SCRIPT, path.join(tmp(), 'missing.html')]).then(() => undefined, (x: { code: number; stderr: string }) => x);
  t.is(e?.code, 2);
  t.regex(e!.stderr, /^check-report-page: no such page '.*missing\.html'\n$/);
});
