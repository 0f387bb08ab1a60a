import test from 'ava';
import {
  add, and, col, ConfigError, createEngine, ENGINE_KINDS, eq, ExecutionError, gt, lit, not, PlanError, ResourcesExhaustedError, resolveOptions, SluiceError,
  type Expr, type Relation,
} from '../../engine/index.js';
import { intRows, readAll } from '../helpers.js';

for (const kind of ENGINE_KINDS) {
  test(`${kind}: an unknown column is a PlanError at plan time, naming it and the available columns`, (t) => {
    const engine = createEngine(kind);
    const rel = engine.from(['a', 'b'], intRows(3));
    const err = t.throws(() => rel.filter(gt(col('price'), 1)), { instanceOf: PlanError });
    t.is(err!.message, "unknown column 'price' in expression; available columns: a, b");
    t.throws(() => rel.project(['a', 'nope']), { instanceOf: PlanError, message: /unknown column 'nope' in project; available columns: a, b/ });
    t.throws(() => rel.extend('c', col('zz')), { instanceOf: PlanError, message: /'zz'/ });
    t.is(engine.context.metrics.sourceRows, 0, 'nothing was read');
  });

  test(`${kind}: other plan errors are named`, (t) => {
    const rel = createEngine(kind).from(['a', 'b'], intRows(3));
    t.throws(() => rel.extend('a', lit(1)), { instanceOf: PlanError, message: /column 'a' already exists/ });
    t.throws(() => rel.project(['a', 'a']), { instanceOf: PlanError, message: /lists column 'a' twice/ });
    t.throws(() => rel.limit(-1), { instanceOf: PlanError, message: /non-negative integer/ });
    t.throws(() => rel.limit(1.5), { instanceOf: PlanError });
    t.throws(() => rel.concat(createEngine(kind).from(['x', 'y'], [])), { instanceOf: PlanError, message: /same columns on both sides: \(a, b\) vs \(x, y\)/ });
    t.throws(() => rel.filter({ op: 'between' } as unknown as Expr), { instanceOf: PlanError, message: /unknown operator "between"/ });
    t.throws(() => rel.filter(42 as unknown as Expr), { instanceOf: PlanError });
  });

  test(`${kind}: bad sources are PlanErrors naming the row`, (t) => {
    const engine = createEngine(kind);
    t.throws(() => engine.from(['a', 'b'], [[1, 2], [3]]), { instanceOf: PlanError, message: /row 1 must be an array of 2 values/ });
    t.throws(() => engine.from(['a', 'a'], []), { instanceOf: PlanError, message: /duplicate column 'a'/ });
    t.throws(() => engine.from('a' as unknown as string[], []), { instanceOf: PlanError, message: /schema must be an array/ });
  });

  test(`${kind}: a memory limit smaller than a buffer gives ResourcesExhaustedError naming the operator, and releases`, (t) => {
    const engine = createEngine(kind, { memoryLimit: 2000, enableIteratorComposition: kind === 'materialized' });
    const err = t.throws(() => readAll(engine.from(['a', 'b'], intRows(1000)).filter(gt(col('a'), -1))), { instanceOf: ResourcesExhaustedError });
    t.true(err instanceof SluiceError);
    t.regex(err!.message, kind === 'materialized' ? /^materialized filter needed \d+ more bytes/ : /^streaming filter \(composition off\) needed \d+ more bytes/);
    t.regex(err!.message, /over the memory limit of 2000 bytes/);
    t.is(err!.limit, 2000);
    t.is(engine.context.memory.reserved, 0, 'no reservation leaked');
  });

  test(`${kind}: a run-time type error in an expression is an ExecutionError (not a PlanError) naming the operator and the value`, (t) => {
    const rel = createEngine(kind).from(['a'], [[1], ['x']]);
    t.throws(() => rel.extend('b', { op: 'add', left: col('a'), right: lit(1) }).toArray(), {
      instanceOf: ExecutionError,
      message: `'add' got string "x" in (a + 1); it takes numbers`,
    });
  });
}

