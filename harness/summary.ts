import type { CaseRecord, ResultsFile } from './results.js';

/** Human units: ns → "12.3 µs" etc. */
export function formatNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return '–';
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** Human units for bytes. */
export function formatBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return '–';
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
  return `${(b / 1024 ** 3).toFixed(2)} GiB`;
}

/** Engine plus its non-default options, e.g. `streaming +enableSymmetricHashJoin`. */
export function runnerLabel(c: Pick<CaseRecord, 'engine' | 'options'>): string {
  const opts = Object.entries(c.options).map(([k, v]) => (v === true ? k : v === false ? `!${k}` : `${k}=${String(v)}`));
  return opts.length ? `${c.engine} ${opts.join(' ')}` : c.engine;
}

/**
 * The plain table printed after a run: one row per case, grouped, with the median time, its 95%
 * confidence interval, the ratio to the group's limit baseline (when there is one), and memory.
 */
export function formatMedianTable(results: ResultsFile): string {
  const lines = [
    '| case | runner | median | 95% CI | vs baseline | peak heap | allocated | tracker peak | first row |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const byGroup = new Map<string, CaseRecord[]>();
  for (const c of results.cases) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c]);
  for (const [group, cases] of byGroup) {
    const base = cases.find((c) => c.engine === 'baseline' && c.summary)?.summary?.medianNs;
    for (const c of cases) {
      if (c.status === 'errored') {
        lines.push(`| ${group} | ${runnerLabel(c)} | **errored**: ${c.error ?? ''} | | | | | | |`);
        continue;
      }
      const s = c.summary;
      lines.push(`| ${group} | ${runnerLabel(c)} | ${formatNs(s?.medianNs)} | ${s ? `${formatNs(s.ci95Ns[0])} – ${formatNs(s.ci95Ns[1])}` : '–'} | ${base && s ? `${(s.medianNs / base).toFixed(2)}x` : '–'} | ${formatBytes(c.heap?.peakBytes)} | ${formatBytes(c.heap?.allocatedBytes)} | ${formatBytes(c.heap?.trackerPeakBytes)} | ${formatNs(c.firstRowNs)} |`);
    }
  }
  return lines.join('\n');
}

/** For a sweep: per engine, the option combination with the lowest median time, and the worst. */
export function bestPerEngine(results: ResultsFile): string {
  const lines = ['| engine | best options | median | worst options | median | best/worst |', '|---|---|---:|---|---:|---:|'];
  const engines = [...new Set(results.cases.map((c) => c.engine))];
  for (const e of engines) {
    const ok = results.cases.filter((c) => c.engine === e && c.summary).sort((a, b) => a.summary!.medianNs - b.summary!.medianNs);
    if (ok.length === 0) continue;
    const best = ok[0]!, worst = ok.at(-1)!;
    const opts = (c: CaseRecord) => (Object.keys(c.options).length ? JSON.stringify(c.options) : 'defaults');
    lines.push(`| ${e} | ${opts(best)} | ${formatNs(best.summary!.medianNs)} | ${opts(worst)} | ${formatNs(worst.summary!.medianNs)} | ${(best.summary!.medianNs / worst.summary!.medianNs).toFixed(2)} |`);
  }
  return lines.join('\n');
}
