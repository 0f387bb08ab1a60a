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

/** An insert in progress: batches written but not visible until commit. */
export interface TableWriter {
  /**
   * Write one batch. `texts[i]`, when given, is the JSON text of `rows[i]` as it arrived (a store
   * that serializes may use it instead of serializing the tuple again).
   */
  writeBatch(rows: readonly Tuple[], texts?: readonly (string | undefined)[]): Promise<void>;
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
      writeBatch: async (rows) => {
        if (!pending) throw new IngestError('this insert has already finished');
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
    return {
      writeBatch: async (rows, texts) => {
        if (!written) throw new IngestError('this insert has already finished');
        if (!rows.length) return;
        if (!handle) {
          created = true;
          handle = await open(full, 'wx');
        }
        let json: string;
        if (texts) {
          json = '[';
          for (let i = 0; i < rows.length; i++) json += (i ? ',' : '') + (texts[i] ?? JSON.stringify(rows[i]));
          json += ']';
        } else json = JSON.stringify(rows);
        const buf = Buffer.from(json);
        let done = 0;
        while (done < buf.length) done += (await handle.write(buf, done, buf.length - done, offset + done)).bytesWritten;
        written.push({ file, offset, bytes: buf.length, rows: rows.length });
        offset += buf.length;
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
