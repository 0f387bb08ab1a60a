/**
 * Columnar tables: rows encoded into typed arrays, one per column, in the narrowest form that holds
 * every value exactly (int32, float64, booleans as bytes, strings as dictionary codes of 8, 16 or
 * 32 bits; anything else, nulls included, as a plain array). A relation over columns
 * (`engine.fromColumns`) decodes one fresh tuple per row as it is pulled; a fused streaming run
 * reads the columns it uses directly and never builds the input tuples at all (late
 * materialization), while the materialized engine decodes every row first, as a materializing
 * engine does.
 */
import { ConfigError } from './errors.js';
import type { Schema, Tuple, Value } from './types.js';
import { sharedRuntime, type EngineRuntime } from './runtime.js';

/** An encoded table: its columns (in schema order) and its row count. Treat as immutable. */
export interface ColumnarTable {
  readonly length: number;
  readonly columns: readonly Column[];
}

/** How one column is stored. */
export type ColumnKind = 'i32' | 'f64' | 'bool' | 'dict8' | 'dict16' | 'dict32' | 'any';
const KINDS: readonly string[] = ['i32', 'f64', 'bool', 'dict8', 'dict16', 'dict32', 'any'];

export interface Column {
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
    // Arrays and typed arrays both slice (TypeScript cannot call slice on their union).
    const values = (this.values as Float64Array).slice(0, this.n) as ArrayLike<unknown>;
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
 * Generated-code names for column `c`: its values array and (dictionary columns) its dictionary.
 * A generated function binds `V{c}` = `values[c]` and `D{c}` = `dicts[c]` (see {@link columnBinds}).
 * With `code`, only the columns that code reads (`V{c}[`) are bound: a pull loop runs its binds
 * at every `next()`, so a scan of 3 of 7 columns should load 3.
 */
export function columnBinds(kinds: readonly ColumnKind[], values = 'values', dicts = 'dicts', code?: string): string {
  return kinds
    .flatMap((k, c) => (code !== undefined && !code.includes(`V${c}[`) ? [] : [k.startsWith('dict') ? `const V${c} = ${values}[${c}], D${c} = ${dicts}[${c}];` : `const V${c} = ${values}[${c}];`]))
    .join('\n');
}

/** The JS expression reading column `c` (of `kind`) at row index `i` (an identifier): a fixed form per kind. */
export function columnRead(kind: ColumnKind, c: number, i: string): string {
  return kind === 'bool' ? `(V${c}[${i}] === 1)` : kind.startsWith('dict') ? `D${c}[V${c}[${i}]]` : `V${c}[${i}]`;
}

/** The kind of every column (the shape generated code is cached by). */
export function columnKinds(table: ColumnarTable): ColumnKind[] {
  return table.columns.map((c) => c.kind);
}

type RowReaderFactory = (values: readonly ArrayLike<unknown>[], dicts: readonly (readonly string[] | undefined)[]) => (i: number) => Tuple;

/**
 * Row `i` of a columnar table as a fresh tuple: one array literal per row, as a hand-written
 * decoder would build it. Generated once per table shape (the column kinds) and runtime (see
 * runtime.ts): only column numbers and fixed expressions per kind become source text, never a
 * value from the data.
 */
export function rowDecoder(table: ColumnarTable, runtime: EngineRuntime = sharedRuntime()): (i: number) => Tuple {
  const kinds = columnKinds(table);
  const make = runtime.cached('reader', kinds.join(','), () => {
    const reads = kinds.map((k, c) => columnRead(k, c, 'i'));
    return new Function('values', 'dicts', `'use strict';\n${columnBinds(kinds)}\nreturn function at(i) { return [${reads.join(', ')}]; };`) as RowReaderFactory;
  });
  return make(table.columns.map((c) => c.values), table.columns.map((c) => c.dict));
}

/**
 * Encode rows (any iterable: a generator never holds them all as tuples) into columns.
 * @throws ConfigError when a row is not an array of the schema's width.
 */
export function encodeColumns(schema: Schema, rows: Iterable<Tuple>): ColumnarTable {
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
  return { length: n, columns: builders.map((b) => b.finish()) };
}

/** Bytes a columnar table's arrays and dictionaries take (plain-array columns counted at 8 bytes a value). */
export function columnarBytes(table: ColumnarTable): number {
  return table.columns.reduce((sum, c) => {
    const v = c.values as { byteLength?: number };
    return sum + (v.byteLength ?? 8 * c.values.length) + (c.dict ?? []).reduce((s, str) => s + 2 * str.length, 0);
  }, 0);
}

/**
 * Check that `table` is a columnar table of `width` columns (a caller may build one by hand).
 * @throws ConfigError naming what is wrong.
 */
export function checkColumnarTable(table: unknown, width: number, where: string): ColumnarTable {
  const t = table as ColumnarTable;
  if (typeof t !== 'object' || t === null || !Number.isSafeInteger(t.length) || t.length < 0 || !Array.isArray(t.columns)) {
    throw new ConfigError(`${where}: expected a columnar table from encodeColumns(), got ${typeof table}`);
  }
  if (t.columns.length !== width) throw new ConfigError(`${where}: the table has ${t.columns.length} columns; the schema has ${width}`);
  t.columns.forEach((c, i) => {
    if (!KINDS.includes(c?.kind) || (c.values?.length ?? -1) < t.length || (c.kind.startsWith('dict') && !Array.isArray(c.dict))) {
      throw new ConfigError(`${where}: column ${i} is not a valid encoded column (kind ${JSON.stringify(c?.kind)})`);
    }
  });
  return t;
}

