/** `sluice calibrate` as Markdown: the gate's false-positive and detection rates, with its targets checked. */
import type { Calibration } from '../core/calibration.js';

const pc = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The calibration as Markdown, with the targets of the gate checked. */
export function formatCalibration(c: Calibration): string {
  const out = [
    `# sluice calibrate: suite '${c.suite}', ${c.cases} cases`, '',
    `Each gate run compares ${c.rounds} rounds (processes, or isolate pairs when paired) per side${c.extendRounds ? `, and ${c.extendRounds} more for a case left undecided by them (the 95% interval of its time ratio spans the threshold), as the gate does` : ''}; alpha ${c.alpha} (Holm across cases); slowdown under test +${(c.slowdown * 100).toFixed(0)}%.`, '',
    '| time threshold | A/A runs | A/A false positives per case: mean | worst case | A/A runs with any false positive (suite) | +' + (c.slowdown * 100).toFixed(0) + '% runs | detected per case: mean | worst case |' + (c.extendRounds ? ' cases measured again per run: A/A / slowed |' : ''),
    '|---:|---:|---:|---:|---:|---:|---:|---:|' + (c.extendRounds ? '---:|' : ''),
  ];
  for (const t of c.thresholds) {
    out.push(`| ${pc(t.threshold)} | ${t.aaRuns} | ${pc(t.aaPerCaseMean)} | ${pc(t.aaPerCaseWorst)} | ${pc(t.aaSuite)} | ${t.sensitivityRuns} | ${pc(t.detectionMean)} | ${pc(t.detectionWorst)} |` + (c.extendRounds ? ` ${t.aaExtendedMean.toFixed(1)} / ${t.sensitivityExtendedMean.toFixed(1)} |` : ''));
  }
  out.push('', 'Targets: A/A at most 1% per case and 5% for the suite; the slowdown detected in at least 90% of runs.', '');
  for (const t of c.thresholds) {
    const ok = t.aaPerCaseWorst <= 0.01 && t.aaSuite <= 0.05 && t.detectionWorst >= 0.9;
    out.push(`- threshold ${pc(t.threshold)}: ${ok ? 'all targets met' : 'targets NOT met'} (worst per-case A/A ${pc(t.aaPerCaseWorst)}, suite A/A ${pc(t.aaSuite)}, worst detection ${pc(t.detectionWorst)})`);
  }
  out.push('', `Heap A/A (one base/head heap pass per case, memory rule): ${c.heapAA.flagged.length} of ${c.heapAA.compared} cases flagged${c.heapAA.flagged.length ? `: ${c.heapAA.flagged.join(', ')}` : ''}.`, '');
  const first = c.thresholds[0];
  if (first) {
    out.push(`## Per case at threshold ${pc(first.threshold)}`, '',
      'The slowed build stretches each run by the slowdown under test; "stretch" is what it measured of its own runs (extra time over query time), "applied" what the gate sees (median time ratio of slowed over unslowed samples, − 1).', '',
      '| case | A/A false positives | detected | slowdown applied | stretch |', '|---|---:|---:|---:|---:|');
    for (const x of first.cases) out.push(`| ${x.id} | ${pc(x.aaFalsePositiveRate)} | ${pc(x.detectionRate)} | ${pc(x.appliedSlowdown)} | ${x.stretchMeasured === null ? '–' : pc(x.stretchMeasured)} |`);
  }
  return out.join('\n') + '\n';
}

