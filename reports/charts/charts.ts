import type { SKRSContext2D } from '@napi-rs/canvas';
import { drawTitle, font, PALETTE, surface, type Surface } from './canvas.js';
import { autoKind, binaryTicks, linearScale, logScale, type Scale } from './scale.js';

/** One point, with an optional interval drawn as an error bar (e.g. the median's 95% CI). */
export interface Point {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond';

/** A line: colour and marker both identify it, so it survives colour-blindness and greyscale. */
export interface Series {
  name: string;
  color: string;
  marker: Marker;
  dash?: number[];
  points: Point[];
}

export interface LineChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xTicks?: number[];
  xLog?: boolean;
  xFormat: (v: number) => string;
  yFormat: (v: number) => string;
  /** A byte axis: ticks at powers of two (labelled KiB, MiB), not at 1-2-5 decimal steps. */
  yBytes?: boolean;
  series: Series[];
}

const M = { left: 96, right: 230, top: 70, bottom: 76 };

function drawMarker(g: SKRSContext2D, m: Marker, x: number, y: number, r = 4.5): void {
  g.beginPath();
  switch (m) {
    case 'circle': g.arc(x, y, r, 0, Math.PI * 2); break;
    case 'square': g.rect(x - r, y - r, 2 * r, 2 * r); break;
    case 'triangle': g.moveTo(x, y - r - 1); g.lineTo(x + r + 1, y + r); g.lineTo(x - r - 1, y + r); g.closePath(); break;
    case 'diamond': g.moveTo(x, y - r - 1); g.lineTo(x + r + 1, y); g.lineTo(x, y + r + 1); g.lineTo(x - r - 1, y); g.closePath(); break;
  }
  g.fill();
}

