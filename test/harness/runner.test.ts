import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeCase } from '../../harness/case.js';
import { readResults, type CaseRecord } from '../../core/results.js';
import { checkAgreement, runCases, runChild } from '../../harness/runner.js';
import { tempDir } from '../temp-dir.js';
import { CLI_ARGS } from '../cli-helper.js';

const FAST = { rounds: 1, maxTime: 0.02, minSamples: 2, warmupRuns: 1, timeoutSec: 60 };
const tmp = () => tempDir('sluice-runner-');

test('a tiny run times a case group in group passes alone, pooled over isolates, and records heap and output', async (t) => {
  const out = path.join(tmp(), 'r.json');
  const cases = ['materialized', 'streaming', 'limit-loop'].map((e) => makeCase('selectivity', { rows: 300, selectivity: 0.5 }, e));
  const lines: string[] = [];
  const r = await runCases({ suite: 'test', cases, out, settings: { ...FAST, groupPasses: 1 }, log: (l) => lines.push(l) });
  t.is(r.cases.length, 3);
  for (const c of r.cases) {
    t.is(c.status, 'ok', c.error);
    t.deepEqual(c.rounds, [], 'no benchmark.js time pass');
    t.is(c.groupRounds!.length, 3, 'one round per isolate group');
    t.is(c.summary!.isolates, 3, 'the time is pooled over the isolate groups');
    t.true(c.summary!.ci95Ns[0] <= c.summary!.medianNs && c.summary!.medianNs <= c.summary!.ci95Ns[1]);
    t.is(c.summary!.n, c.groupRounds!.flat().length);
    t.is(typeof c.firstRowNs, 'number', 'time to first row is measured in the group pass');
    t.is(c.firstRowRounds!.length, 3, 'in every isolate group');
    t.true(c.firstRowRounds!.every((xs) => xs.length === 5 && xs.every((x) => x > 0)), 'five first rows each');
    t.is(c.firstRowNs, [...c.firstRowRounds![0]!].sort((a, b) => a - b)[2], "the first group's median is the case's time to first row");
    t.true(c.heap!.allocatedBytes > 0, 'allocation was measured');
    t.is(c.output!.rows, r.cases[0]!.output!.rows, 'all runners return the same rows');
    t.regex(c.output!.checksum, /^[0-9a-f]+$/);
    t.is(c.inputRows, 300);
  }
  t.is(r.cases.find((c) => c.engine === 'limit-loop')!.heap!.trackerPeakBytes, null);
  t.deepEqual(readResults(out).cases.map((c) => c.id), cases.map((c) => c.id), 'the file on disk has every case');
  t.regex(lines[1]!, /^\[1\/4\] selectivity\/rows=300,selectivity=0.5\/materialized group pass 1 of 3 runners taking turns \(3 isolate groups\)/, 'one group pass, then 3 heap passes');
  t.false(lines.some((l) => /time pass/.test(l)));
  t.true(lines.some((l) => /ETA \d+ s/.test(l)));
  t.deepEqual(r.environment.nodeFlags.group, ['--expose-gc', '--single-threaded', '--hash-seed=1'], 'the group pass\'s flags are recorded');
  t.truthy(r.environment.cpuModel);
  t.regex(r.environment.lockfileHash, /^[0-9a-f]{16}$/);
});

test('without group passes, or for a lone runner, each case is timed by benchmark.js in a process of its own', async (t) => {
  const out = path.join(tmp(), 'r.json');
  const cases = ['materialized', 'streaming'].map((e) => makeCase('selectivity', { rows: 300, selectivity: 0.5 }, e));
  const lines: string[] = [];
  const r = await runCases({ suite: 'test', cases, out, settings: { ...FAST, groupIsolates: 0 }, log: (l) => lines.push(l) });
  for (const c of r.cases) {
    t.is(c.status, 'ok', c.error);
    t.is(c.rounds.length, 1);
    t.true(c.rounds[0]!.length >= 2, 'every benchmark.js sample is kept');
    t.is(c.summary!.isolates, undefined);
    t.is(c.probes!.length, 1, 'with the machine-speed probe');
    t.is(c.groupRounds, undefined);
  }
  t.regex(lines[1]!, /^\[1\/4\] selectivity\/rows=300,selectivity=0.5\/materialized time pass, round 1\/1/);
  const lone = await runCases({ suite: 'test', cases: cases.slice(1), out: path.join(tmp(), 'lone.json'), settings: FAST });
  t.is(lone.cases[0]!.rounds.length, 1, 'a lone runner has no group to be timed with');
});

