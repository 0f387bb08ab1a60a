import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../engine/index.js';
import { readResults, type ResultsFile } from '../harness/results.js';
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

const HOW_TO_READ = [
  'Each case ran in its own Node.js process; time and heap were measured in separate processes.',
  'Times are medians of all benchmark.js samples over interleaved rounds, with the 95% confidence interval of the median; speedups are ratios of medians with a bootstrap 95% CI.',
  '"M / S" cells are materialized / streaming. "Limit loop" is a hand-written single loop computing the same result: the practical floor.',
  'Peak heap and allocated bytes are V8\'s own GC statistics; the tracker peak is the engine\'s deterministic byte model. None is computed from row counts.',
  'Peak heap is the used heap just before each GC or at the end, above a post-GC baseline, with a 1 MB young generation: its resolution is about 1 MB. A query that allocates less than that never triggers a GC, so its peak equals its allocation, garbage included; compare small cases by tracker peak and retained size instead.',
  'Every case checked its output (row count and an order-independent checksum); engines that disagreed would be shown as errors, never as timings.',
];

function environmentLines(r: ResultsFile): string[] {
  const e = r.environment;
  const errored = r.cases.filter((c) => c.status === 'errored').length;
  return [
    `suite **${r.suite}**, measured ${r.createdAt}`,
    `${e.cpuModel}, ${e.cores} cores, ${e.os}`,
    `node ${e.node} (V8 ${e.v8}); time pass \`${e.nodeFlags.time.join(' ')}\`, heap pass \`${e.nodeFlags.heap.join(' ')}\``,
    `git ${e.gitSha}, lockfile ${e.lockfileHash}`,
    `${r.cases.length} cases, ${errored} errored; ${r.settings.rounds} rounds, benchmark.js maxTime ${r.settings.maxTime} s, at least ${r.settings.minSamples} samples`,
  ];
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown report. */
export function renderMarkdown(r: ResultsFile, tables: Table[], figures: Figure[]): string {
  const out: string[] = [`# sluice report: ${r.suite}`, '', ...environmentLines(r).map((l) => `- ${l}`), '', '## How to read this report', '', ...HOW_TO_READ.map((l) => `- ${l}`), ''];
  for (const t of tables) {
    out.push(`## ${t.title}`, '', t.what, '', `| ${t.columns.map(mdCell).join(' | ')} |`, `|${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const row of t.rows) out.push(`| ${row.map(mdCell).join(' | ')} |`);
    out.push('');
    for (const n of t.notes) out.push(`- ${n}`);
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
const inline = (s: string) => esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');

/** A single self-contained page: environment, tables, charts embedded as data URIs. */
export function renderHtml(r: ResultsFile, tables: Table[], figures: Figure[], profileCommand?: (caseId: string) => string): string {
  const parts: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>sluice report: ${esc(r.suite)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;vertical-align:top}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:.5rem 0}.env{background:#f7f7f7;padding:.5rem 1rem;border-left:4px solid #0072B2}code{font-size:.8rem}.note{margin:.2rem 0}</style>',
    '</head><body>',
    `<h1>sluice report: ${esc(r.suite)}</h1>`,
    `<div class="env"><ul>${environmentLines(r).map((l) => `<li>${inline(l).replace(/`([^`]+)`/g, '<code>$1</code>')}</li>`).join('')}</ul></div>`,
    `<h2>How to read this report</h2><ul>${HOW_TO_READ.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`,
  ];
  for (const t of tables) {
    const profile = profileCommand !== undefined;
    parts.push(`<h2 id="${t.id}">${esc(t.title)}</h2><p>${esc(t.what)}</p><table><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}${profile ? '<th>Profile</th>' : ''}</tr></thead><tbody>`);
    t.rows.forEach((row, i) => {
      const cmds = profile ? (t.rowCases[i] ?? []).map((id) => `<code>${esc(profileCommand!(id))}</code>`).join('<br>') : '';
      parts.push(`<tr>${row.map((c) => `<td>${inline(c)}</td>`).join('')}${profile ? `<td>${cmds}</td>` : ''}</tr>`);
    });
    parts.push('</tbody></table>');
    for (const n of t.notes) parts.push(`<p class="note">• ${inline(n)}</p>`);
    for (const f of figures.filter(CHARTS_FOR[t.id] ?? (() => false))) parts.push(`<figure><img alt="${esc(f.title)}" src="data:image/png;base64,${f.png.toString('base64')}"><figcaption>${esc(f.title)}</figcaption></figure>`);
  }
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
    if (!/^[A-Za-z0-9._=,-]+$/.test(name) || path.dirname(path.resolve(f)) !== root) {
      throw new ConfigError(`refusing to write report file ${JSON.stringify(name)}: it is not a plain file name inside '${outDir}'`);
    }
    try {
      writeFileSync(f, data);
    } catch (e) {
      throw new ConfigError(`cannot write '${f}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    files.push(f);
  };
  for (const f of figures) put(f.file, f.png);
  put('report.md', renderMarkdown(results, tables, figures));
  put('index.html', renderHtml(results, tables, figures, profileCommand));
  return { dir: outDir, files, index: path.join(outDir, 'index.html') };
}
