import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../engine/index.js';
import { readResults, type ResultsFile } from '../core/results.js';
import { allFigures, type Figure } from './figures.js';
import { CaseIndex } from './model.js';
import { allTables, type Table } from './tables.js';

/** Which charts belong under which table. */
const CHARTS_FOR: Record<string, (f: Figure) => boolean> = {
  'query-patterns': (f) => f.file === 'selectivity-time-10000.png' || f.file === 'selectivity-heap-10000.png',
  'selectivity-sweep': (f) => f.file.startsWith('selectivity-') && !f.file.endsWith('-10000.png'),
  'pipeline-depth': (f) => f.file.startsWith('depth-'),
  'iterator-composition': () => false,
  joins: (f) => f.file.startsWith('joins'),
  aggregation: (f) => f.file === 'aggregation.png',
  sweep: (f) => f.file === 'sweep-heatmap.png',
};

const HOW_TO_READ_REST = [
  'Ratios (speedups, "vs limit loop", option sweeps) are paired: all runners of a row took turns in one process, each in a V8 isolate of its own, about 1 ms of runs at a time, over several fresh isolate groups pooled by a random-effects model; the 95% CI is of that pooled ratio (Hartung–Knapp: a t interval on the isolate groups, honest with only a few). A ratio marked "unpaired" came from separate processes (a bootstrap interval, much wider).',
  'A verdict ("faster", "slower", "not reproduced") is printed only when the 95% interval excludes no difference; otherwise the cell says there is no measurable difference.',
  'Paired arms are warmed up alike: each arm of a quick query (under 1 ms a run) runs 2500 times alone first, so that the planner, which runs once per query, is optimized as in benchmark.js (without it a fused 10K-row filter measured 112 µs paired against 76 µs in benchmark.js, and its gain vanished from the ratios).',
  '"M / S" cells are materialized / streaming. "Limit loop" is a hand-written single loop computing the same result: the practical floor.',
  'Peak heap and allocated bytes are V8\'s own GC statistics; the tracker peak is the engine\'s deterministic byte model. None is computed from row counts.',
  'Peak heap is the used heap just before each GC or at the end, above a post-GC baseline, with a 1 MiB young generation. V8 moves these figures in steps of one heap page (256 KiB) with what the process holds, so a difference within the resolution (the larger of 256 KiB and the spread of the case\'s own runs) reads "below resolution", never as a reduction; compare small cases by the tracker peak instead.',
  'Every case checked its output (row count and an order-independent checksum); engines that disagreed would be shown as errors, never as timings.',
];

/** How a report's times were taken, said only for the kinds of timing its cases had. */
const TIMES_POOLED = 'Absolute times of a case group\'s runners come from the same group passes as its ratios: the runner\'s samples while taking turns, per isolate group the median, pooled over the isolate groups by a random-effects model (95% Hartung–Knapp interval: a time that differs from one isolate to the next gets a wide one). They run above the time of a process that runs the query alone (measured side by side at c1f2b57: a median 1.18x, 0.90–1.74x for 80% of 154 cases; between turns an arm\'s data leaves the CPU caches, and the group pass runs V8 without background GC and compiler threads): read them as the conditions of the ratios.';
const TIMES_ALONE = 'Absolute times of a case timed in a Node.js process of its own (a lone runner, a task, a case under a heap cap, or any case of a run made before group passes timed their groups) come from benchmark.js: the median of its samples, with the 95% interval of the median.';

/** The reading notes of a report: the timing notes that apply to its cases, then the rest. */
function howToRead(r: ResultsFile): string[] {
  const pooled = r.cases.some((c) => c.summary?.isolates !== undefined);
  const alone = r.cases.some((c) => c.summary !== undefined && c.summary.isolates === undefined);
  return [...(pooled ? [TIMES_POOLED] : []), ...(alone || !pooled ? [TIMES_ALONE] : []), ...HOW_TO_READ_REST];
}

