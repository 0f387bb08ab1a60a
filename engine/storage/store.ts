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
 *   deletes every file the manifest does not name. Readers read the manifest once, then only
 *   segment files, which are never modified after they are written.
 *
 * One process writes a table at a time; inserts within the process commit one after another.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../errors.js';
import { TupleSizer } from '../memory/byte-model.js';
import type { Tuple } from '../types.js';

export type StoreKind = 'memory' | 'filesystem';

/** One committed batch of rows. */
export interface Segment {
  readonly rows: number;
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

export interface TableStore {
  readonly kind: StoreKind;
  /** The committed segments now; later commits do not change the returned list. */
  snapshot(): readonly Segment[];
  /** Rows of one segment of a snapshot (synchronous: the engines' iterators are). */
  readSegment(s: Segment): readonly Tuple[];
  begin(): TableWriter;
  /** Delete all data. */
  drop(): void;
}

/** Serializes commits of one table (inserts may write concurrently; they publish in turn). */
class CommitQueue {
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
class JsonBatch implements BatchBuilder {
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

/** The first buffer of a file batch (it grows if a batch needs more). */
const BATCH_BUFFER_BYTES = 64 * 1024;

export class MemoryTableStore implements TableStore {
  readonly kind = 'memory';
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
interface Manifest {
  version: number;
  segments: { file: string; offset: number; bytes: number; rows: number }[];
}

const MANIFEST = 'manifest.json';

/** Write `text` to `file` durably and atomically: temporary file, fsync, rename, fsync the directory. */
export function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
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

export class FileTableStore implements TableStore {
  readonly kind = 'filesystem';
  private manifest: Manifest;
  private segments: readonly Segment[];
  private readonly commits = new CommitQueue();
  /** Orphan files removed when the table was opened (crash leftovers). */
  readonly cleaned: string[] = [];

  /** Open (or create) the table in `dir`, deleting every file its manifest does not name. */
  constructor(readonly dir: string, private readonly label: string) {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, MANIFEST);
    if (existsSync(file)) {
      this.manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    } else {
      this.manifest = { version: 0, segments: [] };
      atomicWrite(file, JSON.stringify(this.manifest));
    }
    const named = new Set(this.manifest.segments.map((s) => s.file));
    for (const f of readdirSync(dir)) {
      if (f === MANIFEST || named.has(f)) continue;
      unlinkSync(path.join(dir, f));
      this.cleaned.push(f);
    }
    this.segments = this.manifest.segments.map((s) => ({ ...s }));
  }

  snapshot(): readonly Segment[] {
    return this.segments;
  }

  readSegment(s: Segment): readonly Tuple[] {
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
        text = buf.toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      if (e instanceof IngestError) throw e;
      throw new IngestError(`cannot read segment ${s.file} of ${this.label}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (was the table dropped?)`);
    }
    let out: Tuple[];
    try {
      out = JSON.parse(text) as Tuple[];
    } catch (e) {
      throw new IngestError(`segment ${s.file}@${s.offset} of ${this.label} is corrupt: ${(e as Error).message}`);
    }
    if (out.length !== s.rows) throw new IngestError(`segment ${s.file}@${s.offset} of ${this.label} holds ${out.length} rows, its manifest says ${s.rows}`);
    return out;
  }

  /**
   * An insert appends its batches to one new file of its own (one JSON array per batch, each a
   * segment by byte range): one file created per insert, not per batch, which on a slow disk is
   * most of the cost of writing. The file is synced at commit, before the manifest names it.
   */
  begin(): TableWriter {
    const file = `seg-${randomBytes(6).toString('hex')}.json`;
    const full = path.join(this.dir, file);
    let written: Manifest['segments'] | undefined = [];
    let handle: FileHandle | undefined, offset = 0, created = false;
    // Buffers of written batches, for the next ones (one is filled while another is written).
    const free: Buffer[] = [];
    return {
      newBatch: () => new JsonBatch(free.pop() ?? Buffer.allocUnsafe(BATCH_BUFFER_BYTES)),
      writeBatch: async (batch) => {
        if (!written) throw new IngestError('this insert has already finished');
        const b = batch as JsonBatch;
        if (!b.rows) return;
        const { bytes: buf, buffer } = b.finish();
        if (!handle) {
          created = true;
          handle = await open(full, 'wx');
        }
        let done = 0;
        while (done < buf.length) done += (await handle.write(buf, done, buf.length - done, offset + done)).bytesWritten;
        written.push({ file, offset, bytes: buf.length, rows: b.rows });
        offset += buf.length;
        if (free.length < 2) free.push(buffer);
      },
      commit: () => this.commits.run(async () => {
        if (!written) throw new IngestError('this insert has already finished');
        if (handle) {
          await handle.sync();
          await handle.close();
          handle = undefined;
        }
        const next: Manifest = { version: this.manifest.version + 1, segments: [...this.manifest.segments, ...written] };
        atomicWrite(path.join(this.dir, MANIFEST), JSON.stringify(next));
        this.manifest = next;
        this.segments = next.segments.map((x) => ({ ...x }));
        written = undefined;
      }),
      abort: async () => {
        written = undefined;
        await handle?.close().catch(() => {});
        handle = undefined;
        if (created) await unlink(full).catch(() => {});
      },
    };
  }

  drop(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.manifest = { version: 0, segments: [] };
    this.segments = [];
  }
}
