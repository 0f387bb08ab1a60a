/**
 * `sluice export --format github-action-benchmark`: the JSON array that
 * benchmark-action/github-action-benchmark reads with `tool: customSmallerIsBetter`:
 * `[{ name, unit, value, range?, extra? }]`, every value smaller-is-better.
 *
 * Per ok case: the median time (unit ns, range = half the 95% interval), and when measured the
 * peak heap and the tracker peak (unit bytes). Errored cases are left out (the action has no
 * way to say "failed") and counted in the return value so the CLI can say so.
 */
import type { ResultsFile } from '../core/results.js';

/** One entry of the action's custom format. */
export interface BenchmarkActionEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

export const EXPORT_FORMATS = ['github-action-benchmark'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Entries for every ok case of `results`, and how many cases were skipped as not ok. */
export function toGithubActionBenchmark(results: ResultsFile): { entries: BenchmarkActionEntry[]; skipped: number } {
  const entries: BenchmarkActionEntry[] = [];
  let skipped = 0;
  for (const c of results.cases) {
    if (c.status !== 'ok' || !c.summary) {
      skipped++;
      continue;
    }
    const s = c.summary;
    const extra = `${s.n} samples; suite ${results.suite}; ${results.environment.gitSha}`;
    entries.push({ name: `${c.id} time`, unit: 'ns', value: Math.round(s.medianNs), range: `± ${Math.round((s.ci95Ns[1] - s.ci95Ns[0]) / 2)}`, extra });
    if (c.heap) {
      entries.push({ name: `${c.id} peak heap`, unit: 'bytes', value: c.heap.peakBytes });
      if (c.heap.trackerPeakBytes !== null) entries.push({ name: `${c.id} tracker peak`, unit: 'bytes', value: c.heap.trackerPeakBytes });
    }
  }
  return { entries, skipped };
}