function environmentLines(r: ResultsFile): string[] {
  const e = r.environment;
  const errored = r.cases.filter((c) => c.status === 'errored').length;
  return [
    `suite **${r.suite}**, measured ${r.createdAt}`,
    `${e.cpuModel}, ${e.cores} cores, ${e.os}`,
    `node ${e.node} (V8 ${e.v8}); time pass \`${e.nodeFlags.time.join(' ')}\`, heap pass \`${e.nodeFlags.heap.join(' ')}\`${e.nodeFlags.group ? `, group pass \`${e.nodeFlags.group.join(' ')}\`` : ''}`,
    `git ${e.gitSha}, lockfile ${e.lockfileHash}`,
    `${r.cases.length} cases, ${errored} errored`,
    ...timingLines(r),
  ];
}

/** How the report's times were taken: by group passes (pooled over isolates), by benchmark.js time passes, or both. */
function timingLines(r: ResultsFile): string[] {
  const s = r.settings;
  const pooled = r.cases.filter((c) => c.summary?.isolates !== undefined).length;
  const alone = r.cases.filter((c) => c.summary !== undefined && c.summary.isolates === undefined).length;
  const out: string[] = [];
  if (pooled) out.push(`${pooled} case(s) timed by their group passes alone: every runner of a case group in one process, each in a worker isolate of its own, taking turns in samples of about 1 ms; ${s.groupIsolates} isolate groups per process, ${s.groupMaxTime ?? s.maxTime} s of turns each, up to ${s.groupPasses} processes; a time is the random-effects estimate over the isolate groups' medians, with its Hartung–Knapp 95% interval`);
  if (alone) out.push(`${alone} case(s) timed by benchmark.js in a process of their own: ${s.rounds} round(s), maxTime ${s.maxTime} s, at least ${s.minSamples} samples${pooled ? ' (tasks, lone runners and cases under a heap cap)' : ''}`);
  return out;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markers around the answer table, so the README can carry the reference report's copy. */
export const ANSWER_BEGIN = '<!-- answer:begin (generated from reports/reference/report.md by `npm run readme:answer`) -->';
export const ANSWER_END = '<!-- answer:end -->';

/** The answer block (markers included) of a Markdown text, or undefined when it has none. */
export function answerBlock(text: string): string | undefined {
  const a = text.indexOf(ANSWER_BEGIN), b = text.indexOf(ANSWER_END);
  return a >= 0 && b > a ? text.slice(a, b + ANSWER_END.length) : undefined;
}

/**
 * The Markdown file `file` with its answer block replaced by the one in `report` (a report.md).
 * @throws ConfigError when either has no answer block.
 */
export function withAnswer(file: string, report: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const block = answerBlock(report);
  if (block === undefined) throw new ConfigError('the report has no answer table (it needs cases of both engines with default options)');
  const old = answerBlock(text);
  if (old === undefined) throw new ConfigError(`'${file}' has no answer markers; add the two lines ${ANSWER_BEGIN} and ${ANSWER_END} where the answer belongs`);
  return text.replace(old, block);
}

/** A table's rows and notes as Markdown, without its heading (for a terminal). */
export function markdownTable(t: Table): string {
  return [
    `| ${t.columns.map(mdCell).join(' | ')} |`, `|${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...t.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`), ...t.notes.map((n) => `- ${n}`),
  ].join('\n');
}

/** One table as Markdown lines: heading, what it measured, the rows and its notes. */
function tableMarkdown(t: Table): string[] {
  return [
    `## ${t.title}`, '', t.what, '',
    `| ${t.columns.map(mdCell).join(' | ')} |`, `|${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...t.rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`), '', ...t.notes.map((n) => `- ${n}`),
  ];
}

/** Whether a table is one of the answer tables that open a report (time, then memory). */
const isAnswer = (t: Table) => t.id === 'answer' || t.id.startsWith('answer-');

/** The answer tables as Markdown lines, between their markers. */
export function answerMarkdown(answer: readonly Table[]): string[] {
  return [ANSWER_BEGIN, ...answer.flatMap((t, i) => [...(i ? [''] : []), ...tableMarkdown(t)]), ANSWER_END];
}

