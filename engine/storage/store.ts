/**
 * Table stores: where a table's rows live. Both keep a table as an immutable list of segments
 * (one per written batch) and commit an insert by publishing a new list, so a reader that took
 * the list before a commit keeps reading exactly the old contents.
 *
 * - {@link MemoryTableStore}: segments are arrays in this process.
 * - {@link FileTableStore}: segments are byte ranges of files in the table's directory (one file per
 *   insert, one JSON array of tuples per segment), and the list is `manifest.json`. An insert
 *   writes a new file, then commits by syncing it and writing the new
 *   manifest to a temporary file, syncing it and renaming it over the old one (atomic on POSIX).
 *   A crash before the rename leaves the old manifest and orphan segment files; opening the table
 *   deletes every file the manifest does not name that no live insert holds. A read takes the
 *   manifest once (re-reading it when another process changed it), then only segment files,
 *   which are never modified after they are written.
 *
 * Several processes may write one table: each insert writes its own file, and commits publish in
 * turn under the table's lock (see lock.ts), each re-reading the manifest first, so no committed
 * insert is lost. Within a process, commits also queue.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, unlink, utimes, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IngestError, StorageError } from '../errors.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { Tuple, Value } from '../types.js';
import { ParquetBatch, ParquetEncoder, type RowGroupStats, type SegmentFormat } from './parquet.js';
import type { IoThread } from './s3/connection.js';
import type { ParquetMeta, ParquetRows, Source } from './s3/protocol.js';
import type { TableSchema } from './schema.js';
import { lockAsync, LOCK_STALE_MS, LOCK_SUFFIX, tryLockSync } from './lock.js';

export type StoreKind = 'memory' | 'filesystem' | 's3';

/** One committed batch of rows. */
export interface Segment {
  readonly rows: number;
  /** Parquet segments (files `seg-….parquet`): the row group this segment is, and its file's size. */
  readonly rowGroup?: number;
  readonly fileBytes?: number;
  /** Memory store: the rows. */
  readonly data?: readonly Tuple[];
  /** File store: the file inside the table directory, and the segment's byte range in it. */
  readonly file?: string;
  readonly offset?: number;
  readonly bytes?: number;
}

/**
 * A batch on its way into a store, filled one row at a time. A store that serializes encodes the
 * rows into the batch's bytes by the end of each input chunk, so the parsed rows die young: an
 * ingest keeps bytes, not a thousand parsed tuples that would outlive scavenges and be promoted.
 */
export interface BatchBuilder {
  /** Rows added so far. */
  readonly rows: number;
  /** Bytes the batch holds now (what a memory tracker should be charged). */
  readonly bytes: number;
  /** Add a tuple; `text`, when given, is its exact JSON text as it arrived (no serializing again). */
  add(t: Tuple, text?: string): void;
  /**
   * Encode what the batch still holds as JS values (called once per input chunk and before the
   * batch is written): after it, nothing the batch keeps refers to the chunk's strings.
   */
  settle(): void;
}

/** Reads the segments of a snapshot in order; a store over a network reads ahead. */
export interface SegmentReader {
  /** Rows of the next segment, or undefined after the last. */
  next(): readonly Tuple[] | undefined;
  /** Stop early: whatever was read ahead is dropped. */
  close(): void;
}

/**
 * A reader of `segments` in order, of the table's `columns` only when given (names of `schema`):
 * the store's own (read-ahead, and for Parquet only those columns' bytes), or one `readSegment` at
 * a time.
 */
export function segmentReader(store: TableStore, segments: readonly Segment[], columns?: readonly string[], schema?: readonly string[]): SegmentReader {
  return store.reader ? store.reader(segments, columns) : sequentialReader(store, segments, columns, schema);
}

