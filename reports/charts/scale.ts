/**
 * Axis scales and tick choice. A scale maps data to pixels; `ticks` returns round values for
 * labels ("nice" 1-2-5 steps on linear axes, 1-2-5 per decade on log axes).
 */
export interface Scale {
  readonly kind: 'linear' | 'log';
  readonly min: number;
  readonly max: number;
  map(v: number): number;
  ticks(): number[];
}

/** Values spanning more than this ratio get a log axis. */
export const LOG_SPAN = 20;

/** Pick linear or log for the positive values `vs` (log when they span more than 20x). */
export function autoKind(vs: readonly number[]): 'linear' | 'log' {
  const pos = vs.filter((v) => v > 0 && Number.isFinite(v));
  if (pos.length === 0) return 'linear';
  return Math.max(...pos) / Math.min(...pos) > LOG_SPAN ? 'log' : 'linear';
}

function niceStep(span: number, target: number): number {
  const raw = span / target, p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

/** A linear scale over [lo, hi] (widened to round ticks) onto pixels [p0, p1]. */
export function linearScale(lo: number, hi: number, p0: number, p1: number, includeZero = true): Scale {
  let a = includeZero ? Math.min(0, lo) : lo, b = hi;
  if (!(b > a)) b = a + 1;
  const step = niceStep(b - a, 5);
  a = Math.floor(a / step) * step;
  b = Math.ceil(b / step) * step;
  const min = a, max = b;
  return {
    kind: 'linear', min, max,
    map: (v) => p0 + ((v - min) / (max - min)) * (p1 - p0),
    ticks: () => {
      const out: number[] = [];
      for (let v = min; v <= max + step / 2; v += step) out.push(Number(v.toPrecision(12)));
      return out;
    },
  };
}

/** A log10 scale over [lo, hi] (widened to whole decades or 1-2-5 steps) onto pixels [p0, p1]. */
export function logScale(lo: number, hi: number, p0: number, p1: number): Scale {
  const floor125 = (v: number) => {
    const p = 10 ** Math.floor(Math.log10(v));
    return (v / p >= 5 ? 5 : v / p >= 2 ? 2 : 1) * p;
  };
  const ceil125 = (v: number) => {
    const p = 10 ** Math.floor(Math.log10(v));
    const f = v / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  };
  const min = floor125(Math.max(lo, Number.MIN_VALUE)), max = ceil125(Math.max(hi, min * 1.0001));
  const l0 = Math.log10(min), l1 = Math.log10(max);
  return {
    kind: 'log', min, max,
    map: (v) => p0 + ((Math.log10(Math.max(v, min)) - l0) / (l1 - l0)) * (p1 - p0),
    ticks: () => {
      const decades = l1 - l0;
      const mult = decades > 4 ? [1] : decades > 2 ? [1, 3] : [1, 2, 5];
      const out: number[] = [];
      for (let e = Math.floor(l0); e <= Math.ceil(l1); e++) {
        for (const m of mult) {
          const v = Number((m * 10 ** e).toPrecision(6));
          if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
        }
      }
      return out;
    },
  };
}

/**
 * Tick values for a byte axis: powers of two on a log axis (every one, or every 2nd, 4th... so
 * that at most 8 remain), multiples of a power-of-two step on a linear one, so that labels read
 * as whole KiB/MiB/GiB like the tables' figures.
 */
export function binaryTicks(scale: Scale): number[] {
  if (scale.kind === 'log') {
    const lo = Math.ceil(Math.log2(Math.max(scale.min, 1))), hi = Math.floor(Math.log2(scale.max));
    let every = 1;
    while ((hi - lo) / every + 1 > 8) every *= 2;
    const out: number[] = [];
    for (let e = hi; e >= lo; e -= every) out.unshift(2 ** e);
    return out;
  }
  const span = scale.max - scale.min;
  let step = 1;
  while (span / step > 6) step *= 2;
  const out: number[] = [];
  for (let v = Math.ceil(scale.min / step) * step; v <= scale.max; v += step) out.push(v);
  return out;
}
