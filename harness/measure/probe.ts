/**
 * The machine-speed probe. On a shared or virtual machine the same code runs at different speeds
 * from one second to the next (on this project's 2-core VM a query alternates between about 100 and
 * 170 µs in phases of seconds, per virtual CPU), and that, not the code, decides most comparisons
 * between two processes. The time pass therefore runs this fixed kernel between benchmark.js
 * cycles; the gate divides a process's query times by its probe time, which removes the part of
 * the machine's speed that the whole process saw.
 *
 * The kernel resembles the engines' work (walk small arrays, compare, read fields, allocate a few
 * rows) so that what slows one slows the other. Its version is recorded with every measurement;
 * `compare` normalizes only when both sides used the same version, so change `PROBE_VERSION`
 * whenever the kernel changes.
 */
export const PROBE_VERSION = 2;

/** Rows in the kernel's data. */
const SIZE = 4096;
const DATA: readonly (readonly [number, number, string, boolean])[] = Array.from({ length: SIZE }, (_, i) => [i, (i * 7919) % 1000, `x${i % 13}`, i % 3 === 0] as const);

/** Keeps the kernel's result alive so the JIT cannot drop the work. */
export let probeSink = 0;

/**
 * `rows` rows of the kernel's work, cycling through its data. The probe is 4 passes over the data;
 * the calibration slowdown is as many rows as it needs: being the same kind of work, its cost
 * follows the machine's speed phases as a query's does, where a busy-wait for a fixed number of
 * nanoseconds would not. (Version 2: version 1 was the same loop with a fixed bound, about 7% faster side by side.)
 */
export function work(rows: number): void {
  let s = 0;
  const out: [number, string][] = [];
  for (let done = 0; done < rows; done += SIZE) {
    const end = Math.min(SIZE, rows - done);
    for (let i = 0; i < end; i++) {
      const t = DATA[i]!;
      if (t[1] > 500) {
        s += t[0];
        if ((i & 15) === 0) out.push([t[0], t[2]]);
      }
    }
  }
  probeSink += s + out.length;
}

function kernel(): void {
  work(4 * SIZE);
}

/** Warm the kernel up (JIT) before it is used as a yardstick. */
export function warmProbe(): void {
  for (let i = 0; i < 200; i++) kernel();
}

/** One probe measurement: the median time of 5 kernel runs, ns. */
export function probe(): number {
  const ts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    kernel();
    ts.push(Number(process.hrtime.bigint() - t0));
  }
  return ts.sort((a, b) => a - b)[2]!;
}
