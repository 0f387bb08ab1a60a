/**
 * Where a query scenario's rows come from: its `source` parameter.
 *
 * - `array`: the generator's rows, an array of tuples that both engines share. The input is
 *   already materialized before either engine starts, so the materializing engine's scan costs
 *   nothing: it wraps the array.
 * - `scan`: the rows encoded once, before any timing, into compact columns (typed arrays; strings
 *   as dictionary codes), and decoded into a fresh tuple per row as a query pulls it. The
 *   streaming engine pulls through the decoder; the materialized engine reads the whole scan into
 *   an array first, as a materializing engine does. This is the cost the published work is about.
 *   In memory, so that I/O does not dominate; the tuples decoded are the same values as the
 *   array's (the case's checksums agree across sources).
 *
 * The limit loop reads a table through the same `at(i)` on both sources: over `scan` it is a
 * hand-written loop over the same decoder.
 */
import { ConfigError, type Engine, type Relation, type Schema, type Tuple, type TupleIterator, type Value } from '../engine/index.js';

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

/** How one column is stored. */
type ColumnKind = 'i32' | 'f64' | 'bool' | 'dict8' | 'dict16' | 'dict32' | 'any';

interface Column {
  readonly kind: ColumnKind;
  /** Int32Array, Float64Array, Uint8Array (bool and dict8), Uint16Array, Uint32Array, or an array (any). */
  readonly values: ArrayLike<unknown>;
  /** The dictionary of a dict column (code → string). */
  readonly dict?: readonly string[];
}

const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;

/** The narrowest representation that holds every value of column `c` exactly. */
function encodeColumn(rows: readonly Tuple[], c: number): Column {
  const n = rows.length;
  let ints = true, nums = true, strs = true, bools = true;
  for (let i = 0; i < n; i++) {
    const v = rows[i]![c];
    if (typeof v === 'number') {
      strs = bools = false;
      // -0 would decode as 0 from an Int32Array.
      if (ints && (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX || Object.is(v, -0))) ints = false;
    } else if (typeof v === 'string') {
      ints = nums = bools = false;
    } else if (typeof v === 'boolean') {
      ints = nums = strs = false;
    } else {
      ints = nums = strs = bools = false;
    }
    if (!nums && !strs && !bools) break;
  }
  if (n > 0 && ints) return { kind: 'i32', values: Int32Array.from(rows, (t) => t[c] as number) };
  if (n > 0 && nums) return { kind: 'f64', values: Float64Array.from(rows, (t) => t[c] as number) };
  if (n > 0 && bools) return { kind: 'bool', values: Uint8Array.from(rows, (t) => (t[c] ? 1 : 0)) };
  if (n > 0 && strs) {
    const codes = new Map<string, number>();
    const dict: string[] = [];
    const raw = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const s = rows[i]![c] as string;
      let code = codes.get(s);
      if (code === undefined) {
        code = dict.length;
        codes.set(s, code);
        dict.push(s);
      }
      raw[i] = code;
    }
    if (dict.length <= 256) return { kind: 'dict8', values: Uint8Array.from(raw), dict };
    if (dict.length <= 65536) return { kind: 'dict16', values: Uint16Array.from(raw), dict };
    return { kind: 'dict32', values: raw, dict };
  }
  return { kind: 'any', values: rows.map((t) => t[c] as Value) };
}

/**
 * A decoder `at(i)` for columns of these kinds, generated once per list of kinds: one array literal
 * per row, as a hand-written decoder would build it. Only column numbers and fixed expressions per
 * kind become source text, never a value from the data.
 */
type DecoderFactory = (values: readonly ArrayLike<unknown>[], dicts: readonly (readonly string[] | undefined)[]) => (i: number) => Tuple;
const DECODERS = new Map<string, DecoderFactory>();

function decoderFor(kinds: readonly ColumnKind[]): DecoderFactory {
  const key = kinds.join(',');
  let f = DECODERS.get(key);
  if (!f) {
    const binds = kinds.map((k, c) => (k.startsWith('dict') ? `const v${c} = values[${c}], d${c} = dicts[${c}];` : `const v${c} = values[${c}];`));
    const cells = kinds.map((k, c) => (k === 'bool' ? `v${c}[i] === 1` : k.startsWith('dict') ? `d${c}[v${c}[i]]` : `v${c}[i]`));
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    f = new Function('values', 'dicts', `${binds.join('\n')}\nreturn function at(i) { return [${cells.join(', ')}]; };`) as DecoderFactory;
    DECODERS.set(key, f);
  }
  return f;
}

/** Pulls rows 0 … n-1 through a decoder. */
class DecodingIterator implements TupleIterator {
  private i = 0;
  constructor(private readonly at: (i: number) => Tuple, private n: number) {}

  next(): Tuple | undefined {
    return this.i < this.n ? this.at(this.i++) : undefined;
  }

  close(): void {
    this.n = 0;
  }
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
 * The rows encoded into columns (see the module comment); `rows` is not kept.
 * @throws ConfigError when a row's width is not the schema's.
 */
export function columnTable(schema: Schema, rows: readonly Tuple[]): Table {
  rows.forEach((t, i) => {
    if (!Array.isArray(t) || t.length !== schema.length) {
      throw new ConfigError(`row ${i} has ${Array.isArray(t) ? t.length : 'no'} values; the schema (${schema.join(', ')}) has ${schema.length}`);
    }
  });
  const columns = schema.map((_, c) => encodeColumn(rows, c));
  const at = decoderFor(columns.map((c) => c.kind))(columns.map((c) => c.values), columns.map((c) => c.dict));
  const n = rows.length;
  const encodedBytes = columns.reduce((sum, c) => {
    const v = c.values as { byteLength?: number };
    return sum + (v.byteLength ?? 8 * c.values.length) + (c.dict ?? []).reduce((s, str) => s + 2 * str.length, 0);
  }, 0);
  return {
    schema,
    length: n,
    source: 'scan',
    at,
    relation: (engine) => engine.fromIterator(schema, () => new DecodingIterator(at, n)),
    encodedBytes,
  };
}

/** Every table of a generated dataset, as `source` reads it. */
export function prepareTables(
  data: Readonly<Record<string, { readonly schema: Schema; readonly rows: readonly Tuple[] }>>,
  source: SourceKind,
): Readonly<Record<string, Table>> {
  const out: Record<string, Table> = {};
  for (const [name, t] of Object.entries(data)) out[name] = source === 'scan' ? columnTable(t.schema, t.rows) : arrayTable(t.schema, t.rows);
  return out;
}

/** The `source` parameter every query scenario takes (omitted from case ids at its default). */
export const SOURCE_PARAM = {
  default: 'array',
  values: SOURCES,
  doc: "where rows come from: 'array' (a shared in-memory array) or 'scan' (decoded one row at a time from compact columns)",
  omitAtDefault: true,
} as const;
