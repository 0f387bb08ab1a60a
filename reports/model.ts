import type { CaseRecord, ResultsFile } from '../harness/results.js';
import { ratioCI } from '../harness/stats/descriptive.js';
import { formatBytes, formatNs, runnerLabel } from '../harness/summary.js';

/** Look cases up by scenario, parameters, engine and options. */
export class CaseIndex {
  private readonly byKey = new Map<string, CaseRecord>();

  constructor(readonly results: ResultsFile) {
    for (const c of results.cases) this.byKey.set(key(c.scenario, c.params, c.engine, c.options as Record<string, unknown>), c);
  }

  /** The case, or undefined when the results file does not hold it. */
  get(scenario: string, params: Record<string, unknown>, engine: string, options: Record<string, unknown> = {}): CaseRecord | undefined {
    return this.byKey.get(key(scenario, params, engine, options));
  }

  /** Every case of a scenario. */
  of(scenario: string): CaseRecord[] {
    return this.results.cases.filter((c) => c.scenario === scenario);
  }

  /** Distinct values a parameter takes among a scenario's cases, sorted. */
  values(scenario: string, param: string): (number | string)[] {
    const vs = [...new Set(this.of(scenario).map((c) => c.params[param] as number | string))];
    return vs.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
  }
}

function key(scenario: string, params: Record<string, unknown>, engine: string, options: Record<string, unknown>): string {
  const p = Object.keys(params).sort().map((k) => `${k}=${String(params[k])}`).join(',');
  const o = Object.keys(options).sort().map((k) => `${k}=${String(options[k])}`).join(',');
  return `${scenario}|${p}|${engine}|${o}`;
}

/** A case is usable when it finished and has samples. */
export function usable(c: CaseRecord | undefined): c is CaseRecord & { summary: NonNullable<CaseRecord['summary']> } {
  return c !== undefined && c.status === 'ok' && c.summary !== undefined;
}

/** All samples of a case. */
export function samples(c: CaseRecord): number[] {
  return c.rounds.flat();
}

/** "1.23 ms" or the reason the case has no number. */
export function timeCell(c: CaseRecord | undefined): string {
  if (c === undefined) return 'not run';
  if (c.status === 'errored') return `errored: ${c.error ?? 'unknown'}`;
  if (!usable(c)) return 'incomplete';
  return formatNs(c.summary.medianNs);
}

/** Median with its 95% CI, e.g. "1.23 ms (1.20–1.31)". */
export function timeWithCI(c: CaseRecord | undefined): string {
  if (!usable(c)) return timeCell(c);
  return `${formatNs(c.summary.medianNs)} (${formatNs(c.summary.ci95Ns[0])}–${formatNs(c.summary.ci95Ns[1])})`;
}

/** Ratio of medians a/b with a bootstrap 95% CI (seeded: deterministic). */
export interface Ratio {
  value: number;
  lo: number;
  hi: number;
}

export function ratio(a: CaseRecord | undefined, b: CaseRecord | undefined): Ratio | undefined {
  if (!usable(a) || !usable(b)) return undefined;
  const [lo, hi] = ratioCI(samples(a), samples(b));
  return { value: a.summary.medianNs / b.summary.medianNs, lo, hi };
}

export function ratioCell(r: Ratio | undefined): string {
  return r ? `${r.value.toFixed(2)}x (${r.lo.toFixed(2)}–${r.hi.toFixed(2)})` : '–';
}

/** "a / b" for two byte figures. */
export function bytesPair(a: number | null | undefined, b: number | null | undefined): string {
  return `${formatBytes(a)} / ${formatBytes(b)}`;
}

/** 1 − b/a as a percentage ("−35%" when b is larger). */
export function reduction(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || a <= 0) return '–';
  const r = 1 - b / a;
  return `${(r * 100).toFixed(r > -1 && r < 1 && Math.abs(r) < 0.1 ? 1 : 0)}%`;
}

/**
 * How a measured ratio with CI compares with a published value: consistent (inside the CI),
 * or smaller/larger than published.
 */
export function verdict(r: Ratio | undefined, published: number): string {
  if (!r) return 'not measured';
  if (published >= r.lo && published <= r.hi) return 'consistent with the published figure';
  return published > r.hi ? `**smaller than published** (${published}x is outside the 95% CI)` : `**larger than published** (${published}x is outside the 95% CI)`;
}

export { formatBytes, formatNs, runnerLabel };
