/**
 * `sluice compare`: decide, case by case, whether a head results file regressed against a base.
 *
 * Per metric, per case:
 * - **time from separate processes** (two runs, or a `--no-paired` gate): the process is the unit
 *   of replication, not the sample (samples of one process share its JIT, heap layout and machine
 *   phase): per round, the difference of the two sides' median log times; rounds pooled by a
 *   random-effects model with a Hartung–Knapp t interval (harness/stats/paired.ts). Two runs of
 *   two rounds each therefore give a wide interval and no verdict, never p = 1e-7.
 * - the **measured heap** figures (peak and allocated bytes, one sample per measured heap run):
 *   Mann–Whitney U test of head against base, p-values Holm-corrected across all compared cases
 *   of that metric; the effect is the ratio of medians (head / base) with a bootstrap 95% interval. `regressed` needs the ratio above
 *   1 + threshold **and** an adjusted p below alpha; `improved` needs it below 1 / (1 + threshold)
 *   and the same significance; anything else is `unchanged`.
 * - **time measured in pairs** (`sluice gate`: both builds in one process, each in an isolate of
 *   its own, taking turns, see PairJob): each head sample has a base sample taken next to it. Each
 *   round (one isolate pair) gives the median log ratio of its pairs, with a standard error; the
 *   rounds are pooled by a random-effects model (harness/stats/random-effects.ts), whose
 *   between-round variance absorbs an isolate that runs at a speed of its own. The effect is the
 *   pooled ratio, its interval and p from the pooled estimate's standard error. Holm and the rule
 *   are the same.
 * - the **tracker peak** (the MemoryTracker's deterministic figure): compared exactly, within the
 *   memory threshold, no statistics.
 *
 * A case whose head output (row count, checksum) differs from the base is `output-changed`; a
 * case that errored in the head but not in the base is `errored`. Both fail the gate, like a
 * regression. Cases on one side only are listed, never dropped.
 */
import { ConfigError } from '../../engine/index.js';
import { environmentMismatches, processRounds, type CaseRecord, type ResultsFile } from '../../core/results.js';
import { median, ratioCI } from '../../core/stats/descriptive.js';
import { holm, mannWhitney } from '../../core/stats/mann-whitney.js';
import { pairedRatio, processRatio } from '../../core/stats/paired.js';
import { COMPARE_DEFAULTS, COMPARE_SCHEMA, COMPARE_VERSION, METRICS, type CaseComparison, type Comparison, type CompareSettings, type MetricComparison, type MetricName, type Verdict } from '../../core/comparison.js';

export interface CompareOptions extends Partial<CompareSettings> {
  allowEnvMismatch?: boolean;
  /** Only these metrics (calibration compares time alone). */
  metrics?: readonly MetricName[];
  baseFile?: string;
  headFile?: string;
  /** Skip the bootstrap intervals (calibration evaluates thousands of comparisons). */
  intervals?: boolean;
  /** Divide time samples by their process's machine-speed probe when both sides have one (default true). */
  probe?: boolean;
}

/** True when both records carry a probe per round, of the same kernel version. */
function probed(a: CaseRecord, b: CaseRecord): boolean {
  const ok = (r: CaseRecord) => r.probes !== undefined && r.probes.length === r.rounds.length && r.probes.every((p) => p > 0);
  return ok(a) && ok(b) && a.probeVersion === b.probeVersion;
}

/**
 * Time samples per round divided by their process's probe and multiplied by `scale` (the base's
 * median probe, so the figures stay in nanoseconds of the base's typical machine speed).
 */
function normalizedRounds(r: CaseRecord, scale: number): number[][] {
  return r.rounds.map((round, i) => round.map((x) => (x / r.probes![i]!) * scale));
}

/** True when both records were measured together in paired processes, sample for sample. */
function pairedRecords(a: CaseRecord, b: CaseRecord): boolean {
  return !!a.paired && !!b.paired && a.rounds.length === b.rounds.length && a.rounds.every((r, i) => r.length >= 2 && r.length === b.rounds[i]!.length);
}

/** Samples of a metric in a record, or undefined when it has none. */
function samplesOf(r: CaseRecord, m: MetricName): number[] | undefined {
  switch (m) {
    case 'time': {
      const xs = processRounds(r).flat();
      return xs.length ? xs : undefined;
    }
    case 'peakHeap':
      return r.heap?.peakSamples ?? (r.heap ? [r.heap.peakBytes] : undefined);
    case 'allocated':
      return r.heap?.allocatedSamples ?? (r.heap ? [r.heap.allocatedBytes] : undefined);
    case 'trackerPeak':
      return r.heap && r.heap.trackerPeakBytes !== null ? [r.heap.trackerPeakBytes] : undefined;
  }
}

