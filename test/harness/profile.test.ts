import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../engine/index.js';
import { makeCase } from '../../harness/case.js';
import { parseCaseId, parseDuration, profileCase } from '../../harness/profile.js';
import { sluice } from '../cli-helper.js';
import { tempDir } from '../temp-dir.js';

const tmp = () => tempDir('sluice-profile-');
const tiny = makeCase('selectivity', { rows: 2000, selectivity: 0.5 }, 'streaming');

test('case ids parse back into the same case; anything else is refused', (t) => {
  for (const id of [tiny.id, 'join/rows=10000,multiplicity=1,variant=full/streaming+enableSymmetricHashJoin=true', 'memory/variant=aggressive/limit-loop']) {
    t.is(parseCaseId(id).id, id);
  }
  t.throws(() => parseCaseId('selectivity'), { instanceOf: ConfigError, message: /is not a case id/ });
  t.throws(() => parseCaseId('selectivity/rows=100/streaming'), { instanceOf: ConfigError, message: /did you mean 'selectivity\/rows=100,selectivity=0.1\/streaming'/ });
  t.throws(() => parseCaseId('nope/rows=1/streaming'), { instanceOf: ConfigError, message: /unknown scenario 'nope'/ });
  t.is(parseDuration('500ms'), 0.5);
  t.is(parseDuration('2m'), 120);
  t.throws(() => parseDuration('soon'), { instanceOf: ConfigError, message: /--duration takes a time/ });
});

for (const tool of ['cpu-prof', 'heap-prof'] as const) {
  test(`--tool ${tool} writes V8's profile for a tiny case`, async (t) => {
    const dir = tmp();
    const r = await profileCase(tiny, tool, 0.3, dir);
    if (!r.ok) return t.fail(r.reason);
    t.true(existsSync(r.file));
    t.true(r.file.endsWith(tool === 'cpu-prof' ? '.cpuprofile' : '.heapprofile'));
    const profile = JSON.parse(readFileSync(r.file, 'utf8'));
    t.truthy(tool === 'cpu-prof' ? profile.nodes?.length : profile.head);
    if (tool === 'cpu-prof') {
      const names = new Set((profile.nodes as { callFrame: { functionName: string; url: string } }[]).map((n) => n.callFrame.url));
      t.true([...names].some((u) => u.includes('case-runner')), 'the profile shows the measured code path');
    }
  });
}

test('profile bad input: unknown case or tool, unwritable directory: one line, exit 2', async (t) => {
  const file = path.join(tmp(), 'f');
  writeFileSync(file, '');
  const runs = await Promise.all([
    sluice(['profile', 'no/such/case', '--tool', 'flame']),
    sluice(['profile', tiny.id, '--tool', 'perf']),
    sluice(['profile', tiny.id, '--tool', 'cpu-prof', '--out', path.join(file, 'sub')]),
  ]);
  for (const r of runs) {
    t.is(r.code, 2, r.stderr);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  t.regex(runs[0]!.stderr, /case id 'no\/such\/case': parameter 'such' is not name=value/);
  t.regex(runs[1]!.stderr, /--tool: unknown profiling tool 'perf'; accepted: flame, heapprofiler, doctor, bubbleprof, cpu-prof, heap-prof/);
  t.regex(runs[2]!.stderr, /cannot write profiles into '.*f\/sub': ENOTDIR/);
});

// Clinic runs the case for seconds and builds an HTML report; too slow for every npm test.
const slow = process.env.SLUICE_SLOW_TESTS === '1' ? test : test.skip;
slow('clinic flame writes its HTML report for a tiny case (SLUICE_SLOW_TESTS=1)', async (t) => {
  const r = await profileCase(tiny, 'flame', 2, tmp());
  if (!r.ok) return t.fail(r.reason);
  t.true(r.file.endsWith('.html'));
  t.true(readFileSync(r.file, 'utf8').length > 10_000);
});
