import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../engine/index.js';
import { mergeResults } from '../../harness/merge.js';
import { environmentMismatches, readResults, writeResults } from '../../core/results.js';
import { sampleResults } from './sample-results.js';
import { tempDir } from '../temp-dir.js';

const dir = tempDir('sluice-results-');

test('a results file round-trips through write and read', (t) => {
  const f = path.join(dir, 'a.json');
  const r = sampleResults();
  writeResults(f, r);
  t.deepEqual(readResults(f), r);
});

test("a results file written before the limit loop's rename reads with today's name and ids", (t) => {
  const f = path.join(dir, 'old.json');
  const old = sampleResults();
  const c0 = old.cases[0]!;
  const loop = { ...c0, id: 'selectivity/rows=10,selectivity=1/baseline', engine: 'baseline' as never };
  old.cases = [{ ...c0, pairedWith: [c0.id, loop.id] }, { ...loop, pairedWith: [c0.id, loop.id] }];
  old.settings = { ...old.settings, extended: [loop.id] };
  writeFileSync(f, JSON.stringify(old));
  const r = readResults(f);
  t.is(r.cases[1]!.engine, 'limit-loop');
  t.is(r.cases[1]!.id, 'selectivity/rows=10,selectivity=1/limit-loop');
  t.deepEqual(r.cases[0]!.pairedWith, [c0.id, 'selectivity/rows=10,selectivity=1/limit-loop']);
  t.deepEqual(r.settings.extended, ['selectivity/rows=10,selectivity=1/limit-loop']);
  t.is(r.cases[0]!.id, c0.id, 'other runners keep their ids');
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
  t.throws(() => readResults(put('case.json', JSON.stringify(broken))), { instanceOf: ConfigError, message: /cases\[0\]\.rounds\[0\]\[0\] must be a number, got "fast"$/ });
  // Fields a report or export reads later are checked here, once, for every command.
  const env = sampleResults();
  (env as { environment: unknown }).environment = { ...env.environment, cores: 'two' };
  t.throws(() => readResults(put('env.json', JSON.stringify(env))), { instanceOf: ConfigError, message: /environment\.cores must be a number, got "two"$/ });
  const heap = sampleResults();
  (heap.cases[0] as { heap: unknown }).heap = { peakBytes: 1 };
  t.throws(() => readResults(put('heap.json', JSON.stringify(heap))), { instanceOf: ConfigError, message: /cases\[0\]\.heap\.allocatedBytes must be a number, got undefined$/ });
  const first = sampleResults();
  (first.cases[0] as { firstRowRounds: unknown }).firstRowRounds = [[1, 2], 'soon'];
  t.throws(() => readResults(put('first.json', JSON.stringify(first))), { instanceOf: ConfigError, message: /cases\[0\]\.firstRowRounds\[1\] must be an array of numbers, got "soon"$/ });
  const id = sampleResults();
  id.cases[0]!.id = 'x/../../y z';
  t.throws(() => readResults(put('id.json', JSON.stringify(id))), { instanceOf: ConfigError, message: /cases\[0\]\.id must be a case id/ });
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
