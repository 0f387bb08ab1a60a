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
import type { Dataset } from './types.js';
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

const isInt32 = (v: number) => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX && !Object.is(v, -0);

/**
 * Builds one column from values pushed one at a time, in the narrowest form that holds every value
 * so far exactly, widening when a value does not fit (int32 → float64 → any; 8 → 16 → 32-bit
 * dictionary codes → any; bool → any). -0 is not an integer here (an Int32Array would make it 0).
 */
class ColumnBuilder {
  private kind: ColumnKind | undefined;
  private values: Int32Array | Float64Array | Uint8Array | Uint16Array | Uint32Array | Value[] = [];
  private n = 0;
  private codes = new Map<string, number>();
  private dict: string[] = [];

  push(v: Value): void {
    if (this.kind === undefined) {
      this.kind = typeof v === 'number' ? (isInt32(v) ? 'i32' : 'f64') : typeof v === 'string' ? 'dict8' : typeof v === 'boolean' ? 'bool' : 'any';
      this.values = this.allocate(this.kind, 1024);
    }
    switch (this.kind) {
      case 'i32':
        if (typeof v === 'number' && isInt32(v)) return this.put(v);
        this.widen(typeof v === 'number' ? 'f64' : 'any');
        return this.push(v);
      case 'f64':
        if (typeof v === 'number') return this.put(v);
        this.widen('any');
        return this.push(v);
      case 'bool':
        if (typeof v === 'boolean') return this.put(v ? 1 : 0);
        this.widen('any');
        return this.push(v);
      case 'any':
        return this.put(v);
      default: {
        if (typeof v !== 'string') {
          this.widen('any');
          return this.push(v);
        }
        let code = this.codes.get(v);
        if (code === undefined) {
          code = this.dict.length;
          const limit = this.kind === 'dict8' ? 256 : this.kind === 'dict16' ? 65536 : Infinity;
          if (code >= limit) this.widen(this.kind === 'dict8' ? 'dict16' : 'dict32');
          this.codes.set(v, code);
          this.dict.push(v);
        }
        return this.put(code);
      }
    }
  }

  /** The finished column (typed arrays trimmed to their length). */
  finish(): Column {
    const kind = this.kind ?? 'any';
    const values = Array.isArray(this.values) ? this.values.slice(0, this.n) : this.values.slice(0, this.n);
    return kind.startsWith('dict') ? { kind, values, dict: this.dict } : { kind, values };
  }

  private allocate(kind: ColumnKind, capacity: number): typeof this.values {
    switch (kind) {
      case 'i32': return new Int32Array(capacity);
      case 'f64': return new Float64Array(capacity);
      case 'bool': case 'dict8': return new Uint8Array(capacity);
      case 'dict16': return new Uint16Array(capacity);
      case 'dict32': return new Uint32Array(capacity);
      default: return [];
    }
  }

  private put(x: number | Value): void {
    const vs = this.values;
    if (Array.isArray(vs)) {
      vs.push(x as Value);
    } else {
      if (this.n === vs.length) {
        const bigger = this.allocate(this.kind!, vs.length * 2) as typeof vs;
        bigger.set(vs as never);
        this.values = bigger;
      }
      (this.values as Float64Array)[this.n] = x as number;
    }
    this.n++;
  }

  /** Re-encode what is stored so far as `kind`. */
  private widen(kind: ColumnKind): void {
    const old = this.values, oldKind = this.kind!, n = this.n;
    const decode = (i: number): Value =>
      Array.isArray(old) ? old[i]! : oldKind === 'bool' ? old[i] === 1 : oldKind.startsWith('dict') ? this.dict[old[i]!]! : old[i]!;
    this.kind = kind;
    if (kind === 'any') {
      const vs: Value[] = new Array(n);
      for (let i = 0; i < n; i++) vs[i] = decode(i);
      this.values = vs;
      this.codes.clear();
      this.dict = [];
      return;
    }
    const vs = this.allocate(kind, Math.max(1024, (old as ArrayLike<unknown>).length)) as Float64Array;
    for (let i = 0; i < n; i++) vs[i] = (old as Float64Array)[i]!;
    this.values = vs;
  }
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
 * The rows encoded into columns (see the module comment), pushed one at a time: `rows` may be a
 * generator, so that a table larger than the heap never exists as tuples; it is not kept.
 * @throws ConfigError when a row's width is not the schema's.
 */
export function columnTable(schema: Schema, rows: Iterable<Tuple>): Table {
  const builders = schema.map(() => new ColumnBuilder());
  const w = schema.length;
  let n = 0;
  for (const t of rows) {
    if (!Array.isArray(t) || t.length !== w) {
      throw new ConfigError(`row ${n} has ${Array.isArray(t) ? t.length : 'no'} values; the schema (${schema.join(', ')}) has ${w}`);
    }
    for (let c = 0; c < w; c++) builders[c]!.push(t[c]!);
    n++;
  }
  const columns = builders.map((b) => b.finish());
  const at = decoderFor(columns.map((c) => c.kind))(columns.map((c) => c.values), columns.map((c) => c.dict));
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
