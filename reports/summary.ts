/**
 * What `sluice run` and `sluice sweep` print when they finish: one row per case, and for sweeps
 * the ranking of option combinations. Ratios are the report's (paired when the runners took turns
 * in a group pass), with their 95% intervals, and a verdict only where the interval excludes 1.
 */
import type { ResultsFile } from '../core/results.js';
import { formatBytes, formatNs, runnerLabel } from './format.js';
import { caseGroups, CaseIndex, ratio, ratioCell, timeVerdict, usable } from './model.js';
import { markdownTable } from './render.js';
import { sweepTable } from './tables.js';

/**
 * The table printed after a run: per case its median time (95% CI), how it compares with the
 * group's materialized case (the streaming-vs-materialized answer) and with the limit loop, and
 * its memory.
 */
export function runSummary(results: ResultsFile): string {
  const lines = [
    '| case | runner | median (95% CI) | vs materialized | time / limit loop | peak heap | tracker peak | first row |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [group, cases] of caseGroups(results.cases)) {
    const m = cases.find((c) => c.engine === 'materialized' && Object.keys(c.options).length === 0 && usable(c));
    const loop = cases.find((c) => c.engine === 'limit-loop' && usable(c));
    for (const c of cases) {
      if (c.status === 'errored') {
        lines.push(`| ${group} | ${runnerLabel(c)} | **errored**: ${c.error ?? ''} | | | | | |`);
        continue;
      }
      const s = c.summary;
      const time = s ? `${formatNs(s.medianNs)} (${formatNs(s.ci95Ns[0])}–${formatNs(s.ci95Ns[1])})` : '–';
      const vsM = c === m ? '' : timeVerdict(ratio(m, c));
      const vsLoop = c === loop || !loop ? '' : ratioCell(ratio(c, loop));
      lines.push(`| ${group} | ${runnerLabel(c)} | ${time} | ${vsM} | ${vsLoop} | ${formatBytes(c.heap?.peakBytes)} | ${formatBytes(c.heap?.trackerPeakBytes)} | ${formatNs(c.firstRowNs)} |`);
    }
  }
  return lines.join('\n');
}

/** For a sweep: the report's ranking of option combinations (paired ratio to the fastest, with the indistinguishable set). */
export function sweepSummary(results: ResultsFile): string {
  const t = sweepTable(new CaseIndex(results));
  return t ? markdownTable(t) : 'no option combination finished';
}
