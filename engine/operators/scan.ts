import { ABORT_CHECK_MASK, type ExecutionContext } from '../context.js';
import { ExecutionError, PlanError } from '../errors.js';
import { col, gt, lit } from '../expr/expr.js';
import type { TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import type { SampleSources } from './operator.js';

/**
 * The scan: the three sources every engine offers (`from` over the caller's rows, `fromColumns`
 * over a columnar table, `fromIterator` over the caller's iterator), with their checks and
 * iterators. Every source counts the rows it hands out into `metrics.sourceRows` and polls the
 * abort signal every 1024 rows. (On the streaming engine, filters and projections over a fresh
 * columnar source are pushed into the scan: see `ColumnScanRelation`.)
 */

/** Check that `schema` is an array of unique, non-empty column names. */
export function checkSchema(schema: unknown, where: string): Schema {
  if (!Array.isArray(schema)) throw new PlanError(`${where}: schema must be an array of column names`);
  const seen = new Set<string>();
  for (const c of schema) {
    if (typeof c !== 'string' || c === '') throw new PlanError(`${where}: column names must be non-empty strings, got ${JSON.stringify(c)}`);
    if (seen.has(c)) throw new PlanError(`${where}: duplicate column '${c}' in schema ${schema.join(', ')}`);
    seen.add(c);
  }
  return Object.freeze(schema.slice()) as Schema;
}

/**
 * Check that every row is an array of the schema's width. An array checked once for a width is
 * remembered in the runtime (`checked`), so a query built again over the same rows does not
 * check them again; the rows must not be mutated (see `Engine.from`).
 */
export function checkRows(schema: Schema, rows: unknown, where: string, checked: WeakMap<readonly unknown[], number>): readonly Tuple[] {
  if (!Array.isArray(rows)) throw new PlanError(`${where}: rows must be an array of tuples`);
  if (checked.get(rows) === schema.length) return rows as readonly Tuple[];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Array.isArray(r) || r.length !== schema.length) {
      throw new PlanError(`${where}: row ${i} must be an array of ${schema.length} values (${schema.join(', ')}), got ${Array.isArray(r) ? `${r.length} values` : typeof r}`);
    }
  }
  checked.set(rows, schema.length);
  return rows as readonly Tuple[];
}

/**
 * A source over an array of tuples. It counts the rows it hands out into the context's
 * `sourceRows` metric (once, on close) and polls the abort signal every 1024 rows. After
 * `close()` it returns nothing.
 */
export class ArrayIterator implements TupleIterator {
  private pos = 0;
  private closed = false;

  constructor(
    private readonly rows: readonly Tuple[],
    private readonly ctx: ExecutionContext,
    /** Count the rows into `metrics.sourceRows` (false for engine-owned intermediate results). */
    private readonly countAsSource = true,
    /** Called once, on the first `close()`. */
    private readonly onClose?: () => void,
  ) {}

  next(): Tuple | undefined {
    const p = this.pos;
    if (p >= this.rows.length) return undefined;
    if ((p & ABORT_CHECK_MASK) === 0) this.ctx.checkAborted();
    this.pos = p + 1;
    return this.rows[p];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.countAsSource) this.ctx.metrics.sourceRows += this.pos;
    // Closed means exhausted: a next() after close() returns nothing.
    this.pos = this.rows.length;
    this.onClose?.();
  }
}

/**
 * A source over a columnar table: decodes row `i` into a fresh tuple as it is pulled. Counts the
 * rows it hands out into `metrics.sourceRows` (once, on close) and polls the abort signal every
 * 1024 rows, as an array source does.
 */
export class ColumnIterator implements TupleIterator {
  private pos = 0;
  private closed = false;

  constructor(
    private readonly at: (i: number) => Tuple,
    private readonly length: number,
    private readonly ctx: ExecutionContext,
  ) {}

  next(): Tuple | undefined {
    const p = this.pos;
    if (p >= this.length) return undefined;
    if ((p & ABORT_CHECK_MASK) === 0) this.ctx.checkAborted();
    this.pos = p + 1;
    return this.at(p);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.metrics.sourceRows += this.pos;
    this.pos = this.length;
  }
}

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

/** The scan's registry entry: its samples (a plain columnar scan, and one with a filter pushed into it). */
export const SCAN = {
  name: 'scan',
  samples: (s: SampleSources) => [s.left(), s.columns(), s.columns().filter(gt(col('a'), lit(0))).project(['b'])],
} as const;
