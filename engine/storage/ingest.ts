/**
 * Streaming ingest: rows arrive as NDJSON or one JSON array, in chunks of any size, and are
 * parsed, checked, converted and written in batches while the input is still arriving. Memory is
 * bounded by one chunk plus one batch, whatever the input size, and accounted in a
 * {@link MemoryTracker} (the batch's tuples with the engine's byte model; the text in transit at
 * one byte per character).
 *
 * An insert is all-or-nothing: its batches go to a {@link TableWriter} and become visible only at
 * commit; any failure (bad JSON, a row that does not fit the schema, an abort, an error of the
 * source) aborts the writer, which deletes what it wrote. A crash leaves orphan segments that the
 * next open of the catalog deletes.
 */
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { JSONParser } from '@streamparser/json';
import { ConfigError, describeValue, IngestError, SluiceError } from '../errors.js';
import { fromParquet } from './parquet.js';
import { ioReason } from './store.js';
import { MemoryTracker, type MemoryReservation } from '../memory/memory-tracker.js';
import { DEFAULT_OPTIONS } from '../options.js';
import type { Tuple } from '../types.js';
import { table, type Database, type Table } from './catalog.js';
import { rowConverter } from './schema.js';
import type { BatchBuilder, TableWriter } from './store.js';

export type IngestFormat = 'ndjson' | 'json-array' | 'parquet';
export const INGEST_FORMATS: readonly IngestFormat[] = ['ndjson', 'json-array', 'parquet'];

export interface InsertOptions {
  format?: IngestFormat;
  /** Rows per written batch (segment); default the engine option `ingestBatchSize` (1000). */
  batchSize?: number;
  signal?: AbortSignal;
  /** Account the insert's buffers here (default: a tracker of its own, reported in the result). */
  memory?: MemoryTracker;
}

export interface InsertResult {
  rows: number;
  batches: number;
  /** Input bytes read. */
  bytes: number;
  /** The tracker's peak during the insert. */
  memoryPeakBytes: number;
}

/** A chunk source: a Node Readable or any (async) iterable of strings or bytes. */
export type ChunkSource = Readable | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/**
 * A Parquet input (`format: 'parquet'`): a file's path, or its bytes. Parquet's metadata is at the
 * end of the file, so it is not read as a stream of chunks but a row group at a time.
 */
export type ParquetSource = string | Uint8Array;

