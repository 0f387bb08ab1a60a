import type { AggregateSpec } from './aggregate/aggregate-plan.js';
import { encodeColumns } from './columns.js';
import { ExecutionContext } from './context.js';
import { col, gt, mul } from './expr/expr.js';
import { BufferedIterator } from './iterators/buffered-iterator.js';
import { CountingIterator } from './iterators/counting-iterator.js';
import { MaterializeIterator } from './iterators/materialize-iterator.js';
import { MaterializedRelation } from './materialized/materialized-relation.js';
import type { TupleIterator } from './relation.js';
import { StreamingRelation } from './streaming/streaming-relation.js';
import type { Tuple } from './types.js';

/**
 * Why this exists: V8 embeds the hidden classes (maps) of the objects an optimized function saw.
 * Those maps are held weakly, so after a full GC in which no instance of an operator class was
 * alive, the maps die and every optimized `next()` that depended on them is thrown away. The next
 * query then starts in the interpreter and re-optimizes mid-run: measured here as a 3-4x slower
 * 100K-row streaming pipeline right after a full GC (it also skews any benchmark that forces GC
 * between samples). Holding one open pipeline of every operator class for the life of the
 * process keeps those maps, and so the optimized code, alive. It costs a few hundred bytes.
 */
const ROWS: Tuple[] = [[1, 2], [3, 4], [5, 6]];
const AGGS: AggregateSpec[] = [
  { fn: 'count', as: 'n' }, { fn: 'sum', column: 'a', as: 's' }, { fn: 'min', column: 'a', as: 'lo' }, { fn: 'max', column: 'a', as: 'hi' },
  { fn: 'first', column: 'a', orderBy: 'a', as: 'f' }, { fn: 'last', column: 'a', orderBy: 'a', as: 'l' }, { fn: 'avg', column: 'a', as: 'av' },
  { fn: 'countDistinct', column: 'a', as: 'cd' }, { fn: 'count', column: 'a', as: 'c' },
];

function pin(): unknown[] {
  const held: unknown[] = [];
  for (const composition of [true, false]) {
    const ctx = new ExecutionContext({ enableIteratorComposition: composition });
    const s = StreamingRelation.fromIterator(['a', 'b'], () => new CountingIterator(other(ctx).open()), ctx)
      .filter(gt(col('a'), 0))
      .filter((t) => t[0] !== null)
      .extend('c', mul(col('a'), 2))
      .project(['a', 'b'])
      .distinct()
      .concat(other(ctx))
      .limit(10);
    s.isEmpty();
    held.push(open1(s.materialize().open()));
    // A one-pass aggregation left open after its first row keeps its groups, key tables and
    // typed fields alive (the generated fold's code depends on their maps); two key columns, so
    // that the pair table is among them.
    held.push(open1(StreamingRelation.from(['a', 'b'], ROWS, ctx).aggregate(['a', 'b'], AGGS).open()));
    for (const symmetric of [true, false]) {
      const jctx = new ExecutionContext({ enableIteratorComposition: composition, enableSymmetricHashJoin: symmetric, enableStreamingAggregation: symmetric });
      const a = () => StreamingRelation.from(['a', 'b'], ROWS, jctx);
      const b = () => StreamingRelation.from(['a', 'c'], ROWS, jctx);
      held.push(open1(a().join(b()).aggregate(['a'], AGGS).orderBy(['a']).open()));
      held.push(open1(a().join(b().materialize()).orderBy(['a']).limit(1).open()));
      held.push(open1(a().join(StreamingRelation.from(['z'], ROWS.map((r) => [r[0]!]), jctx)).semiJoin(b()).antiJoin(b()).open()));
    }
    // Columnar scans: the plain decoder and a filter pushed into the scan.
    const cols = encodeColumns(['a', 'b'], ROWS);
    held.push(open1(StreamingRelation.fromColumns(['a', 'b'], cols, ctx).open()), open1(StreamingRelation.fromColumns(['a', 'b'], cols, ctx).filter(gt(col('a'), 0)).open()));
    held.push(open1(BufferedIterator.over(other(ctx).open(), ctx).clone()));
    held.push(open1(new MaterializeIterator(other(ctx).open(), ctx, 'keep-alive')));
  }
  const mctx = new ExecutionContext({});
  const m = MaterializedRelation.from(['a', 'b'], ROWS, mctx).filter(gt(col('a'), 0)).extend('c', mul(col('a'), 2)).project(['a', 'b']).distinct();
  held.push(m.join(m).aggregate(['a'], AGGS).orderBy(['a']), m.semiJoin(m).antiJoin(m));
  held.push(m, m.concat(m).limit(2), open1(m.open()), open1(MaterializedRelation.fromIterator(['a', 'b'], () => other(mctx).open(), mctx).open()));
  return held;
}

function other(ctx: ExecutionContext) {
  return StreamingRelation.from(['a', 'b'], ROWS, ctx);
}

function open1(it: TupleIterator): TupleIterator {
  it.next();
  return it;
}

/** Live for the whole process, on purpose; see the comment above. */
export const PINNED: readonly unknown[] = pin();
