/**
 * Parquet segments: a table created with `segmentFormat: 'parquet'` keeps each insert as one
 * Parquet file (written with hyparquet-writer), each batch one row group, each row group one
 * segment of the manifest. Files are written as the insert runs, a row group at a time; the footer
 * (the file's metadata: row group offsets, column chunk ranges, min/max statistics) goes last, at
 * commit.
 *
 * Column types: int and timestamp (epoch ms, marked TIMESTAMP_MILLIS) as INT64, float as DOUBLE,
 * string as UTF-8 BYTE_ARRAY, bool as BOOLEAN; a nullable column is OPTIONAL.
 *
 * Reading (hyparquet) is asynchronous, and the engines' iterators are not: row groups are read
 * and decoded by the catalog's I/O thread (see s3/worker.ts), which fetches only the column
 * chunks a query uses, and the main thread waits for the decoded columns. A scan given a filter
 * skips row groups whose statistics show that no row can pass it ({@link canSkip}).
 */
import { IngestError } from '../errors.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { Expr } from '../expr/expr.js';
import type { Tuple, Value } from '../types.js';
import type { ColumnType, TableSchema } from './schema.js';
import type { BatchBuilder } from './store.js';

export type SegmentFormat = 'json' | 'parquet';
export const SEGMENT_FORMATS: readonly SegmentFormat[] = ['json', 'parquet'];

/** Per column of a row group: smallest and largest non-null value, and how many nulls. */
export interface ColumnStats {
  min?: Value;
  max?: Value;
  nulls?: number;
}
export type RowGroupStats = Readonly<Record<string, ColumnStats>>;

const PHYSICAL: Record<ColumnType, { type: string; converted_type?: string }> = {
  int: { type: 'INT64' },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  float: { type: 'DOUBLE' },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  bool: { type: 'BOOLEAN' },
};

/** The Parquet schema of a table. */
function parquetSchema(schema: TableSchema): object[] {
  return [
    { name: 'root', num_children: schema.length },
    ...schema.map((c) => ({ name: c.name, ...PHYSICAL[c.type], repetition_type: c.nullable ? 'OPTIONAL' : 'REQUIRED' })),
  ];
}

/** A batch of a Parquet table: its rows, column by column, until it is encoded as a row group. */
export class ParquetBatch implements BatchBuilder {
  rows = 0;
  bytes = 0;
  readonly columns: Value[][];
  private readonly sizer = new TupleSizer();
  constructor(width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }
  add(t: Tuple): void {
    for (let c = 0; c < this.columns.length; c++) this.columns[c]!.push(t[c]!);
    this.rows++;
    this.bytes += this.sizer.charge(t);
  }
  settle(): void {}
}

type Writer = import('hyparquet-writer').ParquetWriter;
type Bytes = import('hyparquet-writer').ByteWriter;

/**
 * One insert's Parquet file, encoded a row group at a time. hyparquet-writer is loaded by
 * {@link ParquetEncoder.open}, at the first Parquet insert: a process that never writes Parquet
 * (a measuring child, a query) does not load it.
 */
export class ParquetEncoder {
  private constructor(private readonly schema: TableSchema, private readonly out: Bytes, private readonly writer: Writer) {}

  static async open(schema: TableSchema): Promise<ParquetEncoder> {
    const { ByteWriter, ParquetWriter } = await import('hyparquet-writer');
    const out = new ByteWriter();
    return new ParquetEncoder(schema, out, new ParquetWriter({ writer: out, schema: parquetSchema(schema) as never, statistics: true }));
  }

  /**
   * Encode `b` as one row group. Returns the bytes to append to the file (the file's header comes
   * before the first group) and where in them the group starts.
   */
  encode(b: ParquetBatch): { bytes: Uint8Array; groupAt: number } {
    const groupAt = this.out.index;
    const columnData = this.schema.map((c, i) => {
      const values = b.columns[i]!;
      const data = c.type === 'int' || c.type === 'timestamp' ? values.map((v) => (v === null ? null : BigInt(v as number))) : values;
      // No offset index: a row group here is one page per column, read whole, and each index would be kept until the footer.
      return { name: c.name, data: data as never, offsetIndex: false };
    });
    this.writer.write({ columnData, rowGroupSize: b.rows });
    return { bytes: this.take(), groupAt };
  }

  /** The file's footer (metadata), the last bytes of the file. */
  finish(): Uint8Array {
    this.writer.finish();
    return this.take();
  }

  private take(): Uint8Array {
    const bytes = new Uint8Array(this.out.buffer, 0, this.out.index).slice();
    this.out.index = 0;
    return bytes;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER), MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * A Parquet value as the engine's: INT64 (a bigint) as a number, which must be a safe integer; a
 * timestamp (a Date) as epoch milliseconds.
 * @throws IngestError for an integer beyond 2^53, which a number cannot hold exactly.
 */
export function fromParquet(v: unknown, row: number, table: string, column: string): Value {
  if (typeof v === 'bigint') {
    if (v > MAX_SAFE || v < MIN_SAFE) throw new IngestError(`row ${row} of ${table}: column '${column}': the integer ${v} is beyond 2^53, which sluice's numbers cannot hold exactly`);
    return Number(v);
  }
  if (v instanceof Date) return v.getTime();
  if (v === undefined) return null;
  return v as Value;
}

const FLIP: Record<string, string> = { lt: 'gt', le: 'ge', gt: 'lt', ge: 'le', eq: 'eq', ne: 'ne' };

/**
 * Whether no row of a row group with `stats` can make `where` true (so the group need not be
 * read): a comparison of a column with a literal that the column's min and max rule out, `and` of
 * anything with one such, `or` of only such. Conservative: anything else (other operators, a
 * column without statistics, values of different types) reads the group.
 */
export function canSkip(where: Expr, stats: RowGroupStats, rows: number): boolean {
  switch (where.op) {
    case 'and':
      return where.args.some((a) => canSkip(a, stats, rows));
    case 'or':
      return where.args.every((a) => canSkip(a, stats, rows));
    case 'lt': case 'le': case 'gt': case 'ge': case 'eq': case 'ne': {
      let { left, right } = where, op: string = where.op;
      if (left.op === 'lit' && right.op === 'col') [left, right, op] = [right, left, FLIP[op]!];
      if (left.op !== 'col' || right.op !== 'lit') return false;
      const v = right.value;
      // A comparison with null is null for every row: never true.
      if (v === null) return true;
      const s = stats[left.name];
      if (!s) return false;
      // Only nulls in the group: every comparison is null.
      if (s.nulls === rows) return true;
      const { min, max } = s;
      if (min === undefined || max === undefined || min === null || max === null) return false;
      if (typeof min !== typeof v || typeof max !== typeof v || (typeof v !== 'number' && typeof v !== 'string')) return false;
      switch (op) {
        case 'gt': return max <= v;
        case 'ge': return max < v;
        case 'lt': return min >= v;
        case 'le': return min > v;
        case 'eq': return v < min || v > max;
        case 'ne': return min === v && max === v;
      }
      return false;
    }
    default:
      return false;
  }
}
