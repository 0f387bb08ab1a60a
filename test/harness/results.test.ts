import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../engine/index.js';
import { mergeResults } from '../../harness/merge.js';
import { captureEnvironment, environmentMismatches, readResults, writeResults, type ResultsFile } from '../../harness/results.js';
import { CHILD_FLAGS, PROJECT_ROOT } from '../../harness/runner.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-results-'));

export function sampleResults(over: Partial<ResultsFile> = {}): ResultsFile {
  return {
    schema: 'sluice-results', version: 1, suite: 'quick', createdAt: '2026-01-01T00:00:00.000Z',
    environment: captureEnvironment(PROJECT_ROOT, CHILD_FLAGS),
    settings: { rounds: 1, maxTime: 0.1, minSamples: 2, warmupRuns: 1, timeoutSec: 10 },
    cases: [{
      id: 'selectivity/rows=10,selectivity=1/streaming', group: 'selectivity/rows=10,selectivity=1', scenario: 'selectivity', family: 'selectivity',
      params: { rows: 10, selectivity: 1 }, engine: 'streaming', options: {}, seed: 1, status: 'ok', rounds: [[100, 110, 105]],
      output: { rows: 10, checksum: '0000abcd' },
    }],
    ...over,
  };
}

test('a results file round-trips through write and read', (t) => {
  const f = path.join(dir, 'a.json');
  const r = sampleResults();
  writeResults(f, r);
  t.deepEqual(readResults(f), r);
});

test('malformed results files are refused with a message naming the problem', (t) => {
  const put = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  t.throws(() => readResults(path.join(dir, 'missing.json')), { instanceOf: ConfigError, message: /cannot read results file '.*missing.json': no such file/ });
  t.throws(() => readResults(put('bad.json', '{oops')), { instanceOf: ConfigError, message: /is not valid JSON/ });
  t.throws(() => readResults(put('other.json', '{"schema":"x"}')), { instanceOf: ConfigError, message: /is not a sluice results file/ });
  t.throws(() => readResults(put('v2.json', JSON.stringify({ ...sampleResults(), version: 2 }))), { instanceOf: ConfigError, message: /has schema version 2; this sluice reads version 1/ });
  const broken = sampleResults();
  (broken.cases[0] as { rounds: unknown }).rounds = [['fast']];
  t.throws(() => readResults(put('case.json', JSON.stringify(broken))), { instanceOf: ConfigError, message: /case 0 is malformed/ });
});

test('merge joins shards and refuses overlaps, other suites and other environments', (t) => {
  const a = path.join(dir, 's1.json'), b = path.join(dir, 's2.json'), c = path.join(dir, 's3.json'), d = path.join(dir, 's4.json');
  const one = sampleResults();
  const two = sampleResults();
  two.cases[0] = { ...two.cases[0]!, id: 'other/case', group: 'other' };
  writeResults(a, one);
  writeResults(b, two);
  const { merged } = mergeResults([a, b]);
  t.deepEqual(merged.cases.map((x) => x.id), [one.cases[0]!.id, 'other/case']);
  t.throws(() => mergeResults([a, a]), { instanceOf: ConfigError, message: /is in both .*s1.json and .*s1.json; shards must not overlap/ });
  writeResults(c, sampleResults({ suite: 'full', cases: [] }));
  t.throws(() => mergeResults([a, c]), { instanceOf: ConfigError, message: /cannot merge suite 'full'/ });
  const elsewhere = sampleResults({ cases: [] });
  elsewhere.environment = { ...elsewhere.environment, cpuModel: 'Imaginary CPU', node: 'v99.0.0' };
  writeResults(d, elsewhere);
  t.throws(() => mergeResults([a, d]), { instanceOf: ConfigError, message: /another environment.*CPU model.*node version.*--allow-env-mismatch/ });
  t.is(mergeResults([a, d], true).warnings.length, 1);
  t.deepEqual(environmentMismatches(one.environment, one.environment), []);
});
