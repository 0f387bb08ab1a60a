// The floor of a symmetric hash join against a standard one in JavaScript: both written by hand
// over the join scenario's data (a dense key table, typed chains, one loop each), beside the
// engine's two joins, taking turns in one process (median of 25 paired turns). The engine's arms
// share one isolate, so its operator code is compiled for all of them at once: the drained join read
// 0.93-1.00x of the standard one at 100K here, 1.43x in the harness, where each runner has an
// isolate of its own. Read these ratios against each other; the harness's are the ones to report.
// Run after `npm run build`: node --expose-gc scripts/join-floor.mjs <rows> <multiplicity>
const { joinTables } = await import(new URL('../dist/scenarios/data.js', import.meta.url).href);
const N = Number(process.argv[2] ?? 10000), M = Number(process.argv[3] ?? 1);
for (const [name, v] of [['rows', N], ['multiplicity', M]]) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`join-floor: ${name} must be a positive integer, got '${name === 'rows' ? process.argv[2] : process.argv[3]}'`);
    process.exit(2);
  }
}
const { left, right } = joinTables(N, M, 1);
globalThis.gc?.(); globalThis.gc?.();
let sinkv; const sink = (t) => { sinkv = t; };
function std() {
  const dense = new Int32Array(4 * N).fill(-1); const heads = new Int32Array(N); const chain = new Int32Array(N); const rows = new Array(N);
  let ids = 0;
  for (let i = 0; i < left.length; i++) { const t = left[i], k = t[0]; let id = dense[k]; if (id < 0) { id = dense[k] = ids++; heads[id] = -1; } chain[i] = heads[id]; heads[id] = i; rows[i] = t; }
  let n = 0;
  for (let i = 0; i < right.length; i++) { const r = right[i], k = r[0]; const id = k < dense.length ? dense[k] : -1; if (id < 0) continue;
    for (let j = heads[id]; j >= 0; j = chain[j]) { const l = rows[j]; sink([l[0], l[1], l[2], r[1], r[2]]); n++; } }
  return n;
}
function sym() {
  const dense = new Int32Array(4 * N).fill(-1); const heads = new Int32Array(2 * 2 * N);
  const lc = new Int32Array(N), rc = new Int32Array(N), lr = new Array(N), rr = new Array(N);
  let ids = 0, li = 0, ri = 0, n = 0;
  while (li < left.length || ri < right.length) {
    for (let b = 0; b < 64 && li < left.length; b++) { const t = left[li], k = t[0]; let id = dense[k]; if (id < 0) { id = dense[k] = ids++; heads[2*id] = -1; heads[2*id+1] = -1; }
      const h = 2 * id; lc[li] = heads[h]; heads[h] = li; lr[li] = t; li++;
      for (let j = heads[h + 1]; j >= 0; j = rc[j]) { const r = rr[j]; sink([t[0], t[1], t[2], r[1], r[2]]); n++; } }
    for (let b = 0; b < 64 && ri < right.length; b++) { const r = right[ri], k = r[0]; let id = dense[k]; if (id < 0) { id = dense[k] = ids++; heads[2*id] = -1; heads[2*id+1] = -1; }
      const h = 2 * id + 1; rc[ri] = heads[h]; heads[h] = ri; rr[ri] = r; ri++;
      for (let j = heads[h - 1]; j >= 0; j = lc[j]) { const l = lr[j]; sink([l[0], l[1], l[2], r[1], r[2]]); n++; } }
  }
  return n;
}
const { createEngine } = await import(new URL('../dist/engine/index.js', import.meta.url).href);
const mk = (o) => () => { const e = createEngine('streaming', o); let n = 0; e.from(['k','name','a'], left).join(e.from(['k','seq','b'], right)).forEach((t) => { sinkv = t; n++; }); return n; };
const estd = mk({}), esym = mk({ enableSymmetricHashJoin: true, enableSymmetricJoinDrain: false }), edrain = mk({ enableSymmetricHashJoin: true });
console.log(std(), sym(), estd(), esym(), edrain());
const ratios = [];
const fs = [std, sym, estd, esym, edrain];
for (let i = 0; i < 30; i++) for (const f of fs) f();
const T = fs.map(() => []);
for (let r = 0; r < 25; r++) fs.forEach((f, x) => { const t0 = process.hrtime.bigint(); f(); T[x].push(Number(process.hrtime.bigint() - t0)); });
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const rat = (x, y) => med(T[x].map((v, i) => v / T[y][i])).toFixed(2);
console.log(N, M, 'hand sym/std', rat(1, 0), 'engine std/hand std', rat(2, 0), 'engine sym/hand sym', rat(3, 1), 'engine sym/std', rat(3, 2), 'engine sym drained (the default)/std', rat(4, 2), 'hand std', (med(T[0]) / 1e3).toFixed(0), 'us');