/** `segments` read one `readSegment` at a time, cut down to `columns`: the reader of a store with no read-ahead. */
export function sequentialReader(store: Pick<TableStore, 'readSegment'>, segments: readonly Segment[], columns?: readonly string[], schema?: readonly string[]): SegmentReader {
  let k = 0;
  const pick = projector(columns, schema);
  return {
    next: () => (k < segments.length ? pick(store.readSegment(segments[k++]!)) : undefined),
    close: () => void (k = segments.length),
  };
}

/** Tuples of `schema` cut down to `columns` (identity without columns). */
export function projector(columns: readonly string[] | undefined, schema: readonly string[] | undefined): (rows: readonly Tuple[]) => readonly Tuple[] {
  if (!columns || !schema || (columns.length === schema.length && columns.every((c, i) => c === schema[i]))) return (rows) => rows;
  const at = columns.map((c) => schema.indexOf(c));
  return (rows) => rows.map((t) => at.map((i) => t[i]!));
}

/** Whether a segment is a row group of a Parquet file. */
export const isParquet = (s: Segment): boolean => typeof s.file === 'string' && s.file.endsWith('.parquet');

/**
 * How one insert's batches become the bytes of its one file: JSON arrays back to back, or the
 * row groups of a Parquet file (whose footer ends it, written at commit).
 */
export interface FileEncoder {
  /** `.json` or `.parquet`: the insert's file name ends so. */
  readonly ext: string;
  newBatch(): BatchBuilder;
  /** A batch's bytes, where its segment starts in them, and (JSON) a call that frees its buffer for reuse once written. */
  encode(b: BatchBuilder): Promise<{ bytes: Uint8Array; segmentAt: number; release?(): void }>;
  /** The bytes that end the file (a Parquet footer), if any. */
  finish(): Promise<Uint8Array | undefined>;
}

/** The encoder of one insert into a table of `format` with `schema`. */
export function fileEncoder(format: SegmentFormat, schema: TableSchema): FileEncoder {
  if (format === 'parquet') {
    let enc: Promise<ParquetEncoder> | undefined;
    const encoder = () => (enc ??= ParquetEncoder.open(schema));
    return {
      ext: '.parquet',
      newBatch: () => new ParquetBatch(schema.length),
      encode: async (b) => {
        const { bytes, groupAt } = (await encoder()).encode(b as ParquetBatch);
        return { bytes, segmentAt: groupAt };
      },
      finish: async () => (await encoder()).finish(),
    };
  }
  // Buffers of written batches, for the next ones (one is filled while another is written).
  const free: Buffer[] = [];
  return {
    ext: '.json',
    newBatch: () => new JsonBatch(free.pop() ?? Buffer.allocUnsafe(BATCH_BUFFER_BYTES)),
    encode: async (b) => {
      const { bytes, buffer } = (b as JsonBatch).finish();
      return { bytes, segmentAt: 0, release: () => void (free.length < 2 && free.push(buffer)) };
    },
    finish: async () => undefined,
  };
}

/** Rows of a decoded Parquet row group (columns in the order asked). */
export function parquetTuples(r: ParquetRows): Tuple[] {
  const cols = r.columns, w = cols.length, out = new Array<Tuple>(r.rows);
  for (let i = 0; i < r.rows; i++) {
    const t = new Array<Value>(w);
    for (let c = 0; c < w; c++) t[c] = (cols[c]![i] ?? null) as Value;
    out[i] = t;
  }
  return out;
}

/** Where a store's Parquet file is, for the I/O thread. */
export type SourceOf = (s: Segment) => Source;

/**
 * Parquet segments in order, each row group's `columns` decoded by the I/O thread, the next one
 * requested as the current one is taken (its fetch and decoding overlap the query's work).
 */
