import { caseHeapCap, type CaseRecord } from '../core/results.js';
import { bytesPair, CaseIndex, firstRowRatio, sourceOf, mediansDisagree, type Ratio, timeVerdict, formatBytes, formatNs, heapReduction, heapResolution, ratio, ratioCell, reduction, runnerLabel, side, speedFinding, timeCell, timeWithCI, usable, verdict, withinResolution } from './model.js';
import { PUBLISHED } from './published.js';
import { OPTION_SPECS } from '../engine/index.js';
import { shapeLabel } from './format.js';
import { peersTable, peerStreamingTable } from './peers.js';

/** One report table: what it measured, its rows, and what it says about the published claims. */
export interface Table {
  id: string;
  title: string;
  /** One line: what was measured and how. */
  what: string;
  columns: string[];
  rows: string[][];
  /** Findings, including where we contradict the published report. */
  notes: string[];
  /** Case ids behind each row (for profile commands). */
  rowCases: string[][];
}

const heap = (c: CaseRecord | undefined) => c?.heap;
/** Bytes allocated per run: averaged over many runs where measured (V8's 256 KiB page steps averaged out), else one run's. */
const allocated = (c: CaseRecord | undefined) => c?.heap?.allocatedPerRunBytes ?? c?.heap?.allocatedBytes;
/** The resolution of two cases' peak-heap figures together (the coarser one). */
const peakResolution = (...cs: (CaseRecord | undefined)[]) => Math.max(...cs.map((c) => heapResolution(c?.heap?.peakSamples)));
/** Peak-heap reduction of b against a, or "below resolution". */
const peakReduction = (a: CaseRecord | undefined, b: CaseRecord | undefined) => heapReduction(heap(a)?.peakBytes, heap(b)?.peakBytes, peakResolution(a, b));
const ids = (...cs: (CaseRecord | undefined)[]) => cs.filter((c): c is CaseRecord => c !== undefined).map((c) => c.id);

const TIME_HOW = 'times per run come from the group passes in which the runners of a row took turns in one process, each in an isolate of its own, pooled over isolate groups (95% CI in brackets), or from benchmark.js in a process of its own where a case had no group (see the run\'s settings above); ratios are paired the same way (95% CI; "unpaired" marks a ratio of separate processes)';
const MEM_HOW = 'peak heap and allocated bytes from V8 GC statistics (separate pass, 1 MiB semi-space; a difference within the figures\' resolution, at least one 256 KiB V8 page, reads "below resolution"); tracker peak from the engine\'s deterministic memory tracker';

/** Published "Query pattern performance": three selectivities, complex pipeline, multiple filters. */
export function queryPatterns(ix: CaseIndex): Table | null {
  const rows: string[][] = [], notes: string[] = [], rowCases: string[][] = [];
  const spec = [
    ['High selectivity', 'selectivity', { rows: 10_000, selectivity: 0.01 }, PUBLISHED.queryPatterns.high],
    ['Medium selectivity', 'selectivity', { rows: 10_000, selectivity: 0.1 }, PUBLISHED.queryPatterns.medium],
    ['Low selectivity', 'selectivity', { rows: 10_000, selectivity: 0.5 }, PUBLISHED.queryPatterns.low],
    ['Complex pipeline', 'complex-pipeline', { rows: 5_000 }, PUBLISHED.queryPatterns.complex],
    ['Multiple filters', 'multiple-filters', { rows: 10_000 }, PUBLISHED.queryPatterns.multiple],
  ] as const;
  for (const [label, scenario, params, pub] of spec) {
    const m = ix.get(scenario, params, 'materialized'), s = ix.get(scenario, params, 'streaming'), b = ix.get(scenario, params, 'limit-loop');
    if (!m && !s) continue;
    const sp = ratio(m, s);
    rows.push([
      label, params.rows.toLocaleString('en-US'), `${(pub.selectivity * 100).toFixed(0)}%`, timeWithCI(m), timeWithCI(s), timeCell(b), ratioCell(sp), `${pub.speedup}x`,
      ratioCell(ratio(s, b)), bytesPair(heap(m)?.peakBytes, heap(s)?.peakBytes), peakReduction(m, s),
      `${(pub.memoryReduction * 100).toFixed(0)}%`, bytesPair(allocated(m), allocated(s)), bytesPair(heap(m)?.trackerPeakBytes, heap(s)?.trackerPeakBytes),
    ]);
    rowCases.push(ids(m, s, b));
    if (sp) notes.push(`${label}: ${speedFinding('streaming', 'materialized', sp)}; ${verdict(sp, pub.speedup)}.`);
  }
  if (rows.length === 0) return null;
  notes.push('The published memory-reduction column is (1 − selectivity) × 100, a formula; the peak-heap reduction here is measured. Where they differ, the published figure is wrong by construction, not by noise.');
  return {
    id: 'query-patterns', title: 'Query pattern performance',
    what: `Filter→project pipelines as in the published table. Time: ${TIME_HOW}. Memory: ${MEM_HOW}.`,
    columns: ['Scenario', 'Rows', 'Kept', 'Materialized', 'Streaming', 'Limit loop', 'Speedup (M/S)', 'Published speedup', 'Streaming vs limit loop', 'Peak heap M / S', 'Peak heap reduction', 'Published reduction', 'Allocated M / S', 'Tracker peak M / S'],
    rows, notes, rowCases,
  };
}

/** The largest `rows` value for which `scenario` has cases with the given other params. */
function largest(ix: CaseIndex, scenario: string, filter: (c: CaseRecord) => boolean): number | undefined {
  const rows = ix.of(scenario).filter(filter).map((c) => c.params.rows as number);
  return rows.length ? Math.max(...rows) : undefined;
}

/**
 * The input size the pipeline-depth table (and its charts) shows: the largest measured on the
 * materialized engine too, so that both engines appear (larger sizes run streaming only).
 */
export function depthTableRows(ix: CaseIndex): number | undefined {
  return largest(ix, 'pipeline-depth', (c) => c.engine === 'materialized') ?? largest(ix, 'pipeline-depth', () => true);
}

/** Published "Iterator composition": materialized vs composed, on the depth-4 pipeline. */
export function iteratorComposition(ix: CaseIndex): Table | null {
  // The largest size with every approach (the fusion grid adds larger sizes without them).
  const rows = largest(ix, 'pipeline-depth', (c) => c.params.depth === 4 && c.engine === 'materialized') ?? largest(ix, 'pipeline-depth', (c) => c.params.depth === 4);
  if (rows === undefined) return null;
  const p = { rows, depth: 4 };
  const m = ix.get('pipeline-depth', p, 'materialized'), off = ix.get('pipeline-depth', p, 'streaming', { enableIteratorComposition: false });
  const s = ix.get('pipeline-depth', p, 'streaming'), b = ix.get('pipeline-depth', p, 'limit-loop');
  const line = (label: string, c: CaseRecord | undefined) => [label, timeWithCI(c), ratioCell(ratio(c, s)), bytesPair(heap(c)?.peakBytes, allocated(c)), formatBytes(heap(c)?.trackerPeakBytes)];
  const sp = ratio(m, s);
  return {
    id: 'iterator-composition', title: 'Iterator composition',
    what: `A ${rows.toLocaleString('en-US')}-row pipeline of 4 stages (filter, extend+project, filter, extend+project). "Composition off" is the streaming engine buffering every operator's input, the published engine's fallback. Time: ${TIME_HOW}.`,
    columns: ['Approach', 'Median (95% CI)', 'vs composed', 'Peak heap / allocated', 'Tracker peak'],
    rows: [line('Materialized', m), line('Streaming, composition off', off), line('Streaming, composed', s), line('Limit loop (hand-written)', b)],
    rowCases: [ids(m), ids(off), ids(s), ids(b)],
    notes: sp ? [`${speedFinding('composed streaming', 'materialized', sp)}; the published figure was ${PUBLISHED.composition.speedup}x (${formatNs(PUBLISHED.composition.materializedNs)} vs ${formatNs(PUBLISHED.composition.composedNs)}): ${verdict(sp, PUBLISHED.composition.speedup)}.`] : [],
  };
}

