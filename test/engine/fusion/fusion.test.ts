import test from 'ava';
import { add, and, col, ConfigError, contains, createEngine, createRuntime, div, eq, ExecutionError, gt, isNull, lt, mul, not, or, PlanError, QueryAbortedError, startsWith, type Relation, type Tuple } from '../../../engine/index.js';
import { compileRun, fusionCacheSize } from '../../../engine/fusion/codegen.js';
import { bag, readAll } from '../../helpers.js';

const HOSTILE = ['a"b', "c'd", 'e`f', '*/ g /*', 'line\nbreak', '${process.exit(3)}', "'); throw new Error('pwned'); ('", 'constructor'];

function hostileRows(): Tuple[] {
  return Array.from({ length: 50 }, (_, i) => [i, HOSTILE[i % HOSTILE.length]!, i % 7 === 0 ? null : i * 1.5, `${HOSTILE[(i + 3) % HOSTILE.length]}${i}`, i % 3, 'x', i % 2 === 0, i - 25]);
}

function hostileQuery(r: Relation): Relation {
  const [n0, n1, n2, n3, n4] = HOSTILE;
  return r
    .filter(or(startsWith(col(n1!), "'"), contains(col(n3!), '${'), gt(col(n2!), 10)))
    .extend('`${x}`', add(col(n2!), col(n4!)))
    .filter(not(isNull(col('`${x}`'))))
    .project([n0!, '`${x}`', n3!])
    .extend('*/', div(col('`${x}`'), 3))
    .filter(and(lt(col('*/'), 1000), not(eq(col(n0!), 7))));
}

test('hostile column names and values are data: fused and unfused results agree and no value becomes code', (t) => {
  const schema = [...HOSTILE];
  const rows = hostileRows();
  const plain = readAll(hostileQuery(createEngine('streaming').from(schema, rows)));
  const fused = readAll(hostileQuery(createEngine('streaming', { enablePipelineFusion: true }).from(schema, rows)));
  t.true(plain.length > 5);
  t.deepEqual(bag(fused), bag(plain));
  t.deepEqual(bag(readAll(hostileQuery(createEngine('materialized').from(schema, rows)))), bag(plain));
});

test('generated source holds indices and parameters only, never names or literal values', (t) => {
  const schema = [...HOSTILE];
  const plan = compileRun(schema.length, [
    { kind: 'filter', expr: eq(col(HOSTILE[6]!), "'); process.exit(4); ('"), input: schema },
    { kind: 'extend', expr: mul(col(HOSTILE[2]!), 2), input: schema },
    { kind: 'project', indices: [0, 8] },
  ], createRuntime());
  for (const text of [...HOSTILE, 'process.exit', 'pwned']) t.false(plan.source.includes(text), `source contains ${JSON.stringify(text)}`);
  t.regex(plan.source, /t\[6\]/);
  t.deepEqual(plan.consts.filter((c) => typeof c !== 'object'), ["'); process.exit(4); ('", 2]);
});

test('code is cached by query shape: new constants reuse it, a new shape compiles once', (t) => {
  const e = createEngine('streaming', { enablePipelineFusion: true });
  const rows: Tuple[] = Array.from({ length: 100 }, (_, i) => [i, i % 10]);
  const q = (k: number) => e.from(['a', 'b'], rows).filter(lt(col('a'), k)).extend('c', add(col('b'), k)).project(['c']);
  q(5).toArray();
  const before = fusionCacheSize();
  t.is(q(50).toArray().length, 50);
  t.is(q(7).toArray().length, 7);
  t.is(fusionCacheSize(), before, 'same shape, different constants: no new code');
  e.from(['a', 'b'], rows).filter(gt(col('a'), 5)).toArray();
  t.is(fusionCacheSize(), before + 1);
});

test('generated code lives in the engine\'s runtime: engines given their own share nothing, engines without one share the default', (t) => {
  const rows: Tuple[] = Array.from({ length: 100 }, (_, i) => [i, i % 10]);
  // A shape no other test compiles: a filter on b >= k, then a projection of b.
  const q = (e: ReturnType<typeof createEngine>, k: number) => e.from(['a', 'b'], rows).filter(gt(col('b'), k)).extend('z', mul(col('a'), col('b'))).project(['z', 'b']).toArray();
  const own = createRuntime(), other = createRuntime();
  const shared = fusionCacheSize();
  t.is(q(createEngine('streaming', { enablePipelineFusion: true }, { runtime: own }), 3).length, 60);
  t.is(fusionCacheSize(own), 1, 'compiled into its own runtime');
  t.is(fusionCacheSize(), shared, 'not into the shared one');
  t.is(q(createEngine('streaming', { enablePipelineFusion: true }, { runtime: own }), 5).length, 40);
  t.is(fusionCacheSize(own), 1, 'a second engine on the same runtime reuses the code');
  q(createEngine('streaming', { enablePipelineFusion: true }, { runtime: other }), 3);
  t.is(fusionCacheSize(other), 1, 'another runtime compiles its own');
  q(createEngine('streaming', { enablePipelineFusion: true }), 3);
  t.is(fusionCacheSize(), shared + 1, 'an engine without a runtime uses the shared one');
  t.throws(() => createEngine('streaming', {}, { runtime: {} as never }), { instanceOf: ConfigError, message: 'runtime must be an EngineRuntime from createRuntime(), got object' });
});

