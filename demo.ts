/**
 * `node dist/demo.js`: runs one query on both engines, prints the results side by side
 * with what each engine held in memory, then measures, interleaved and side by side:
 * the per-row cost of a 1M-row filter→project (10% selectivity) on both engines and on a
 * hand-written loop; standard vs symmetric hash join on 100K x 100K rows (total and first-row
 * time); and one-pass vs collect-then-reduce group-by over 1M rows (time and tracker peak).
 */
import { performance } from 'node:perf_hooks';
import {
  and, col, createEngine, ENGINE_KINDS, ge, lt, mul, type AggregateSpec, type EngineKind, type EngineOptions, type Relation, type Tuple,
} from './engine/index.js';

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

interface Candidate {
  run: () => number;
  /** Optional: the first-row latency of the same query, in ms. */
  firstRow?: () => number;
  peak?: () => number;
}

/**
 * Run every candidate once per round, interleaved (so machine drift hits all alike), after one
 * warm-up round; all must return the same row count. Returns median ms per candidate.
 */
function interleave(candidates: Record<string, Candidate>, rounds: number): { counts: number; ms: Record<string, number>; first: Record<string, number> } {
  const names = Object.keys(candidates);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  const firsts: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  const counts = new Set<number>();
  for (let r = 0; r <= rounds; r++) {
    for (const name of names) {
      const c = candidates[name]!;
      const t0 = performance.now();
      counts.add(c.run());
      const ms = performance.now() - t0;
      const first = c.firstRow?.();
      if (r === 0) continue; // warm-up
      samples[name]!.push(ms);
      if (first !== undefined) firsts[name]!.push(first);
    }
  }
  if (counts.size !== 1) throw new Error(`candidates disagree on the row count: ${[...counts].join(', ')}`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return {
    counts: [...counts][0]!,
    ms: Object.fromEntries(names.map((k) => [k, median(samples[k]!)])),
    first: Object.fromEntries(names.filter((k) => firsts[k]!.length).map((k) => [k, median(firsts[k]!)])),
  };
}

/** Count the rows of a relation through the pull protocol. */
function count(r: Relation): number {
  const it = r.open();
  let n = 0;
  try {
    while (it.next() !== undefined) n++;
  } finally {
    it.close();
  }
  return n;
}

function joinFigures(): void {
  const n = 100_000, rounds = 7;
  const left: Tuple[] = Array.from({ length: n }, (_, i) => [i, `L${i}`]);
  const right: Tuple[] = Array.from({ length: n }, (_, i) => [(i * 7919) % n, i]);
  const configs: Record<string, [EngineKind, EngineOptions]> = {
    'materialized hash join': ['materialized', {}],
    'streaming hash join': ['streaming', { enableSymmetricHashJoin: false }],
    'streaming symmetric hash join': ['streaming', { enableSymmetricHashJoin: true }],
  };
  const peaks: Record<string, number> = {};
  const firstMs: Record<string, number> = {};
  const candidates: Record<string, Candidate> = {};
  for (const [name, [kind, options]] of Object.entries(configs)) {
    candidates[name] = {
      // One pass gives both figures: the first row's time and the total, so the first row can
      // never read later than the whole query (two separate runs once did).
      run: () => {
        const t0 = performance.now();
        const e = createEngine(kind, options);
        const it = e.from(['k', 'a'], left).join(e.from(['k', 'b'], right)).open();
        let n = 0;
        try {
          if (it.next() !== undefined) {
            n++;
            firstMs[name] = performance.now() - t0;
            while (it.next() !== undefined) n++;
          }
        } finally {
          it.close();
        }
        peaks[name] = e.context.memory.peak;
        return n;
      },
      firstRow: () => firstMs[name]!,
    };
  }
  const { counts, ms, first } = interleave(candidates, rounds);
  console.log(`\nJoin, ${n.toLocaleString()} x ${n.toLocaleString()} rows on a unique key, ${counts.toLocaleString()} rows out; medians of ${rounds} interleaved rounds:`);
  const base = ms['streaming hash join']!;
  for (const name of Object.keys(configs)) {
    console.log(`  ${name.padEnd(30)} total ${ms[name]!.toFixed(1).padStart(7)} ms (${(ms[name]! / base).toFixed(2)}x of streaming hash)   first row ${first[name]!.toFixed(2).padStart(7)} ms   tracker peak ${(peaks[name]! / 2 ** 20).toFixed(1)} MiB`);
  }
}

function aggregationFigures(): void {
  const n = 1_000_000, rounds = 5;
  const rows: Tuple[] = Array.from({ length: n }, (_, i) => [i % 100, (i * 7919) % 10_007, i * 0.25]);
  const aggs: AggregateSpec[] = [
    { fn: 'count', as: 'n' }, { fn: 'sum', column: 'x', as: 's' }, { fn: 'min', column: 'v', as: 'lo' }, { fn: 'max', column: 'v', as: 'hi' },
  ];
  const peaks: Record<string, number> = {};
  const candidates: Record<string, Candidate> = {};
  for (const kind of ENGINE_KINDS) {
    for (const onePass of [true, false]) {
      const name = `${kind}, ${onePass ? 'one pass' : 'collect then reduce'}`;
      candidates[name] = {
        run: () => {
          const e = createEngine(kind, { enableStreamingAggregation: onePass });
          const out = count(e.from(['g', 'v', 'x'], rows).aggregate(['g'], aggs));
          peaks[name] = e.context.memory.peak;
          return out;
        },
      };
    }
  }
  const { counts, ms } = interleave(candidates, rounds);
  console.log(`\nGroup-by over ${n.toLocaleString()} rows into ${counts} groups (count, sum, min, max); medians of ${rounds} interleaved rounds:`);
  const base = ms['streaming, one pass']!;
  for (const name of Object.keys(candidates)) {
    console.log(`  ${name.padEnd(36)} ${ms[name]!.toFixed(1).padStart(7)} ms (${(ms[name]! / base).toFixed(2)}x of streaming one pass)   tracker peak ${(peaks[name]! / 2 ** 20).toFixed(2).padStart(6)} MiB`);
  }
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
if (!process.argv.includes('--no-timing')) {
  perRowCost();
  joinFigures();
  aggregationFigures();
}