/** The Markdown report. */
export function renderMarkdown(r: ResultsFile, tables: Table[], figures: Figure[]): string {
  const out: string[] = [`# sluice report: ${r.suite}`, ''];
  // The answer first, then where and how it was measured, then the detail.
  const answer = tables.filter(isAnswer), rest = tables.filter((t) => !isAnswer(t));
  if (answer.length) out.push(...answerMarkdown(answer), '');
  out.push(...environmentLines(r).map((l) => `- ${l}`), '', '## How to read this report', '', ...howToRead(r).map((l) => `- ${l}`), '');
  for (const t of rest) {
    out.push(...tableMarkdown(t));
    if (t.notes.length) out.push('');
    for (const f of figures.filter(CHARTS_FOR[t.id] ?? (() => false))) out.push(`![${f.title}](${f.file})`, '');
  }
  const errored = r.cases.filter((c) => c.status === 'errored');
  if (errored.length) {
    out.push('## Errored cases', '', '| case | error |', '|---|---|');
    for (const c of errored) out.push(`| ${mdCell(c.id)} | ${mdCell(c.error ?? '')} |`);
    out.push('');
  }
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const inline = (s: string) => esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`([^`]+)`/g, '<code>$1</code>');

/** A single self-contained page: environment, tables, charts embedded as data URIs. */
export function renderHtml(r: ResultsFile, tables: Table[], figures: Figure[], profileCommand?: (caseId: string) => string): string {
  const parts: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>sluice report: ${esc(r.suite)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem;max-width:100%}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;vertical-align:top}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:.5rem 0}.env{background:#f7f7f7;padding:.5rem 1rem;border-left:4px solid #0072B2}code{font-size:.8rem}.note{margin:.2rem 0}details{text-align:left}summary{cursor:pointer;color:#0072B2}details code{display:block;overflow-wrap:anywhere;margin:.2rem 0;min-width:16rem}</style>',
    '</head><body>',
    `<h1>sluice report: ${esc(r.suite)}</h1>`,
  ];
  const profile = profileCommand !== undefined;
  const table = (t: Table) => {
    parts.push(`<h2 id="${t.id}">${esc(t.title)}</h2><p>${esc(t.what)}</p><table><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}${profile ? '<th>Profile</th>' : ''}</tr></thead><tbody>`);
    t.rows.forEach((row, i) => {
      // Collapsed: the commands are long, and a column of them would push every table sideways.
      const ids = t.rowCases[i] ?? [];
      const cmds = profile && ids.length ? `<details><summary>${ids.length} command${ids.length === 1 ? '' : 's'}</summary>${ids.map((id) => `<code>${esc(profileCommand!(id))}</code>`).join('')}</details>` : '';
      parts.push(`<tr>${row.map((c) => `<td>${inline(c)}</td>`).join('')}${profile ? `<td>${cmds}</td>` : ''}</tr>`);
    });
    parts.push('</tbody></table>');
    for (const n of t.notes) parts.push(`<p class="note">• ${inline(n)}</p>`);
    for (const f of figures.filter(CHARTS_FOR[t.id] ?? (() => false))) parts.push(`<figure><img alt="${esc(f.title)}" src="data:image/png;base64,${f.png.toString('base64')}"><figcaption>${esc(f.title)}</figcaption></figure>`);
  };
  // The answer first (as in report.md), then where and how it was measured, then the detail.
  tables.filter(isAnswer).forEach(table);
  parts.push(
    `<div class="env"><ul>${environmentLines(r).map((l) => `<li>${inline(l)}</li>`).join('')}</ul></div>`,
    `<h2>How to read this report</h2><ul>${howToRead(r).map((l) => `<li>${inline(l)}</li>`).join('')}</ul>`,
  );
  tables.filter((t) => !isAnswer(t)).forEach(table);
  const errored = r.cases.filter((c) => c.status === 'errored');
  if (errored.length) {
    parts.push(`<h2>Errored cases</h2><table><thead><tr><th>case</th><th>error</th></tr></thead><tbody>${errored.map((c) => `<tr><td>${esc(c.id)}</td><td>${esc(c.error ?? '')}</td></tr>`).join('')}</tbody></table>`);
  }
  parts.push('</body></html>');
  return parts.join('\n') + '\n';
}

/** The command that profiles a case, shown beside each HTML table row. */
export function defaultProfileCommand(caseId: string): string {
  return `npx sluice profile ${shellQuote(caseId)} --tool flame`;
}

/** `s` as one POSIX shell word: single-quoted, with each ' written as '\'' (so pasting runs nothing else). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** What `sluice report` wrote. */
export interface ReportOutput {
  dir: string;
  files: string[];
  index: string;
  /** The text of report.md. */
  markdown: string;
}

/**
 * Render a results file into `outDir`: report.md, index.html and one PNG per chart.
 * Deterministic: the same results file gives byte-identical files.
 * @throws ConfigError for an unreadable, corrupt or wrong-schema results file, or an unwritable directory.
 */
export function renderReport(resultsFile: string, outDir: string, profileCommand: (caseId: string) => string = defaultProfileCommand): ReportOutput {
  const results = readResults(resultsFile);
  const ix = new CaseIndex(results);
  const tables = allTables(ix);
  const figures = allFigures(ix);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new ConfigError(`cannot write the report into '${outDir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const files: string[] = [];
  const root = path.resolve(outDir);
  const put = (name: string, data: string | Buffer) => {
    // Every file a report writes is a plain name inside --out (names come partly from the results).
    const f = path.join(outDir, name);
    if (!PLAIN_NAME.test(name) || path.dirname(path.resolve(f)) !== root) {
      throw new ConfigError(`refusing to write report file ${JSON.stringify(name)}: it is not a plain file name inside '${outDir}'`);
    }
    try {
      writeFileSync(f, data);
    } catch (e) {
      throw new ConfigError(`cannot write '${f}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    files.push(f);
  };
  const before = previousRender(outDir);
  for (const f of figures) put(f.file, f.png);
  const markdown = renderMarkdown(results, tables, figures);
  put('report.md', markdown);
  put('index.html', renderHtml(results, tables, figures, profileCommand));
  // Charts an earlier render wrote that this one did not (a size no longer measured) would sit
  // beside the report as if they belonged to it: delete them, and only them.
  const written = new Set(files.map((f) => path.basename(f)));
  for (const name of before) if (!written.has(name)) rmSync(path.join(outDir, name), { force: true });
  writeFileSync(path.join(outDir, RENDER_MANIFEST), [...written].sort().join('\n') + '\n');
  return { dir: outDir, files, index: path.join(outDir, 'index.html'), markdown };
}

/** A file name a report writes: plain characters only, never a path. */
const PLAIN_NAME = /^[A-Za-z0-9._=,-]+$/;

/** The list of files the last render wrote into its folder (one name per line). */
export const RENDER_MANIFEST = '.sluice-report';

/**
 * The charts the previous render into `outDir` wrote, from its manifest: plain `.png` names only,
 * whatever else the file (which a user may have edited) holds, so that nothing but a chart of
 * ours inside `outDir` is ever deleted.
 */
function previousRender(outDir: string): string[] {
  let text: string;
  try {
    text = readFileSync(path.join(outDir, RENDER_MANIFEST), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((n) => PLAIN_NAME.test(n) && n.endsWith('.png'));
}
