import type { ExecutionContext } from '../context.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { HashTable } from './hash-table.js';

/**
 * Hash join: on the first `next()`, reads the build side into a {@link HashTable}; then streams
 * the probe side through it, emitting one output tuple per match. Output columns are always
 * left-then-right, whichever side was built. The table is freed as soon as the probe side ends.
 */
export class HashJoinIterator implements TupleIterator {
  private table: HashTable | null = null;
  private probeRow: Tuple = [];
  private j = -1;
  private closed = false;

  constructor(
    private readonly build: TupleIterator,
    private readonly probe: TupleIterator,
    private readonly buildKeys: readonly number[],
    private readonly probeKeys: readonly number[],
    /** True when the build side is the join's left input. */
    private readonly buildIsLeft: boolean,
    private readonly combine: (l: Tuple, r: Tuple) => Tuple,
    private readonly ctx: ExecutionContext,
    /** The build side's known size, else -1 (the table sizes itself from it). */
    private readonly buildSize: number,
    private readonly operator: string,
  ) {}

  next(): Tuple | undefined {
    let table = this.table;
    if (table === null) {
      if (this.closed) return undefined;
      table = this.table = this.buildTable();
    }
    for (;;) {
      const j = this.j;
      if (j >= 0) {
        this.j = table.chain[j]!;
        const b = table.rows[j]!;
        return this.buildIsLeft ? this.combine(b, this.probeRow) : this.combine(this.probeRow, b);
      }
      const p = this.probe.next();
      if (p === undefined) {
        this.close();
        return undefined;
      }
      this.j = table.head(p, this.probeKeys);
      this.probeRow = p;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.table?.free();
    this.j = -1;
    try {
      this.build.close();
    } finally {
      this.probe.close();
    }
  }

  /**
   * A hash join of `left` and `right` built on the side `buildLeft` names: the one place that
   * swaps inputs and keys for the build side (output columns stay left-then-right).
   * `buildSize` is that side's known size (-1 when unknown: `hashTableInitialSize` is used).
   */
  static oriented(left: TupleIterator, right: TupleIterator, plan: { leftKeys: readonly number[]; rightKeys: readonly number[]; combine: (l: Tuple, r: Tuple) => Tuple }, buildLeft: boolean, buildSize: number, ctx: ExecutionContext, operator: string): HashJoinIterator {
    return new HashJoinIterator(
      buildLeft ? left : right, buildLeft ? right : left,
      buildLeft ? plan.leftKeys : plan.rightKeys, buildLeft ? plan.rightKeys : plan.leftKeys,
      buildLeft, plan.combine, ctx, buildSize, operator,
    );
  }

  private buildTable(): HashTable {
    const table = new HashTable(this.buildKeys, this.ctx, this.operator, this.buildSize);
    this.table = table;
    fillTable(table, this.build);
    return table;
  }
}

/** Read `build` to its end into `table`, then close it (on a failure the caller frees and closes). */
export function fillTable(table: HashTable, build: TupleIterator): void {
  for (let t = build.next(); t !== undefined; t = build.next()) table.insert(t);
  build.close();
}
