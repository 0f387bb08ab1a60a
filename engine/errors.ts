/**
 * Error classes. Every error sluice raises on purpose is a {@link SluiceError}, and its message
 * is one sentence that names the thing that was wrong.
 */

/** Base class of every error sluice raises on purpose. */
export class SluiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad query: an unknown column, a duplicate column name, mismatched arity, a bad argument. */
export class PlanError extends SluiceError {}

/**
 * A streaming relation was opened a second time without `materialize()`, or `materialize()` was
 * called after its single pass had started. Raised instead of silently returning nothing.
 */
export class RelationConsumedError extends SluiceError {}

/** A memory reservation would exceed the configured `memoryLimit`. */
export class ResourcesExhaustedError extends SluiceError {
  constructor(
    message: string,
    /** The operator whose reservation failed. */
    readonly operator: string,
    /** Bytes it asked for. */
    readonly requested: number,
    /** The limit in force. */
    readonly limit: number,
  ) {
    super(message);
  }
}

/**
 * A bad value found while reading rows: an operand of the wrong type (`'x' + 1`, `sum` over a
 * string, `not` of a number), or a source row that is not an array of the schema's width. It is
 * raised when the row is reached, so the engines differ in when, not whether: the materialized
 * engine computes every operator over its whole input as the query is built, and raises it then
 * (even under a `limit(0)` that would read none of it); the streaming engine raises it only if a
 * pass reads the row. A {@link PlanError}, by contrast, is raised while building the query, the
 * same on both engines, before any row is read (DataFusion separates Plan and Execution errors
 * the same way).
 */
export class ExecutionError extends SluiceError {}

/** A bad option, CLI argument or scenario parameter. */
export class ConfigError extends SluiceError {}

/** A row rejected during ingest, with where it was and what was expected. */
export class IngestError extends SluiceError {}

/**
 * A store's files cannot be used: the disk is full or not writable, a catalog or manifest on disk
 * is corrupt or was edited into something sluice would never write (a name or path that leaves
 * its folder), or another process holds a lock for too long. Nothing was changed.
 */
export class StorageError extends SluiceError {}

/** The query's abort signal fired. */
export class QueryAbortedError extends SluiceError {}

/** A broken internal invariant: a bug in sluice, never the user's fault. */
export class InternalError extends SluiceError {}

/**
 * A short, safe rendering of a bad value for an error message: its kind and, for scalars, the
 * value (`the integer 7`, `the number 1.5`, `the string "yes"`, `the boolean true`, `null`,
 * `an array`, `an object`). Long strings are cut at 40 characters.
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}