test('a case that throws, or runs past its timeout, is recorded as errored and the run goes on', async (t) => {
  const out = path.join(tmp(), 'r.json');
  const cases = [
    makeCase('selectivity', { rows: 2000, selectivity: 1 }, 'materialized', { memoryLimit: 1000 }),
    makeCase('selectivity', { rows: 200, selectivity: 1 }, 'streaming'),
  ];
  const r = await runCases({ suite: 'test', cases, out, settings: FAST });
  t.is(r.cases[0]!.status, 'errored');
  t.regex(r.cases[0]!.error!, /ResourcesExhaustedError: materialized filter needed \d+ more bytes/);
  t.is(r.cases[1]!.status, 'ok');

  const slow = await runChild({ mode: 'time', case: makeCase('selectivity', { rows: 1_000_000, selectivity: 1 }, 'materialized'), settings: FAST }, ['--expose-gc'], 0.3);
  t.deepEqual(slow, { ok: false, error: 'timed out after 0.3 s' });
});

test('a group whose group pass fails is timed one runner at a time: the failure is pinned on its case, the others still measured together', async (t) => {
  const out = path.join(tmp(), 'r.json');
  const cases = [
    makeCase('selectivity', { rows: 2000, selectivity: 1 }, 'materialized', { memoryLimit: 1000 }),
    makeCase('selectivity', { rows: 2000, selectivity: 1 }, 'streaming'),
    makeCase('selectivity', { rows: 2000, selectivity: 1 }, 'limit-loop'),
  ];
  const lines: string[] = [];
  const r = await runCases({ suite: 'test', cases, out, settings: { ...FAST, groupPasses: 1 }, log: (l) => lines.push(l) });
  const [m, s, l] = r.cases;
  t.is(m!.status, 'errored');
  t.regex(m!.error!, /^ResourcesExhaustedError: materialized filter needed \d+ more bytes/, 'its own error, not the group pass\'s');
  t.true(lines.some((x) => /group pass: .*ResourcesExhaustedError.*; timing each runner of the group in a process of its own/.test(x)));
  for (const c of [s!, l!]) {
    t.is(c.status, 'ok', c.error);
    t.is(c.rounds.length, 1, 'timed by benchmark.js');
    t.is(c.summary!.isolates, undefined);
    t.deepEqual(c.pairedWith, [s!.id, l!.id], 'the two left were measured together');
    t.is(c.groupRounds!.length, 3);
  }
});

test('engines that disagree are flagged, and order-sensitive scenarios compare counts only', (t) => {
  const rec = (engine: string, rows: number, checksum: string, scenario = 'selectivity', params = {}): CaseRecord =>
    ({ id: engine, group: 'g', scenario, family: 'f', params, engine, options: {}, seed: 1, status: 'ok', rounds: [], output: { rows, checksum } }) as CaseRecord;
  const group = [rec('materialized', 10, 'aaaa'), rec('streaming', 10, 'bbbb')];
  t.false(checkAgreement(group));
  t.true(group.every((c) => c.status === 'errored' && /engines disagree on the result: materialized: 10 rows #aaaa; streaming: 10 rows #bbbb/.test(c.error!)));
  const limited = [rec('materialized', 10, 'aaaa', 'join', { variant: 'limit10' }), rec('streaming', 10, 'bbbb', 'join', { variant: 'limit10' })];
  t.true(checkAgreement(limited), 'which 10 rows a limit after a join keeps is unspecified');
  const wrongCount = [rec('materialized', 10, 'aaaa', 'join', { variant: 'limit10' }), rec('streaming', 9, 'aaaa', 'join', { variant: 'limit10' })];
  t.false(checkAgreement(wrongCount));
});

test('the runner refuses to overwrite a results file unless told, and --resume needs the file', async (t) => {
  const out = path.join(tmp(), 'r.json');
  writeFileSync(out, '{}');
  await t.throwsAsync(runCases({ suite: 'test', cases: [], out }), { message: /already exists; pass --resume to continue it or --force to overwrite it/ });
  t.is(readFileSync(out, 'utf8'), '{}', 'nothing was touched');
  await t.throwsAsync(runCases({ suite: 'test', cases: [], out: path.join(tmp(), 'none.json'), resume: true }), { message: /does not exist/ });
});

test('killing the runner mid-run and resuming loses and duplicates nothing', async (t) => {
  const dir = tmp();
  const out = path.join(dir, 'r.json');
  const args = [...CLI_ARGS, 'run', '--suite', 'quick', '--filter', 'selectivity/*', '--engine', 'streaming,limit-loop', '--out', out, '--rounds', '2', '--max-time', '0.02', '--min-samples', '2', '--group-isolates', '0'];
  const first = spawn(process.execPath, args, { stdio: 'ignore' });
  // Wait until at least two measurements are on disk, then kill the runner hard.
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      try {
        if (existsSync(out) && readResults(out).cases.filter((c) => c.rounds.length > 0).length >= 2) {
          clearInterval(timer);
          first.kill('SIGKILL');
          resolve();
        }
      } catch {
        /* the file is replaced atomically; a read never sees half of it, but may see none yet */
      }
    }, 50);
    first.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the runner finished before it could be killed'));
    });
  }).catch((e) => t.fail(String(e)));
  await new Promise((r) => first.on('close', r));
  const partial = readResults(out);
  const measuredBefore = partial.cases.filter((c) => c.rounds.length > 0).map((c) => [c.id, c.rounds[0]]);
  t.true(partial.cases.some((c) => c.status !== 'ok'), 'the run was interrupted');

  const second = spawn(process.execPath, [...args, '--resume'], { stdio: 'ignore' });
  const code = await new Promise((r) => second.on('close', r));
  t.is(code, 0);
  const final = readResults(out);
  t.is(final.cases.length, 8);
  t.is(new Set(final.cases.map((c) => c.id)).size, 8, 'no case is duplicated');
  t.true(final.cases.every((c) => c.status === 'ok' && c.rounds.length === 2), 'every case finished both rounds');
  for (const [id, samples] of measuredBefore) {
    t.deepEqual(final.cases.find((c) => c.id === id)!.rounds[0], samples, `${id}: samples measured before the kill are kept`);
  }
});