export function parquetReader(io: IoThread, segments: readonly Segment[], sourceOf: SourceOf, columns: readonly string[], counts?: IoCounts): SegmentReader {
  let k = 0, ahead: { k: number; ticket: number } | undefined;
  const request = (j: number) => {
    const s = segments[j]!;
    return io.send({ op: 'parquetRows', source: sourceOf(s), size: s.fileBytes!, rowGroup: s.rowGroup!, columns: [...columns] });
  };
  return {
    next: () => {
      if (k >= segments.length) return undefined;
      const ticket = ahead && ahead.k === k ? ahead.ticket : request(k);
      ahead = k + 1 < segments.length ? { k: k + 1, ticket: request(k + 1) } : undefined;
      const s = segments[k++]!;
      const r = io.wait<ParquetRows>(ticket);
      if (counts) counts.bytesRead += r.ioBytes;
      if (r.rows !== s.rows) throw new IngestError(`segment ${s.file}#${s.rowGroup} holds ${r.rows} rows, its manifest says ${s.rows}`);
      return parquetTuples(r);
    },
    close: () => {
      if (ahead) io.abandon(ahead.ticket);
      ahead = undefined;
      k = segments.length;
    },
  };
}

/** Every row of Parquet `segments`, read through {@link parquetReader}. */
export function parquetRowsOf(io: IoThread, segments: readonly Segment[], sourceOf: SourceOf, columns: readonly string[], counts?: IoCounts): Tuple[] {
  const r = parquetReader(io, segments, sourceOf, columns, counts), out: Tuple[] = [];
  try {
    for (let rows = r.next(); rows; rows = r.next()) for (const t of rows) out.push(t);
  } finally {
    r.close();
  }
  return out;
}

/** A Parquet segment's statistics, from its file's footer (read once per file by the I/O thread). */
export function parquetStats(io: IoThread, s: Segment, source: Source, cache: Map<string, ParquetMeta>, counts?: IoCounts): RowGroupStats | undefined {
  let meta = cache.get(s.file!);
  if (!meta) {
    meta = io.request<ParquetMeta>({ op: 'parquetMeta', source, size: s.fileBytes! });
    if (counts) counts.bytesRead += meta.ioBytes;
    cache.set(s.file!, meta);
  }
  return meta.rowGroups[s.rowGroup!]?.stats as RowGroupStats | undefined;
}

/** An insert in progress: batches written but not visible until commit. */
export interface TableWriter {
  /** An empty batch for this writer. */
  newBatch(): BatchBuilder;
  /** Write a batch made by {@link newBatch} (which then belongs to the writer). */
  writeBatch(batch: BatchBuilder): Promise<void>;
  /** Publish every batch at once. */
  commit(): Promise<void>;
  /** Forget every batch (delete what was written). Safe to call after a failed write. */
  abort(): Promise<void>;
}

/**
 * What a store moved to and from where its data lives (files, objects) since it was opened, and
 * the segments its reads (`readStream`, `getTableData`, `scan`) read and skipped.
 */
export interface IoCounts {
  bytesRead: number;
  bytesWritten: number;
  /** Segments read by this table's reads (a Parquet row group is a segment). */
  segmentsRead: number;
  /** Segments a scan's filter ruled out by their statistics, never read. */
  segmentsSkipped: number;
}

/** Fresh counts: nothing moved yet. */
export function ioCounts(): IoCounts {
  return { bytesRead: 0, bytesWritten: 0, segmentsRead: 0, segmentsSkipped: 0 };
}

export interface TableStore {
  readonly kind: StoreKind;
  /** What this store has read and written (a memory store: no bytes), and the segments its tables' reads read and skipped. */
  readonly io: IoCounts;
  /** The committed segments now; later commits do not change the returned list. */
  snapshot(): readonly Segment[];
  /** Rows of one segment of a snapshot (synchronous: the engines' iterators are). */
  readSegment(s: Segment): readonly Tuple[];
  /**
   * Statistics of a segment's columns (min, max, nulls), where its format keeps them (Parquet):
   * what lets a scan skip a segment that no row of which can pass its filter.
   */
  segmentStats?(s: Segment): RowGroupStats | undefined;
  /**
   * Read `segments` in order, reading ahead (a store whose reads wait on a network): the next
   * segments download while the query works on the current one.
   */
  reader?(segments: readonly Segment[], columns?: readonly string[]): SegmentReader;
  /**
   * Every row of `segments` at once, read the way a materializing reader reads: whole objects
   * downloaded first, then decoded (a store over a network; others read segment by segment).
   */
  readAll?(segments: readonly Segment[]): Tuple[];
  begin(): TableWriter;
  /** Delete all data. */
  drop(): void;
}