/** Published "Memory characteristics", with measured figures in place of the formula. */
export function memoryCharacteristics(ix: CaseIndex): Table | null {
  const rows: string[][] = [], notes: string[] = [], rowCases: string[][] = [];
  for (const variant of ['aggressive', 'moderate', 'projection-only'] as const) {
    const pub = PUBLISHED.memory[variant];
    const m = ix.get('memory', { variant }, 'materialized'), s = ix.get('memory', { variant }, 'streaming'), b = ix.get('memory', { variant }, 'limit-loop');
    if (!m && !s) continue;
    rows.push([
      variant, pub.input.toLocaleString('en-US'), (m?.output?.rows ?? s?.output?.rows ?? pub.output).toLocaleString('en-US'),
      `${pub.materializedKB.toLocaleString('en-US')} KB / ${pub.streamingKB.toLocaleString('en-US')} KB (${(pub.reduction * 100).toFixed(1)}%)`,
      bytesPair(heap(m)?.peakBytes, heap(s)?.peakBytes), peakReduction(m, s), formatBytes(peakResolution(m, s)),
      bytesPair(allocated(m), allocated(s)), bytesPair(heap(m)?.trackerPeakBytes, heap(s)?.trackerPeakBytes),
      timeCell(m), timeCell(s), timeCell(b),
    ]);
    rowCases.push(ids(m, s, b));
    if (heap(m) && heap(s)) {
      const res = peakResolution(m, s), diff = heap(m)!.peakBytes - heap(s)!.peakBytes;
      if (withinResolution(heap(m)!.peakBytes, heap(s)!.peakBytes, res)) notes.push(`${variant}: the two engines' peak heaps differ by ${formatBytes(Math.abs(diff))}, within the measurement's resolution (${formatBytes(res)}): no measurable difference, so the published ${(pub.reduction * 100).toFixed(1)}% reduction ${pub.reduction === 0 ? 'is consistent' : 'is not reproduced at this size'}.`);
      else {
        const measured = 1 - heap(s)!.peakBytes / heap(m)!.peakBytes;
        notes.push(`${variant}: measured peak-heap reduction ${(measured * 100).toFixed(0)}% (resolution ${formatBytes(res)}) vs published ${(pub.reduction * 100).toFixed(1)}%${Math.abs(measured - pub.reduction) > 0.15 ? ' — **the published figure is not reproduced**' : ''}.`);
      }
    }
  }
  if (rows.length === 0) return null;
  notes.push('Published columns were tuples × fields × 8 bytes, a formula. The retained size of the collected result is not measured: it would say whether the output tuples are new objects or the input\'s own (a filter keeps the input\'s tuples, a projection makes new ones), not what an engine needs while it runs.');
  return {
    id: 'memory-characteristics', title: 'Memory characteristics',
    what: `Three filter/project shapes. Memory: ${MEM_HOW}.`,
    columns: ['Use case', 'Input', 'Output', 'Published M / S (formula)', 'Peak heap M / S', 'Peak reduction', 'Heap resolution', 'Allocated M / S', 'Tracker peak M / S', 'Time M', 'Time S', 'Time limit loop'],
    rows, notes, rowCases,
  };
}

/**
 * Standard vs symmetric hash join, with time to first row. The symmetric join is measured as
 * configured by default (in sluice since the drain, it stops alternating after its first rows and
 * drains one side) and, where the run has it, alternating to the end (`enableSymmetricJoinDrain`
 * off: the published engine's algorithm, the one the published ratio is compared with).
 */
export function joins(ix: CaseIndex): Table | null {
  const rows: string[][] = [], notes: string[] = [], rowCases: string[][] = [];
  for (const n of ix.values('join', 'rows') as number[]) {
    for (const mult of ix.values('join', 'multiplicity') as number[]) {
      for (const variant of ix.values('join', 'variant') as string[]) {
        const p = { rows: n, multiplicity: mult, variant };
        const m = ix.get('join', p, 'materialized'), std = ix.get('join', p, 'streaming', { enableSymmetricHashJoin: false }) ?? ix.get('join', p, 'streaming');
        const sym = ix.get('join', p, 'streaming', { enableSymmetricHashJoin: true });
        const alt = ix.get('join', p, 'streaming', { enableSymmetricHashJoin: true, enableSymmetricJoinDrain: false });
        if (!m && !std && !sym && !alt) continue;
        const r = ratio(sym, std), ra = ratio(alt, std);
        rows.push([
          `${n.toLocaleString('en-US')} x ${n.toLocaleString('en-US')}, ${mult} per key${variant === 'limit10' ? ', then limit 10' : variant === 'count' ? ', counted' : ''}`,
          timeWithCI(m), timeWithCI(std), timeWithCI(sym), ratioCell(r), timeWithCI(alt), ratioCell(ra),
          `${formatNs(m?.firstRowNs)} / ${formatNs(std?.firstRowNs)} / ${formatNs(sym?.firstRowNs)}`,
          bytesPair(heap(std)?.peakBytes, heap(sym)?.peakBytes),
          `${bytesPair(heap(std)?.trackerPeakBytes, heap(sym)?.trackerPeakBytes)}${alt ? ` / ${formatBytes(heap(alt)?.trackerPeakBytes ?? null)}` : ''}`,
        ]);
        rowCases.push(ids(m, std, sym, alt));
        const what = `${n.toLocaleString('en-US')} rows, ${mult} per key`;
        const published = Number(PUBLISHED.symmetricJoin.ratio.toFixed(2));
        if (variant === 'full') {
          const fr = firstRowRatio(std, sym);
          if (fr) notes.push(`${what}, time to first row: ${firstRowFinding(fr)}.`);
          if (r) notes.push(`${what}: ${speedFinding('the standard hash join', 'the symmetric one', r)}${ra ? '' : `; published symmetric / standard: ${published}x, ${verdict(r, published)}`}.`);
          if (ra) notes.push(`${what}, the symmetric join alternating to the end (the published algorithm): ${speedFinding('the standard hash join', 'it', ra)}; published symmetric / standard: ${published}x, ${verdict(ra, published)}.`);
          const rd = ratio(alt, sym);
          if (rd) notes.push(`${what}: ${speedFinding('the symmetric join with its default options', 'the one alternating to the end', rd)}.`);
        }
        if (r && variant === 'limit10') notes.push(`${what}, limit 10: ${speedFinding('the standard hash join', 'the symmetric one', r)} (the symmetric join stops without reading either input to the end).`);
      }
    }
  }
  if (rows.length === 0) return null;
  return {
    id: 'joins', title: 'Joins: standard vs symmetric hash join',
    what: `Equi-join of two shuffled tables; "first row" is the time from building the query to its first output row (materialized computes everything first). "Symmetric hash" is the symmetric join with the default options of the build that ran: since \`enableSymmetricJoinDrain\` (on by default) it alternates between its inputs for its first ${OPTION_SPECS.symmetricJoinDrainAfter.default.toLocaleString('en-US')} rows per side, then reads the side a standard join would build on to its end and only probes with the other's rest; "alternating to the end" turns the drain off: the published engine's algorithm, which the published ratio is compared with. Time: ${TIME_HOW}.`,
    columns: ['Join', 'Materialized', 'Standard hash (streaming)', 'Symmetric hash', 'Symmetric / standard', 'Symmetric, alternating to the end', 'Alternating / standard', 'First row M / std / sym', 'Peak heap std / sym', 'Tracker peak std / sym / alternating'],
    rows, notes, rowCases,
  };
}

