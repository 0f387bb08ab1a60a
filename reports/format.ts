/** Units and labels shared by every rendered table: times, bytes (KiB, MiB), runner names. */
import type { CaseRecord } from '../core/results.js';

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


/** The shape of a case group in words (the answer and peers tables). */
export function shapeLabel(c: CaseRecord): string {
  const p = c.params as Record<string, number | string>;
  const n = (v: unknown) => Number(v).toLocaleString('en-US');
  switch (c.scenario) {
    case 'selectivity': return `filter → project, ${Number(p.selectivity) * 100}% kept`;
    case 'multiple-filters': return 'three filters → project, 20% kept';
    case 'complex-pipeline': return 'filter → extend → project → filter → distinct';
    case 'pipeline-depth': return `pipeline of ${p.depth} stage${p.depth === 1 ? '' : 's'}`;
    case 'memory': return `memory: ${p.variant} filter`;
    case 'join': return `join, ${p.multiplicity} match${p.multiplicity === 1 ? '' : 'es'} per key${p.variant === 'limit10' ? ', first 10 rows' : p.variant === 'count' ? ', counted' : ''} (${n(p.rows)} per side)`;
    case 'ohlc': return `OHLC bars, ${p.symbols} symbols x ${p.days} days`;
    case 'group-by': return `group-by: count, sum, min, max over ${n(p.groups)} ${p.key === 'string' ? 'string' : 'integer'} keys`;
    default: return `${c.scenario} ${Object.entries(p).filter(([k]) => k !== 'source').map(([k, v]) => `${k}=${String(v)}`).join(', ')}`;
  }
}