/** Serializes commits of one table (inserts may write concurrently; they publish in turn). */
export class CommitQueue {
  private tail: Promise<void> = Promise.resolve();
  run(f: () => Promise<void> | void): Promise<void> {
    const next = this.tail.then(f);
    this.tail = next.catch(() => {});
    return next;
  }
}

/** Memory store: the batch is its tuples. */
class TupleBatch implements BatchBuilder {
  readonly data: Tuple[] = [];
  bytes = 0;
  private readonly sizer = new TupleSizer();
  get rows(): number {
    return this.data.length;
  }
  add(t: Tuple): void {
    this.data.push(t);
    this.bytes += this.sizer.charge(t);
  }
  settle(): void {}
}

/**
 * File store: the batch is the segment's JSON text (`[row,row,…]`), UTF-8 encoded into a buffer.
 * Row texts wait in a list until the end of the input chunk they came from, then are encoded in
 * one write (a native call per row cost more than the copy); nothing outlives its chunk as a
 * JS string. Buffers are reused across the batches of an insert.
 */
export class JsonBatch implements BatchBuilder {
  rows = 0;
  private len = 1;
  private pending: string[] = [];
  private pendingChars = 0;
  constructor(private buf: Buffer) {
    buf[0] = 0x5b; // [
  }
  get bytes(): number {
    // Pending texts at two bytes a character (their share of the chunk, or their own string).
    return this.buf.length + 2 * this.pendingChars;
  }
  add(t: Tuple, text?: string): void {
    const s = text ?? JSON.stringify(t);
    this.pending.push(s);
    this.pendingChars += s.length + 1;
    this.rows++;
  }
  settle(): void {
    if (this.pending.length === 0) return;
    const s = (this.len > 1 ? ',' : '') + this.pending.join(',');
    this.pending = [];
    this.pendingChars = 0;
    // At most 3 UTF-8 bytes per UTF-16 unit, plus the closing bracket.
    const need = this.len + 3 * s.length + 1;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, 2 * this.buf.length));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    this.len += this.buf.write(s, this.len);
  }
  /** The finished segment text, and the buffer to reuse once it is written. */
  finish(): { bytes: Buffer; buffer: Buffer } {
    this.settle();
    this.buf[this.len++] = 0x5d; // ]
    return { bytes: this.buf.subarray(0, this.len), buffer: this.buf };
  }
}

/** What a file-backed store needs to know of its table. */
export interface StoreOptions {
  /** How inserts encode their batches (default 'json'). */
  format?: SegmentFormat;
  /** The table's schema (Parquet files carry it). */
  schema?: TableSchema;
  /** The catalog's I/O thread, which reads Parquet row groups. */
  io?: () => IoThread;
}

/** The first buffer of a file batch (it grows if a batch needs more). */
export const BATCH_BUFFER_BYTES = 64 * 1024;

export class MemoryTableStore implements TableStore {
  readonly kind = 'memory';
  readonly io: IoCounts = ioCounts();
  private segments: readonly Segment[] = [];
  private readonly commits = new CommitQueue();

  snapshot(): readonly Segment[] {
    return this.segments;
  }

  readSegment(s: Segment): readonly Tuple[] {
    return s.data!;
  }