/**
 * What a first-row ratio (the standard join's time over the symmetric one's) says, only as far as
 * its interval allows.
 */
function firstRowFinding(r: Ratio): string {
  const ci = `95% CI ${r.lo.toFixed(1)}–${r.hi.toFixed(1)}, over isolate groups`;
  switch (side(r)) {
    case 'above': return `the symmetric join's first row comes ${r.value.toFixed(1)}x earlier than the standard hash join's (${ci})`;
    case 'below': return `the symmetric join's first row comes ${(1 / r.value).toFixed(1)}x later than the standard hash join's (${ci}, for the standard join's time over the symmetric one's)`;
    case 'spans': return `no measurable difference between the two joins' first rows (ratio ${r.value.toFixed(2)}x, ${ci})`;
  }
}

/** OHLC bars: one-pass vs collect-then-reduce, on both engines. */
export function aggregation(ix: CaseIndex): Table | null {
  const rows: string[][] = [], notes: string[] = [], rowCases: string[][] = [];
  const shapes = [...new Map(ix.of('ohlc').map((c) => [`${c.params.symbols}x${c.params.days}x${c.params.barsPerDay}`, c.params])).values()];
  for (const p of shapes) {
    for (const engine of ['materialized', 'streaming']) {
      const one = ix.get('ohlc', p, engine, {}) ?? ix.get('ohlc', p, engine, { enableStreamingAggregation: true });
      const coll = ix.get('ohlc', p, engine, { enableStreamingAggregation: false });
      if (!one && !coll) continue;
      const r = ratio(coll, one);
      const inRows = one?.inputRows ?? coll?.inputRows;
      rows.push([
        `${p.symbols} symbols x ${p.days} days x ${p.barsPerDay} bars (${inRows?.toLocaleString('en-US') ?? '?'} rows → ${one?.output?.rows ?? coll?.output?.rows ?? '?'} bars)`, engine,
        timeWithCI(one), timeWithCI(coll), ratioCell(r), bytesPair(heap(one)?.trackerPeakBytes, heap(coll)?.trackerPeakBytes), bytesPair(heap(one)?.peakBytes, heap(coll)?.peakBytes),
      ]);
      rowCases.push(ids(one, coll));
      const disagree = mediansDisagree(coll, one, r);
      if (r) notes.push(`${p.symbols}x${p.days}x${p.barsPerDay}, ${engine}: ${speedFinding('one pass', 'collect-then-reduce', r)}; its tracker peak is ${reduction(heap(coll)?.trackerPeakBytes, heap(one)?.trackerPeakBytes)} lower${disagree ? `; ${disagree}` : ''}.`);
    }
  }
  if (rows.length === 0) return null;
  notes.push(`The published report claimed OHLC memory would fall from ${PUBLISHED.ohlc.before} to ${PUBLISHED.ohlc.after}; its query and data are not public, so only the direction can be checked here.`);
  return {
    id: 'aggregation', title: 'Aggregation (OHLC)',
    what: `Hourly open/high/low/close/volume per symbol from shuffled one-minute bars (first/last by timestamp). Time: ${TIME_HOW}.`,
    columns: ['Shape', 'Engine', 'One pass', 'Collect then reduce', 'Collect / one pass', 'Tracker peak one / collect', 'Peak heap one / collect'],
    rows, notes, rowCases,
  };
}

/** Time and memory as the pipeline gets deeper. */
export function pipelineDepth(ix: CaseIndex): Table | null {
  const rows: string[][] = [], rowCases: string[][] = [];
  const n = depthTableRows(ix);
  if (n === undefined) return null;
  for (const depth of ix.values('pipeline-depth', 'depth') as number[]) {
    const p = { rows: n, depth };
    const m = ix.get('pipeline-depth', p, 'materialized'), s = ix.get('pipeline-depth', p, 'streaming');
    const off = ix.get('pipeline-depth', p, 'streaming', { enableIteratorComposition: false }), b = ix.get('pipeline-depth', p, 'limit-loop');
    if (!m && !s) continue;
    rows.push([String(depth), timeWithCI(m), timeWithCI(s), timeCell(off), timeCell(b), ratioCell(ratio(m, s)), ratioCell(ratio(s, b)), bytesPair(heap(m)?.peakBytes, heap(s)?.peakBytes), bytesPair(heap(m)?.trackerPeakBytes, heap(s)?.trackerPeakBytes)]);
    rowCases.push(ids(m, s, off, b));
  }
  if (rows.length === 0) return null;
  return {
    id: 'pipeline-depth', title: 'Pipeline depth',
    what: `${n.toLocaleString('en-US')} rows through 1–8 stages alternating filter and extend+project. Time: ${TIME_HOW}. Memory: ${MEM_HOW}.`,
    columns: ['Depth', 'Materialized', 'Streaming', 'Composition off', 'Limit loop', 'Speedup (M/S)', 'Streaming vs limit loop', 'Peak heap M / S', 'Tracker peak M / S'],
    rows, rowCases,
    notes: ['The published report said performance is "consistent regardless of depth"; read the streaming and limit-loop columns together: the gap between an operator chain and a hand-written loop grows with every stage.'],
  };
}

/** Every measured size × selectivity. */
export function selectivitySweep(ix: CaseIndex): Table | null {
  const rows: string[][] = [], rowCases: string[][] = [];
  for (const n of ix.values('selectivity', 'rows') as number[]) {
    for (const sel of ix.values('selectivity', 'selectivity') as number[]) {
      const p = { rows: n, selectivity: sel };
      const m = ix.get('selectivity', p, 'materialized'), s = ix.get('selectivity', p, 'streaming'), b = ix.get('selectivity', p, 'limit-loop');
      if (!m && !s) continue;
      rows.push([n.toLocaleString('en-US'), `${sel * 100}%`, timeWithCI(m), timeWithCI(s), timeCell(b), ratioCell(ratio(m, s)), ratioCell(ratio(s, b)), bytesPair(heap(m)?.peakBytes, heap(s)?.peakBytes), peakReduction(m, s), bytesPair(heap(m)?.trackerPeakBytes, heap(s)?.trackerPeakBytes)]);
      rowCases.push(ids(m, s, b));
    }
  }
  if (rows.length === 0) return null;
  return {
    id: 'selectivity-sweep', title: 'Selectivity sweep over sizes',
    what: `Filter then project at every measured size and selectivity. Time: ${TIME_HOW}. Memory: ${MEM_HOW}.`,
    columns: ['Rows', 'Kept', 'Materialized', 'Streaming', 'Limit loop', 'Speedup (M/S)', 'Streaming vs limit loop', 'Peak heap M / S', 'Peak reduction', 'Tracker peak M / S'],
    rows, rowCases,
    notes: ['The published report found the largest speedup at the lowest selectivity (most rows kept) and called it counter-intuitive; read the speedup column down each size to see whether that holds here.'],
  };
}

