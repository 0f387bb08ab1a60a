/**
 * The value and tuple model shared by both engines.
 *
 * A {@link Value} is a JavaScript primitive; timestamps are numbers (milliseconds since the
 * epoch) so that they compare and hash like any other number. A {@link Tuple} is a plain array
 * read by column index: the engines never allocate a record object per row.
 */
export type Value = number | string | boolean | null;

/** One row. Read-only by contract: operators share tuples between results instead of copying. */
export type Tuple = readonly Value[];

/** Column names, in tuple order. Names are unique within a schema. */
export type Schema = readonly string[];

/** Which execution strategy a relation belongs to. */
export type EngineKind = 'materialized' | 'streaming';

/** The two engine kinds, in a stable order (used for option grids and tests). */
export const ENGINE_KINDS: readonly EngineKind[] = ['materialized', 'streaming'];
