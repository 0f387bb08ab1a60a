import { caseHeapCap, type CaseRecord } from '../core/results.js';
import { PALETTE } from './charts/canvas.js';
import { barChart, heatmap, lineChart, type Marker, type Point, type Series } from './charts/charts.js';
import { CaseIndex, formatNs, ratio, side, usable } from './model.js';
import { depthTableRows } from './tables.js';

/** A rendered chart: its file name, title (alt text) and PNG bytes. */
export interface Figure {
  file: string;
  title: string;
  png: Buffer;
}

interface Runner {
  name: string;
  engine: string;
  options?: Record<string, unknown>;
  color: string;
  marker: Marker;
  dash?: number[];
}

const ENGINES: Runner[] = [
  { name: 'materialized', engine: 'materialized', color: PALETTE.materialized, marker: 'square' },
  { name: 'streaming', engine: 'streaming', color: PALETTE.streaming, marker: 'circle' },
  { name: 'streaming, composition off', engine: 'streaming', options: { enableIteratorComposition: false }, color: PALETTE.alt2, marker: 'diamond', dash: [6, 4] },
  { name: 'limit loop (hand-written)', engine: 'limit-loop', color: PALETTE.limitLoop, marker: 'triangle', dash: [2, 4] },
];

const timePoint = (x: number, c: CaseRecord | undefined): Point | null =>
  usable(c) ? { x, y: c.summary.medianNs, lo: c.summary.ci95Ns[0], hi: c.summary.ci95Ns[1] } : null;
const heapPoint = (x: number, c: CaseRecord | undefined): Point | null => (c?.status === 'ok' && c.heap ? { x, y: Math.max(1, c.heap.peakBytes) } : null);

/** One series per runner that has at least one point. */
function seriesOver(xs: number[], runners: Runner[], find: (x: number, r: Runner) => CaseRecord | undefined, point: typeof timePoint): Series[] {
  return runners
    .map((r) => ({ name: r.name, color: r.color, marker: r.marker, dash: r.dash, points: xs.map((x) => point(x, find(x, r))).filter((p): p is Point => p !== null) }))
    .filter((s) => s.points.length > 0);
}

/** Binary byte units for chart ticks, as in the tables (byte axes tick at powers of two). */
function formatBytesTick(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (b >= 1024 && u < units.length - 1) {
    b /= 1024;
    u++;
  }
  return `${Number(b.toPrecision(4))} ${units[u]}`;
}

const pct = (v: number) => `${Number((v * 100).toPrecision(3))}%`;

