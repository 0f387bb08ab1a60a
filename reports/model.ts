import { HEAP_STEP_BYTES, processRounds, type CaseRecord, type ResultsFile } from '../core/results.js';

export { HEAP_STEP_BYTES };
import { ratioCI } from '../core/stats/descriptive.js';
import { aligned, pairedRatio, processRatio } from '../core/stats/paired.js';
import { formatBytes, formatNs, runnerLabel } from './format.js';

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

  /** Every case of a scenario read from `source` (results from before sources had none: 'array'). */
  of(scenario: string, source = 'array'): CaseRecord[] {
    return this.results.cases.filter((c) => c.scenario === scenario && sourceOf(c.params) === source);
  }

  /** Distinct values a parameter takes among a scenario's cases (from `source`), sorted. */
  values(scenario: string, param: string, source = 'array'): (number | string)[] {
    const vs = [...new Set(this.of(scenario, source).map((c) => c.params[param] as number | string))];
    return vs.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
  }
}

/** Cases by case group (scenario and parameters), groups and cases in file order. */
export function caseGroups(cases: readonly CaseRecord[]): Map<string, CaseRecord[]> {
  const groups = new Map<string, CaseRecord[]>();
  for (const c of cases) {
    const g = groups.get(c.group);
    if (g) g.push(c);
    else groups.set(c.group, [c]);
  }
  return groups;
}

/** Where a case read its rows: its `source` parameter, 'array' when absent (files from before it existed). */
export function sourceOf(params: Record<string, unknown>): string {
  return typeof params.source === 'string' ? params.source : 'array';
}

/**
 * The key of a case: a parameter at the value files from before it existed imply is the same as
 * no parameter (`source=array`; the scale scenario's `heapCap=0`, the run's own cap).
 */
function key(scenario: string, params: Record<string, unknown>, engine: string, options: Record<string, unknown>): string {
  const implied = (k: string) => (k === 'source' && params[k] === 'array') || (k === 'heapCap' && Number(params[k]) === 0);
  const p = Object.keys(params).filter((k) => !implied(k)).sort().map((k) => `${k}=${String(params[k])}`).join(',');
  const o = Object.keys(options).sort().map((k) => `${k}=${String(options[k])}`).join(',');
  return `${scenario}|${p}|${engine}|${o}`;
}

/** A case is usable when it finished and has samples. */
export function usable(c: CaseRecord | undefined): c is CaseRecord & { summary: NonNullable<CaseRecord['summary']> } {
  return c !== undefined && c.status === 'ok' && c.summary !== undefined;
}

