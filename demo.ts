/**
 * `npm start` until the harness exists: runs one query on both engines, prints the results side
 * by side with what each engine held in memory, then measures the per-row cost of a 1M-row
 * filter→project (10% selectivity) on both engines and on a hand-written loop, interleaved.
 */
import { performance } from 'node:perf_hooks';
import { and, col, createEngine, ENGINE_KINDS, ge, lt, mul, type Tuple } from './engine/index.js';

const SCHEMA = ['id', 'symbol', 'price', 'qty'] as const;

function makeRows(n: number, seed = 42): Tuple[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN'];
  const rows: Tuple[] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = [i, symbols[i % 4]!, Math.round(rand() * 10000) / 100, (rand() * 100) | 0];
  return rows;
}

function demo(): void {
  const rows = makeRows(1000);
  console.log('Query: from(1000 trades).filter(price >= 90 AND qty < 50).extend(notional = price * qty).project(id, symbol, notional).limit(5)\n');
  const outputs = ENGINE_KINDS.map((kind) => {
    const engine = createEngine(kind);
    const result = engine
      .from(SCHEMA, rows)
      .filter(and(ge(col('price'), 90), lt(col('qty'), 50)))
      .extend('notional', mul(col('price'), col('qty')))
      .project(['id', 'symbol', 'notional'])
      .limit(5)
      .toArray();
    return { kind, result, peak: engine.context.memory.peak, sourceRows: engine.context.metrics.sourceRows };
  });
  const width = 34;
  console.log(outputs.map((o) => o.kind.padEnd(width)).join(''));
  for (let i = 0; i < Math.max(...outputs.map((o) => o.result.length)); i++) {
    console.log(outputs.map((o) => JSON.stringify(o.result[i] ?? '').padEnd(width)).join(''));
  }
  console.log(outputs.map((o) => `tracker peak ${o.peak} B`.padEnd(width)).join(''));
  console.log(outputs.map((o) => `source rows read ${o.sourceRows}`.padEnd(width)).join(''));
}

function perRowCost(): void {
  const n = 1_000_000, rounds = 7;
  const rows = makeRows(n);
  const cutoff = 10; // price < 10 keeps about 10% of rows
  const candidates: Record<string, () => number> = {
    'hand-written loop': () => {
      const out: Tuple[] = [];
      for (let i = 0; i < rows.length; i++) {
        const t = rows[i]!;
        const p = t[2];
        if (typeof p === 'number' && p < cutoff) out.push([t[0]!, t[2]!]);
      }
      return out.length;
    },
  };
  for (const kind of ENGINE_KINDS) {
    candidates[`${kind} engine`] = () => {
      const it = createEngine(kind).from(SCHEMA, rows).filter(lt(col('price'), cutoff)).project(['id', 'price']).open();
      let count = 0;
      try {
        while (it.next() !== undefined) count++;
      } finally {
        it.close();
      }
      return count;
    };
  }
  const names = Object.keys(candidates);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  const counts = new Set<number>();
  for (let r = 0; r < rounds + 1; r++) {
    for (const name of names) {
      const t0 = performance.now();
      counts.add(candidates[name]!());
      const ms = performance.now() - t0;
      if (r > 0) samples[name]!.push(ms); // round 0 is warm-up
    }
  }
  if (counts.size !== 1) throw new Error(`candidates disagree on the row count: ${[...counts].join(', ')}`);
  console.log(`\nPer-row cost, filter(price < ${cutoff}) -> project(id, price) over ${n.toLocaleString()} rows, ${[...counts][0]} rows out;`);
  console.log(`median of ${rounds} interleaved rounds after one warm-up round (timings on a shared machine are noisy: read the ratios):`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const base = median(samples['hand-written loop']!);
  for (const name of names) {
    const m = median(samples[name]!);
    console.log(`  ${name.padEnd(22)} ${(m * 1e6 / n).toFixed(1).padStart(6)} ns/row   ${(m / base).toFixed(2)}x of the loop`);
  }
}

demo();
if (!process.argv.includes('--no-timing')) perRowCost();
