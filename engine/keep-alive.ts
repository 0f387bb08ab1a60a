import { encodeColumns } from './columns.js';
import { ExecutionContext } from './context.js';
import type { EngineOptions } from './options.js';
import { BufferedIterator } from './iterators/buffered-iterator.js';
import { CountingIterator } from './iterators/counting-iterator.js';
import { MaterializeIterator } from './iterators/materialize-iterator.js';
import { MaterializedRelation } from './materialized/materialized-relation.js';
import type { SampleSources } from './operators/operator.js';
import { OPERATORS } from './operators/registry.js';
import type { Relation, TupleIterator } from './relation.js';
import { StreamingRelation } from './streaming/streaming-relation.js';
import type { Tuple } from './types.js';

/**
 * Why this exists: V8 embeds the hidden classes (maps) of the objects an optimized function saw.
 * Those maps are held weakly, so after a full GC in which no instance of an operator class was
 * alive, the maps die and every optimized `next()` that depended on them is thrown away. The next
 * query then starts in the interpreter and re-optimizes mid-run: measured here as a 3-4x slower
 * 100K-row streaming pipeline right after a full GC (it also skews any benchmark that forces GC
 * between samples). Holding one open pipeline of every operator class for the life of the
 * process keeps those maps, and so the optimized code, alive. It costs a few kilobytes.
 *
 * The pipelines are the samples of every operator in the registry (`operators/registry.ts`), so
 * a new operator is pinned by registering it. They are built by the first `createEngine()`, not
 * when the module is imported. They read as little as will make every class: each row they read
 * runs the engine's hot loops before any query does (see `pinByReading` in `operators/operator.ts`).
 */
const ROWS: Tuple[] = [[1, 2], [3, 4], [5, 6]];

/** The option sets the samples run under: each runs every class its engine has for them. */
// Between them every class of the streaming engine is made: composition on and off, symmetric join
// and hash join, one-pass and collect-then-reduce aggregation.
const STREAMING_OPTIONS: EngineOptions[] = [
  { enableIteratorComposition: true, enableSymmetricHashJoin: true, enableStreamingAggregation: true },
  { enableIteratorComposition: false, enableSymmetricHashJoin: false, enableStreamingAggregation: false },
];
// The materialized engine runs its operators when they are planned, so its samples run in full:
// one option set, as few calls as will make every class.
const MATERIALIZED_OPTIONS: EngineOptions[] = [{}];

function sources(impl: typeof StreamingRelation | typeof MaterializedRelation, ctx: ExecutionContext): SampleSources {
  const cols = encodeColumns(['a', 'b'], ROWS);
  return {
    options: ctx.options,
    left: () => impl.from(['a', 'b'], ROWS, ctx),
    right: () => impl.from(['a', 'c'], ROWS, ctx),
    other: () => impl.from(['z'], ROWS.map((r) => [r[0]!]), ctx),
    columns: () => impl.fromColumns(['a', 'b'], cols, ctx),
  };
}

/** Every registered operator's samples on both engines under every option set, each opened and read one row. */
function pin(): unknown[] {
  const held: unknown[] = [];
  const run = (impl: typeof StreamingRelation | typeof MaterializedRelation, options: EngineOptions) => {
    const ctx = new ExecutionContext(options);
    const s = sources(impl, ctx);
    for (const op of OPERATORS) {
      // Opened, and read one row only where the operator builds state on it (see `pinByReading`).
      for (const r of op.samples(s) as Relation[]) held.push(r, op.pinByReading ? open1(r.open()) : r.open());
    }
    // What is not an operator: a caller's iterator as a source, a peek, a replayed cache, buffers.
    const it = impl.fromIterator(['a', 'b'], () => new CountingIterator(s.left().open()), ctx);
    it.isEmpty();
    const cached = it.materialize();
    held.push(open1(cached.open()), open1(cached.open()));
    held.push(open1(BufferedIterator.over(s.left().open(), ctx).clone()));
    held.push(open1(new MaterializeIterator(s.left().open(), ctx, 'keep-alive')));
  };
  for (const o of STREAMING_OPTIONS) run(StreamingRelation, o);
  for (const o of MATERIALIZED_OPTIONS) run(MaterializedRelation, o);
  return held;
}

function open1(it: TupleIterator): TupleIterator {
  it.next();
  return it;
}

let pinned: readonly unknown[] | null = null;

/** Build the pinned pipelines (once per process) and return them; live for the whole process, on purpose. */
export function pinOperators(): readonly unknown[] {
  return (pinned ??= pin());
}