/** Every chart the results file can fill. */
export function allFigures(ix: CaseIndex): Figure[] {
  const out: Figure[] = [];
  // Time and peak heap vs selectivity, one chart per size.
  const sels = ix.values('selectivity', 'selectivity') as number[];
  for (const n of ix.values('selectivity', 'rows') as number[]) {
    const find = (sel: number, r: Runner) => ix.get('selectivity', { rows: n, selectivity: sel }, r.engine, r.options);
    const runners = ENGINES.filter((r) => r.options === undefined);
    const time = seriesOver(sels, runners, find, timePoint), mem = seriesOver(sels, runners, find, heapPoint);
    const rows = n.toLocaleString('en-US');
    if (time.length) out.push({ file: `selectivity-time-${n}.png`, title: `Time vs selectivity, ${rows} rows`, png: lineChart({ title: `Filter → project over ${rows} rows: time per query`, subtitle: 'median with 95% CI; lower is better', xLabel: 'selectivity (fraction of rows kept)', yLabel: 'time per query', xLog: true, xTicks: sels, xFormat: pct, yFormat: formatNs, series: time }) });
    if (mem.length) out.push({ file: `selectivity-heap-${n}.png`, title: `Peak heap vs selectivity, ${rows} rows`, png: lineChart({ title: `Filter → project over ${rows} rows: peak heap`, subtitle: 'V8 used heap above baseline during the query (1 MiB semi-space); lower is better', xLabel: 'selectivity (fraction of rows kept)', yLabel: 'peak heap', xLog: true, xTicks: sels, xFormat: pct, yFormat: formatBytesTick, yBytes: true, series: mem }) });
  }
  // Time and heap vs pipeline depth, at the size of the pipeline-depth table.
  const depthRows = depthTableRows(ix) ?? 0;
  if (depthRows > 0) {
    const depths = ix.values('pipeline-depth', 'depth') as number[];
    const find = (d: number, r: Runner) => ix.get('pipeline-depth', { rows: depthRows, depth: d }, r.engine, r.options);
    const rows = depthRows.toLocaleString('en-US');
    out.push({ file: 'depth-time.png', title: 'Time vs pipeline depth', png: lineChart({ title: `Pipeline depth over ${rows} rows: time per query`, subtitle: 'median with 95% CI; lower is better', xLabel: 'stages (alternating filter and extend+project)', yLabel: 'time per query', xTicks: depths, xFormat: (v) => String(v), yFormat: formatNs, series: seriesOver(depths, ENGINES, find, timePoint) }) });
    out.push({ file: 'depth-heap.png', title: 'Peak heap vs pipeline depth', png: lineChart({ title: `Pipeline depth over ${rows} rows: peak heap`, subtitle: 'V8 used heap above baseline during the query; lower is better', xLabel: 'stages (alternating filter and extend+project)', yLabel: 'peak heap', xTicks: depths, xFormat: (v) => String(v), yFormat: formatBytesTick, yBytes: true, series: seriesOver(depths, ENGINES, find, heapPoint) }) });
  }
  // Joins: grouped bars per configuration.
  const joinCases = ix.of('join');
  if (joinCases.length) {
    const groups = [...new Map(joinCases.map((c) => [c.group, c.params])).values()];
    const label = (p: CaseRecord['params']) => `${Number(p.rows).toLocaleString('en-US')}, x${p.multiplicity}${p.variant === 'limit10' ? ', limit 10' : p.variant === 'count' ? ', counted' : ''}`;
    const bars = [
      { name: 'materialized hash join', color: PALETTE.materialized, find: (p: CaseRecord['params']) => ix.get('join', p, 'materialized') },
      { name: 'streaming hash join', color: PALETTE.streaming, find: (p: CaseRecord['params']) => ix.get('join', p, 'streaming', { enableSymmetricHashJoin: false }) ?? ix.get('join', p, 'streaming') },
      { name: 'streaming symmetric hash join', color: PALETTE.alt1, find: (p: CaseRecord['params']) => ix.get('join', p, 'streaming', { enableSymmetricHashJoin: true }) },
      { name: 'symmetric, alternating to the end', color: PALETTE.alt2, find: (p: CaseRecord['params']) => ix.get('join', p, 'streaming', { enableSymmetricHashJoin: true, enableSymmetricJoinDrain: false }) },
    ].filter((b) => groups.some((p) => b.find(p) !== undefined));
    out.push({ file: 'joins.png', title: 'Join time by configuration', png: barChart({ title: 'Joins: time per query', subtitle: 'rows per side, right rows per key; median with 95% CI; lower is better', yLabel: 'time per query', yFormat: formatNs, categories: groups.map(label), series: bars.map((b) => ({ name: b.name, color: b.color, values: groups.map((p) => timePoint(0, b.find(p))) })) }) });
    out.push({ file: 'joins-first-row.png', title: 'Join time to first row', png: barChart({ title: 'Joins: time to first row', subtitle: 'from building the query to its first output row; lower is better', yLabel: 'time to first row', yFormat: formatNs, categories: groups.map(label), series: bars.map((b) => ({ name: b.name, color: b.color, values: groups.map((p) => { const c = b.find(p); return c?.status === 'ok' && typeof c.firstRowNs === 'number' ? { x: 0, y: c.firstRowNs } : null; }) })) }) });
  }
  // Aggregation: grouped bars per shape and engine.
  const agg = ix.of('ohlc');
  if (agg.length) {
    const cats = [...new Map(agg.flatMap((c) => ['materialized', 'streaming'].map((e) => [`${c.group}|${e}`, { p: c.params, e }]))).values()];
    const label = (x: { p: CaseRecord['params']; e: string }) => `${x.p.symbols}x${x.p.days}x${x.p.barsPerDay} ${x.e}`;
    out.push({ file: 'aggregation.png', title: 'OHLC aggregation time', png: barChart({ title: 'OHLC aggregation: time per query', subtitle: 'symbols x days x bars per day, engine; median with 95% CI; lower is better', yLabel: 'time per query', yFormat: formatNs, categories: cats.map(label), series: [
      { name: 'one pass (streaming aggregation)', color: PALETTE.streaming, values: cats.map((x) => timePoint(0, ix.get('ohlc', x.p, x.e, {}) ?? ix.get('ohlc', x.p, x.e, { enableStreamingAggregation: true }))) },
      { name: 'collect then reduce', color: PALETTE.materialized, values: cats.map((x) => timePoint(0, ix.get('ohlc', x.p, x.e, { enableStreamingAggregation: false }))) },
    ] }) });
  }
  // Scale: time and peak heap against input rows (log axes), both engines, three query shapes.
  // The cases under the run's cap, or (a reference run's slice) under the smallest cap of their own.
  const scanScale = ix.of('scale', 'scan');
  const owns = scanScale.map((c) => Number(c.params.heapCap ?? 0));
  const own = owns.length === 0 || owns.includes(0) ? 0 : Math.min(...owns);
  const scaleCases = scanScale.filter((c) => Number(c.params.heapCap ?? 0) === own);
  if (scaleCases.length) {
    const sizes = [...new Set(scaleCases.map((c) => c.params.rows as number))].sort((a, b) => a - b);
    const shapes = [
      { q: 'filter10', label: 'filter 10%', marker: 'circle' as Marker },
      { q: 'groupby', label: 'group by', marker: 'diamond' as Marker },
      { q: 'join', label: 'join', marker: 'triangle' as Marker },
    ].filter((x) => scaleCases.some((c) => c.params.query === x.q));
    const engines = [
      { engine: 'materialized', color: PALETTE.materialized, dash: [6, 4] },
      { engine: 'streaming', color: PALETTE.streaming, dash: undefined },
    ];
    const series = (point: typeof timePoint): Series[] => shapes.flatMap((sh) => engines.map((e) => ({
      name: `${e.engine}, ${sh.label}`, color: e.color, marker: sh.marker, dash: e.dash,
      points: sizes.map((n) => point(n, ix.get('scale', { rows: n, query: sh.q, source: 'scan', ...(own ? { heapCap: own } : {}) }, e.engine))).filter((p): p is Point => p !== null),
    }))).filter((x) => x.points.length > 0);
    // The cap as a line, and a mark on it at each engine's first size over the cap.
    const cap = caseHeapCap(scaleCases[0]!, ix.results.settings);
    const capBytes = cap ? cap * 1024 * 1024 : undefined;
    const oomPoints = shapes.flatMap((sh) => engines.map((e) => {
      const failed = scaleCases.filter((c) => c.params.query === sh.q && c.engine === e.engine && c.status === 'errored' && /out of memory/.test(c.error ?? '')).map((c) => c.params.rows as number);
      return failed.length ? Math.min(...failed) : undefined;
    })).filter((x): x is number => x !== undefined);
    const capSeries: Series[] = capBytes ? [
      { name: `heap cap (${cap} MiB)`, color: PALETTE.muted, marker: 'square', dash: [2, 3], points: [{ x: sizes[0]!, y: capBytes }, { x: sizes[sizes.length - 1]!, y: capBytes }] },
      ...(oomPoints.length ? [{ name: 'first size out of memory', color: PALETTE.materialized, marker: 'diamond' as Marker, dash: [0, 1e6], points: [...new Set(oomPoints)].sort((a, b) => a - b).map((x) => ({ x, y: capBytes })) }] : []),
    ] : [];
    const sub = `${cap ? `V8 heap capped at ${cap} MiB; ` : ''}a line ends where its engine ran out of memory (see the scale table)`;
    const rowsFmt = (v: number) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}K` : String(v));
    out.push({ file: 'scale-heap.png', title: 'Scale: peak heap against input rows', png: lineChart({ title: 'Scale: peak heap per query against input rows (scan)', subtitle: sub, xLabel: 'input rows', yLabel: 'peak heap', xLog: true, xTicks: sizes, xFormat: rowsFmt, yFormat: formatBytesTick, yBytes: true, series: [...series(heapPoint), ...capSeries] }) });
    out.push({ file: 'scale-time.png', title: 'Scale: time against input rows', png: lineChart({ title: 'Scale: time per query against input rows (scan)', subtitle: sub, xLabel: 'input rows', yLabel: 'time per query', xLog: true, xTicks: sizes, xFormat: rowsFmt, yFormat: formatNs, series: series(timePoint) }) });
  }
  // Sweep: speedup of every option combination over the engine's default options (one chart per
  // parameter point); only differences whose 95% interval excludes 1 are coloured.
  if (ix.results.suite.startsWith('sweep:')) {
    const points = [...new Map(ix.results.cases.map((c) => [JSON.stringify(c.params), c.params])).values()];
    points.forEach((params, k) => {
      const key = JSON.stringify(params);
      const cases = ix.results.cases.filter((c) => c.engine !== 'limit-loop' && JSON.stringify(c.params) === key);
      const engines = [...new Set(cases.map((c) => c.engine))];
      const combos = [...new Set(cases.map((c) => optionsLabel(c.options as Record<string, unknown>)))];
      const cell = (o: string, e: string) => {
        const c = cases.find((x) => x.engine === e && optionsLabel(x.options as Record<string, unknown>) === o);
        const ref = cases.find((x) => x.engine === e && Object.keys(x.options).length === 0) ?? cases.find((x) => x.engine === e);
        return ratio(ref, c);
      };
      const values = combos.map((o) => engines.map((e) => cell(o, e)?.value ?? null));
      const significant = combos.map((o) => engines.map((e) => {
        const r = cell(o, e);
        return r !== undefined && side(r) !== 'spans';
      }));
      const at = Object.entries(params).map(([n, v]) => `${n}=${String(v)}`).join(', ');
      out.push({
        file: points.length > 1 ? `sweep-heatmap-${k + 1}.png` : 'sweep-heatmap.png', title: `Speedup over the option grid${points.length > 1 ? ` (${at})` : ''}`,
        png: heatmap({ title: `Option sweep (${ix.results.suite.slice(6)}, ${at}): speedup over each engine's defaults`, subtitle: 'time with default options / time with these options (paired); blue faster, orange slower; n.s.: the 95% CI includes 1', xLabel: 'engine', yLabel: 'options', xCategories: engines, yCategories: combos, values, significant, format: (v) => `${v.toFixed(2)}x`, midpoint: 1 }),
      });
    });
  }
  return out;
}

function optionsLabel(o: Record<string, unknown>): string {
  const keys = Object.keys(o).sort();
  return keys.length ? keys.map((k) => `${k}=${String(o[k])}`).join(' ') : 'defaults';
}

