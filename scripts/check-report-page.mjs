#!/usr/bin/env node
/**
 * Look at a rendered report page as a reader would: open it in a headless Chromium at 1280 px,
 * check that nothing makes the page scroll sideways and that every table column has a header,
 * and save a full-page screenshot to look at.
 *
 *   npm run check:page -- results/report/index.html [--width 1280] [--out shot.png]
 *
 * Needs Chromium (`apt install chromium`, or CHROME=/path/to/chrome). Exit 0 when the page
 * passes, 1 when it does not (each problem on a line), 2 on bad input or no browser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const fail = (msg) => {
  process.stderr.write(`check-report-page: ${msg}\n`);
  process.exit(2);
};
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  if (v === undefined) fail(`${name} needs a value`);
  args.splice(i, 2);
  return v;
};
const width = Number(opt('--width', '1280'));
if (!Number.isInteger(width) || width < 320 || width > 4000) fail(`--width must be a whole number of pixels from 320 to 4000, got '${width}'`);
const page = args[0];
if (!page) fail('name the page to check, for example results/report/index.html');
if (!existsSync(page)) fail(`no such page '${page}'`);
const out = opt('--out', path.join(path.dirname(page), `screenshot-${width}.png`));

/** The browser: $CHROME, else the first Chromium or Chrome on the PATH. */
function browser() {
  if (process.env.CHROME) return process.env.CHROME;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {}
  }
  return fail('no Chromium or Chrome found; install one (apt install chromium) or set CHROME');
}
const chrome = browser();
const run = (extra, url) => execFileSync(chrome, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--mute-audio', ...extra, url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28, timeout: 120_000 });

// A copy of the page with a script that measures it once laid out, into an attribute of <body>.
const probe = `<script>addEventListener('load',()=>{const d=document.documentElement;
const label=(e)=>{let h=e;while(h&&!/^H[1-3]$/.test(h.tagName))h=h.previousElementSibling||h.parentElement;return (h?h.textContent:e.tagName).trim().slice(0,70)};
const wide=[...document.querySelectorAll('body *')].filter((e)=>e.getBoundingClientRect().right>innerWidth+0.5&&!e.closest('details:not([open])')).filter((e)=>!e.parentElement||e.parentElement.getBoundingClientRect().right<=innerWidth+0.5).map((e)=>e.tagName.toLowerCase()+' under "'+label(e)+'"');
const empty=[...document.querySelectorAll('table')].filter((t)=>[...t.querySelectorAll('th')].some((h)=>!h.textContent.trim())).map(label);
document.body.setAttribute('data-check',JSON.stringify({scrollWidth:d.scrollWidth,innerWidth,height:d.scrollHeight,wide,empty}))})</script>`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-page-'));
try {
  const copy = path.join(dir, 'page.html');
  writeFileSync(copy, readFileSync(page, 'utf8').replace('</body>', `${probe}</body>`));
  const dom = run([`--window-size=${width},900`, '--virtual-time-budget=5000', '--dump-dom'], `file://${copy}`);
  const m = /data-check="([^"]*)"/.exec(dom);
  if (!m) fail('the browser did not run the page check (no data-check attribute in its DOM)');
  const r = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  run([`--window-size=${width},${Math.min(r.height + 20, 30000)}`, `--screenshot=${path.resolve(out)}`], `file://${path.resolve(page)}`);
  const problems = [];
  if (r.scrollWidth > r.innerWidth) problems.push(`the page scrolls sideways: ${r.scrollWidth} px wide in a ${r.innerWidth} px window`);
  for (const w of r.wide) problems.push(`wider than the window: ${w}`);
  for (const t of r.empty) problems.push(`a column without a header in the table under "${t}"`);
  process.stdout.write(`${page} at ${width} px: ${r.scrollWidth} px wide, ${r.height} px tall; screenshot ${out}\n`);
  for (const p of problems) process.stdout.write(`  ${p}\n`);
  process.stdout.write(problems.length ? `${problems.length} problem(s)\n` : 'no horizontal scroll, every column has a header\n');
  process.exitCode = problems.length ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
