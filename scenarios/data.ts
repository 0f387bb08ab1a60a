import type { Tuple } from '../engine/index.js';

/**
 * Seeded data generators. Every generator takes a seed and returns the same rows for the same
 * seed on any machine (mulberry32, a small, well-distributed 32-bit PRNG).
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'META', 'NVDA', 'TSLA', 'NFLX'] as const;

/** Range of the uniform selectivity columns `u` and `u2`: a filter `u < s * U_RANGE` keeps about s. */
export const U_RANGE = 1_000_000;

/** Columns of the trades table. */
export const TRADES_SCHEMA = ['id', 'sym', 'price', 'qty', 'ts', 'u', 'u2'] as const;

/**
 * Trades: id, symbol, price (1..1000, cents), qty (1..1000), ts (ms), and two independent uniform
 * integers u, u2 in [0, 1e6) that filters use to hit an exact selectivity.
 */
export function trades(n: number, seed: number): Tuple[] {
  const r = rng(seed);
  const rows: Tuple[] = new Array(n);
  // Filled in a plain loop: building the same rows through the generator below left them laid out
  // so that streaming queries over them ran 4-10% slower (sluice gate, selectivity at 10K rows).
  for (let i = 0; i < n; i++) rows[i] = tradeRow(r, i);
  return rows;
}

const TRADES_T0 = Date.UTC(2025, 0, 6, 14, 30);

/** Trade `i`, drawing its random fields from `r` (in column order, so the rows depend on the seed only). */
function tradeRow(r: () => number, i: number): Tuple {
  return [
    i,
    SYMBOLS[(r() * SYMBOLS.length) | 0]!,
    Math.round((1 + r() * 999) * 100) / 100,
    1 + ((r() * 1000) | 0),
    TRADES_T0 + i * 10,
    (r() * U_RANGE) | 0,
    (r() * U_RANGE) | 0,
  ];
}

/** The rows of {@link trades}, one at a time (for tables too large to hold as tuples). */
export function* tradeRows(n: number, seed: number): Generator<Tuple> {
  const r = rng(seed);
  for (let i = 0; i < n; i++) yield tradeRow(r, i);
}

/** Columns of the minute-bar table. */
export const BARS_SCHEMA = ['sym', 'ts', 'hour', 'price', 'volume'] as const;

/**
 * One-minute bars: `symbols` x `days` x `barsPerDay` rows of (sym, ts, hour, price, volume), a
 * random walk per symbol. `hour` is the bar's trading hour (ts floored to the hour), the group key
 * of the OHLC query. Rows are shuffled, so "first" and "last" must use ts, not arrival order.
 *
 * The values are drawn in walk order and shuffled as indices; each tuple is then allocated in
 * its final position, so the rows lie in memory in the order a query reads them, as rows read
 * from a file or a socket do. Allocated in walk order and shuffled afterwards, every row a query
 * read was a cache miss (its tuple, and the heap numbers of ts, hour and price): a sum over 117K
 * shuffled rows took 9.5 ms, over copies laid out in reading order 2.6 ms, which measured the
 * generator's heap layout, not the query (the same rows, the same order, the same seed).
 */
export function minuteBars(symbols: number, days: number, barsPerDay: number, seed: number): Tuple[] {
  const r = rng(seed);
  const n = symbols * days * barsPerDay;
  const symOf = new Int32Array(n), ts = new Float64Array(n), price = new Float64Array(n), volume = new Int32Array(n);
  const names: string[] = [];
  let k = 0;
  for (let s = 0; s < symbols; s++) {
    names.push(s < SYMBOLS.length ? SYMBOLS[s]! : `S${s}`);
    let p = 50 + r() * 450;
    for (let d = 0; d < days; d++) {
      const open = Date.UTC(2025, 0, 6 + d, 14, 30);
      for (let m = 0; m < barsPerDay; m++) {
        p = Math.max(1, p * (1 + (r() - 0.5) * 0.004));
        symOf[k] = s;
        ts[k] = open + m * 60_000;
        price[k] = Math.round(p * 100) / 100;
        volume[k] = 100 + ((r() * 10_000) | 0);
        k++;
      }
    }
  }
  const order = shuffledIndices(n, r);
  const rows: Tuple[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = order[i]!, t = ts[j]!;
    rows[i] = [names[symOf[j]!]!, t, t - (t % 3_600_000), price[j]!, volume[j]!];
  }
  return rows;
}

/**
 * Join inputs: `left` has n rows with unique keys 0..n-1; `right` has n rows whose keys cycle over
 * 0..n/multiplicity-1, so each matched key has `multiplicity` right rows and the join returns
 * about n rows whatever the multiplicity. Both are shuffled (each tuple allocated in its final
 * position, as in {@link minuteBars}).
 */
export function joinTables(n: number, multiplicity: number, seed: number): { left: Tuple[]; right: Tuple[] } {
  const r = rng(seed);
  const keys = Math.max(1, Math.floor(n / multiplicity));
  const a = new Int32Array(n), b = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 1000) | 0;
  for (let i = 0; i < n; i++) b[i] = Math.round(r() * 10000) / 100;
  const lo = shuffledIndices(n, r), ro = shuffledIndices(n, r);
  const left: Tuple[] = new Array(n), right: Tuple[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = lo[i]!;
    left[i] = [j, `L${j}`, a[j]!];
  }
  for (let i = 0; i < n; i++) {
    const j = ro[i]!;
    right[i] = [j % keys, j, b[j]!];
  }
  return { left, right };
}

/** 0..n-1 in the order the same Fisher–Yates shuffle of an n-element array would leave them (same draws of `r`). */
function shuffledIndices(n: number, r: () => number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = (r() * (i + 1)) | 0;
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}