/**
 * A sweep: per parameter point, every option combination ranked by its paired time ratio to the
 * fastest, with the set that cannot be told apart from the fastest (the ratio's 95% interval
 * includes 1) and the Pareto front over time and peak heap.
 */
export function sweepTable(ix: CaseIndex): Table | null {
  if (!ix.results.suite.startsWith('sweep:')) return null;
  const rows: string[][] = [], rowCases: string[][] = [], notes: string[] = [];
  const points = [...new Map(ix.results.cases.map((c) => [JSON.stringify(c.params), c.params])).values()];
  for (const params of points) {
    const key = JSON.stringify(params);
    const at = Object.entries(params).map(([n, v]) => `${n}=${String(v)}`).join(', ');
    const all = ix.results.cases.filter((c) => JSON.stringify(c.params) === key);
    const ranked = all.filter((c) => usable(c) && c.engine !== 'limit-loop');
    const limit = all.find((c) => c.engine === 'limit-loop');
    if (ranked.length === 0) continue;
    // The fastest by paired ratio to one reference (the first), then everything against it.
    const ref = ranked[0]!;
    const toRef = (c: CaseRecord) => (c === ref ? 1 : ratio(c, ref)?.value ?? Infinity);
    const best = ranked.reduce((b, c) => (toRef(c) < toRef(b) ? c : b));
    const vsBest = new Map(ranked.map((c) => [c, c === best ? undefined : ratio(c, best)]));
    ranked.sort((a, b) => (vsBest.get(a)?.value ?? 1) - (vsBest.get(b)?.value ?? 1));
    const tied = ranked.filter((c) => c !== best && (vsBest.get(c)?.lo ?? 0) <= 1);
    // Dominated: another combination is measurably better in time or peak heap and not
    // measurably worse in the other (a heap difference within resolution is no difference).
    const dominated = (c: CaseRecord) => ranked.some((o) => {
      if (o === c || !heap(o) || !heap(c)) return false;
      const r = ratio(c, o);
      if (r === undefined) return false;
      const res = peakResolution(c, o), d = heap(c)!.peakBytes - heap(o)!.peakBytes;
      return (r.lo > 1 && d >= -res) || (d > res && r.hi >= 1);
    });
    const front = ranked.filter((c) => !dominated(c));
    for (const c of ranked) {
      const r = vsBest.get(c);
      const standing = c === best ? 'fastest' : r && r.lo <= 1 ? 'indistinguishable from the fastest' : 'slower';
      rows.push([at, runnerLabel(c), timeWithCI(c), c === best ? '1.00x' : ratioCell(r), standing, front.includes(c) ? 'yes' : '', formatBytes(heap(c)?.peakBytes), formatBytes(heap(c)?.trackerPeakBytes)]);
      rowCases.push([c.id]);
    }
    if (limit) {
      rows.push([at, runnerLabel(limit), timeWithCI(limit), ratioCell(ratio(limit, best)), 'limit loop (not an option set)', '', formatBytes(heap(limit)?.peakBytes), '–']);
      rowCases.push([limit.id]);
    }
    for (const c of all.filter((c) => c.status === 'errored')) {
      rows.push([at, runnerLabel(c), timeCell(c), '–', '–', '', '–', '–']);
      rowCases.push([c.id]);
    }
    notes.push(`${at}: fastest ${runnerLabel(best)}; ${tied.length ? `indistinguishable from it (95% CI of the ratio includes 1): ${tied.map(runnerLabel).join('; ')}` : 'measurably faster than every other combination'}. Pareto front over time and peak heap: ${front.map(runnerLabel).join('; ')}.`);
  }
  if (rows.length === 0) return null;
  return {
    id: 'sweep', title: `Option sweep: ${ix.results.suite.slice('sweep:'.length)}`,
    what: `Every combination of the varied options that is a distinct code path (an option an engine does not read is not varied for it), ranked by paired time ratio to the fastest. Time: ${TIME_HOW}. Memory: ${MEM_HOW}.`,
    columns: ['Parameters', 'Runner and options', 'Median (95% CI)', 'vs fastest', 'Standing', 'Pareto front', 'Peak heap', 'Tracker peak'],
    rows, rowCases, notes,
  };
}

/** Pipeline fusion vs composed iterators vs the limit loop, with the geometric mean of the ratios. */
export function pipelineFusion(ix: CaseIndex): Table | null {
  const rows: string[][] = [], rowCases: string[][] = [], ratios: number[] = [];
  // The target is stated over the grid at 100K rows and more; smaller cells are shown, not counted.
  const GRID_MIN_ROWS = 100_000;
  let smaller = 0;
  const fusedOf = (scenario: string) => ix.of(scenario).filter((c) => c.options.enablePipelineFusion === true);
  for (const scenario of ['selectivity', 'pipeline-depth']) {
    for (const f of fusedOf(scenario)) {
      const p = f.params as Record<string, unknown>;
      const s = ix.get(scenario, p, 'streaming'), b = ix.get(scenario, p, 'limit-loop');
      const fb = ratio(f, b);
      if (fb && Number(p.rows) >= GRID_MIN_ROWS) ratios.push(fb.value);
      else if (fb) smaller++;
      const label = scenario === 'selectivity' ? `filter ${Number(p.selectivity) * 100}% → project` : `depth ${String(p.depth)}`;
      rows.push([label, Number(p.rows).toLocaleString('en-US'), timeWithCI(s), timeWithCI(f), timeCell(b), ratioCell(ratio(s, f)), ratioCell(fb)]);
      rowCases.push(ids(s, f, b));
    }
  }
  if (rows.length === 0) return null;
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  const worst = Math.max(...ratios);
  const grid = ratios.length
    ? `Fused / limit loop over the grid at ${GRID_MIN_ROWS.toLocaleString('en-US')} rows and more: geometric mean ${geo.toFixed(2)}x over ${ratios.length} cells, worst ${worst.toFixed(2)}x (target: at most 1.2x and 1.5x)${smaller ? `; the ${smaller} smaller cells are shown but not counted` : ''}.`
    : `No cell at ${GRID_MIN_ROWS.toLocaleString('en-US')} rows or more was measured; the target (geometric mean at most 1.2x, no cell above 1.5x) is stated over that grid.`;
  return {
    id: 'pipeline-fusion', title: 'Pipeline fusion',
    what: `Streaming engine with enablePipelineFusion (each run of filter/extend/project compiled into one generated loop) against composed iterators and the hand-written limit loop. Time: ${TIME_HOW}.`,
    columns: ['Query', 'Rows', 'Composed', 'Fused', 'Limit loop', 'Composed / fused', 'Fused / limit loop'],
    rows, rowCases,
    notes: [grid, 'Every runner drains the query the same way, pushing each output row to one sink (`Relation.forEach`; the limit loop calls the same sink), so the ratio is the engine\'s work, not the consumer\'s.'],
  };
}