/** All time samples of a case (its time passes', or its group passes' when it had none). */
export function samples(c: CaseRecord): number[] {
  return processRounds(c).flat();
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

/**
 * A time ratio a/b with its 95% interval. `paired`: both were measured in the same group passes,
 * taking turns in one process (random-effects pooled over isolate groups, see
 * harness/stats/paired.ts); otherwise the ratio of medians of separate processes with a seeded
 * bootstrap interval, which is far wider and says so in every cell.
 */
export interface Ratio {
  value: number;
  lo: number;
  hi: number;
  paired: boolean;
}

/** Both records were measured together in the same group passes, sample for sample. */
function measuredTogether(a: CaseRecord, b: CaseRecord): boolean {
  const wa = a.pairedWith, wb = b.pairedWith;
  return !!wa && !!wb && wa.join('\n') === wb.join('\n') && wa.includes(a.id) && wa.includes(b.id) && aligned(a.groupRounds ?? [], b.groupRounds ?? []);
}

export function ratio(a: CaseRecord | undefined, b: CaseRecord | undefined): Ratio | undefined {
  if (!usable(a) || !usable(b)) return undefined;
  if (measuredTogether(a, b)) {
    const p = pairedRatio(a.groupRounds!, b.groupRounds!, 'hk');
    return { value: p.ratio, lo: p.ci[0], hi: p.ci[1], paired: true };
  }
  const [lo, hi] = ratioCI(samples(a), samples(b));
  return { value: a.summary.medianNs / b.summary.medianNs, lo, hi, paired: false };
}

/**
 * The ratio of two runners' times to first row (a's over b's), pooled over the isolate groups of
 * the group pass that measured both (`firstRowRounds`): per isolate group the difference of the
 * two median log times, the groups as units with a Hartung–Knapp interval (`processRatio`: each
 * runner's five first rows are taken one runner at a time, not in turns, so they do not pair
 * sample by sample). Undefined unless both have the same number of rounds, two or more.
 */
export function firstRowRatio(a: CaseRecord | undefined, b: CaseRecord | undefined): Ratio | undefined {
  const ra = a?.status === 'ok' ? a.firstRowRounds : undefined, rb = b?.status === 'ok' ? b.firstRowRounds : undefined;
  if (!ra || !rb || ra.length < 2 || ra.length !== rb.length) return undefined;
  const p = processRatio(ra, rb);
  return p.rounds < 2 ? undefined : { value: p.ratio, lo: p.ci[0], hi: p.ci[1], paired: true };
}

/** The same comparison the other way round: 1/value, with its interval turned round too. */
export function inverse(r: Ratio): Ratio {
  return { ...r, value: 1 / r.value, lo: 1 / r.hi, hi: 1 / r.lo };
}

/**
 * When a paired ratio and the ratio of the two cases' benchmark.js medians (separate processes)
 * disagree: the medians' ratio lies outside the paired 95% interval. A process can run a query at
 * a speed of its own for its whole life; the paired ratio pools several isolates and is the one
 * to read. Undefined when they agree or the ratio is not paired.
 */
export function mediansDisagree(a: CaseRecord | undefined, b: CaseRecord | undefined, r: Ratio | undefined): string | undefined {
  // Times pooled from the same group passes as the ratio (no time pass of their own) cannot disagree with it this way.
  if (!r?.paired || !usable(a) || !usable(b) || a.summary.isolates !== undefined || b.summary.isolates !== undefined) return undefined;
  const m = a.summary.medianNs / b.summary.medianNs;
  if (m >= r.lo && m <= r.hi) return undefined;
  return `the two medians, from separate processes, give ${m.toFixed(2)}x, outside the paired interval (${r.lo.toFixed(2)}–${r.hi.toFixed(2)}): a process can run this query at a speed of its own for its whole life, so read the paired ratio`;
}

/** A time finding in one cell: "**1.71x faster** (1.65–1.78)", "**1.12x slower** (…)", or "no measurable difference (…)". */
export function timeVerdict(r: Ratio | undefined): string {
  if (!r) return '–';
  switch (side(r)) {
    case 'above': return `**${r.value.toFixed(2)}x faster** (${ciText(r)})`;
    case 'below': return `**${(1 / r.value).toFixed(2)}x slower** (${ciText(inverse(r))})`;
    case 'spans': return `no measurable difference (${r.value.toFixed(2)}x, ${ciText(r)})`;
  }
}

/** A ratio's interval as text: "1.65–1.78", marked ", unpaired" when it came from separate processes. */
export function ciText(r: Ratio): string {
  return `${r.lo.toFixed(2)}–${r.hi.toFixed(2)}${r.paired ? '' : ', unpaired'}`;
}

export function ratioCell(r: Ratio | undefined): string {
  return r ? `${r.value.toFixed(2)}x (${ciText(r)})` : '–';
}

/** Whether a ratio's 95% interval excludes 1: 'above' (a slower than b), 'below', or 'spans'. */
export function side(r: Ratio): 'above' | 'below' | 'spans' {
  return r.lo > 1 ? 'above' : r.hi < 1 ? 'below' : 'spans';
}

/**
 * What a time ratio says in words, only as far as its interval allows: `r` is the time of `b`
 * over the time of `a` (above 1: `a` is faster). "a is 1.71x faster than b
 * (95% CI 1.65–1.78)", or "no measurable difference between a and b (ratio 0.99x, 95% CI
 * 0.95–1.03)" when the interval spans 1.
 */
export function speedFinding(a: string, b: string, r: Ratio): string {
  const ci = `95% CI ${r.lo.toFixed(2)}–${r.hi.toFixed(2)}${r.paired ? '' : ', separate processes'}`;
  switch (side(r)) {
    case 'above': return `${a} is ${r.value.toFixed(2)}x faster than ${b} (${ci})`;
    case 'below': return `${a} is ${(1 / r.value).toFixed(2)}x slower than ${b} (${ci} for ${b}'s time over ${a}'s)`;
    case 'spans': return `no measurable difference between ${a} and ${b} (ratio ${r.value.toFixed(2)}x, ${ci})`;
  }
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
 * How a measured ratio compares with a published value, following the interval: "consistent"
 * only when the published figure is inside the 95% CI; "not reproduced" when it is outside and
 * our interval excludes 1 (we measured a difference, and not that one); when our interval spans
 * 1 there is no measurable difference to compare, and a published figure outside it is named as such.
 */
export function verdict(r: Ratio | undefined, published: number): string {
  if (!r) return 'not measured';
  if (published >= r.lo && published <= r.hi) return `consistent with the published ${published}x (inside the 95% CI)`;
  if (side(r) === 'spans') return `no measurable difference here, so the published ${published}x is not reproduced (it is outside the 95% CI)`;
  return `**the published ${published}x is not reproduced** (it is ${published > r.hi ? 'above' : 'below'} the 95% CI)`;
}

/**
 * The resolution of a heap figure: how far apart two measurements of the same query may lie.
 * V8 moves used-heap figures in steps of one heap page (256 KiB, `HEAP_STEP_BYTES`) with what
 * the process holds, and the runs of one case spread by their own range:
 * the larger of the two.
 */
export function heapResolution(samplesOf: readonly number[] | undefined): number {
  if (!samplesOf || samplesOf.length === 0) return HEAP_STEP_BYTES;
  return Math.max(HEAP_STEP_BYTES, Math.max(...samplesOf) - Math.min(...samplesOf));
}

/** Two heap figures that differ by no more than their resolution: no measurable difference. */
export function withinResolution(a: number, b: number, resolution: number): boolean {
  return Math.abs(a - b) <= resolution;
}

/**
 * 1 − b/a as a percentage, or "below resolution" when |a − b| is within the figures' resolution
 * (a difference V8's heap accounting cannot resolve is not a finding, and never a negative reduction).
 */
export function heapReduction(a: number | null | undefined, b: number | null | undefined, resolution: number): string {
  if (a === null || a === undefined || b === null || b === undefined || a <= 0) return '–';
  if (withinResolution(a, b, resolution)) return `below resolution (±${formatBytes(resolution)})`;
  return reduction(a, b);
}

export { formatBytes, formatNs, runnerLabel };