test('heap calibration: a kernel that retains a known number of bytes is measured within 10%', async (t) => {
  // Many small arrays: 1600 of 8 KiB (12.8 MiB). With 400 (3.2 MiB), a fixed 0.25-0.4 MiB more heap,
  // seen with both cores busy (the suite's S3 servers and workers), read 7-13% over; idle, 0.2-0.6%.
  for (const [count, length] of [[40, 125_000], [1600, 1000]] as const) {
    const r = await runChild({ mode: 'calibrate', kernel: 'retain', count, length }, ['--expose-gc', '--max-semi-space-size=1'], 60);
    if (!r.ok) return t.fail(r.error);
    const peakErr = r.measuredPeakBytes! / r.truePeakBytes! - 1;
    const allocErr = r.measuredAllocatedBytes! / r.trueAllocatedBytes! - 1;
    t.log(`retain ${count} x ${length}: peak error ${(peakErr * 100).toFixed(2)}%, allocated error ${(allocErr * 100).toFixed(2)}%`);
    t.true(Math.abs(peakErr) <= 0.1, `peak ${r.measuredPeakBytes} vs true ${r.truePeakBytes}`);
    t.true(Math.abs(allocErr) <= 0.1, `allocated ${r.measuredAllocatedBytes} vs true ${r.trueAllocatedBytes}`);
  }
  const tr = await runChild({ mode: 'calibrate', kernel: 'transient', count: 40, length: 125_000 }, ['--expose-gc', '--max-semi-space-size=1'], 60);
  if (!tr.ok) return t.fail(tr.error);
  t.true(Math.abs(tr.measuredAllocatedBytes! / tr.trueAllocatedBytes! - 1) <= 0.1, 'transient allocation is measured within 10%');
  t.true(tr.measuredPeakBytes! < tr.trueAllocatedBytes! / 10, 'transient peak is a small fraction of the allocation');
});

/** Pids of the processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a runner killed with SIGKILL during a heap pass: its child dies with it, the time pass before is saved, and --resume finishes the case', async (t) => {
  if (!existsSync('/proc/self/stat')) return t.pass('no /proc here');
  const out = path.join(tmp(), 'r.json');
  const args = [...CLI_ARGS, 'run', '--suite', 'reference', '--filter', 'selectivity/rows=1000000,selectivity=1/materialized', '--out', out, '--rounds', '1', '--max-time', '0.05', '--min-samples', '2'];
  const runner = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const child = await new Promise<number>((resolve, reject) => {
    runner.stderr.on('data', (d) => void (log += d));
    // Once the heap pass is announced, its child is the runner's only child: take it as soon as it exists.
    const timer = setInterval(() => {
      if (!/heap pass/.test(log)) return;
      const kids = childrenOf(runner.pid!);
      if (kids.length > 0) {
        clearInterval(timer);
        resolve(kids[0]!);
      }
    }, 10);
    runner.on('exit', () => {
      clearInterval(timer);
      reject(new Error(`the runner finished before its heap pass could be interrupted:\n${log}`));
    });
  });
  runner.kill('SIGKILL');
  await new Promise((r) => runner.on('close', r));
  const deadline = Date.now() + 5000;
  while (alive(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.false(alive(child), 'the measuring child died with its runner');
  const saved = readResults(out).cases[0]!;
  t.is(saved.rounds.length, 1, 'the time pass measured before the heap pass was saved');
  t.is(saved.heap, undefined);
  t.is(saved.status, 'pending');
  const resumed = spawn(process.execPath, [...args, '--resume'], { stdio: 'ignore' });
  t.is(await new Promise((r) => resumed.on('close', r)), 0);
  const final = readResults(out).cases[0]!;
  t.is(final.status, 'ok');
  t.deepEqual(final.rounds, saved.rounds, 'the saved time pass is kept, not measured again');
  t.truthy(final.heap);
});