/** Every table the results file can fill, in report order. */
export function allTables(ix: CaseIndex): Table[] {
  return [answerTable, answerMemory, sources, queryPatterns, iteratorComposition, memoryCharacteristics, joins, aggregation, pipelineDepth, selectivitySweep, pipelineFusion, scaleTable, storage, peersTable, peerStreamingTable, sweepTable]
    .map((f) => f(ix))
    .filter((t): t is Table => t !== null);
}

const rowsPerSec = (c: CaseRecord | undefined) => (c?.summary && c.inputRows ? `${Math.round(c.inputRows / (c.summary.medianNs / 1e9)).toLocaleString('en-US')} rows/s` : '–');

/**
 * Storage: streaming ingest against read-all-then-insert and the parse-only limit, and streaming
 * read against getTableData, by table size; checks the targets (streaming peak heap flat within
 * 2x from the smallest to the largest size; throughput at least half the parse-only limit).
 */
export function storage(ix: CaseIndex): Table | null {
  const rows: string[][] = [], notes: string[] = [], rowCases: string[][] = [];
  const storeOf = (c: CaseRecord) => `${(c.params.store ?? 'filesystem') as string}${c.params.segmentFormat === 'parquet' ? ', parquet' : ''}`;
  const STORES = ['filesystem', 'filesystem, parquet', 'memory', 's3', 's3, parquet'];
  const bytesCell = (c: CaseRecord) => (typeof c.ioBytes === 'number' ? formatBytes(c.ioBytes) : '–');
  for (const scenario of ['ingest', 'read', 'scan-table'] as const) {
    const stores = STORES.filter((st) => ix.of(scenario).some((c) => storeOf(c) === st));
    for (const store of stores) {
      const cases = ix.of(scenario).filter((c) => storeOf(c) === store);
      const sizes = [...new Set(cases.map((c) => c.params.rows as number))].sort((a, b) => a - b);
      const keeps = scenario === 'scan-table' ? [...new Set(cases.map((c) => c.params.keep as number))].sort((a, b) => a - b) : [undefined];
      const runners = scenario === 'ingest' ? ['streaming', 'materialized', 'limit-loop'] : ['streaming', 'materialized'];
      const find = (n: number, engine: string, keep?: number) => cases.find((x) => x.params.rows === n && x.engine === engine && (keep === undefined || x.params.keep === keep));
      for (const n of sizes) {
        for (const keep of keeps) {
          for (const engine of runners) {
            const c = find(n, engine, keep);
            if (!c) continue;
            const label = engine === 'limit-loop' ? 'parse only (JSON.parse per line, nothing kept)'
              : scenario === 'ingest' ? (engine === 'streaming' ? 'insertStream' : 'read all, parse all, insertBatches')
              : scenario === 'scan-table' ? `scan with a filter keeping ${+(keep! * 100).toFixed(1)}%, ${engine} engine`
              : (engine === 'streaming' ? 'readStream' : store.startsWith('s3') && !store.endsWith('parquet') ? 'getTableData (objects downloaded whole), then every line' : 'getTableData, then every line');
            rows.push([scenario, store, n.toLocaleString('en-US'), label, timeCell(c), rowsPerSec(c), formatBytes(heap(c)?.peakBytes), formatBytes(heap(c)?.externalPeakBytes), formatBytes(heap(c)?.maxRssBytes), formatBytes(allocated(c)), bytesCell(c)]);
            rowCases.push(ids(c));
          }
        }
      }
      const where = store === 'filesystem' ? '' : ` (${store})`;
      if (sizes.length >= 2 && scenario !== 'scan-table') {
        const lo = sizes[0]!, hi = sizes.at(-1)!;
        for (const engine of ['streaming', 'materialized']) {
          const a = heap(find(lo, engine))?.peakBytes, b = heap(find(hi, engine))?.peakBytes;
          // The flat-heap target is set for streaming ingest into the filesystem and S3 stores; a memory table is itself on the heap,
          // and a Parquet writer keeps every row group's metadata for the footer.
          const judged = store === 'filesystem' || store === 's3';
          const why = store === 'memory' ? ' (a memory table holds its rows on the heap: no target)' : store.endsWith('parquet') ? " (the Parquet writer keeps each row group's metadata until the footer: no target)" : '';
          if (a && b) notes.push(`${scenario}${where}, ${engine}: peak heap ${formatBytes(a)} at ${lo.toLocaleString('en-US')} rows, ${formatBytes(b)} at ${hi.toLocaleString('en-US')} rows (${(b / a).toFixed(1)}x for ${(hi / lo).toLocaleString('en-US')}x the rows)${engine !== 'streaming' ? '' : scenario === 'ingest' ? (judged ? `; target flat within 2x: ${b / a <= 2 ? 'met' : 'NOT met'}` : why) : `; ${b / a <= 2 ? 'flat' : 'not flat'} within 2x (no target is set for reads)`}.`);
        }
      }
      if (scenario === 'ingest') {
        for (const n of sizes) {
          const st = find(n, 'streaming'), p = find(n, 'limit-loop');
          if (usable(st) && usable(p)) {
            const share = p.summary.medianNs / st.summary.medianNs;
            notes.push(`ingest${where} at ${n.toLocaleString('en-US')} rows: streaming ingest runs at ${(share * 100).toFixed(0)}% of the parse-only limit's throughput${store === 'filesystem' ? `; target at least 50%: ${share >= 0.5 ? 'met' : 'NOT met'}` : ''}.`);
          }
        }
      }
      if (scenario === 'scan-table' && store.endsWith('parquet')) {
        for (const n of sizes) {
          const all = find(n, 'streaming', 1), tenth = find(n, 'streaming', 0.1);
          if (typeof all?.ioBytes === 'number' && typeof tenth?.ioBytes === 'number' && all.ioBytes > 0) {
            const share = tenth.ioBytes / all.ioBytes;
            notes.push(`scan of a Parquet table${where} at ${n.toLocaleString('en-US')} rows: a filter keeping 10% (ruling out 90% of row groups by their statistics) read ${formatBytes(tenth.ioBytes)}, ${(share * 100).toFixed(1)}% of a full scan's ${formatBytes(all.ioBytes)}; target at most 15%: ${share <= 0.15 ? 'met' : 'NOT met'}. (Bytes are counted by the store, one run each: deterministic for a given table.)`);
          }
        }
      }
    }
  }
  if (rows.length === 0) return null;
  notes.push('The published write-up claimed an 80% memory reduction from streaming ingest without measuring memory, and its implementation decoded the whole body at once. These figures are measured.');
  if (rows.some((r) => r[1]!.startsWith('s3'))) notes.push("On S3 the bytes in flight (an insert's upload parts, a scan's downloads) are held by the store's I/O thread, a V8 isolate of its own whose heap and buffers the peak heap and external columns (the main thread's) do not count; max RSS (the whole process, the server excluded: it runs in a process of its own) does. Parquet row groups are decoded in that thread too, on any store.");
  return {
    id: 'storage', title: 'Storage: streaming ingest and read',
    what: `NDJSON trades into a table (fresh for every run) and back out, on each store measured: filesystem (synced files), memory, and S3 (a local S3-compatible server, s3rver, over loopback HTTP), with segments as JSON arrays or Parquet row groups. Throughput is input rows over the median time. Bytes moved: what one run wrote to (ingest) or read from (read, scan) the store's files or objects, counted by the store. Time: ${TIME_HOW}. Memory: ${MEM_HOW}.`,
    columns: ['Task', 'Store', 'Rows', 'Runner', 'Median time', 'Throughput', 'Peak heap', 'External peak', 'Max RSS', 'Allocated', 'Bytes moved'],
    rows, notes, rowCases,
  };
}

