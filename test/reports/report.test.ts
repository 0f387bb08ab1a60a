import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../engine/index.js';
import { writeResults } from '../../core/results.js';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { PALETTE } from '../../reports/charts/canvas.js';
import { ANSWER_BEGIN, ANSWER_END, defaultProfileCommand, renderReport } from '../../reports/render.js';
import { fixtureResults } from './fixture.js';
import { tempDir } from '../temp-dir.js';

const tmp = () => tempDir('sluice-report-');
const GOLDEN = path.resolve('test/fixtures/report.golden.md');

function fixtureFile(): string {
  const f = path.join(tmp(), 'fixture.json');
  writeResults(f, fixtureResults());
  return f;
}

test('golden: a fixed results file renders to the expected Markdown', (t) => {
  const out = renderReport(fixtureFile(), tmp());
  const md = readFileSync(path.join(out.dir, 'report.md'), 'utf8');
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, md);
  t.is(md, readFileSync(GOLDEN, 'utf8'));
});

test('every table the fixture can fill is there, errored cases show as errors, verdicts are stated', (t) => {
  const out = renderReport(fixtureFile(), tmp());
  const md = readFileSync(path.join(out.dir, 'report.md'), 'utf8');
  for (const title of ['Query pattern performance', 'Iterator composition', 'Memory characteristics', 'Joins: standard vs symmetric hash join', 'Aggregation (OHLC)', 'Pipeline depth', 'Selectivity sweep over sizes']) {
    t.true(md.includes(`## ${title}`), title);
  }
  t.regex(md, /\| aggressive \|[^\n]*errored: out of memory/);
  t.regex(md, /## Errored cases/);
  t.regex(md, /\*\*the published 1\.65x is not reproduced\*\* \(it is above the 95% CI\)/);
  t.true(md.indexOf('## The answer: streaming vs materializing') < md.indexOf('## How to read this report'), 'the answer comes first');
  t.regex(md, /formula/);
  const html = readFileSync(out.index, 'utf8');
  t.regex(html, /Test CPU, 2 cores/);
  t.regex(html, /<img alt="Time vs selectivity, 10,000 rows" src="data:image\/png;base64,/);
});

test('rendering is deterministic: the same results file gives byte-identical files', (t) => {
  const f = fixtureFile();
  const a = renderReport(f, tmp()), b = renderReport(f, tmp());
  t.deepEqual(readdirSync(a.dir).sort(), readdirSync(b.dir).sort());
  for (const name of readdirSync(a.dir)) t.true(readFileSync(path.join(a.dir, name)).equals(readFileSync(path.join(b.dir, name))), name);
});

test('rendering again into the same folder removes the charts the earlier render wrote and this one does not, and nothing else', (t) => {
  const dir = tmp();
  const full = fixtureResults();
  const first = renderReport(fixtureFile(), dir);
  const charts = readdirSync(dir).filter((n) => n.endsWith('.png'));
  t.true(charts.length > 2);
  writeFileSync(path.join(dir, 'notes.png'), 'a user file that happens to be a PNG');
  writeFileSync(path.join(dir, 'notes.txt'), 'a user file');
  // A user's edit of the manifest cannot point the deletion anywhere else.
  writeFileSync(path.join(dir, '.sluice-report'), readFileSync(path.join(dir, '.sluice-report'), 'utf8') + '../outside.png\nnotes.txt\n');
  // The same results without the selectivity cases: their charts are no longer drawn.
  const fewer = path.join(tmp(), 'fewer.json');
  writeResults(fewer, { ...full, cases: full.cases.filter((c) => c.scenario !== 'selectivity') });
  const second = renderReport(fewer, dir);
  const now = readdirSync(dir);
  const gone = charts.filter((n) => !now.includes(n));
  t.true(gone.length > 0 && gone.every((n) => n.startsWith('selectivity-')), `removed: ${gone.join(', ')}`);
  t.deepEqual(now.filter((n) => n.endsWith('.png') && n !== 'notes.png').sort(), second.files.map((f) => path.basename(f)).filter((n) => n.endsWith('.png')).sort());
  t.true(now.includes('notes.png') && now.includes('notes.txt'), 'files the render did not write are kept');
  t.true(first.files.length > second.files.length);
});

/** Pixels of the plot area whose colour is close to `hex`. */
async function countColour(png: Buffer, hex: string): Promise<{ width: number; height: number; count: number }> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const { data } = g.getImageData(96, 70, img.width - 96 - 230, img.height - 70 - 76);
  const [r, gg, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r!) < 40 && Math.abs(data[i + 1]! - gg!) < 40 && Math.abs(data[i + 2]! - b!) < 40) count++;
  return { width: img.width, height: img.height, count };
}