function effectVerdict(ratio: number, threshold: number, significant: boolean): Verdict {
  if (!significant) return 'unchanged';
  if (ratio > 1 + threshold) return 'regressed';
  if (ratio < 1 / (1 + threshold)) return 'improved';
  return 'unchanged';
}

function check(s: CompareSettings): void {
  const bad = (name: string, v: number, ok: boolean) => {
    if (!ok) throw new ConfigError(`${name} must be ${name === '--alpha' ? 'between 0 and 1' : 'a non-negative fraction'}, got ${v}`);
  };
  bad('--time-threshold', s.timeThreshold, Number.isFinite(s.timeThreshold) && s.timeThreshold >= 0);
  bad('--memory-threshold', s.memoryThreshold, Number.isFinite(s.memoryThreshold) && s.memoryThreshold >= 0);
  bad('--alpha', s.alpha, s.alpha > 0 && s.alpha < 1);
}

/**
 * Compare `head` against `base`.
 * @throws ConfigError for results from different environments (unless allowEnvMismatch) or bad settings.
 */
export function compareResults(base: ResultsFile, head: ResultsFile, opts: CompareOptions = {}): Comparison {
  const settings: CompareSettings = {
    timeThreshold: opts.timeThreshold ?? COMPARE_DEFAULTS.timeThreshold,
    memoryThreshold: opts.memoryThreshold ?? COMPARE_DEFAULTS.memoryThreshold,
    alpha: opts.alpha ?? COMPARE_DEFAULTS.alpha,
    memoryFloorBytes: opts.memoryFloorBytes ?? COMPARE_DEFAULTS.memoryFloorBytes,
  };
  check(settings);
  const mismatches = environmentMismatches(base.environment, head.environment);
  if (mismatches.length && !opts.allowEnvMismatch) {
    throw new ConfigError(`refusing to compare results from different environments: ${mismatches.join('; ')} (pass --allow-env-mismatch to compare anyway)`);
  }
  const metrics = opts.metrics ?? METRICS;
  const baseById = new Map(base.cases.map((c) => [c.id, c]));
  const headById = new Map(head.cases.map((c) => [c.id, c]));
  const onlyInBase = base.cases.filter((c) => !headById.has(c.id)).map((c) => c.id);
  const onlyInHead = head.cases.filter((c) => !baseById.has(c.id)).map((c) => c.id);
  const erroredInBoth: string[] = [];
  const cases: CaseComparison[] = [];
  const compared: { cc: CaseComparison; b: CaseRecord; h: CaseRecord }[] = [];

  for (const h of head.cases) {
    const b = baseById.get(h.id);
    if (!b) continue;
    if (h.status === 'errored' && b.status === 'errored') {
      erroredInBoth.push(h.id);
      continue;
    }
    if (h.status === 'errored') {
      cases.push({ id: h.id, verdict: 'errored', detail: `errored in head: ${h.error ?? 'unknown'}`, metrics: [] });
      continue;
    }
    if (b.status === 'errored') {
      cases.push({ id: h.id, verdict: 'unchanged', detail: `errored in base only (${b.error ?? 'unknown'}); nothing to compare`, metrics: [] });
      continue;
    }
    if (b.output && h.output && (b.output.rows !== h.output.rows || b.output.checksum !== h.output.checksum)) {
      cases.push({ id: h.id, verdict: 'output-changed', detail: `base returned ${b.output.rows} rows #${b.output.checksum}, head ${h.output.rows} rows #${h.output.checksum}`, metrics: [] });
      continue;
    }
    const cc: CaseComparison = { id: h.id, verdict: 'unchanged', metrics: [] };
    cases.push(cc);
    compared.push({ cc, b, h });
  }

  for (const metric of metrics) {
    const rows: MetricComparison[] = [];
    for (const { cc, b, h } of compared) {
      let bs = samplesOf(b, metric), hs = samplesOf(h, metric);
      if (!bs || !hs) continue;
      const paired = metric === 'time' && pairedRecords(b, h);
      const normalized = metric === 'time' && !paired && opts.probe !== false && probed(b, h);
      // Per process (a group pass's isolate groups merged): see processRounds.
      let bRounds = processRounds(b, base.settings.groupIsolates), hRounds = processRounds(h, head.settings.groupIsolates);
      if (normalized) {
        const scale = median(b.probes!);
        bRounds = normalizedRounds(b, scale);
        hRounds = normalizedRounds(h, scale);
        bs = bRounds.flat();
        hs = hRounds.flat();
      }
      const mb = median(bs), mh = median(hs);
      const m: MetricComparison = {
        metric, unit: metric === 'time' ? 'ns' : 'bytes', method: metric === 'trackerPeak' ? 'exact' : paired ? 'random-effects' : metric === 'time' ? 'processes' : 'mann-whitney',
        base: mb, head: mh, ratio: mb === 0 ? (mh === 0 ? 1 : Infinity) : mh / mb, ci: null, nBase: bs.length, nHead: hs.length,
        p: null, pAdjusted: null, ...(metric === 'time' ? { normalized, paired } : {}), verdict: 'unchanged',
      };
      if (metric === 'trackerPeak') {
        m.verdict = mh > mb * (1 + settings.memoryThreshold) ? 'regressed' : mh < mb / (1 + settings.memoryThreshold) ? 'improved' : 'unchanged';
      } else {
        // Per round (isolate pair) the median log ratio head/base, rounds pooled by a random-effects
        // model: an isolate that ran off on its own widens the interval instead of deciding it.
        if (paired) {
          const pr = pairedRatio(h.rounds, b.rounds);
          Object.assign(m, { ratio: pr.ratio, ci: pr.ci, p: pr.p, roundRatios: pr.roundRatios, tau: pr.tau });
        }
        else if (metric === 'time') {
          const pr = processRatio(hRounds, bRounds);
          Object.assign(m, { ratio: pr.ratio, ci: pr.ci, p: pr.p, roundRatios: pr.roundRatios, tau: pr.tau });
        } else {
          m.p = mannWhitney(hs, bs).p;
          if (mb > 0 && opts.intervals !== false) m.ci = ratioCI(hs, bs);
        }
      }
      cc.metrics.push(m);
      rows.push(m);
    }
    if (metric === 'trackerPeak') continue;
    const adjusted = holm(rows.map((m) => m.p!));
    rows.forEach((m, i) => {
      m.pAdjusted = adjusted[i]!;
      const threshold = metric === 'time' ? settings.timeThreshold : settings.memoryThreshold;
      const bigEnough = metric === 'time' || Math.abs(m.head - m.base) >= settings.memoryFloorBytes;
      m.verdict = effectVerdict(m.ratio, threshold, bigEnough && m.pAdjusted < settings.alpha);
    });
  }
  for (const { cc } of compared) {
    const vs = cc.metrics.map((m) => m.verdict);
    cc.verdict = vs.includes('regressed') ? 'regressed' : vs.includes('improved') ? 'improved' : 'unchanged';
  }

  const counts = { regressed: 0, improved: 0, unchanged: 0, errored: 0, 'output-changed': 0, onlyInBase: onlyInBase.length, onlyInHead: onlyInHead.length };
  for (const c of cases) counts[c.verdict]++;
  const describe = (r: ResultsFile, file: string) => ({ file, suite: r.suite, gitSha: r.environment.gitSha, createdAt: r.createdAt });
  return {
    schema: COMPARE_SCHEMA, version: COMPARE_VERSION,
    base: describe(base, opts.baseFile ?? ''), head: describe(head, opts.headFile ?? ''),
    settings, environmentMismatches: mismatches,
    failed: counts.regressed + counts.errored + counts['output-changed'] > 0,
    counts, cases, onlyInBase, onlyInHead, erroredInBoth,
    separateProcesses: !cases.some((c) => c.metrics.some((m) => m.metric === 'time' && m.paired)),
  };
}

/**
 * Cases whose paired time ratio is undecided at `threshold`: its 95% interval spans 1 + threshold,
 * so the rounds measured so far cannot tell a regression of that size from none. The paired gate
 * measures such cases again (see runGate's `extend`); its calibration does the same.
 */
export function undecidedCases(c: Comparison, threshold = c.settings.timeThreshold): string[] {
  const edge = 1 + threshold;
  return c.cases.filter((cc) => cc.metrics.some((m) => m.metric === 'time' && m.paired && m.ci && m.ci[0] < edge && m.ci[1] > edge)).map((cc) => cc.id);
}