/** The shape label, saying "from a scan" for a case that read a scan. */
function shapeAndSource(c: CaseRecord): string {
  const src = sourceOf(c.params);
  return src === 'array' ? shapeLabel(c) : `${shapeLabel(c)}, from ${src === 'store' ? 'a stored table' : `a ${src}`}`;
}

/** Streaming's peak heap against materialized's: less or more beyond the resolution, or below it. */
function heapFinding(a: number, b: number, res: number): { side: 'less' | 'more' | 'below'; text: string } {
  if (withinResolution(a, b, res)) return { side: 'below', text: 'below resolution' };
  return a > b ? { side: 'less', text: `**${(a / Math.max(b, 1)).toFixed(1)}x less** with streaming` } : { side: 'more', text: `**${(b / Math.max(a, 1)).toFixed(1)}x more** with streaming` };
}

/** A peak-heap finding with both figures: "1.2 MiB / 1.0 MiB: below resolution (±256.0 KiB)". */
function heapVerdict(m: CaseRecord | undefined, s: CaseRecord | undefined): string {
  const a = heap(m)?.peakBytes, b = heap(s)?.peakBytes;
  if (a === undefined || b === undefined) return '–';
  const res = peakResolution(m, s), f = heapFinding(a, b, res);
  return `${formatBytes(a)} / ${formatBytes(b)}: ${f.text}${f.side === 'below' ? ` (±${formatBytes(res)})` : ''}`;
}

/** External memory at its peak, materialized / streaming ('–' when neither case recorded it). */
function externalPair(m: CaseRecord | undefined, s: CaseRecord | undefined): string {
  const ext = (c: CaseRecord | undefined) => heap(c)?.externalPeakBytes;
  return ext(m) !== undefined || ext(s) !== undefined ? bytesPair(ext(m), ext(s)) : '–';
}

/** The case groups the answer tables cover, in answer order, with both engines usable. */
function answerGroups(ix: CaseIndex): { g: CaseRecord; m: CaseRecord; s: CaseRecord; b: CaseRecord | undefined }[] {
  const order = ['selectivity', 'multiple-filters', 'complex-pipeline', 'pipeline-depth', 'memory', 'join', 'ohlc', 'group-by'];
  const groups = [...new Map(ix.results.cases.filter((c) => order.includes(c.scenario)).map((c) => [c.group, c])).values()];
  groups.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario) || sourceOf(a.params).localeCompare(sourceOf(b.params)) || Number(a.params.rows ?? 0) - Number(b.params.rows ?? 0) || String(a.group).localeCompare(String(b.group), 'en', { numeric: true }));
  const out = [];
  for (const g of groups) {
    const m = ix.get(g.scenario, g.params, 'materialized'), s = ix.get(g.scenario, g.params, 'streaming'), b = ix.get(g.scenario, g.params, 'limit-loop');
    if (usable(m) && usable(s)) out.push({ g, m, s, b });
  }
  return out;
}

const inputRowsCell = (m: CaseRecord, s: CaseRecord) => {
  const n = s.inputRows ?? m.inputRows;
  return n !== undefined ? n.toLocaleString('en-US') : '–';
};

/**
 * The answer, first, in time: for every case group that ran both engines with default options,
 * streaming against materialized (paired ratio with its 95% CI, a verdict only where the interval
 * excludes 1), and streaming against the hand-written limit loop.
 */
export function answerTable(ix: CaseIndex): Table | null {
  const rows: string[][] = [], rowCases: string[][] = [];
  let faster = 0, slower = 0, same = 0;
  for (const { g, m, s, b } of answerGroups(ix)) {
    const r = ratio(m, s);
    const where = r ? side(r) : 'spans';
    if (where === 'above') faster++;
    else if (where === 'below') slower++;
    else same++;
    rows.push([shapeAndSource(g), inputRowsCell(m, s), timeVerdict(r), b ? ratioCell(ratio(s, b)) : '–']);
    rowCases.push(ids(m, s, b));
  }
  if (rows.length === 0) return null;
  return {
    id: 'answer', title: 'The answer: streaming vs materializing, in time',
    what: 'For every query shape measured on both engines with default options: is streaming faster, and how far is it from a hand-written loop? A verdict is printed only where the 95% interval excludes "no difference"; everything else says so.',
    columns: ['Query', 'Input rows', 'Streaming vs materialized', 'Streaming / limit loop'],
    rows, rowCases,
    notes: [`Streaming was measurably faster in ${faster} of ${rows.length} shapes, measurably slower in ${slower}, and not measurably different in ${same}. Time ratios are paired (both engines took turns in one process, each in an isolate of its own) unless marked "unpaired".`],
  };
}

/** The answer in memory: each engine's peak heap, and a verdict only beyond the figures' resolution. */
export function answerMemory(ix: CaseIndex): Table | null {
  const rows: string[][] = [], rowCases: string[][] = [];
  const count = { less: 0, more: 0, below: 0 };
  for (const { g, m, s } of answerGroups(ix)) {
    const a = heap(m)?.peakBytes, b = heap(s)?.peakBytes;
    if (a === undefined || b === undefined) continue;
    const res = peakResolution(m, s), f = heapFinding(a, b, res);
    count[f.side]++;
    rows.push([shapeAndSource(g), inputRowsCell(m, s), formatBytes(a), formatBytes(b), f.text, `±${formatBytes(res)}`, externalPair(m, s)]);
    rowCases.push(ids(m, s));
  }
  if (rows.length === 0) return null;
  return {
    id: 'answer-memory', title: 'The answer: streaming vs materializing, in peak heap',
    what: 'The same shapes: V8 used heap at its highest during one query, above the collected heap before it, measured in a pass of its own (1 MiB young generation). A verdict is printed only where the difference exceeds the resolution. Beside it, memory outside the V8 heap (Buffers and ArrayBuffers: a stored table\'s file reads) at its highest during the query, so that work moved off the heap is not reported as free.',
    columns: ['Query', 'Input rows', 'Materialized', 'Streaming', 'Streaming vs materialized', 'Resolution', 'External peak M / S'],
    rows, rowCases,
    notes: [`Streaming used measurably less peak heap in ${count.less} of ${rows.length} shapes, more in ${count.more}, and a difference below the resolution in ${count.below}. The resolution is the larger of one V8 heap page (256 KiB) and the spread of the two cases' own runs.`],
  };
}

/**
 * Where rows come from: every query group measured over more than the shared array, one row per
 * source. Over an array both engines share rows that already exist; over a scan or a stored table
 * the materialized engine must first materialize the input, which is the cost the published work
 * is about.
 */