  begin(): TableWriter {
    let pending: Segment[] | undefined = [];
    return {
      newBatch: () => new TupleBatch(),
      writeBatch: async (batch) => {
        if (!pending) throw new IngestError('this insert has already finished');
        const rows = (batch as TupleBatch).data;
        if (rows.length) pending.push({ rows: rows.length, data: rows });
      },
      commit: () => this.commits.run(() => {
        if (!pending) throw new IngestError('this insert has already finished');
        this.segments = [...this.segments, ...pending];
        pending = undefined;
      }),
      abort: async () => {
        pending = undefined;
      },
    };
  }

  drop(): void {
    this.segments = [];
  }
}

/** The on-disk manifest of a file table. */
export interface Manifest {
  version: number;
  segments: { file: string; offset: number; bytes: number; rows: number; rowGroup?: number; fileBytes?: number }[];
}

const MANIFEST = 'manifest.json';
/** The only file names a manifest may list: a segment file sluice made, inside the table's folder. */
export const SEGMENT_FILE = /^seg-[0-9a-f]{12}\.(?:json|parquet)$/;
/** How long a commit or a drop waits for another process's commit of the same table. */
const COMMIT_WAIT_MS = 30_000;

/** A file-system error as one line: the code and what it means, for the few a user can act on. */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const meaning: Record<string, string> = {
    ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EACCES: 'permission denied', EPERM: 'operation not permitted',
    EROFS: 'read-only file system', ENOENT: 'no such file or directory', EISDIR: 'is a directory', ENOTDIR: 'not a directory',
  };
  return code ? (meaning[code] ? `${code} (${meaning[code]})` : code) : (e as Error).message;
}

/**
 * Write `text` to `file` durably and atomically: temporary file, fsync, rename, fsync the directory.
 * On any failure the temporary file is removed and `file` is unchanged.
 * @throws StorageError naming the file and the reason (a full disk, permissions).
 */
export function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw new StorageError(`cannot write ${file}: ${ioReason(e)}; it is unchanged`);
  }
  try {
    const dfd = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some file systems cannot fsync a directory; the rename is still atomic */
  }
}

/** Modified within the stale time: a live insert's file (see FileTableStore.begin). */
function isFresh(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs < LOCK_STALE_MS;
  } catch {
    return false;
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parse and check a manifest read from disk: it may have been truncated by hand or edited. Every
 * segment must name a segment file of this folder (never a path), with whole, non-negative numbers.
 * @throws StorageError naming the file and the first field that is wrong.
 */
export function parseManifest(file: string, text: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new StorageError(`manifest ${file} is not valid JSON (${text.length} bytes; truncated or edited?)`);
  }
  const bad = (what: string, v: unknown): never => {
    throw new StorageError(`manifest ${file} is corrupt: ${what}, got ${JSON.stringify(v)?.slice(0, 80) ?? String(v)}`);
  };
  if (m === null || typeof m !== 'object' || Array.isArray(m)) bad('it must be an object { version, segments }', m);
  const o = m as Record<string, unknown>;
  if (!isCount(o.version)) bad('version must be a whole number', o.version);
  if (!Array.isArray(o.segments)) bad('segments must be an array', o.segments);
  const segments = (o.segments as unknown[]).map((s, i) => {
    if (s === null || typeof s !== 'object') bad(`segments[${i}] must be an object { file, offset, bytes, rows }`, s);
    const x = s as Record<string, unknown>;
    if (typeof x.file !== 'string' || !SEGMENT_FILE.test(x.file)) bad(`segments[${i}].file must name a segment file (seg-<12 hex digits>.json or .parquet) in the table's folder`, x.file);
    for (const k of ['offset', 'bytes', 'rows'] as const) if (!isCount(x[k])) bad(`segments[${i}].${k} must be a whole number`, x[k]);
    const seg = { file: x.file as string, offset: x.offset as number, bytes: x.bytes as number, rows: x.rows as number };
    if (!(x.file as string).endsWith('.parquet')) return seg;
    for (const k of ['rowGroup', 'fileBytes'] as const) if (!isCount(x[k])) bad(`segments[${i}].${k} must be a whole number (a Parquet segment)`, x[k]);
    return { ...seg, rowGroup: x.rowGroup as number, fileBytes: x.fileBytes as number };
  });
  return { version: o.version as number, segments };
}

