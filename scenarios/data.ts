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
 */
export function minuteBars(symbols: number, days: number, barsPerDay: number, seed: number): Tuple[] {
  const r = rng(seed);
  const rows: Tuple[] = [];
  for (let s = 0; s < symbols; s++) {
    const sym = s < SYMBOLS.length ? SYMBOLS[s]! : `S${s}`;
    let price = 50 + r() * 450;
    for (let d = 0; d < days; d++) {
      const open = Date.UTC(2025, 0, 6 + d, 14, 30);
      for (let m = 0; m < barsPerDay; m++) {
        price = Math.max(1, price * (1 + (r() - 0.5) * 0.004));
        const ts = open + m * 60_000;
        rows.push([sym, ts, ts - (ts % 3_600_000), Math.round(price * 100) / 100, 100 + ((r() * 10_000) | 0)]);
      }
    }
  }
  for (let i = rows.length - 1; i > 0; i--) {
    const j = (r() * (i + 1)) | 0;
    const t = rows[i]!;
    rows[i] = rows[j]!;
    rows[j] = t;
  }
  return rows;
}

/**
 * Join inputs: `left` has n rows with unique keys 0..n-1; `right` has n rows whose keys cycle over
 * 0..n/multiplicity-1, so each matched key has `multiplicity` right rows and the join returns
 * about n rows whatever the multiplicity. Both are shuffled.
 */
export function joinTables(n: number, multiplicity: number, seed: number): { left: Tuple[]; right: Tuple[] } {
  const r = rng(seed);
  const keys = Math.max(1, Math.floor(n / multiplicity));
  const left: Tuple[] = Array.from({ length: n }, (_, i) => [i, `L${i}`, (r() * 1000) | 0]);
  const right: Tuple[] = Array.from({ length: n }, (_, i) => [i % keys, i, Math.round(r() * 10000) / 100]);
  shuffle(left, r);
  shuffle(right, r);
  return { left, right };
}

function shuffle(rows: Tuple[], r: () => number): void {
  for (let i = rows.length - 1; i > 0; i--) {
    const j = (r() * (i + 1)) | 0;
    const t = rows[i]!;
    rows[i] = rows[j]!;
    rows[j] = t;
  }
}
