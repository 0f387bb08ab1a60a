import { cellsDecoder, rowDecoder, type ColumnarTable } from '../columns.js';
import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple, Value } from '../types.js';

/**
 * A filter pushed into a columnar scan (the streaming engine's `fromColumns(…).filter(expr)`):
 * for each row it decodes only the columns the predicate reads into one reused tuple, tests it,
 * and decodes the row's own fresh tuple only when it passes, as a database scan evaluates a
 * pushed-down predicate before it materializes a row. A scan that keeps 1% of its rows thus
 * builds 1% of the tuples the plain scan-then-filter builds. Counts the rows it scanned into
 * `metrics.sourceRows` (once, on close) and polls the abort signal every 1024 rows, as the plain
 * column source does.
 */
export class ScanFilterIterator implements TupleIterator {
  private pos = 0;
  private closed = false;
  private readonly at: (i: number) => Tuple;
  private readonly fill: (i: number, out: Value[]) => void;
  /** The predicate's view of the current row: only the columns it reads are filled in. */
  private readonly scratch: Value[];
  private readonly length: number;

  constructor(
    table: ColumnarTable,
    predicateColumns: readonly number[],
    private readonly predicate: (t: Tuple) => boolean,
    private readonly ctx: ExecutionContext,
  ) {
    this.at = rowDecoder(table);
    this.fill = cellsDecoder(table, predicateColumns);
    this.scratch = new Array<Value>(table.columns.length).fill(null);
    this.length = table.length;
  }

  next(): Tuple | undefined {
    const n = this.length, s = this.scratch, fill = this.fill, p = this.predicate;
    for (let i = this.pos; i < n; i++) {
      if ((i & ABORT_CHECK_MASK) === 0) this.ctx.checkAborted();
      fill(i, s);
      if (p(s)) {
        this.pos = i + 1;
        return this.at(i);
      }
    }
    this.pos = n;
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.metrics.sourceRows += this.pos;
    this.pos = this.length;
  }
}