/**
 * The rows of a segment from its JSON text, checked against the manifest's row count.
 * @throws IngestError for text that is not a JSON array of `s.rows` rows (a truncated or edited segment).
 */
export function decodeSegment(text: string, s: Segment, label: string): Tuple[] {
  let out: unknown;
  try {
    out = JSON.parse(text);
  } catch (e) {
    // The parser's message quotes the text; say only where it broke.
    const at = /position (\d+)/.exec((e as Error).message);
    throw new IngestError(`segment ${s.file}@${s.offset} of ${label} is corrupt: not valid JSON${at ? ` at byte ${at[1]}` : ''}`);
  }
  if (!Array.isArray(out)) throw new IngestError(`segment ${s.file}@${s.offset} of ${label} is corrupt: not an array of rows`);
  if (out.length !== s.rows) throw new IngestError(`segment ${s.file}@${s.offset} of ${label} holds ${out.length} rows, its manifest says ${s.rows}`);
  return out as Tuple[];
}

/** A file's identity and size, to tell whether it changed since it was last read. */
function stamp(file: string): string {
  const st = statSync(file, { bigint: true });
  return `${st.ino}:${st.size}:${st.mtimeNs}`;
}

export class FileTableStore implements TableStore {
  readonly kind = 'filesystem';
  readonly io: IoCounts = ioCounts();
  private manifest!: Manifest;
  private segments!: readonly Segment[];
  /** What the manifest file was when it was last read (reads re-read it when it changed). */
  private manifestStamp = '';
  private readonly commits = new CommitQueue();
  /** Orphan files removed when the table was opened (crash leftovers). */
  readonly cleaned: string[] = [];
  private readonly manifestFile: string;

  /**
   * Open (or, with `create`, create) the table in `dir`, and delete what a crashed insert left:
   * files the manifest does not name, when no live process holds them (see {@link cleanOrphans}).
   * @throws StorageError for a missing or corrupt manifest of an existing table.
   */
  /** Footers of this table's Parquet files, by file (never modified once written). */
  private readonly footers = new Map<string, ParquetMeta>();

