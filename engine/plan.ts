import { PlanError } from './errors.js';
import { columnIndex, compileExpr, compilePredicate } from './expr/compile.js';
import { isExpr, type Expr } from './expr/expr.js';
import type { Relation, RowFunction, RowPredicate } from './relation.js';
import type { Schema, Tuple, Value } from './types.js';

/**
 * Plan-time checks and compilation shared by both engines, so that a bad query fails the same
 * way, with the same message, whichever engine runs it, and before any row is read.
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

/** Compile a filter predicate (expression or function). */
export function planFilter(schema: Schema, predicate: Expr | RowPredicate): (t: Tuple) => boolean {
  if (typeof predicate === 'function') return (t) => !!predicate(t);
  if (isExpr(predicate)) return compilePredicate(predicate, schema);
  throw new PlanError(`filter takes an expression or a function, got ${typeof predicate}`);
}

/** Resolve projection columns to indices. */
export function planProject(schema: Schema, columns: readonly string[]): number[] {
  if (!Array.isArray(columns)) throw new PlanError('project takes an array of column names');
  const seen = new Set<string>();
  return columns.map((c) => {
    if (seen.has(c)) throw new PlanError(`project lists column '${c}' twice`);
    seen.add(c);
    return columnIndex(schema, c, 'project');
  });
}

/** Check the new column name and compile its value. */
export function planExtend(schema: Schema, column: string, value: Expr | RowFunction): { schema: Schema; value: (t: Tuple) => Value } {
  const out = planExtendSchema(schema, column);
  let fn: (t: Tuple) => Value;
  if (typeof value === 'function') fn = value;
  else if (isExpr(value)) fn = compileExpr(value, schema);
  else throw new PlanError(`extend '${column}' takes an expression or a function, got ${typeof value}`);
  return { schema: out, value: fn };
}

/** Check the name of a new column; returns the schema with it appended. */
export function planExtendSchema(schema: Schema, column: string): Schema {
  if (typeof column !== 'string' || column === '') throw new PlanError('extend needs a non-empty column name');
  if (schema.includes(column)) throw new PlanError(`extend: column '${column}' already exists; available columns: ${schema.join(', ')}`);
  return Object.freeze([...schema, column]);
}

/** Check that `other` can be concatenated to a relation of `schema`. */
export function planConcat(schema: Schema, other: Relation): void {
  if (other === null || typeof other !== 'object' || typeof other.open !== 'function') {
    throw new PlanError('concat takes a relation');
  }
  const o = other.schema;
  if (o.length !== schema.length || o.some((c, i) => c !== schema[i])) {
    throw new PlanError(`concat needs the same columns on both sides: (${schema.join(', ')}) vs (${o.join(', ')})`);
  }
}

/** Check a limit count. */
export function planLimit(n: number): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new PlanError(`limit takes a non-negative integer, got ${String(n)}`);
  }
  return n;
}

/** Hand every tuple of an iterator to `sink`, always closing it; returns the count. */
export function pushAll(it: { next(): Tuple | undefined; close(): void }, sink: (t: Tuple) => void): number {
  let n = 0;
  try {
    for (let t = it.next(); t !== undefined; t = it.next()) {
      sink(t);
      n++;
    }
  } finally {
    it.close();
  }
  return n;
}

/** Drain an iterator into an array, always closing it. */
export function drain(it: { next(): Tuple | undefined; close(): void }): Tuple[] {
  const out: Tuple[] = [];
  try {
    for (let t = it.next(); t !== undefined; t = it.next()) out.push(t);
  } finally {
    it.close();
  }
  return out;
}

/** Adapt a TupleIterator to the JS iterator protocol (a convenience, off the hot path). */
export function* iterate(it: { next(): Tuple | undefined; close(): void }): Generator<Tuple, void, undefined> {
  try {
    for (let t = it.next(); t !== undefined; t = it.next()) yield t;
  } finally {
    it.close();
  }
}
