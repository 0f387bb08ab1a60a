import type { ColumnarTable } from './columns.js';
import { ExecutionContext } from './context.js';
import { ConfigError, InternalError } from './errors.js';
import { MaterializedRelation } from './materialized/materialized-relation.js';
import type { EngineOptions, ResolvedOptions } from './options.js';
import type { Relation, TupleIterator } from './relation.js';
import { StreamingRelation } from './streaming/streaming-relation.js';
import { pinOperators } from './keep-alive.js';
import { EngineRuntime } from './runtime.js';
import type { EngineKind, Schema, Tuple } from './types.js';

/** An engine instance: sources for relations, all sharing one {@link ExecutionContext}. */
export interface Engine {
  readonly kind: EngineKind;
  /** Resolved options, memory tracker and metrics for every relation of this engine. */
  readonly context: ExecutionContext;
  readonly options: ResolvedOptions;
  /** A relation over `rows` (arrays of `schema.length` values; not copied: do not mutate them). */
  from(schema: Schema, rows: readonly Tuple[]): Relation;
  /**
   * A relation over an iterator that `open` creates. The streaming engine calls `open` when the
   * relation's pass starts (once, unless materialized); the materialized engine calls it at once
   * and reads it to the end.
   */
  fromIterator(schema: Schema, open: () => TupleIterator): Relation;
  /**
   * A relation over a columnar table (`encodeColumns(schema, rows)`; not copied). The materialized
   * engine decodes every row at once; the streaming engine decodes rows as they are pulled, and a
   * fused run reads the columns it uses without building the input tuples.
   */
  fromColumns(schema: Schema, table: ColumnarTable): Relation;
}

/** Extra, per-engine settings that are not planner options. */
export interface EngineSettings {
  /** Aborts running queries: sources check it every 1024 rows and throw `QueryAbortedError`. */
  signal?: AbortSignal;
  /** Generated code and checked rows shared with other engines (default: the shared runtime, see runtime.ts). */
  runtime?: EngineRuntime;
}

/**
 * Create an engine of the given kind.
 * @throws ConfigError for an unknown kind or a bad option (naming it).
 */
export function createEngine(kind: EngineKind, options?: EngineOptions, settings: EngineSettings = {}): Engine {
  if (kind !== 'materialized' && kind !== 'streaming') {
    throw new ConfigError(`unknown engine kind ${JSON.stringify(kind)}; expected 'materialized' or 'streaming'`);
  }
  const context = new ExecutionContext(options, settings.signal, settings.runtime);
  if (pinOperators().length === 0) throw new InternalError('operator keep-alive pipelines are missing');
  const impl = kind === 'materialized' ? MaterializedRelation : StreamingRelation;
  return {
    kind,
    context,
    options: context.options,
    from: (schema, rows) => impl.from(schema, rows, context),
    fromIterator: (schema, open) => impl.fromIterator(schema, open, context),
    fromColumns: (schema, table) => impl.fromColumns(schema, table, context),
  };
}