export function sources(ix: CaseIndex): Table | null {
  const rows: string[][] = [], rowCases: string[][] = [];
  const SOURCE_LABEL: Record<string, string> = { array: 'array (shared tuples)', scan: 'scan (compact columns)', store: 'store (filesystem table)', s3: 's3 (S3 table, local server)' };
  const notes: string[] = [];
  // One streaming case per query shape read from something other than an array.
  const shapes = new Map<string, CaseRecord>();
  for (const c of ix.results.cases) {
    if (c.scenario === 'scale' || sourceOf(c.params) === 'array' || c.engine !== 'streaming' || Object.keys(c.options).length) continue;
    const key = `${c.scenario}/${JSON.stringify({ ...c.params, source: undefined })}`;
    if (!shapes.has(key)) shapes.set(key, c);
  }
  for (const sc of shapes.values()) {
    for (const source of ['array', 'scan', 'store', 's3']) {
      const params = { ...sc.params, source };
      const [m, s, b] = ['materialized', 'streaming', 'limit-loop'].map((e) => ix.get(sc.scenario, params, e));
      if (!usable(m) && !usable(s)) continue;
      rows.push([shapeLabel(sc), SOURCE_LABEL[source]!, (s?.inputRows ?? m?.inputRows ?? 0).toLocaleString('en-US'), timeVerdict(ratio(m, s)), heapVerdict(m, s), externalPair(m, s), `${formatNs(m?.firstRowNs)} / ${formatNs(s?.firstRowNs)}`, b ? ratioCell(ratio(s, b)) : '–']);
      rowCases.push(ids(m, s, b));
      const inputRows = s?.inputRows ?? m?.inputRows ?? 0;
      if (source === 's3' && inputRows >= 1_000_000 && typeof m?.firstRowNs === 'number' && typeof s?.firstRowNs === 'number') {
        const what = `${shapeLabel(sc)} over a ${inputRows.toLocaleString('en-US')}-row S3 table: the streaming scan's first row after ${formatNs(s.firstRowNs)}, the materializing scan's (every object downloaded, then decoded) after ${formatNs(m.firstRowNs)}`;
        // Pooled over isolate groups where both were measured in one group pass; else two medians.
        const fr = firstRowRatio(m, s);
        if (fr) notes.push(`${what}: ${fr.value.toFixed(0)}x earlier (95% CI ${fr.lo.toFixed(0)}–${fr.hi.toFixed(0)}, over isolate groups); target at least 20x: ${fr.lo >= 20 ? 'met' : fr.hi < 20 ? 'NOT met' : 'undecided (the interval spans 20x)'}.`);
        else {
          const r = m.firstRowNs / s.firstRowNs;
          notes.push(`${what}: ${r.toFixed(0)}x earlier (medians of warm runs, without an interval); target at least 20x: ${r >= 20 ? 'met' : 'NOT met'}.`);
        }
      }
    }
  }
  if (rows.length === 0) return null;
  return {
    id: 'sources', title: 'Where rows come from: a shared array, a scan, a stored table, an S3 table',
    what: `The same queries reading a shared in-memory array of tuples; a scan that decodes each row from compact typed-array columns as it is pulled; a table of sluice's filesystem store read through scan(), segment by segment; and a table of its S3 store on a local S3-compatible server, read the same way over loopback HTTP (the materialized engine reads the whole input first from any of them; from S3, every object downloaded whole, then decoded). First row: the median warm time to the query's first output row. External memory is Buffers and ArrayBuffers outside the V8 heap (the store's file reads), at its highest during the query. Time: ${TIME_HOW}. Memory: ${MEM_HOW}.`,
    columns: ['Query', 'Source', 'Input rows', 'Streaming vs materialized', 'Peak heap M / S', 'External peak M / S', 'First row M / S', 'Streaming / limit loop'],
    rows, rowCases,
    notes: [...publishedMemoryUnderScan(ix), ...notes, 'Over an array the materialized engine\'s scan costs nothing (it wraps the array), so only the intermediates after it differ; over a scan or a stored table it holds every row of the input as a tuple before the first operator runs. The limit loop reads through the same decoder (scan) or the same segment reads (store), and V8 skips building the tuples its filter rejects; over a scan the streaming engine does the same by pushing the filter and projection into the scan, over a stored table it decodes every row of every segment it reads.'],
  };
}

/** The heap pass's young generation (`--max-semi-space-size=1`): the floor of any peak-heap figure. */
const YOUNG_FLOOR_BYTES = 1024 * 1024;

const SCALE_ORDER = ['filter1', 'filter10', 'filter50', 'filter100', 'depth6', 'groupby', 'ohlc', 'join'];
const SCALE_LABEL: Record<string, string> = {
  filter1: 'filter 1% → project', filter10: 'filter 10% → project', filter50: 'filter 50% → project', filter100: 'filter 100% → project',
  depth6: 'pipeline of 6 stages', groupby: 'group by symbol (4 aggregates)', ohlc: 'OHLC per symbol and hour', join: 'join with a 1000-row table',
};

/** The largest input an engine completed for a scale query, and whether it then ran out of memory. */
export function capacity(ix: CaseIndex, query: string, engine: string, source = 'scan', heapCap = 0): { completed: number | undefined; failedAt: number | undefined; largestTried: number } {
  const cases = ix.of('scale', source).filter((c) => c.params.query === query && c.engine === engine && Object.keys(c.options).length === 0 && Number(c.params.heapCap ?? 0) === heapCap);
  const ok = cases.filter((c) => c.status === 'ok').map((c) => c.params.rows as number);
  const oom = cases.filter((c) => c.status === 'errored' && /out of memory/.test(c.error ?? '')).map((c) => c.params.rows as number);
  return { completed: ok.length ? Math.max(...ok) : undefined, failedAt: oom.length ? Math.min(...oom) : undefined, largestTried: Math.max(0, ...cases.map((c) => c.params.rows as number)) };
}

/**
 * The scale family: each query over growing scanned inputs, every case in a process whose V8 heap
 * is capped; how time and peak memory grow, where each engine runs out of memory, and the
 * capacity ratio (the largest input streaming completed over the largest materialized completed).
 */