function checkBatchSize(v: unknown): number {
  const n = v ?? DEFAULT_OPTIONS.ingestBatchSize;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new ConfigError(`batchSize must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * Fills batches of exactly `size` rows and writes them in order, at most one write in flight;
 * charges the bytes it holds to the tracker. A store's batch may encode rows as they arrive, or
 * keep them until `settle()`, which the sink calls at the end of every input chunk.
 */
class BatchSink {
  private current: BatchBuilder;
  /** Full batches not yet written, oldest first. */
  private ready: BatchBuilder[] = [];
  private readonly mem: MemoryReservation;
  rows = 0;
  batches = 0;

  constructor(private readonly writer: TableWriter, private readonly size: number, memory: MemoryTracker) {
    this.mem = memory.reservation('ingest batch');
    this.current = writer.newBatch();
    this.mem.resize(this.current.bytes);
  }

  add(t: Tuple, text?: string): void {
    const c = this.current, before = c.bytes;
    c.add(t, text);
    this.mem.resize(c.bytes - before);
    if (c.rows === this.size) {
      this.ready.push(c);
      this.current = this.writer.newBatch();
      this.mem.resize(this.current.bytes);
    }
  }

  /** A batch's rows, encoded (a store may have kept them as JS values until now). */
  private settle(b: BatchBuilder): void {
    const before = b.bytes;
    b.settle();
    this.mem.resize(b.bytes - before);
  }

  /** The write in flight, if any: parsing goes on while one batch is being written. */
  private inFlight: Promise<void> | undefined;

  /**
   * Start writing every full batch (and, with `all`, the partial one), keeping at most one write
   * in flight: the next batch is filled while the previous one is written.
   */
  async drain(all = false): Promise<void> {
    // Once per input chunk: nothing the sink keeps refers to the chunk's strings after this.
    this.settle(this.current);
    for (const b of this.ready) this.settle(b);
    if (all) {
      // The last, partial batch; an empty one is only handed back.
      const c = this.current;
      if (c.rows > 0) this.ready.push(c);
      else this.mem.resize(-c.bytes);
    }
    while (this.ready.length > 0) {
      const batch = this.ready.shift()!;
      await this.inFlight;
      const share = batch.bytes;
      const w = this.writer.writeBatch(batch).finally(() => this.mem.resize(-share)).then(() => {
        this.rows += batch.rows;
        this.batches++;
      });
      w.catch(() => {}); // a failure is seen by the next await of inFlight, never "unhandled"
      this.inFlight = w;
    }
    if (all) await this.flush();
  }

  /** Wait for the write in flight. */
  async flush(): Promise<void> {
    const w = this.inFlight;
    this.inFlight = undefined;
    await w;
  }

  /** After a failure: wait out the write in flight (so abort can delete its file), release the rest. */
  async discard(): Promise<void> {
    await this.inFlight?.catch(() => {});
    this.inFlight = undefined;
    this.mem.free();
    this.ready = [];
  }
}

/** Parses text chunks into row values, calling `onRow` for each, synchronously within `push`. */
interface RowParser {
  push(chunk: string): void;
  end(): void;
}

/**
 * Decodes the input's chunks to text: bytes as strict UTF-8 (an invalid sequence is an error, not
 * a silent U+FFFD; a sequence split across chunks is joined), and a byte-order mark at the very
 * start is dropped, whether the input arrives as bytes or as strings. Validation is `isUtf8`
 * (simdutf, about 40 GB/s) over each chunk minus a trailing incomplete character, which is
 * checked with the next chunk's first bytes; decoding stays Node's StringDecoder. (A fatal
 * TextDecoder does both, at half StringDecoder's speed: 5% of a 1M-row ingest.)
 */
class InputDecoder {
  private readonly decoder = new StringDecoder('utf8');
  private bytes = 0;
  private started = false;
  /** The bytes of a character that the previous chunk began and did not finish. */
  private pending: Buffer | null = null;
  constructor(private readonly label: string) {}
  decode(chunk: string | Uint8Array): string {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.validate(b);
      this.bytes += b.length;
      text = this.decoder.write(b);
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }
  end(): string {
    if (this.pending !== null) throw new IngestError(`the input for ${this.label} is not valid UTF-8 (it ends inside a multi-byte character)`);
    return this.decoder.end();
  }
  private validate(b: Buffer): void {
    let from = 0;
    if (this.pending !== null) {
      // Finish the split character with this chunk's first bytes, and check it whole.
      const need = sequenceLength(this.pending[0]!) - this.pending.length;
      from = Math.min(need, b.length);
      const joined = Buffer.concat([this.pending, b.subarray(0, from)]);
      if (joined.length < sequenceLength(joined[0]!)) {
        this.pending = joined;
        return;
      }
      if (!isUtf8(joined)) this.invalid(b.length);
      this.pending = null;
    }
    const cut = incompleteTail(b, from);
    if (!isUtf8(b.subarray(from, b.length - cut))) this.invalid(b.length);
    this.pending = cut > 0 ? Buffer.from(b.subarray(b.length - cut)) : null;
  }
  private invalid(len: number): never {
    throw new IngestError(`the input for ${this.label} is not valid UTF-8 (an invalid byte sequence in bytes ${this.bytes}-${this.bytes + len - 1})`);
  }
}

/** Bytes of the UTF-8 sequence that `lead` starts (1 for a byte that cannot start one: isUtf8 rejects it). */
function sequenceLength(lead: number): number {
  return lead >= 0xf0 && lead <= 0xf7 ? 4 : lead >= 0xe0 ? (lead <= 0xef ? 3 : 1) : lead >= 0xc0 ? 2 : 1;
}

/** Bytes at the end of `b` (from `from` on) that begin a character the chunk does not finish. */
function incompleteTail(b: Buffer, from: number): number {
  for (let i = b.length - 1; i >= Math.max(from, b.length - 4); i--) {
    const x = b[i]!;
    if ((x & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const len = x < 0x80 ? 1 : sequenceLength(x);
    return b.length - i < len ? b.length - i : 0;
  }
  return 0;
}

/** NDJSON: one JSON value per line; blank lines are skipped; errors name the line. */
function ndjsonParser(onRow: (v: unknown, text?: string) => void, label: string): RowParser {
  let rest = '', line = 0;
  const parseLine = (text: string) => {
    line++;
    // Blank lines are skipped; the regex runs only for a line that starts with whitespace.
    if (text.length === 0 || (text.charCodeAt(0) <= 32 && /^\s*$/.test(text))) return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new IngestError(`malformed JSON on line ${line} of the input for ${label}: ${(e as Error).message}`);
    }
    onRow(v, text);
  };
  return {
    push(chunk) {
      const text = rest + chunk;
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        parseLine(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
        start = nl + 1;
      }
      rest = start === 0 ? text : text.slice(start);
    },
    end() {
      const text = rest;
      rest = '';
      if (text.length) parseLine(text);
    },
  };
}

/** One JSON array of rows, parsed incrementally by @streamparser/json; errors name the byte offset. */
function jsonArrayParser(onRow: (v: unknown) => void, label: string): RowParser {
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  let bytes = 0, sawArray = false, failure: unknown;
  parser.onValue = ({ value, stack }) => {
    if (stack.length === 1) onRow(value);
  };
  parser.onError = (e) => {
    failure ??= e;
  };
  const raise = (e: unknown): never => {
    if (e instanceof SluiceError) throw e;
    const msg = (e as Error).message ?? String(e);
    const pos = /position "?(\d+)"?/.exec(msg);
    throw new IngestError(`malformed JSON at byte ${pos ? pos[1] : bytes} of the input for ${label}: ${msg.replace(/\s+at position.*$/, '')}`);
  };
  return {
    push(text) {
      if (!sawArray) {
        const first = text.trimStart()[0];
        if (first !== undefined) {
          if (first !== '[') throw new IngestError(`malformed input for ${label}: the json-array format must start with '[', got '${first}' (is it NDJSON?)`);
          sawArray = true;
        }
      }
      try {
        parser.write(text);
      } catch (e) {
        raise(e);
      }
      if (failure !== undefined) raise(failure);
      bytes += Buffer.byteLength(text);
    },
    end() {
      if (!sawArray) throw new IngestError(`malformed input for ${label}: the input is empty, expected a JSON array`);
      if (failure !== undefined) raise(failure);
      if (!parser.isEnded) {
        try {
          parser.end();
        } catch {
          /* reported below: the array is not closed */
        }
      }
      if (!parser.isEnded) throw new IngestError(`malformed JSON: the input for ${label} ended inside the array (after ${bytes} bytes)`);
    },
  };
}

/** Characters or bytes of input parsed between two chances to write batches and yield. */
const SLICE = 256 * 1024;

/**
 * A function to await between chunks or batches: it lets the event loop run (timers, I/O, an
 * abort) once at least `everyMs` has passed since it last did. Without it, an insert whose source
 * and store never wait (an array of chunks into a memory table) would hold the thread to the end.
 */
function makeYielder(everyMs = 10): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return undefined;
    last = now;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => void (last = performance.now()));
  };
}

function aborted(t: Table): IngestError {
  return new IngestError(`insert into ${t.label} was aborted; the table is unchanged`);
}

/** The chunks of `source`, stopping with an error as soon as `signal` aborts (even mid-wait). */
async function* chunksOf(source: ChunkSource, signal: AbortSignal | undefined, t: Table): AsyncGenerator<string | Uint8Array> {
  if (signal?.aborted) throw aborted(t);
  const it = (Symbol.asyncIterator in source ? (source as AsyncIterable<string | Uint8Array>)[Symbol.asyncIterator]() : (source as Iterable<string | Uint8Array>)[Symbol.iterator]()) as AsyncIterator<string | Uint8Array> | Iterator<string | Uint8Array>;
  let onAbort: (() => void) | undefined;
  const abortP = signal ? new Promise<never>((_, reject) => signal.addEventListener('abort', (onAbort = () => reject(aborted(t))), { once: true })) : undefined;
  abortP?.catch(() => {});
  try {
    for (;;) {
      const step = abortP ? await Promise.race([it.next(), abortP]) : await it.next();
      if (step.done) return;
      const chunk = step.value;
      if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) throw new IngestError(`the input for ${t.label} produced a ${typeof chunk} chunk; expected strings or bytes`);
      yield chunk;
      if (signal?.aborted) throw aborted(t);
    }
  } finally {
    if (onAbort) signal!.removeEventListener('abort', onAbort);
    if (source instanceof Readable && !source.destroyed) source.destroy();
    // A stalled async generator's return() waits for its pending next(), which may never come:
    // ask it to finish, but do not wait for it (an abort must settle promptly).
    const done = it.return?.();
    if (done instanceof Promise) done.catch(() => {});
  }
}

/**
 * Insert rows from a stream, all or nothing; see the module comment.
 * @throws PlanError for an unknown database or table; ConfigError for bad options; IngestError for
 *   malformed input, a row that does not fit the schema, an abort or a failing source.
 */
export async function insertStream(db: Database, tableName: string, source: ChunkSource | ParquetSource, opts: InsertOptions = {}): Promise<InsertResult> {
  const t = table(db, tableName);
  const format = opts.format ?? 'ndjson';
  if (!INGEST_FORMATS.includes(format)) throw new ConfigError(`unknown ingest format ${JSON.stringify(format)}; expected ${INGEST_FORMATS.join(', ')}`);
  const batchSize = checkBatchSize(opts.batchSize);
  if (format === 'parquet') return insertParquet(t, source, batchSize, opts);
  if (source === null || typeof source !== 'object' || !(Symbol.asyncIterator in source || Symbol.iterator in source) || source instanceof Uint8Array) {
    throw new ConfigError(`the source for ${t.label} must be a Readable or an iterable of chunks${source instanceof Uint8Array || typeof source === 'string' ? ` (a ${typeof source === 'string' ? 'path' : 'Uint8Array'} is a source for format 'parquet' only; NDJSON bytes go in an array: [bytes])` : ''}`);
  }
  const memory = opts.memory ?? new MemoryTracker();
  const convert = rowConverter(t.schema, t.label);
  const writer = t.store.begin();
  const sink = new BatchSink(writer, batchSize, memory);
  // The input chunk being parsed, held until its slices are parsed (one chunk at a time).
  const chunkMem = memory.reservation('ingest chunk');
  let rowNumber = 0, bytes = 0;
  // NDJSON lines that are arrays needing no conversion are stored as they came (no re-serializing).
  const onRow = (v: unknown, text?: string) => {
    const t = convert(v, ++rowNumber);
    sink.add(t, text !== undefined && convert.exact ? text : undefined);
  };
  const parser = format === 'ndjson' ? ndjsonParser(onRow, t.label) : jsonArrayParser(onRow, t.label);
  const decoder = new InputDecoder(t.label);
  const yielder = makeYielder();
  try {
    for await (const whole of chunksOf(source as ChunkSource, opts.signal, t)) {
      const n = typeof whole === 'string' ? whole.length : whole.byteLength;
      chunkMem.grow(n);
      try {
        // A large chunk is parsed in slices, so that batches are written and the event loop runs
        // (an abort can fire) between slices, not only once the whole chunk is parsed.
        for (let at = 0; at < n;) {
          let end = Math.min(n, at + SLICE);
          // Never split a surrogate pair between two string slices (bytes are joined by the decoder).
          if (typeof whole === 'string' && end < n && (whole.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
          const part = at === 0 && end === n ? whole : typeof whole === 'string' ? whole.slice(at, end) : whole.subarray(at, end);
          at = end;
          parser.push(decoder.decode(part));
          await sink.drain();
          await yielder();
          if (opts.signal?.aborted) throw aborted(t);
        }
      } finally {
        chunkMem.free();
      }
      bytes += n;
    }
    const tail = decoder.end();
    if (tail.length > 0) parser.push(tail);
    parser.end();
    await commitInsert(t, sink, writer, opts.signal);
  } catch (e) {
    await abortInsert(t, sink, writer, e);
  }
  return { rows: sink.rows, batches: sink.batches, bytes, memoryPeakBytes: memory.peak };
}

/** The end of an insert whose input is all read: write the last batch, then publish every batch. */
async function commitInsert(t: Table, sink: BatchSink, writer: TableWriter, signal: AbortSignal | undefined): Promise<void> {
  await sink.drain(true);
  if (signal?.aborted) throw aborted(t);
  await writer.commit();
}

/** After any failure of an insert: drop its batches (the table is unchanged), and throw one error saying so. */
async function abortInsert(t: Table, sink: BatchSink, writer: TableWriter, e: unknown): Promise<never> {
  await sink.discard();
  await writer.abort();
  if (e instanceof SluiceError) throw e;
  const err = e as Error;
  throw new IngestError(`insert into ${t.label} failed, the table is unchanged: ${err?.name === 'AbortError' ? 'the source was aborted' : (err?.message ?? String(e))}`);
}

/**
 * A Parquet file into `t`: the table's columns are read by name (others in the file are left
 * alone), a row group at a time, checked and converted as any ingested row is (64-bit integers
 * must be safe integers; timestamps become epoch milliseconds), and written in batches. All or
 * nothing, as every insert.
 */
async function insertParquet(t: Table, source: unknown, batchSize: number, opts: InsertOptions): Promise<InsertResult> {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw new ConfigError(`a Parquet source for ${t.label} must be a file path or the file's bytes (a Uint8Array), got ${describeValue(source)}`);
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead } = await import('hyparquet');
  const what = typeof source === 'string' ? `Parquet file ${source}` : 'the Parquet input';
  let file: { byteLength: number; slice(start: number, end?: number): ArrayBuffer | Promise<ArrayBuffer> };
  if (typeof source === 'string') {
    try {
      file = await asyncBufferFromFile(source);
    } catch (e) {
      throw new ConfigError(`cannot read ${what}: ${ioReason(e)}`);
    }
  } else {
    const bytes = source;
    file = { byteLength: bytes.byteLength, slice: (start, end = bytes.byteLength) => bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + end) as ArrayBuffer };
  }
  let md: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    md = await parquetMetadataAsync(file);
  } catch (e) {
    throw new IngestError(`${what} is not a Parquet file sluice can read: ${(e as Error).message}`);
  }
  const names = t.schema.map((c) => c.name);
  const inFile = md.schema.slice(1).map((e) => e.name);
  for (const n of names) if (!inFile.includes(n)) throw new IngestError(`${what} has no column '${n}' of ${t.label}; its columns are ${inFile.join(', ')}`);
  const memory = opts.memory ?? new MemoryTracker();
  const convert = rowConverter(t.schema, t.label);
  const writer = t.store.begin();
  const sink = new BatchSink(writer, batchSize, memory);
  let rowNumber = 0;
  try {
    let rowStart = 0;
    for (const group of md.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      let rows: unknown[][] = [];
      await parquetRead({ file, metadata: md, rowStart, rowEnd, columns: names, rowFormat: 'array', onComplete: (r) => void (rows = r as unknown[][]) });
      for (const r of rows) {
        rowNumber++;
        // The message's parts, not a closure per value: the message is built only for a bad one.
        for (let c = 0; c < r.length; c++) r[c] = fromParquet(r[c], rowNumber, t.label, names[c]!);
        sink.add(convert(r, rowNumber));
      }
      rows = [];
      await sink.drain();
      if (opts.signal?.aborted) throw aborted(t);
      rowStart = rowEnd;
    }
    await commitInsert(t, sink, writer, opts.signal);
  } catch (e) {
    await abortInsert(t, sink, writer, e);
  }
  return { rows: sink.rows, batches: sink.batches, bytes: file.byteLength, memoryPeakBytes: memory.peak };
}

