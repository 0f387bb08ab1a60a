import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import { ExecutionError } from '../errors.js';
import type { TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';

/**
 * Wraps a user-supplied iterator (`fromIterator`): counts rows into `metrics.sourceRows`, polls
 * the abort signal every 1024 rows, checks that every row is an array of the schema's width (a
 * wrong row is an `ExecutionError`, as on the materialized engine), and guarantees that the
 * user's `close()` runs exactly once.
 */
export class SourceIterator implements TupleIterator {
  private count = 0;
  private closed = false;
  private readonly width: number;

  constructor(
    private readonly source: TupleIterator,
    private readonly ctx: ExecutionContext,
    private readonly schema: Schema,
  ) {
    this.width = schema.length;
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    if ((this.count & ABORT_CHECK_MASK) === 0) this.ctx.checkAborted();
    const t = this.source.next();
    if (t === undefined) return t;
    if (!Array.isArray(t) || t.length !== this.width) throw badSourceRow(t, this.count, this.schema);
    this.count++;
    return t;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.metrics.sourceRows += this.count;
    this.source.close();
  }
}

/** The error for a `fromIterator` row that is not an array of the schema's width (both engines). */
export function badSourceRow(t: unknown, index: number, schema: Schema): ExecutionError {
  const got = Array.isArray(t) ? `${t.length} values` : t === null ? 'null' : typeof t;
  return new ExecutionError(`fromIterator: row ${index} must be an array of ${schema.length} values (${schema.join(', ')}), got ${got}`);
}
