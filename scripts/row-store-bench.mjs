// Why the symmetric join keeps its rows in chunks (engine/buffers/row-chunks.ts): store 200K
// existing rows (old-generation tuples, as a join's inputs are) into one pre-sized array, one
// appended array, and 1024-row chunks. Run: node --expose-gc scripts/row-store-bench.mjs
// Timings are this process's own; compare the three lines with each other, not across machines.
const N = 200_000;
const src = [];
for (let i = 0; i < N; i++) src.push([i, 'x' + i, i * 2]);
globalThis.gc?.();
globalThis.gc?.();
function preSized() {
  const a = new Array(N);
  for (let i = 0; i < N; i++) a[i] = src[i];
  return a;
}
function appended() {
  const a = [];
  for (let i = 0; i < N; i++) a.push(src[i]);
  return a;
}
function chunked() {
  const c = [];
  for (let i = 0; i < N; i++) {
    const o = i & 1023;
    if (o === 0) c.push(new Array(1024));
    c[i >>> 10][o] = src[i];
  }
  return c;
}
let keep;
for (let round = 0; round < 2; round++) {
  for (const [name, f] of [['pre-sized array', preSized], ['appended array', appended], ['1024-row chunks', chunked]]) {
    for (let k = 0; k < 10; k++) keep = f();
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < 30; k++) keep = f();
    console.log(`${name}: ${(Number(process.hrtime.bigint() - t0) / 30 / 1e6).toFixed(2)} ms per ${N} rows`);
  }
}
if (keep === undefined) throw new Error('unreachable');