/**
 * Insert in-memory rows (arrays in schema order or objects by column name) in batches of
 * `batchSize`, all or nothing, with the same checks as {@link insertStream}.
 */
export async function insertBatches(db: Database, tableName: string, rows: readonly unknown[], batchSize?: number): Promise<InsertResult> {
  const t = table(db, tableName);
  const size = checkBatchSize(batchSize);
  if (!Array.isArray(rows)) throw new ConfigError(`rows for ${t.label} must be an array`);
  const memory = new MemoryTracker();
  const convert = rowConverter(t.schema, t.label);
  const writer = t.store.begin();
  const sink = new BatchSink(writer, size, memory);
  try {
    const yielder = makeYielder();
    for (let i = 0; i < rows.length; i++) {
      // The converter keeps a valid array as the tuple: copy the caller's, which it may change later.
      const r = rows[i];
      sink.add(convert(Array.isArray(r) ? r.slice() : r, i + 1));
      if ((i + 1) % size === 0) {
        await sink.drain();
        await yielder();
      }
    }
    await commitInsert(t, sink, writer, undefined);
  } catch (e) {
    await abortInsert(t, sink, writer, e);
  }
  return { rows: sink.rows, batches: sink.batches, bytes: 0, memoryPeakBytes: memory.peak };
}

