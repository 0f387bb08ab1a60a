/**
 * Where a query scenario's rows come from: its `source` parameter.
 *
 * - `array`: the generator's rows, an array of tuples that both engines share. The input is
 *   already materialized before either engine starts, so the materializing engine's scan costs
 *   nothing: it wraps the array.
 * - `scan`: the rows encoded once, before any timing, into compact columns (typed arrays; strings
 *   as dictionary codes; `encodeColumns` in the engine), read through `engine.fromColumns`: the
 *   streaming engine decodes a fresh tuple per row as a query pulls it (a fused run reads the
 *   columns it uses and builds only its output tuples); the materialized engine decodes the whole
 *   scan into an array first, as a materializing engine does. This is the cost the published
 *   work is about.
 *   In memory, so that I/O does not dominate; the tuples decoded are the same values as the
 *   array's (the case's checksums agree across sources).
 *
 * The limit loop reads a table through the same `at(i)` on both sources: over `scan` it is a
 * hand-written loop over the same decoder.
 */
import type { Dataset } from './types.js';
import { columnarBytes, encodeColumns, rowDecoder, type Engine, type Relation, type Schema, type Tuple } from '../engine/index.js';

export const SOURCES = ['array', 'scan'] as const;
export type SourceKind = (typeof SOURCES)[number];

/** One input table of a case, as its query and its limit loop read it. */
export interface Table {
  readonly schema: Schema;
  /** Rows in the table. */
  readonly length: number;
  readonly source: SourceKind;
  /** Row `i` (0 ≤ i < length): the array's own tuple, or one decoded afresh from the columns. */
  readonly at: (i: number) => Tuple;
  /** The table as a relation of `engine` (over the array, or pulling from the decoder). */
  relation(engine: Engine): Relation;
  /** Bytes the table's encoded columns take (scan), or undefined (array: V8 objects, not counted). */
  readonly encodedBytes?: number;
}

/** A table over the generator's own array of rows. */
export function arrayTable(schema: Schema, rows: readonly Tuple[]): Table {
  return {
    schema,
    length: rows.length,
    source: 'array',
    at: (i) => rows[i]!,
    relation: (engine) => engine.from(schema, rows),
  };
}

/**
 * The rows encoded into columns (`encodeColumns`, see the module comment), pushed one at a time:
 * `rows` may be a generator, so that a table larger than the heap never exists as tuples; it is
 * not kept. Queries read it through `engine.fromColumns`.
 * @throws ConfigError when a row's width is not the schema's.
 */
export function columnTable(schema: Schema, rows: Iterable<Tuple>): Table {
  const table = encodeColumns(schema, rows);
  return {
    schema,
    length: table.length,
    source: 'scan',
    at: rowDecoder(table),
    relation: (engine) => engine.fromColumns(schema, table),
    encodedBytes: columnarBytes(table),
  };
}

/** Every table of a generated dataset, as `source` reads it (a generated table's rows are made here). */
export function prepareTables(data: Dataset, source: SourceKind): Readonly<Record<string, Table>> {
  const out: Record<string, Table> = {};
  for (const [name, t] of Object.entries(data)) {
    const rows = 'rows' in t ? t.rows : t.generate();
    out[name] = source === 'scan' ? columnTable(t.schema, rows) : arrayTable(t.schema, Array.isArray(rows) ? rows : [...rows]);
  }
  return out;
}

/** The `source` parameter every query scenario takes (omitted from case ids at its default). */
export const SOURCE_PARAM = {
  default: 'array',
  values: SOURCES,
  doc: "where rows come from: 'array' (a shared in-memory array) or 'scan' (decoded one row at a time from compact columns)",
  omitAtDefault: true,
} as const;
