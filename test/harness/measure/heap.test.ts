import test from 'ava';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

// measureHeap needs --expose-gc: run it in a child with the flag, as the heap pass does.
const script = `
import { measureHeap } from './harness/measure/heap.ts';
const big = measureHeap(() => { const b = Buffer.alloc(64 * 1024 * 1024); b.fill(1); return b.length; });
const none = measureHeap(() => 1);
const heap = measureHeap(() => { const a = new Array(2_000_000).fill(0).map((_, i) => i + 0.5); return a.length; });
console.log(JSON.stringify({ big: big.heap, none: none.heap, heap: heap.heap }));
`;

test('RSS growth counts memory outside the V8 heap that the heap figures miss (Linux)', (t) => {
  if (!existsSync('/proc/self/clear_refs')) return t.pass('no /proc/self/clear_refs: RSS growth is not measured on this system');
  const r = spawnSync(process.execPath, ['--expose-gc', '--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const { big, none, heap } = JSON.parse(r.stdout) as Record<string, { peakBytes: number; externalPeakBytes: number; rssGrowthBytes?: number }>;
  const MiB = 1024 * 1024;
  t.true(big!.rssGrowthBytes! >= 60 * MiB, `a 64 MiB Buffer touched in full: ${big!.rssGrowthBytes! / MiB} MiB of RSS growth`);
  t.true(big!.peakBytes < 4 * MiB, 'which the V8 heap figure does not see');
  t.true(none!.rssGrowthBytes! < 4 * MiB, `a run that allocates nothing: ${none!.rssGrowthBytes! / MiB} MiB`);
  t.true(heap!.rssGrowthBytes! >= 8 * MiB && heap!.peakBytes >= 16 * MiB, 'heap growth shows in both');
});