function yAxis(s: Surface, scale: Scale, label: string, fmt: (v: number) => string, bytes = false): void {
  const { g } = s;
  font(g, 13);
  g.textAlign = 'right';
  const ticks = bytes ? binaryTicks(scale) : scale.ticks();
  // The axis title stands clear of the widest tick label.
  const widest = Math.max(0, ...ticks.map((t) => g.measureText(fmt(t)).width));
  for (const t of ticks) {
    const y = scale.map(t);
    g.strokeStyle = PALETTE.grid;
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(M.left, y);
    g.lineTo(s.width - M.right, y);
    g.stroke();
    g.fillStyle = PALETTE.text;
    g.fillText(fmt(t), M.left - 8, y + 4);
  }
  g.save();
  g.translate(Math.max(16, M.left - 8 - widest - 12), (M.top + s.height - M.bottom) / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = 'center';
  font(g, 14);
  g.fillText(label + (scale.kind === 'log' ? ' (log scale)' : ''), 0, 0);
  g.restore();
}

function frame(s: Surface): void {
  const { g } = s;
  g.strokeStyle = PALETTE.axis;
  g.lineWidth = 1.2;
  g.beginPath();
  g.moveTo(M.left, M.top);
  g.lineTo(M.left, s.height - M.bottom);
  g.lineTo(s.width - M.right, s.height - M.bottom);
  g.stroke();
}

function legend(s: Surface, items: { name: string; color: string; marker?: Marker; dash?: number[] }[]): void {
  const { g } = s;
  const x = s.width - M.right + 20;
  let y = M.top + 8;
  font(g, 13);
  g.textAlign = 'left';
  for (const it of items) {
    g.strokeStyle = it.color;
    g.fillStyle = it.color;
    if (it.marker) {
      g.lineWidth = 2.5;
      g.setLineDash(it.dash ?? []);
      g.beginPath();
      g.moveTo(x, y);
      g.lineTo(x + 26, y);
      g.stroke();
      g.setLineDash([]);
      drawMarker(g, it.marker, x + 13, y);
    } else {
      g.fillRect(x + 6, y - 7, 14, 14);
    }
    g.fillStyle = PALETTE.text;
    for (const [i, line] of wrap(it.name, 22).entries()) g.fillText(line, x + 34, y + 4 + i * 16);
    y += 12 + 16 * wrap(it.name, 22).length;
  }
}

/** A vertical error bar from `lo` to `hi` (pixels) at `x`, with caps `cap` pixels wide each side. */
function errorBar(g: SKRSContext2D, x: number, lo: number, hi: number, cap: number): void {
  g.beginPath();
  g.moveTo(x, lo);
  g.lineTo(x, hi);
  g.moveTo(x - cap, lo);
  g.lineTo(x + cap, lo);
  g.moveTo(x - cap, hi);
  g.lineTo(x + cap, hi);
  g.stroke();
}

/** Break text into lines of at most `n` characters at spaces. */
export function wrap(text: string, n: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && (line + ' ' + w).length > n) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/** Lines with markers and error bars; y is log-scaled when the values span more than 20x. */
export function lineChart(spec: LineChartSpec): Buffer {
  const s = surface();
  const { g } = s;
  drawTitle(s, spec.title, spec.subtitle);
  const pts = spec.series.flatMap((se) => se.points);
  const ys = pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter((v) => Number.isFinite(v));
  const xs = spec.xTicks ?? [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
  const x0 = M.left + 24, x1 = s.width - M.right - 24, y0 = s.height - M.bottom, y1 = M.top;
  const xScale = spec.xLog ? logScale(Math.min(...xs), Math.max(...xs), x0, x1) : linearScale(Math.min(...xs), Math.max(...xs), x0, x1, false);
  const yScale = autoKind(ys) === 'log' ? logScale(Math.min(...ys.filter((v) => v > 0)), Math.max(...ys), y0, y1) : linearScale(0, Math.max(...ys, 1e-9), y0, y1);
  yAxis(s, yScale, spec.yLabel, spec.yFormat, spec.yBytes);
  frame(s);
  font(g, 13);
  g.textAlign = 'center';
  g.fillStyle = PALETTE.text;
  for (const t of xs) g.fillText(spec.xFormat(t), xScale.map(t), y0 + 20);
  font(g, 14);
  g.fillText(spec.xLabel + (spec.xLog ? ' (log scale)' : ''), (x0 + x1) / 2, s.height - 24);
  for (const se of spec.series) {
    const points = [...se.points].filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    g.strokeStyle = se.color;
    g.fillStyle = se.color;
    g.lineWidth = 2.5;
    g.setLineDash(se.dash ?? []);
    g.beginPath();
    points.forEach((p, i) => (i === 0 ? g.moveTo(xScale.map(p.x), yScale.map(p.y)) : g.lineTo(xScale.map(p.x), yScale.map(p.y))));
    g.stroke();
    g.setLineDash([]);
    g.lineWidth = 1.5;
    for (const p of points) {
      const x = xScale.map(p.x);
      if (p.lo !== undefined && p.hi !== undefined) errorBar(g, x, yScale.map(p.lo), yScale.map(p.hi), 5);
      drawMarker(g, se.marker, x, yScale.map(p.y));
    }
  }
  legend(s, spec.series);
  return s.png();
}

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  yLabel: string;
  yFormat: (v: number) => string;
  categories: string[];
  series: { name: string; color: string; values: (Point | null)[] }[];
}

/** Grouped bars with error bars; a missing or errored value leaves a gap marked "n/a". */
export function barChart(spec: BarChartSpec): Buffer {
  const s = surface();
  const { g } = s;
  drawTitle(s, spec.title, spec.subtitle);
  const vals = spec.series.flatMap((se) => se.values.filter((v): v is Point => v !== null)).flatMap((p) => [p.y, p.hi ?? p.y, p.lo ?? p.y]);
  const y0 = s.height - M.bottom, y1 = M.top;
  const log = autoKind(vals) === 'log';
  const yScale = log ? logScale(Math.min(...vals.filter((v) => v > 0)), Math.max(...vals), y0, y1) : linearScale(0, Math.max(...vals, 1e-9), y0, y1);
  yAxis(s, yScale, spec.yLabel, spec.yFormat);
  frame(s);
  const x0 = M.left + 10, x1 = s.width - M.right - 10;
  const groupW = (x1 - x0) / spec.categories.length;
  const barW = Math.min(42, (groupW * 0.8) / spec.series.length);
  spec.categories.forEach((cat, ci) => {
    const cx = x0 + groupW * (ci + 0.5);
    spec.series.forEach((se, si) => {
      const bx = cx + (si - spec.series.length / 2) * barW;
      const v = se.values[ci];
      if (!v || !Number.isFinite(v.y)) {
        font(g, 11);
        g.fillStyle = PALETTE.muted;
        g.textAlign = 'center';
        g.fillText('n/a', bx + barW / 2, y0 - 6);
        return;
      }
      const top = yScale.map(v.y), base = log ? y0 : yScale.map(0);
      g.fillStyle = se.color;
      g.fillRect(bx + 1, top, barW - 2, base - top);
      if (v.lo !== undefined && v.hi !== undefined) {
        g.strokeStyle = PALETTE.text;
        g.lineWidth = 1.4;
        errorBar(g, bx + barW / 2, yScale.map(v.lo), yScale.map(v.hi), 4);
      }
    });
    font(g, 12);
    g.fillStyle = PALETTE.text;
    g.textAlign = 'center';
    wrap(cat, Math.max(8, Math.floor(groupW / 7.5))).slice(0, 3).forEach((line, i) => g.fillText(line, cx, y0 + 18 + i * 15));
  });
  legend(s, spec.series);
  return s.png();
}

export interface HeatmapSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xCategories: string[];
  yCategories: string[];
  /** values[row][column]; null for a missing or errored cell. */
  values: (number | null)[][];
  format: (v: number) => string;
  /** Value drawn white; above it blue, below it orange (e.g. 1 for a speedup). */
  midpoint: number;
  /**
   * significant[row][column]: false for a cell whose difference from the midpoint is not
   * measurable (its interval spans it); such a cell is drawn white with its value in grey and
   * "n.s.", never coloured. Absent: every cell is coloured.
   */
  significant?: boolean[][];
}

