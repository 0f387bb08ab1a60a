// Where the time to a join's first row goes, split in three: planning the query (engine,
// sources, join), opening it, and the first next(). Medians of 2000 queries after 1000 warm-up
// ones, in one process. Run after `npm run build`:
//   node --expose-gc scripts/join-first-row.mjs [rows] [standard|symmetric]
const N = Number(process.argv[2] ?? 10000), kind = process.argv[3] ?? 'symmetric';
if (!Number.isInteger(N) || N < 1) {
  console.error(`join-first-row: rows must be a positive integer, got '${process.argv[2]}'`);
  process.exit(2);
}
if (kind !== 'standard' && kind !== 'symmetric') {
  console.error(`join-first-row: the join must be standard or symmetric, got '${kind}'`);
  process.exit(2);
}
const { joinTables } = await import(new URL('../dist/scenarios/data.js', import.meta.url).href);
const { createEngine } = await import(new URL('../dist/engine/index.js', import.meta.url).href);
const { left, right } = joinTables(N, 1, 1);
globalThis.gc?.();
globalThis.gc?.();
createEngine('streaming');
const options = { enableSymmetricHashJoin: kind === 'symmetric' };
const plan = [], open = [], first = [], total = [];
let keep;
for (let r = 0; r < 3000; r++) {
  const t0 = process.hrtime.bigint();
  const e = createEngine('streaming', options);
  const q = e.from(['k', 'name', 'a'], left).join(e.from(['k', 'seq', 'b'], right));
  const t1 = process.hrtime.bigint();
  const it = q.open();
  const t2 = process.hrtime.bigint();
  keep = it.next();
  const t3 = process.hrtime.bigint();
  it.close();
  if (r >= 1000) {
    plan.push(Number(t1 - t0));
    open.push(Number(t2 - t1));
    first.push(Number(t3 - t2));
    total.push(Number(t3 - t0));
  }
}
if (keep === undefined) throw new Error('the join returned no row');
const med = (a) => (a.sort((x, y) => x - y)[a.length >> 1] / 1e3).toFixed(2);
console.log(`${kind} join, ${N} x ${N}: plan ${med(plan)} µs, open ${med(open)} µs, first next() ${med(first)} µs, first row ${med(total)} µs`);
