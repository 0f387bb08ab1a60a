import test from 'ava';
import path from 'node:path';
import { makeCase } from '../../harness/case.js';
import { runCases } from '../../harness/runner.js';
import { CaseIndex } from '../../reports/model.js';
import { storage } from '../../reports/tables.js';
import { tempDir } from '../temp-dir.js';

test('the ingest family runs as tasks in child processes: every runner agrees on the stored rows, time and heap are measured', async (t) => {
  const cases = [
    makeCase('ingest', { rows: 3000, batchSize: 500 }, 'streaming'),
    makeCase('ingest', { rows: 3000, batchSize: 500 }, 'materialized'),
    makeCase('ingest', { rows: 3000, batchSize: 500 }, 'limit-loop'),
    makeCase('read', { rows: 3000, batchSize: 500 }, 'streaming'),
    makeCase('read', { rows: 3000, batchSize: 500 }, 'materialized'),
  ];
  const out = path.join(tempDir('sluice-ingest-'), 'r.json');
  const r = await runCases({ suite: 'ingest', cases, out, settings: { rounds: 1, maxTime: 0.05, minSamples: 2, warmupRuns: 1, heapRuns: 2 } });
  for (const c of r.cases) {
    t.is(c.status, 'ok', `${c.id}: ${c.error}`);
    t.is(c.output!.rows, 3000);
    t.true(c.rounds[0]!.length >= 2);
    t.true(c.heap!.allocatedBytes > 0, `${c.id} allocated ${c.heap!.allocatedBytes}`);
  }
  const ingest = r.cases.filter((c) => c.scenario === 'ingest');
  t.is(new Set(ingest.map((c) => c.output!.checksum)).size, 1, 'stored rows = parsed rows');
  const table = storage(new CaseIndex(r));
  t.truthy(table);
  t.is(table!.rows.length, 5);
  t.regex(table!.notes.join('\n'), /parse-only limit's throughput/);
  t.throws(() => makeCase('read', {}, 'limit-loop'), { message: /has no limit loop/ });
});

test('on the S3 store (a local server started by each child), ingest and read agree with the filesystem store and report it per store', async (t) => {
  t.timeout(120_000);
  // Each case's children start a server of their own: the streaming runners only (the materializing ones are tested above).
  const cases = ['filesystem', 's3'].flatMap((store) => [
    makeCase('ingest', { rows: 3000, batchSize: 500, store }, 'streaming'),
    makeCase('read', { rows: 3000, batchSize: 500, store }, 'streaming'),
  ]);
  t.is(cases[2]!.id, 'ingest/rows=3000,batchSize=500,store=s3/streaming');
  t.is(cases[0]!.id, 'ingest/rows=3000,batchSize=500/streaming', 'the default store is left out of ids (old ids stay valid)');
  const out = path.join(tempDir('sluice-ingest-s3-'), 'r.json');
  const r = await runCases({ suite: 'ingest', cases, out, settings: { rounds: 1, maxTime: 0.05, minSamples: 2, warmupRuns: 1, heapRuns: 2 } });
  for (const c of r.cases) {
    t.is(c.status, 'ok', `${c.id}: ${c.error}`);
    t.is(c.output!.rows, 3000);
    t.true(c.ioBytes! > 50_000, `${c.id}: moved ${c.ioBytes} bytes to or from storage`);
  }
  // The same rows written as the same segments: the same bytes, whichever store.
  const written = r.cases.filter((c) => c.scenario === 'ingest' && c.engine === 'streaming').map((c) => c.ioBytes);
  t.is(written[0], written[1]);
  const sums = (scenario: string) => new Set(r.cases.filter((c) => c.scenario === scenario).map((c) => c.output!.checksum));
  t.is(sums('ingest').size, 1, 'the same rows stored on either store');
  t.is(sums('read').size, 1, 'the same lines read back from either store');
  const table = storage(new CaseIndex(r))!;
  t.deepEqual(table.rows.map((row) => `${row[0]} ${row[1]}`), ['ingest filesystem', 'ingest s3', 'read filesystem', 'read s3']);
  t.regex(table.notes.join('\n'), /I\/O thread/);
});
