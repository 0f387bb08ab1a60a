/** `sluice compare` and `sluice gate` as Markdown: a comparison's verdicts, case by case. */
import type { CaseVerdict, Comparison, MetricComparison, MetricName } from '../core/comparison.js';
import { formatBytes, formatNs } from './format.js';

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(3)}x` : '∞');
const fmtP = (p: number | null) => (p === null ? '–' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
const fmtValue = (m: MetricComparison, v: number) => (m.unit === 'ns' ? formatNs(v) : formatBytes(v));
const LABEL: Record<MetricName, string> = { time: 'time', peakHeap: 'peak heap', allocated: 'allocated', trackerPeak: 'tracker peak' };
const MARK: Record<CaseVerdict, string> = { regressed: '**regressed**', improved: 'improved', unchanged: 'unchanged', errored: '**errored**', 'output-changed': '**output changed**' };

/** The Markdown report of a comparison: a verdict line, findings first, then every case. */
export function formatComparison(c: Comparison): string {
  const s = c.settings;
  const out: string[] = [];
  out.push(`# sluice compare: ${c.failed ? 'FAILED' : 'passed'}`, '');
  out.push(`base \`${c.base.file}\` (${c.base.gitSha}) → head \`${c.head.file}\` (${c.head.gitSha})  `);
  out.push(`rule: time ratio beyond ±${(s.timeThreshold * 100).toFixed(1)}%, memory beyond ±${(s.memoryThreshold * 100).toFixed(1)}% (and ≥ ${formatBytes(s.memoryFloorBytes)} for measured heap); time: random-effects pooling of isolate pairs (paired samples) or of processes (separate processes, Hartung–Knapp t interval); heap: Mann–Whitney U; Holm correction at alpha ${s.alpha}; tracker peak compared exactly.`, '');
  if (c.separateProcesses) out.push('> Note: base and head were measured in separate processes, so each process counts once and a change of the machine between them cannot be told from a change of the code. For a decisive answer, measure both builds in one job: `sluice gate --base <ref>`.', '');
  if (c.environmentMismatches.length) out.push(`> **Warning**: compared across environments (--allow-env-mismatch): ${c.environmentMismatches.join('; ')}. Differences may come from the machine, not the code.`, '');
  if (c.base.suite !== c.head.suite) out.push(`> Note: the base ran suite '${c.base.suite}', the head '${c.head.suite}'; cases are matched by id.`, '');
  const k = c.counts;
  out.push(`${k.regressed} regressed, ${k.improved} improved, ${k.unchanged} unchanged, ${k.errored} errored in head, ${k['output-changed']} with changed output; ${k.onlyInBase} only in base, ${k.onlyInHead} only in head, ${c.erroredInBoth.length} errored in both.`, '');
  const findings = c.cases.filter((x) => x.verdict !== 'unchanged');
  if (findings.length) {
    out.push('## Findings', '', '| case | verdict | metric | base | head | ratio | 95% CI | p (Holm) |', '|---|---|---|---:|---:|---:|---:|---:|');
    for (const x of findings) {
      if (x.detail) out.push(`| ${x.id} | ${MARK[x.verdict]} | ${x.detail} | | | | | |`);
      for (const m of x.metrics.filter((m) => m.verdict !== 'unchanged')) {
        out.push(`| ${x.id} | ${MARK[m.verdict]} | ${LABEL[m.metric]} | ${fmtValue(m, m.base)} | ${fmtValue(m, m.head)} | ${fmtRatio(m.ratio)} | ${m.ci ? `${m.ci[0].toFixed(3)}–${m.ci[1].toFixed(3)}` : 'exact'} | ${fmtP(m.pAdjusted)} |`);
      }
    }
    out.push('');
  }
  out.push('## All cases', '', '| case | verdict | time base → head | time ratio (95% CI) | p (Holm) | peak heap | allocated | tracker peak |', '|---|---|---:|---:|---:|---:|---:|---:|');
  for (const x of c.cases) {
    const m = (name: MetricName) => x.metrics.find((y) => y.metric === name);
    const t = m('time');
    const mem = (name: MetricName) => {
      const y = m(name);
      return y ? `${fmtValue(y, y.head)} (${y.base === 0 && y.head === 0 ? '=' : pct(y.ratio - 1)})` : '–';
    };
    out.push(`| ${x.id} | ${MARK[x.verdict]}${x.detail ? `: ${x.detail}` : ''} | ${t ? `${formatNs(t.base)} → ${formatNs(t.head)}` : '–'} | ${t ? `${fmtRatio(t.ratio)}${t.ci ? ` (${t.ci[0].toFixed(3)}–${t.ci[1].toFixed(3)})` : ''}` : '–'} | ${fmtP(t?.pAdjusted ?? null)} | ${mem('peakHeap')} | ${mem('allocated')} | ${mem('trackerPeak')} |`);
  }
  for (const [title, list] of [['Only in base', c.onlyInBase], ['Only in head', c.onlyInHead], ['Errored in both', c.erroredInBoth]] as const) {
    if (list.length) out.push('', `## ${title}`, '', ...list.map((id) => `- ${id}`));
  }
  return out.join('\n') + '\n';
}