  constructor(readonly dir: string, private readonly label: string, create = false, private readonly opts: StoreOptions = {}) {
    this.manifestFile = path.join(dir, MANIFEST);
    if (create) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (e) {
        throw new StorageError(`cannot create the folder of table ${label} (${dir}): ${ioReason(e)}`);
      }
      atomicWrite(this.manifestFile, JSON.stringify({ version: 0, segments: [] }));
    } else if (!existsSync(this.manifestFile)) {
      throw new StorageError(`table ${label} has no manifest (${this.manifestFile}); was its folder deleted?`);
    }
    this.reload();
    this.cleanOrphans();
  }

  /** Re-read the manifest if another process (or insert) changed it since it was last read. */
  private reload(): void {
    let now: string;
    try {
      now = stamp(this.manifestFile);
    } catch (e) {
      throw new StorageError(`cannot read the manifest of ${this.label} (${this.manifestFile}): ${ioReason(e)} (was the table dropped?)`);
    }
    if (now !== this.manifestStamp) this.adopt(parseManifest(this.manifestFile, readFileSync(this.manifestFile, 'utf8')), now);
  }

  /** Make `m` (read or just written, with its file's stamp) this store's current manifest. */
  private adopt(m: Manifest, stamped: string): void {
    this.manifest = m;
    this.segments = m.segments.map((x) => ({ ...x }));
    this.manifestStamp = stamped;
  }

  /**
   * Delete files the manifest does not name, but only provably dead ones: this runs under the
   * table's lock (so no commit is under way; if another process holds it, cleanup is skipped),
   * and skips a segment file touched within the stale time (a live insert, in any process,
   * refreshes its file's mtime every few seconds). A crashed insert's file goes stale, and the
   * next open after that deletes it.
   */
  private cleanOrphans(): void {
    const lock = tryLockSync(this.manifestFile, `table ${this.label}`);
    if (lock === null) return;
    try {
      this.reload();
      const named = new Set(this.manifest.segments.map((s) => s.file));
      for (const f of readdirSync(this.dir)) {
        if (f === MANIFEST || named.has(f) || f.endsWith(LOCK_SUFFIX)) continue;
        const full = path.join(this.dir, f);
        // A live insert refreshes its file's mtime every few seconds (see begin()).
        if (SEGMENT_FILE.test(f) && isFresh(full)) continue;
        rmSync(full, { recursive: true, force: true });
        this.cleaned.push(f);
      }
    } finally {
      lock.release();
    }
  }

  snapshot(): readonly Segment[] {
    this.reload();
    return this.segments;
  }

  private checkFile(s: Segment): void {
    if (typeof s.file !== 'string' || !SEGMENT_FILE.test(s.file)) throw new StorageError(`segment ${JSON.stringify(s.file)} of ${this.label} is not a segment file of its folder`);
  }

  private readonly source: SourceOf = (s) => {
    this.checkFile(s);
    return { file: path.join(this.dir, s.file!) };
  };

  private thread(): IoThread {
    if (!this.opts.io) throw new StorageError(`table ${this.label} has Parquet segments, which need a catalog's I/O thread to read`);
    return this.opts.io();
  }

  segmentStats(s: Segment): RowGroupStats | undefined {
    return isParquet(s) ? parquetStats(this.thread(), s, this.source(s), this.footers, this.io) : undefined;
  }

  reader(segments: readonly Segment[], columns?: readonly string[]): SegmentReader {
    const names = this.opts.schema?.map((c) => c.name);
    if (segments.length > 0 && segments.every(isParquet)) return parquetReader(this.thread(), segments, this.source, columns ?? names ?? [], this.io);
    return sequentialReader(this, segments, columns, names);
  }

  readSegment(s: Segment): readonly Tuple[] {
    this.checkFile(s);
    if (isParquet(s)) {
      return parquetRowsOf(this.thread(), [s], this.source, (this.opts.schema ?? []).map((c) => c.name), this.io);
    }
    let text: string;
    try {
      const fd = openSync(path.join(this.dir, s.file!), 'r');
      try {
        const buf = Buffer.allocUnsafe(s.bytes!);
        let got = 0;
        while (got < s.bytes!) {
          const n = readSync(fd, buf, got, s.bytes! - got, s.offset! + got);
          if (n === 0) throw new IngestError(`segment ${s.file}@${s.offset} of ${this.label} is truncated`);
          got += n;
        }
        this.io.bytesRead += got;
        text = buf.toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (e instanceof IngestError) throw e;
      throw new IngestError(`cannot read segment ${s.file} of ${this.label}: ${ioReason(e)} (was the table dropped?)`);
    }
    return decodeSegment(text, s, this.label);
  }

  /**
   * An insert appends its batches to one new file of its own (one JSON array per batch, each a
   * segment by byte range): one file created per insert, not per batch, which on a slow disk is
   * most of the cost of writing. The insert refreshes its file's mtime while it runs (so cleanup
   * in any process leaves it alone). The file is synced at commit; the commit then takes the
   * table's lock, re-reads the manifest (another process may have committed meanwhile), checks
   * that its file is still there, and publishes manifest + its segments atomically.
   */
  begin(): TableWriter {
    const enc = fileEncoder(this.opts.format ?? 'json', this.opts.schema ?? []);
    const file = `seg-${randomBytes(6).toString('hex')}${enc.ext}`;
    const full = path.join(this.dir, file);
    let written: Manifest['segments'] | undefined = [];
    let handle: FileHandle | undefined, offset = 0, created = false;
    // The insert's heartbeat: its file's mtime, refreshed while it runs, tells cleanup in any
    // process that the file is alive (the staleness rule of the locks, on the data file itself:
    // a lock folder per insert cost 0.56 ms, 6% of a 10K-row insert). Not refreshed: stale.
    let heartbeat: NodeJS.Timeout | undefined, lost = false;
    const finish = () => {
      written = undefined;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = undefined;
    };
    return {
      newBatch: () => enc.newBatch(),
      writeBatch: async (batch) => {
        if (!written) throw new IngestError('this insert has already finished');
        if (!batch.rows) return;
        const { bytes: buf, segmentAt, release } = await enc.encode(batch);
        try {
          if (!handle) {
            created = true;
            handle = await open(full, 'wx');
            // By path, not by handle: the file stays alive after commit closes it, while the commit waits for the table's lock.
            heartbeat = setInterval(() => {
              const t = new Date();
              utimes(full, t, t).catch((e: NodeJS.ErrnoException) => void (lost ||= e.code === 'ENOENT'));
            }, LOCK_STALE_MS / 4);
            heartbeat.unref();
          }
          let done = 0;
          while (done < buf.length) done += (await handle.write(buf, done, buf.length - done, offset + done)).bytesWritten;
          this.io.bytesWritten += done;
        } catch (e) {
          if (e instanceof StorageError) throw e;
          throw new StorageError(`cannot write segment file ${file} of ${this.label}: ${ioReason(e)}`);
        }
        written.push({ file, offset: offset + segmentAt, bytes: buf.length - segmentAt, rows: batch.rows, ...(enc.ext === '.parquet' ? { rowGroup: written.length } : {}) });
        offset += buf.length;
        release?.();
      },
      commit: () => this.commits.run(async () => {
        if (!written) throw new IngestError('this insert has already finished');
        try {
          const tail = handle ? await enc.finish() : undefined;
          if (handle && tail) {
            let done = 0;
            while (done < tail.length) done += (await handle.write(tail, done, tail.length - done, offset + done)).bytesWritten;
            this.io.bytesWritten += done;
            offset += tail.length;
            written = written.map((x) => (x.rowGroup === undefined ? x : { ...x, fileBytes: offset }));
          }
          if (handle) {
            await handle.sync();
            await handle.close();
            handle = undefined;
          }
        } catch (e) {
          throw new StorageError(`cannot write segment file ${file} of ${this.label}: ${ioReason(e)}`);
        }
        const tableLock = await lockAsync(this.manifestFile, `table ${this.label}`, COMMIT_WAIT_MS);
        try {
          if (written.length > 0) {
            // Our file must be whole: if this process stalled past the lock's stale time, another may have cleaned it.
            let size = -1;
            try {
              size = statSync(full).size;
            } catch { /* reported below */ }
            if (lost || size < offset) {
              throw new StorageError(`insert into ${this.label} lost its segment file ${file} (this process stalled for over ${LOCK_STALE_MS / 1000} s and another process cleaned it up); the table is unchanged`);
            }
          }
          // Another process may have committed since this one last read the manifest (a rename
          // gives the file a new inode, so the stamp tells).
          this.reload();
          const next: Manifest = { version: this.manifest.version + 1, segments: [...this.manifest.segments, ...written] };
          atomicWrite(this.manifestFile, JSON.stringify(next));
          this.adopt(next, stamp(this.manifestFile));
        } finally {
          tableLock.release();
        }
        finish();
      }),
      abort: async () => {
        written = undefined;
        await handle?.close().catch(() => {});
        handle = undefined;
        if (created) await unlink(full).catch(() => {});
        finish();
      },
    };
  }

  drop(): void {
    const lock = tryLockSync(this.manifestFile, `table ${this.label}`, COMMIT_WAIT_MS);
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } finally {
      // The lock folder went with the table's folder.
      lock?.release();
    }
    this.adopt({ version: 0, segments: [] }, '');
  }
}