test('charts: each is a 960x560 PNG whose plot area actually holds the data', async (t) => {
  const out = renderReport(fixtureFile(), tmp());
  const pngs = out.files.filter((f) => f.endsWith('.png'));
  t.deepEqual(pngs.map((f) => path.basename(f)).sort(), ['aggregation.png', 'depth-heap.png', 'depth-time.png', 'joins-first-row.png', 'joins.png', 'selectivity-heap-10000.png', 'selectivity-time-10000.png']);
  for (const f of pngs) {
    const png = readFileSync(f);
    const streaming = await countColour(png, PALETTE.streaming);
    t.is(streaming.width, 960, f);
    t.is(streaming.height, 560, f);
    t.true(streaming.count > 150, `${path.basename(f)}: only ${streaming.count} streaming-coloured pixels in the plot area`);
  }
  const lines = await countColour(readFileSync(path.join(out.dir, 'selectivity-time-10000.png')), PALETTE.materialized);
  t.true(lines.count > 150, 'the materialized line is drawn too');
});

test('bad input: a missing, corrupt or wrong-schema results file is refused', (t) => {
  const dir = tmp();
  t.throws(() => renderReport(path.join(dir, 'none.json'), dir), { instanceOf: ConfigError, message: /no such file/ });
  writeFileSync(path.join(dir, 'c.json'), '{"schema":');
  t.throws(() => renderReport(path.join(dir, 'c.json'), dir), { instanceOf: ConfigError, message: /not valid JSON/ });
  writeFileSync(path.join(dir, 's.json'), JSON.stringify({ schema: 'sluice-results', version: 7 }));
  t.throws(() => renderReport(path.join(dir, 's.json'), dir), { instanceOf: ConfigError, message: /schema version 7/ });
  t.false(existsSync(path.join(dir, 'index.html')), 'nothing was written');
});

test('the profile command shown in index.html is one shell word per argument, whatever the case id holds', (t) => {
  t.is(defaultProfileCommand("a/b=1/streaming"), "npx sluice profile 'a/b=1/streaming' --tool flame");
  t.is(defaultProfileCommand("x'; rm -rf ~; '"), "npx sluice profile 'x'\\''; rm -rf ~; '\\''' --tool flame");
});
test("the README's answer table is the committed reference report's", (t) => {
  const block = (file: string) => {
    const text = readFileSync(file, 'utf8');
    const a = text.indexOf(ANSWER_BEGIN), b = text.indexOf(ANSWER_END);
    t.true(a >= 0 && b > a, `${file} has the answer markers`);
    return text.slice(a, b);
  };
  t.is(block('README.md'), block('reports/reference/report.md'), 'regenerate with npm run readme:answer');
});

test('joins: a first-row ratio pooled over isolate groups is stated only as far as its interval goes', (t) => {
  const withRounds = (std: number[], sym: number[]) => {
    const r = fixtureResults();
    for (const c of r.cases) {
      if (c.scenario !== 'join' || c.params.variant !== 'full') continue;
      const spread = (x: number, k: number) => [0, 1, 2, 3, 4].map((i) => x * (1 + ((i * 7 + k * 3) % 5) / 100));
      if (c.options.enableSymmetricHashJoin === false) c.firstRowRounds = std.map(spread);
      else if (c.options.enableSymmetricHashJoin === true && c.options.enableSymmetricJoinDrain === undefined) c.firstRowRounds = sym.map(spread);
    }
    const f = path.join(tmp(), 'fixture.json');
    writeResults(f, r);
    return readFileSync(path.join(renderReport(f, tmp()).dir, 'report.md'), 'utf8');
  };
  // Four isolate groups: the standard join's first row at 300-330 µs, the symmetric one's at 30-34 µs.
  const md = withRounds([300e3, 310e3, 320e3, 330e3], [30e3, 34e3, 31e3, 32e3]);
  const line = md.split('\n').find((l) => l.includes('time to first row:'));
  t.truthy(line, 'a first-row finding for the full join');
  t.regex(line!, /the symmetric join's first row comes (9\.\d|10\.\d)x earlier than the standard hash join's \(95% CI [\d.]+–[\d.]+, over isolate groups\)/);
  // Groups that disagree in direction: no verdict.
  const mixed = withRounds([300e3, 30e3, 310e3, 31e3], [30e3, 300e3, 31e3, 310e3]);
  t.regex(mixed, /no measurable difference between the two joins' first rows/);
  // Without rounds (the golden fixture), no such line.
  t.false(readFileSync(path.join(renderReport(fixtureFile(), tmp()).dir, 'report.md'), 'utf8').includes('time to first row:'));
});
