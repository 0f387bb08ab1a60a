/**
 * The profiled child: runs one case's query in a loop for a given time, through exactly the code
 * path the measurements use (`prepareCase`: same data generator, same query, same options), so a
 * profile explains the numbers in a report. Started by `sluice profile` under a profiler, as
 * `node [profiler flags] profile-loop.js <job-json>`; prints one summary line.
 */
import type { CaseSpec } from '../case.js';
import { isTask, prepareCase, prepareTask } from './case-runner.js';

interface ProfileJob {
  case: CaseSpec;
  durationSec: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ProfileJob;
  if (isTask(job.case)) {
    const t = await prepareTask(job.case);
    const expected = await t.run();
    t.reset?.();
    const until = Date.now() + job.durationSec * 1000;
    let runs = 0;
    while (Date.now() < until || runs === 0) {
      const rows = await t.run();
      t.reset?.();
      if (rows !== expected) throw new Error(`the task produced ${rows} rows, expected ${expected}`);
      runs++;
    }
    process.stdout.write(`profiled ${job.case.id}: ${runs} runs of ${expected} rows in ${job.durationSec} s\n`);
    return;
  }
  const c = await prepareCase(job.case);
  const expected = (await c.runChecked()).rows;
  const until = Date.now() + job.durationSec * 1000;
  let runs = 0;
  while (Date.now() < until || runs === 0) {
    const rows = c.async ? await c.run() : c.run();
    if (rows !== expected) throw new Error(`the query returned ${rows} rows, expected ${expected}`);
    runs++;
  }
  process.stdout.write(`profiled ${job.case.id}: ${runs} runs of ${expected} rows in ${job.durationSec} s\n`);
}

await main();