/** A diverging heatmap (orange below the midpoint, blue above), each cell labelled. */
export function heatmap(spec: HeatmapSpec): Buffer {
  const s = surface();
  const { g } = s;
  drawTitle(s, spec.title, spec.subtitle);
  const left = 230, right = 40, top = 80, bottom = 90;
  const cw = (s.width - left - right) / Math.max(1, spec.xCategories.length);
  const ch = (s.height - top - bottom) / Math.max(1, spec.yCategories.length);
  const finite = spec.values.flat().filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const lr = Math.max(...finite.map((v) => Math.abs(Math.log(v / spec.midpoint))), 1e-9);
  const mix = (a: number[], t: number) => `rgb(${a.map((c) => Math.round(255 + (c - 255) * t)).join(',')})`;
  spec.values.forEach((row, ri) => row.forEach((v, xi) => {
    const x = left + xi * cw, y = top + ri * ch;
    if (v === null || !Number.isFinite(v)) {
      g.fillStyle = '#F2F2F2';
      g.fillRect(x + 1, y + 1, cw - 2, ch - 2);
      font(g, 12);
      g.fillStyle = PALETTE.muted;
      g.textAlign = 'center';
      g.fillText('n/a', x + cw / 2, y + ch / 2 + 4);
      return;
    }
    if (spec.significant?.[ri]?.[xi] === false) {
      g.fillStyle = '#FFFFFF';
      g.fillRect(x + 1, y + 1, cw - 2, ch - 2);
      font(g, 12);
      g.fillStyle = PALETTE.muted;
      g.textAlign = 'center';
      g.fillText(`${spec.format(v)} (n.s.)`, x + cw / 2, y + ch / 2 + 4);
      return;
    }
    const t = Math.min(1, Math.abs(Math.log(v / spec.midpoint)) / lr);
    g.fillStyle = v >= spec.midpoint ? mix([0, 114, 178], t) : mix([213, 94, 0], t);
    g.fillRect(x + 1, y + 1, cw - 2, ch - 2);
    font(g, 13, true);
    g.fillStyle = t > 0.55 ? '#FFFFFF' : PALETTE.text;
    g.textAlign = 'center';
    g.fillText(spec.format(v), x + cw / 2, y + ch / 2 + 5);
  }));
  font(g, 12);
  g.fillStyle = PALETTE.text;
  g.textAlign = 'right';
  spec.yCategories.forEach((c, i) => wrap(c, 30).slice(0, 2).forEach((line, k) => g.fillText(line, left - 8, top + i * ch + ch / 2 + 4 + (k - 0.5) * 14)));
  g.textAlign = 'center';
  spec.xCategories.forEach((c, i) => wrap(c, Math.max(8, Math.floor(cw / 7.5))).slice(0, 3).forEach((line, k) => g.fillText(line, left + i * cw + cw / 2, s.height - bottom + 18 + k * 15)));
  font(g, 14);
  g.fillText(spec.xLabel, left + (s.width - left - right) / 2, s.height - 18);
  g.save();
  g.translate(18, top + (s.height - top - bottom) / 2);
  g.rotate(-Math.PI / 2);
  g.fillText(spec.yLabel, 0, 0);
  g.restore();
  return s.png();
}