test('a function predicate breaks the run and falls back to composed iterators, with the same result', (t) => {
  const rows: Tuple[] = Array.from({ length: 200 }, (_, i) => [i, i % 10]);
  const build = (r: Relation) => r.filter(lt(col('a'), 150)).filter((row) => (row[1] as number) > 3).extend('c', mul(col('a'), 2)).project(['c']);
  const fused = build(createEngine('streaming', { enablePipelineFusion: true }).from(['a', 'b'], rows)).toArray();
  const plain = build(createEngine('streaming').from(['a', 'b'], rows)).toArray();
  t.deepEqual(fused, plain);
});

test('fused runs keep the engine contract: lazy, single pass, plan errors at plan time, runtime type errors named', (t) => {
  const e = createEngine('streaming', { enablePipelineFusion: true });
  let opened = 0;
  const src = e.fromIterator(['a'], () => {
    opened++;
    let i = 0;
    return { next: () => (i < 5 ? [i++] : undefined), close: () => {} };
  });
  const q = src.filter(gt(col('a'), 1)).extend('b', add(col('a'), 1));
  t.is(opened, 0);
  t.deepEqual(q.toArray(), [[2, 3], [3, 4], [4, 5]]);
  t.throws(() => q.toArray(), { message: /already opened once/ });
  t.throws(() => e.from(['a'], []).filter(gt(col('zz'), 1)), { instanceOf: PlanError, message: /unknown column 'zz'/ });
  t.throws(() => e.from(['a'], [['x']]).extend('b', add(col('a'), 1)).toArray(), { instanceOf: ExecutionError, message: `'add' got string "x" in (a + 1); it takes numbers` });
  t.is(e.context.memory.reserved, 0);
});

test('forEach pushes the same tuples as a pull, from one generated loop over an array source', (t) => {
  const rows: Tuple[] = Array.from({ length: 3000 }, (_, i) => [i, i % 10]);
  const q = (e: ReturnType<typeof createEngine>) => e.from(['a', 'b'], rows).filter(lt(col('b'), 3)).extend('c', mul(col('a'), 2)).project(['c', 'a']);
  for (const [kind, options] of [['streaming', { enablePipelineFusion: true }], ['streaming', {}], ['materialized', {}]] as const) {
    const e = createEngine(kind, options);
    const got: Tuple[] = [];
    t.is(q(e).forEach((row) => void got.push(row)), 900, `${kind} ${JSON.stringify(options)}`);
    t.deepEqual(got, q(createEngine('streaming')).toArray());
    t.is(e.context.metrics.sourceRows, 3000);
  }
  const e = createEngine('streaming', { enablePipelineFusion: true });
  const r = q(e);
  r.forEach(() => {});
  t.throws(() => r.forEach(() => {}), { message: /already opened once/ }, 'single pass, as with open()');
  // Over an iterator source a fused run pulls its input and pushes its output, closing the source.
  let i = 0, closed = 0;
  const it = e.fromIterator(['a', 'b'], () => ({ next: () => (i < 10 ? [i, i++ % 10] : undefined), close: () => void closed++ }));
  const fromIt: Tuple[] = [];
  t.is(it.filter(lt(col('b'), 3)).extend('c', mul(col('a'), 2)).project(['c', 'a']).forEach((row) => void fromIt.push(row)), 3);
  t.deepEqual(fromIt, [[0, 0], [2, 1], [4, 2]]);
  t.is(closed, 1);
});

test('forEach: a throwing sink stops the loop, and the pass counts only the rows read', (t) => {
  const rows: Tuple[] = Array.from({ length: 5000 }, (_, i) => [i]);
  const e = createEngine('streaming', { enablePipelineFusion: true });
  let seen = 0;
  t.throws(() => e.from(['a'], rows).filter(gt(col('a'), 99)).forEach(() => {
    if (++seen === 10) throw new Error('sink gave up');
  }), { message: 'sink gave up' });
  t.is(seen, 10);
  t.is(e.context.metrics.sourceRows, 110, 'rows 0-109 were read, no more');
  // The generated push loop polls the abort signal like every source: a sink that aborts at
  // the 1,500th row stops the loop at the next check (row 2048), with QueryAbortedError.
  const ac = new AbortController();
  const e2 = createEngine('streaming', { enablePipelineFusion: true }, { signal: ac.signal });
  let pushedRows = 0;
  t.throws(() => e2.from(['a'], rows).filter(gt(col('a'), -1)).forEach(() => {
    if (++pushedRows === 1500) ac.abort('enough');
  }), { instanceOf: QueryAbortedError, message: /query aborted: enough/ });
  t.is(pushedRows, 2048);
});

test('fused and composed runs raise the same ExecutionError for a non-boolean operand of and/or/not', (t) => {
  const rows: Tuple[] = [[true, 1], [false, 2], [null, 'x']];
  for (const p of [not(col('b')), and(col('a'), col('b')), or(col('a'), col('b'))]) {
    const messages = [true, false].map((fuse) => {
      const e = createEngine('streaming', { enablePipelineFusion: fuse });
      return t.throws(() => e.from(['a', 'b'], rows).filter(p).toArray(), { instanceOf: ExecutionError })?.message;
    });
    t.is(messages[0], messages[1]);
    t.regex(messages[0] ?? '', /takes booleans, got (number|string)/);
  }
});