export function scaleTable(ix: CaseIndex): Table | null {
  const srcs = ['scan', 'store'].filter((src) => ix.of('scale', src).length > 0);
  if (srcs.length === 0) return null;
  // A case's cap is its own heapCap parameter, or the run's.
  const ownCaps = [...new Set(srcs.flatMap((src) => ix.of('scale', src).map((c) => Number(c.params.heapCap ?? 0))))].sort((x, y) => x - y);
  const capOf = (own: number) => caseHeapCap({ params: { heapCap: own } }, ix.results.settings);
  const caps = [...new Set(ownCaps.map(capOf))];
  const cap = caps.length === 1 ? caps[0] : undefined;
  const allSizes = [...new Set(srcs.flatMap((src) => ix.values('scale', 'rows', src) as number[]))].sort((x, y) => x - y);
  const rows: string[][] = [], rowCases: string[][] = [], notes: string[] = [], flatness: string[] = [];
  const cell = (c: CaseRecord | undefined, f: (c: CaseRecord) => string) => (!c ? '–' : c.status === 'errored' ? (/out of memory/.test(c.error ?? '') ? '**out of memory**' : 'errored') : f(c));
  const n = (v: number) => v.toLocaleString('en-US');
  for (const src of srcs) for (const own of ownCaps) {
    const cases = ix.of('scale', src).filter((c) => Number(c.params.heapCap ?? 0) === own);
    if (cases.length === 0) continue;
    const sizes = [...new Set(cases.map((c) => c.params.rows as number))].sort((x, y) => x - y);
    const queries = SCALE_ORDER.filter((q) => cases.some((c) => c.params.query === q));
    const label = (q: string) => `${SCALE_LABEL[q] ?? q}${src === 'store' ? ', from a stored table' : ''}${cap === undefined && capOf(own) ? ` (${capOf(own)} MiB cap)` : ''}`;
    const at = (size: number, q: string) => ({ rows: size, query: q, source: src, ...(own > 0 ? { heapCap: own } : {}) });
    for (const q of queries) {
      for (const size of sizes) {
        const m = ix.get('scale', at(size, q), 'materialized'), st = ix.get('scale', at(size, q), 'streaming');
        if (!m && !st) continue;
        rows.push([label(q), n(size),
          cell(m, timeWithCI), cell(st, timeWithCI),
          cell(m, (c) => formatBytes(c.heap?.peakBytes ?? NaN)), cell(st, (c) => formatBytes(c.heap?.peakBytes ?? NaN)),
          cell(st, (c) => (c.heap?.externalPeakBytes !== undefined ? formatBytes(c.heap.externalPeakBytes) : '–')),
          `${cell(m, (c) => formatBytes(c.heap?.maxRssBytes ?? NaN))} / ${cell(st, (c) => formatBytes(c.heap?.maxRssBytes ?? NaN))}`]);
        rowCases.push(ids(m, st));
      }
      const cm = capacity(ix, q, 'materialized', src, own), cs = capacity(ix, q, 'streaming', src, own);
      const where = (c: typeof cm) => c.completed === undefined ? `none of the sizes tried (out of memory from ${n(c.failedAt ?? c.largestTried)} rows)` : `${n(c.completed)} rows${c.failedAt !== undefined ? ` (out of memory at ${n(c.failedAt)})` : c.completed === c.largestTried ? ' (the largest size tried)' : ''}`;
      let ratioText = 'capacity ratio: not measured (an engine completed no size)';
      if (cm.completed !== undefined && cs.completed !== undefined) {
        const atLeast = cs.completed === cs.largestTried && cs.failedAt === undefined;
        const exact = cm.failedAt !== undefined;
        ratioText = `capacity ratio **${atLeast || !exact ? '≥ ' : ''}${(cs.completed / cm.completed).toFixed(cs.completed / cm.completed >= 10 ? 0 : 1)}x**${atLeast ? ' (streaming completed every size tried)' : ''}${!exact ? ' (materialized never ran out of memory)' : ''}`;
      }
      notes.push(`${label(q)}: materialized completed ${where(cm)}; streaming ${where(cs)}; ${ratioText}.`);
      // The streaming peak's flatness: its figure at the largest size it completed against its smallest.
      const pts = sizes.map((size) => ix.get('scale', at(size, q), 'streaming')).filter((c): c is CaseRecord => c?.status === 'ok' && !!c.heap);
      if (pts.length < 2) continue;
      const first = pts[0]!, last = pts[pts.length - 1]!;
      const growth = last.heap!.peakBytes / Math.max(first.heap!.peakBytes, 1);
      const res = peakResolution(first, last);
      const flat = withinResolution(first.heap!.peakBytes, last.heap!.peakBytes, res) || growth <= 2;
      // A peak at most the heap pass's young generation (plus the resolution) is garbage a
      // scavenge had not yet collected: a small input that allocates less than that shows less.
      const atFloor = last.heap!.peakBytes <= YOUNG_FLOOR_BYTES + res;
      const verdict = flat ? 'flat: within 2x or the resolution'
        : atFloor ? `${growth.toFixed(1)}x, but **bounded**: no more than the heap pass's 1 MiB young generation and the resolution, young garbage that the smallest input, allocating less, never filled`
        : `**grows ${growth.toFixed(1)}x**`;
      flatness.push(`${label(q)}, streaming peak heap from ${n(first.params.rows as number)} to ${n(last.params.rows as number)} rows: ${formatBytes(first.heap!.peakBytes)} → ${formatBytes(last.heap!.peakBytes)} (${verdict}).`);
    }
  }
  notes.push(...flatness);
  const store = srcs.includes('store') ? ' The OHLC query also reads minute bars from a table of sluice\'s filesystem store (inserted before timing; segment files read as the query pulls them), as the published engine did.' : '';
  return {
    id: 'scale', title: `Scale: how far each engine gets${cap ? ` under a ${cap} MiB heap cap` : ' under a heap cap'}`,
    what: `Each query over ${n(allSizes[0] ?? 0)} to ${n(allSizes[allSizes.length - 1] ?? 0)} rows read from a scan (generated straight into typed-array columns, never held as tuples), every case in processes whose V8 heap was capped${cap ? ` at ${cap} MiB (\`--max-old-space-size\`)` : caps.some((c) => c) ? ' (each row names its cap)' : ' (no cap recorded)'}; a case over the cap is recorded as out of memory.${store} Times are benchmark.js medians (95% CI), each case in its own process; peak heap from V8 GC statistics in a separate pass; external memory (ArrayBuffers, Buffers) is what the query held off the V8 heap; max RSS is the whole heap-pass process, input columns included.`,
    columns: ['Query', 'Input rows', 'Materialized time', 'Streaming time', 'Materialized peak heap', 'Streaming peak heap', 'Streaming external peak', 'Max RSS M / S'],
    rows, rowCases, notes,
  };
}

/**
 * The published memory claims (99% less at 1% kept, 90% at 10%, 50% at 50%, 99.9% for the
 * aggressive filter), re-examined with the input read from a scan: which hold, with the measured
 * peak heaps. A claim holds when the measured reduction is beyond the figures' resolution and at
 * least the published one less 5 points.
 */
export function publishedMemoryUnderScan(ix: CaseIndex): string[] {
  const pct = (v: number) => `${Number((v * 100).toPrecision(3))}%`;
  const claims = [
    ...(['high', 'medium', 'low'] as const).map((k) => {
      const p = PUBLISHED.queryPatterns[k];
      return { what: `a filter keeping ${p.selectivity * 100}% of ${p.rows.toLocaleString('en-US')} rows`, published: p.memoryReduction, find: (e: string) => ix.get('selectivity', { rows: p.rows, selectivity: p.selectivity, source: 'scan' }, e) };
    }),
    { what: 'the aggressive filter (100,000 → 100 rows)', published: PUBLISHED.memory.aggressive.reduction, find: (e: string) => ix.get('memory', { variant: 'aggressive', source: 'scan' }, e) },
  ];
  const out: string[] = [];
  for (const c of claims) {
    const m = c.find('materialized'), st = c.find('streaming');
    const a = heap(m)?.peakBytes, b = heap(st)?.peakBytes;
    if (a === undefined || b === undefined) continue;
    const res = peakResolution(m, st);
    const measured = 1 - b / Math.max(a, 1);
    const holds = !withinResolution(a, b, res) && measured >= c.published - 0.05;
    // The heap pass runs with a 1 MiB semi-space: up to that much young garbage sits in every
    // peak, so a streaming peak at that floor bounds the reduction this size can show.
    const atFloor = b <= YOUNG_FLOOR_BYTES + res;
    const verdict = holds ? '**holds**' : atFloor
      ? `**cannot be judged at this size**: the streaming figure is the heap pass's floor (its 1 MiB young generation), so ${pct(1 - b / Math.max(a, 1))} is the most this input can show (the scale suite, \`sluice run --suite scale\`, measures larger inputs)`
      : '**does not hold**';
    out.push(`Published "${pct(c.published)} less memory" for ${c.what}, input from a scan: peak heap ${formatBytes(a)} materialized, ${formatBytes(b)} streaming, ${heapReduction(a, b, res)} less: ${verdict}.`);
  }
  return out;
}
