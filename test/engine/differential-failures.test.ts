import test from 'ava';
import fc from 'fast-check';
import {
  add, col, createEngine, ExecutionError, gt, RelationConsumedError,
  type Engine, type Relation, type Tuple,
} from '../../engine/index.js';
import { allEngines, bag } from '../helpers.js';

/**
 * Differential property tests of the failure paths: a source that may hold one bad value (a
 * string where `a + 1` needs a number, so an `ExecutionError` is raised when that row is
 * reached), probed by `size()` / `isEmpty()`, then read directly, under a `limit`, or as either
 * input of a cross product. Engines may differ in *when* they raise (the materialized engine
 * computes everything as the query is built; the streaming engine only what a pass reads), so
 * the property is: under every engine and option combination, each step either returns exactly
 * the right answer, or throws an `ExecutionError` (or a `RelationConsumedError` whose cause is
 * one) that the data justifies; a read after a failed probe always throws; and with no bad value
 * every configuration returns the right rows.
 */

interface FailCase {
  /** Source values (non-negative ints); the one at `poison` (if in range) is replaced by 'x'. */
  values: number[];
  poison: number;
  arraySource: boolean;
  materializeFirst: boolean;
  probe: 'none' | 'size' | 'isEmpty' | 'both';
  use: 'read' | 'limit' | 'crossRight' | 'crossLeft';
  k: number;
  leftRows: number;
  threshold: number;
}

const caseArb: fc.Arbitrary<FailCase> = fc.record({
  values: fc.array(fc.nat(20), { maxLength: 12 }),
  poison: fc.nat(14),
  arraySource: fc.boolean(),
  materializeFirst: fc.boolean(),
  probe: fc.constantFrom('none', 'size', 'isEmpty', 'both'),
  use: fc.constantFrom('read', 'limit', 'crossRight', 'crossLeft'),
  k: fc.nat(6),
  leftRows: fc.nat(3),
  threshold: fc.nat(20),
});

type Step<T> = { ok: true; value: T } | { ok: false; error: unknown };

