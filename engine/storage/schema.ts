/**
 * Table schemas and row conversion for storage: every row that enters a table is checked against
 * its schema and converted to the engine's value model (timestamps become epoch milliseconds).
 */
import { ConfigError, describeValue, IngestError } from '../errors.js';
import type { Tuple, Value } from '../types.js';

/** Column types a stored table can have. */
export type ColumnType = 'int' | 'float' | 'string' | 'bool' | 'timestamp';
export const COLUMN_TYPES: readonly ColumnType[] = ['int', 'float', 'string', 'bool', 'timestamp'];

export interface ColumnDef {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

/** Columns in tuple order. */
export type TableSchema = readonly ColumnDef[];

/** Names of databases, tables and columns: safe as file names and unambiguous in messages. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** @throws ConfigError when `name` is not a valid name of a `what`. */
export function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ConfigError(`${what} name ${JSON.stringify(name)} is not valid: use letters, digits, _ and -, starting with a letter or _`);
  }
  return name;
}

/**
 * Check a schema given by a caller (or read from disk).
 * @throws ConfigError naming the first column that is wrong.
 */
export function checkTableSchema(schema: unknown): TableSchema {
  if (!Array.isArray(schema) || schema.length === 0) throw new ConfigError('a table schema must be a non-empty array of { name, type, nullable } columns');
  const seen = new Set<string>();
  return schema.map((c: Partial<ColumnDef> | null, i) => {
    if (c === null || typeof c !== 'object') throw new ConfigError(`schema column ${i} must be an object { name, type, nullable }`);
    const name = checkName('column', c.name);
    if (seen.has(name)) throw new ConfigError(`schema column '${name}' appears twice`);
    seen.add(name);
    if (!COLUMN_TYPES.includes(c.type as ColumnType)) throw new ConfigError(`schema column '${name}' has type ${JSON.stringify(c.type)}; expected one of ${COLUMN_TYPES.join(', ')}`);
    if (c.nullable !== undefined && typeof c.nullable !== 'boolean') throw new ConfigError(`schema column '${name}': nullable must be true or false`);
    return { name, type: c.type as ColumnType, nullable: c.nullable ?? false };
  });
}

/** Strict ISO-8601 date or date-time: year, month, day, then optionally time, fraction and offset. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))?)?$/;

const daysIn = (y: number, m: number): number => (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/**
 * An ISO-8601 timestamp as epoch milliseconds, or undefined when it is not one or names a time
 * that does not exist (`2024-02-30`, `2023-02-29`, hour 24, second 60): `Date.parse` would roll
 * those over into another date. A timestamp without an offset is UTC (as a date alone is), not
 * the machine's local time, so a table holds the same instants on every machine.
 */
export function parseTimestamp(v: string): number | undefined {
  const m = ISO.exec(v);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return undefined;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59))) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const text = m[4] !== undefined && m[8] === undefined ? `${v}Z` : v;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}


const EXPECTED: Record<ColumnType, string> = {
  int: 'an integer', float: 'a number', string: 'a string', bool: 'a boolean', timestamp: 'an ISO-8601 timestamp string or epoch milliseconds',
};

/** Per type: convert one value, or return undefined when it does not fit. One function per type, picked once per column. */
const CONVERT: Record<ColumnType, (v: unknown) => Value | undefined> = {
  int: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined),
  float: (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined),
  string: (v) => (typeof v === 'string' ? v : undefined),
  bool: (v) => (typeof v === 'boolean' ? v : undefined),
  timestamp: (v) => {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
    return typeof v === 'string' ? parseTimestamp(v) : undefined;
  },
};

/**
 * Converts one row (see {@link rowConverter}). `exact` tells whether the last row converted was an
 * array whose JSON text already is the stored tuple's (nothing was converted), so a writer may keep
 * the input text instead of serializing the tuple again. An array row that needs no conversion is
 * returned as it is (the caller hands over the parsed array; it must not keep or change it).
 */
export interface RowConverter {
  (row: unknown, rowNumber: number): Tuple;
  exact: boolean;
}

/**
 * A converter for rows of `schema`: a row is an array in schema order or an object keyed by
 * column name (a missing key is null). `rowNumber` (1-based) and `table` only make messages.
 * @throws IngestError naming the row, the column, what was expected and what came.
 */
export function rowConverter(schema: TableSchema, table: string): RowConverter {
  const n = schema.length;
  const names = schema.map((c) => c.name);
  const known = new Set(names);
  const converters = schema.map((c) => CONVERT[c.type]);
  const cell = (row: number, i: number, v: unknown): Value => {
    const c = schema[i]!;
    if (v === null || v === undefined) {
      if (!c.nullable) throw new IngestError(`row ${row} of ${table}: column '${c.name}' is not nullable but got ${v === null ? 'null' : 'no value'}`);
      return null;
    }
    const out = converters[i]!(v);
    if (out === undefined) throw new IngestError(`row ${row} of ${table}: column '${c.name}' expected ${EXPECTED[c.type]}, got ${describeValue(v)}`);
    return out;
  };
  const f = ((row: unknown, rowNumber: number): Tuple => {
    if (Array.isArray(row)) {
      if (row.length !== n) throw new IngestError(`row ${rowNumber} of ${table}: expected ${n} values (${names.join(', ')}), got ${row.length}`);
      // Checked in place: the parsed array becomes the tuple unless a value needs converting
      // (an ISO timestamp), which is the only case that copies.
      let t: Value[] = row as Value[];
      for (let i = 0; i < n; i++) {
        const v = row[i];
        const out = cell(rowNumber, i, v);
        if (out !== v) {
          if (t === row) t = row.slice() as Value[];
          t[i] = out;
        }
      }
      f.exact = t === row;
      return t;
    }
    f.exact = false;
    if (row === null || typeof row !== 'object') throw new IngestError(`row ${rowNumber} of ${table}: expected an array or an object, got ${describeValue(row)}`);
    const o = row as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!known.has(k)) throw new IngestError(`row ${rowNumber} of ${table}: unknown column '${k}'; the columns are ${names.join(', ')}`);
    }
    const t = new Array<Value>(n);
    // Own properties only: a column named toString or constructor is not found on Object.prototype.
    for (let i = 0; i < n; i++) t[i] = cell(rowNumber, i, Object.hasOwn(o, names[i]!) ? o[names[i]!] : undefined);
    return t;
  }) as RowConverter;
  f.exact = false;
  return f;
}

/** A stored tuple as a JSON object keyed by column name (timestamps as ISO-8601 strings). */
export function rowObject(schema: TableSchema): (t: Tuple) => Record<string, Value> {
  return (t) => {
    const o: Record<string, Value> = {};
    for (let i = 0; i < schema.length; i++) {
      const c = schema[i]!, v = t[i]!;
      const out = c.type === 'timestamp' && typeof v === 'number' ? new Date(v).toISOString() : v;
      // A column named __proto__ is a column: assigning it would set the object's prototype instead.
      if (c.name === '__proto__') Object.defineProperty(o, c.name, { value: out, enumerable: true, writable: true, configurable: true });
      else o[c.name] = out;
    }
    return o;
  };
}