test('bad options are ConfigErrors naming the option', (t) => {
  t.throws(() => createEngine('streaming', { enableTrueStreeming: true } as never), {
    instanceOf: ConfigError,
    message: /unknown engine option 'enableTrueStreeming' \(known options: enableIteratorComposition, enableTrueStreaming, enablePipelineFusion, enableSymmetricHashJoin, /,
  });
  t.throws(() => resolveOptions({ enableIteratorComposition: 'yes' } as never), {
    instanceOf: ConfigError,
    message: `engine option 'enableIteratorComposition' must be true or false, got the string "yes"`,
  });
  t.throws(() => resolveOptions({ memoryLimit: -5 }), { instanceOf: ConfigError, message: /'memoryLimit' must be a positive whole number of bytes/ });
  t.throws(() => resolveOptions(null as never), { instanceOf: ConfigError, message: /must be an object/ });
  t.throws(() => createEngine('lazy' as never), { instanceOf: ConfigError, message: /unknown engine kind "lazy"/ });
});

test('options resolve once to frozen defaults', (t) => {
  const o = resolveOptions({ enableTrueStreaming: false });
  t.deepEqual({ ...o }, {
    enableIteratorComposition: true, enableTrueStreaming: false, enablePipelineFusion: false, enableSymmetricHashJoin: false, enableStreamingAggregation: true,
    hashTableInitialSize: 1024, symmetricJoinBatchSize: 64, enableSymmetricJoinDrain: true, symmetricJoinDrainAfter: 1024, memoryLimit: Infinity, ingestBatchSize: 1000,
  });
  t.throws(() => resolveOptions({ symmetricJoinDrainAfter: -5 }), { instanceOf: ConfigError, message: /'symmetricJoinDrainAfter' must be a positive integer, got the integer -5/ });
  t.throws(() => resolveOptions({ enableSymmetricJoinDrain: 'yes' as never }), { instanceOf: ConfigError, message: /'enableSymmetricJoinDrain' must be true or false, got/ });
  t.throws(() => resolveOptions({ symmetricJoinBatchSize: 0 }), { instanceOf: ConfigError, message: /'symmetricJoinBatchSize' must be a positive integer, got the integer 0/ });
  t.throws(() => resolveOptions({ hashTableInitialSize: 2.5 }), { instanceOf: ConfigError, message: /'hashTableInitialSize' must be a positive integer/ });
  t.true(Object.isFrozen(o));
  t.is(createEngine('streaming', { memoryLimit: 1024 }).context.memory.limit, 1024);
});

test('an ExecutionError in a streaming predicate surfaces on next() and the pipeline still closes', (t) => {
  let closed = 0;
  const engine = createEngine('streaming');
  const rows = [[1], ['x']];
  let i = 0;
  const rel = engine.fromIterator(['a'], () => ({ next: () => rows[i++], close: () => void closed++ }));
  t.throws(() => rel.filter(eq({ op: 'neg', arg: col('a') }, -1)).toArray(), { instanceOf: ExecutionError });
  t.is(closed, 1);
});

test('a bad query fails with the same PlanError message whichever engine runs it', (t) => {
  const bad: [string, (r: Relation, o: Relation) => unknown][] = [
    ['semi join without keys', (r, o) => r.semiJoin(o)],
    ['anti join without keys', (r, o) => r.antiJoin(o)],
    ['semi join, unknown left key', (r, o) => r.semiJoin(o, { keys: [['zz', 'x']] })],
    ['anti join, unknown right key', (r, o) => r.antiJoin(o, { keys: [['a', 'zz']] })],
    ['semi join, bad key pair', (r, o) => r.semiJoin(o, { keys: [['a']] as never })],
    ['join, unknown key', (r, o) => r.join(o, { keys: [['a', 'zz']] })],
    ['join options not an object', (r, o) => r.join(o, 5 as never)],
    ['aggregate, unknown function', (r) => r.aggregate(['a'], [{ fn: 'median' as never, column: 'b', as: 'm' }])],
    ['orderBy, bad direction', (r) => r.orderBy([{ column: 'a', direction: 'up' as never }])],
    ['orderBy, no keys', (r) => r.orderBy([])],
    ['filter, unknown column', (r) => r.filter(gt(col('zz'), 1))],
    ['not of a number literal', (r) => r.filter(not(lit(5)))],
    ['and of arithmetic', (r) => r.filter(and(col('a'), add(col('a'), 1)))],
    ['concat, other columns', (r, o) => r.concat(o)],
    ['limit, negative', (r) => r.limit(-1)],
  ];
  for (const [what, query] of bad) {
    const messages = ENGINE_KINDS.map((kind) => {
      const e = createEngine(kind);
      const err = t.throws(() => query(e.from(['a', 'b'], [[1, 2]]), e.from(['x', 'y'], [[1, 2]])), { instanceOf: PlanError }, `${kind}: ${what}`);
      return err?.message;
    });
    t.is(messages[0], messages[1], what);
  }
});

test('a bad value under limit(0): the materialized engine raises an ExecutionError as the query is built, the streaming engine reads nothing and returns no rows', (t) => {
  const query = (kind: 'materialized' | 'streaming') => createEngine(kind).from(['a'], [[1], ['x']]).extend('b', add(col('a'), 1)).limit(0).toArray();
  t.throws(() => query('materialized'), { instanceOf: ExecutionError, message: /'add' got string "x"/ });
  t.deepEqual(query('streaming'), []);
  t.false(new ExecutionError('x') instanceof PlanError, 'an error found while reading rows is not a plan error');
});