function attempt<T>(f: () => T): Step<T> {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** An error the bad value justifies: the ExecutionError itself, or a refusal caused by it. */
function isJustified(e: unknown): boolean {
  if (e instanceof ExecutionError) return /'add' got string "x"/.test(e.message);
  return e instanceof RelationConsumedError && isJustified(e.cause);
}

/** What the query returns when nothing fails: the filtered, extended rows (in source order). */
function expected(c: FailCase, rows: readonly Tuple[]): { all: Tuple[]; poisonAt: number } {
  const all: Tuple[] = [];
  let poisonAt = -1;
  for (const [a] of rows) {
    if (typeof a !== 'number') {
      // The filter reads `a > threshold` first: a string is ordered after every number, so it passes and reaches the add.
      if (poisonAt < 0) poisonAt = all.length;
      continue;
    }
    if (a > c.threshold) all.push([a, a + 1]);
  }
  return { all, poisonAt };
}

/**
 * Run one case on one engine; returns a description of a violation, or null. Every relation is
 * released at the end and the memory tracker must be back at zero.
 */
export function violation(engine: Engine, c: FailCase): string | null {
  const rows: Tuple[] = c.values.map((v, i) => (i === c.poison ? ['x'] : [v]));
  const { all, poisonAt } = expected(c, rows);
  const hasPoison = poisonAt >= 0;
  const made: Relation[] = [];
  const keep = <R extends Relation>(r: R): R => (made.push(r), r);
  const build = (): Relation => {
    let i = 0;
    // Every intermediate is kept, to be released at the end: a materialized input whose consumer failed still holds its result.
    const src = keep(c.arraySource ? engine.from(['a'], rows) : engine.fromIterator(['a'], () => ({ next: () => rows[i++], close: () => {} })));
    let rel = keep(keep(src.filter(gt(col('a'), c.threshold))).extend('b', add(col('a'), 1)));
    if (c.materializeFirst) rel = keep(rel.materialize());
    return rel;
  };
  const check = (what: string, step: Step<unknown>, ok: (v: unknown) => string | null): string | null => {
    if (!step.ok) return isJustified(step.error) && hasPoison ? null : `${what} threw ${String(step.error)}${hasPoison ? '' : ' with no bad value in the data'}`;
    return ok(step.value);
  };
  try {
    const built = attempt(build);
    if (!built.ok) return check('building the query', built, () => null);
    const rel = built.value;
    // Probe.
    let probeFailed = false;
    for (const p of c.probe === 'both' ? ['size', 'isEmpty'] as const : c.probe === 'none' ? [] : [c.probe]) {
      const step = attempt(() => (p === 'size' ? rel.size() : rel.isEmpty()));
      if (!step.ok) probeFailed = true;
      const v = check(`${p}()`, step, (value) => {
        if (p === 'size' && value !== -1 && value !== all.length && !hasPoison) return `size() = ${String(value)}, expected ${all.length} or -1`;
        if (p === 'isEmpty' && !hasPoison && value !== (all.length === 0)) return `isEmpty() = ${String(value)} for ${all.length} rows`;
        return null;
      });
      if (v !== null) return v;
      if (probeFailed) break;
    }
    // Use.
    let want: Tuple[];
    let use: Step<Tuple[]>;
    const afterProbe = (u: Step<Tuple[]>): string | null => (probeFailed && u.ok ? `a read after a failed probe returned ${u.value.length} rows instead of throwing` : null);
    if (c.use === 'read' || c.use === 'limit') {
      want = c.use === 'limit' ? all.slice(0, c.k) : all;
      use = attempt(() => (c.use === 'limit' ? keep(rel.limit(c.k)) : rel).toArray());
      if (afterProbe(use) !== null) return afterProbe(use);
      // Under a limit, a pass that stops before the bad row legitimately returns rows.
      if (use.ok && hasPoison && (c.use === 'read' || poisonAt < c.k)) return `${c.use === 'read' ? 'read' : `limit(${c.k})`} returned ${use.value.length} rows though a bad value comes after ${poisonAt} kept rows`;
    } else {
      const left = keep(engine.from(['l'], Array.from({ length: c.leftRows }, (_, j) => [j])));
      want = [];
      for (const r of all) for (let j = 0; j < c.leftRows; j++) want.push(c.use === 'crossRight' ? [j, ...r] : [...r, j]);
      use = attempt(() => keep(c.use === 'crossRight' ? left.join(rel) : rel.join(left)).toArray());
      if (afterProbe(use) !== null) return afterProbe(use);
      // A cross product with an empty other side need not read this one at all.
      if (use.ok && hasPoison && c.leftRows > 0) return `cross product returned ${use.value.length} rows past a bad value`;
    }
    return check(`reading (${c.use})`, use, (value) => {
      const got = value as Tuple[];
      if (JSON.stringify(bag(got)) !== JSON.stringify(bag(want))) return `got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
      return null;
    });
  } finally {
    for (const r of made) r.release();
    if (engine.context.memory.reserved !== 0) {
      // eslint-disable-next-line no-unsafe-finally
      return `left ${engine.context.memory.reserved} bytes reserved`;
    }
  }
}

const RUNS = 300;

test('failure paths: probes that throw, probed relations read, limited and cross-joined, never return a short or wrong result', (t) => {
  const engines = allEngines();
  let poisoned = 0, probeThrew = 0;
  const out = fc.check(
    fc.property(caseArb, (c) => {
      for (const { label, make } of engines) {
        const v = violation(make(), c);
        if (v !== null) throw new Error(`${label}: ${v}`);
      }
      if (c.poison < c.values.length) poisoned++;
      if (c.poison < c.values.length && c.probe !== 'none' && !c.arraySource) probeThrew++;
    }),
    { numRuns: RUNS },
  );
  // fc.assert's message leaves out what the property threw; say it, with the seed and counterexample.
  if (out.failed) return t.fail(`${fc.defaultReportMessage(out) ?? ''}\n${out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance)}`);
  t.true(poisoned > RUNS / 4, `only ${poisoned} of ${RUNS} cases held a bad value`);
  // About 15% of cases probe a poisoned iterator source (37-52 of 300 in six runs): RUNS / 10 failed
  // once in CI at 28 (2.6 standard deviations low); RUNS / 20 is about 5 standard deviations below the mean.
  t.true(probeThrew > RUNS / 20, `only ${probeThrew} of ${RUNS} cases probed an iterator source holding a bad value`);
  t.log(`${RUNS} cases x ${engines.length} engine configurations; ${poisoned} held a bad value, ${probeThrew} probed one`);
});

test('the failure property can fail: a relation that returns a prefix after a failed probe is caught', (t) => {
  // The defect this property was written for: a streaming relation whose size() read failed part-way used to return the rows read before the failure.
  const e = createEngine('streaming', { enableTrueStreaming: false, enablePipelineFusion: false });
  const c: FailCase = { values: [21, 22, 0, 23], poison: 2, arraySource: false, materializeFirst: false, probe: 'size', use: 'read', k: 0, leftRows: 0, threshold: 20 };
  t.is(violation(e, c), null, 'the fixed engine passes');
  const lying: Engine = {
    ...e,
    fromIterator: (schema, open) => {
      const r = e.fromIterator(schema, open);
      const real = r.filter.bind(r);
      // A relation whose reads after a failure return the rows seen so far.
      return Object.assign(Object.create(r) as Relation, {
        filter: (p: never) => {
          const f = real(p);
          const ext = f.extend.bind(f);
          return Object.assign(Object.create(f) as Relation, {
            extend: (n: string, x: never) => {
              const q = ext(n, x);
              return Object.assign(Object.create(q) as Relation, { size: () => q.size(), toArray: () => [[21, 22]] });
            },
          });
        },
      });
    },
  };
  t.regex(violation(lying, c) ?? '', /a read after a failed probe returned 1 rows instead of throwing/);
});
