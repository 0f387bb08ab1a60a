/**
 * The S3 table store: a table is a key prefix `<catalog prefix><database>/<table>/` holding
 *
 * - `data/seg-<12 hex>.json`: one object per insert, uploaded as the insert runs (a multipart
 *   upload fed batch by batch, so an insert's memory stays bounded whatever its size). Each batch
 *   is one segment, a byte range of the object holding a JSON array of tuples, exactly as in the
 *   filesystem store's segment files.
 * - `manifest/<12-digit version>.json`: the committed segment lists. The newest version is the
 *   table. Objects are never overwritten: a commit writes the next version, so a reader that took
 *   a manifest keeps reading exactly those segments. The newest few versions are kept.
 * - `lock/<16 hex>`: writers' claims on the table's commit lock (see {@link S3TableStore.lockSteps}).
 *
 * **All or nothing.** An insert's object is invisible until a manifest names it. A failed or
 * aborted insert aborts its upload (or deletes its object) and leaves the manifest untouched. A
 * crashed insert leaves either an unfinished multipart upload or an object no manifest names;
 * opening the table deletes such objects, under the commit lock, once they are older than
 * `orphanAgeMs` by the server's clock (15 minutes by default; a live insert's object is completed
 * only at its commit, which publishes it within seconds). Unfinished uploads are aborted where the
 * server lists them; elsewhere (s3rver) a bucket lifecycle rule must clean them.
 *
 * **Concurrent writers.** Commits take the table's lock: a writer puts a claim object, lists the
 * claims, and holds the lock only if it sees no other live claim; otherwise it withdraws and tries
 * again after a random pause. S3 lists are strongly consistent after a write, so two writers cannot
 * both see only their own claim. Under the lock a commit re-reads the newest manifest, checks that
 * its object is whole and its claim still there, and writes the next version with `If-None-Match:
 * *`: on a server that honours conditional writes (AWS S3 since 2024) a second writer of the same
 * version is refused even if a lock was lost, and the commit retries on the version after; on one
 * that ignores them (s3rver) the lock alone keeps commits apart. A claim older than 30 s by the
 * server's clock is a dead writer's, and is removed; a writer stalled that long loses its claim,
 * notices before publishing, and fails with the table unchanged.
 *
 * Reads are synchronous (the engines' iterators are), through the connection's I/O thread; a
 * scan reads the next segment while the query works on the current one.
 */
import { hostname } from 'node:os';
import { IngestError, StorageError } from '../../errors.js';
import type { Tuple } from '../../types.js';
import type { RowGroupStats } from '../parquet.js';
import {
  CommitQueue, decodeSegment, fileEncoder, isParquet, parquetReader, parquetRowsOf, parquetStats, parseManifest, projector, SEGMENT_FILE,
  ioCounts, type IoCounts, type Manifest, type Segment, type SegmentReader, type SourceOf, type StoreOptions, type TableStore, type TableWriter,
} from '../store.js';
import { nonce, type IoThread, type Steps } from './connection.js';
import type { ObjectInfo, ParquetMeta, Request } from './protocol.js';

const MANIFESTS = 'manifest/';
const DATA = 'data/';
const LOCKS = 'lock/';
const MANIFEST_KEY = /manifest\/(\d{12})\.json$/;
/** A lock claim older than this (by the server's clock) belongs to a dead or stalled writer. */
export const S3_LOCK_STALE_MS = 30_000;
/** How long a commit or a drop waits for another writer's lock. */
const COMMIT_WAIT_MS = 30_000;
/** Manifest versions kept besides the newest (a reader that listed just before a commit still finds its version). */
const KEEP_MANIFESTS = 4;
/** The most a streaming read asks for in one request (contiguous segments of one object). */
const READ_WINDOW_BYTES = 1 << 20;

const manifestName = (v: number) => `${MANIFESTS}${String(v).padStart(12, '0')}.json`;

export class S3TableStore implements TableStore {
  readonly kind = 's3';
  readonly io: IoCounts = ioCounts();
  private manifest: Manifest = { version: 0, segments: [] };
  private manifestKey = '';
  private segments: readonly Segment[] = [];
  /** Versions seen at the last listing, oldest first (for pruning). */
  private versions: number[] = [];
  private opened = false;
  private readonly commits = new CommitQueue();
  /** Objects removed when the table was first used in this process (crash leftovers). */
  readonly cleaned: string[] = [];
  /** The server's clock at the last lock taken (ms): what object ages are measured against. */
  private serverNow = 0;

  /**
   * A table at `prefix` (ending in '/'). With `create`, make it: delete whatever a dropped table
   * left under the prefix and write an empty manifest. Otherwise nothing is read until the table
   * is first used (then its leftovers are cleaned).
   * @throws StorageError when S3 cannot be reached or refuses (create only).
   */
  /** Footers of this table's Parquet files, by file (never modified once written). */
  private readonly footers = new Map<string, ParquetMeta>();

  constructor(private readonly conn: IoThread, readonly prefix: string, private readonly label: string, create = false, private readonly opts: StoreOptions = {}) {
    if (create) {
      conn.runSync(this.createSteps());
      this.opened = true;
    }
  }

  get bucket(): string {
    return this.conn.s3.bucket;
  }

  /** `s3://bucket/key`, for messages. */
  private url(key: string): string {
    return `s3://${this.conn.s3.bucket}/${key}`;
  }

  private *createSteps(): Steps<void> {
    const left = (yield { op: 'list', prefix: this.prefix }) as ObjectInfo[];
    if (left.length) yield { op: 'delete', keys: left.map((o) => o.key) };
    const empty: Manifest = { version: 0, segments: [] };
    const key = this.prefix + manifestName(0);
    yield { op: 'put', key, body: JSON.stringify(empty), ifNoneMatch: true };
    this.adopt(empty, key);
    this.versions = [0];
  }

  private adopt(m: Manifest, key: string): void {
    this.manifest = m;
    this.segments = m.segments.map((x) => ({ ...x }));
    this.manifestKey = key;
  }

  /** Find the newest manifest, and read it if it is not the one held. */
  private *reloadSteps(): Steps<void> {
    for (let attempt = 0; ; attempt++) {
      const listed = (yield { op: 'list', prefix: this.prefix + MANIFESTS }) as ObjectInfo[];
      const found = listed.map((o) => ({ key: o.key, m: MANIFEST_KEY.exec(o.key) })).filter((x) => x.m && x.key === this.prefix + x.m[0]);
      if (found.length === 0) throw new StorageError(`table ${this.label} has no manifest under ${this.url(this.prefix)}; was it dropped?`);
      this.versions = found.map((x) => Number(x.m![1])).sort((a, b) => a - b);
      const newest = this.versions[this.versions.length - 1]!;
      const key = this.prefix + manifestName(newest);
      if (key === this.manifestKey) return;
      const bytes = (yield { op: 'get', key }) as Uint8Array | null;
      if (bytes === null) {
        // Pruned (or the table dropped) between the listing and the read: list again.
        if (attempt < 3) continue;
        throw new StorageError(`the manifest ${this.url(key)} of ${this.label} vanished while being read; was the table dropped?`);
      }
      const m = parseManifest(this.url(key), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
      if (m.version !== newest) throw new StorageError(`manifest ${this.url(key)} is corrupt: version must be ${newest} (its name), got ${m.version}`);
      this.adopt(m, key);
      return;
    }
  }

  /**
   * Take the table's commit lock: put a claim, list the claims, and hold the lock if no other live
   * claim is there; otherwise withdraw, pause at random and try again, for up to `waitMs` (0: once).
   * Claims older than {@link S3_LOCK_STALE_MS} by the server's clock are removed on the way.
   * Returns the claim's key, or null if the lock was not free in time.
   */
  private *lockSteps(waitMs: number): Steps<string | null> {
    const key = `${this.prefix}${LOCKS}${nonce(8)}`;
    const deadline = Date.now() + waitMs;
    for (let round = 0; ; round++) {
      yield { op: 'put', key, body: JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }) };
      const claims = (yield { op: 'list', prefix: this.prefix + LOCKS }) as ObjectInfo[];
      const mine = claims.find((c) => c.key === key);
      if (!mine) throw new StorageError(`the lock claim ${this.url(key)} of ${this.label} is not listed right after it was written; this S3 server is not strongly consistent, which sluice's S3 store needs`);
      this.serverNow = mine.lastModified;
      const others = claims.filter((c) => c.key !== key);
      const stale = others.filter((c) => mine.lastModified - c.lastModified > S3_LOCK_STALE_MS);
      if (stale.length) yield { op: 'delete', keys: stale.map((c) => c.key) };
      if (others.length === stale.length) return key;
      yield { op: 'delete', keys: [key] };
      if (Date.now() >= deadline) return null;
      yield { op: 'sleep', ms: 5 + Math.random() * Math.min(250, 10 * 2 ** round) };
    }
  }

  private *unlockSteps(key: string): Steps<void> {
    try {
      yield { op: 'delete', keys: [key] };
    } catch {
      /* a claim left behind goes stale in 30 s */
    }
  }

  /**
   * First use in this process: read the newest manifest, then (if the lock is free) delete what
   * crashed inserts left: objects under `data/` no manifest names, and unfinished uploads, older
   * than `orphanAgeMs` by the server's clock; and manifest versions beyond the newest few.
   */
  private *openSteps(): Steps<void> {
    yield* this.reloadSteps();
    const lock = yield* this.lockSteps(0);
    if (lock === null) return;
    try {
      yield* this.reloadSteps();
      const age = this.conn.s3.orphanAgeMs;
      const named = new Set(this.manifest.segments.map((s) => `${this.prefix}${DATA}${s.file}`));
      const objects = (yield { op: 'list', prefix: this.prefix + DATA }) as ObjectInfo[];
      const dead = objects.filter((o) => !named.has(o.key) && this.serverNow - o.lastModified >= age);
      if (dead.length) {
        yield { op: 'delete', keys: dead.map((o) => o.key) };
        this.cleaned.push(...dead.map((o) => o.key.slice(this.prefix.length)));
      }
      const uploads = (yield { op: 'listUploads', prefix: this.prefix + DATA }) as { key: string; uploadId: string; initiated: number }[] | null;
      for (const u of uploads ?? []) {
        if (this.serverNow - u.initiated < age) continue;
        yield { op: 'abortUpload', key: u.key, uploadId: u.uploadId };
        this.cleaned.push(`${u.key.slice(this.prefix.length)} (unfinished upload)`);
      }
      yield* this.pruneSteps();
    } finally {
      yield* this.unlockSteps(lock);
    }
  }

  /** Delete manifest versions older than the newest {@link KEEP_MANIFESTS} + 1. */
  private *pruneSteps(): Steps<void> {
    const newest = this.manifest.version;
    const old = this.versions.filter((v) => v < newest - KEEP_MANIFESTS);
    if (old.length === 0) return;
    try {
      yield { op: 'delete', keys: old.map((v) => this.prefix + manifestName(v)) };
      this.versions = this.versions.filter((v) => v >= newest - KEEP_MANIFESTS);
    } catch {
      /* tried again at the next commit */
    }
  }

  private ensureOpen(): void {
    if (this.opened) return;
    this.conn.runSync(this.openSteps());
    this.opened = true;
  }

  snapshot(): readonly Segment[] {
    if (!this.opened) this.ensureOpen();
    else this.conn.runSync(this.reloadSteps());
    return this.segments;
  }

  private readRequest(s: Segment): Request {
    if (typeof s.file !== 'string' || !SEGMENT_FILE.test(s.file)) throw new StorageError(`segment ${JSON.stringify(s.file)} of ${this.label} is not a segment object of its table`);
    return { op: 'get', key: `${this.prefix}${DATA}${s.file}`, start: s.offset!, end: s.offset! + s.bytes! };
  }

  /** Count a downloaded object's bytes (or range's), then decode a segment of them. */
  private take(s: Segment, bytes: Uint8Array | null): readonly Tuple[] {
    if (bytes) this.io.bytesRead += bytes.byteLength;
    return this.decode(s, bytes);
  }

  private decode(s: Segment, bytes: Uint8Array | null): readonly Tuple[] {
    if (bytes === null) throw new IngestError(`segment object ${this.url(this.prefix + DATA + s.file!)} of ${this.label} is missing (was the table dropped?)`);
    if (bytes.byteLength !== s.bytes) throw new IngestError(`segment ${s.file}@${s.offset} of ${this.label} is truncated: ${bytes.byteLength} of ${s.bytes} bytes`);
    return decodeSegment(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), s, this.label);
  }

  private readonly source: SourceOf = (s) => ({ key: (this.readRequest(s) as { key: string }).key });

  private get names(): string[] {
    return (this.opts.schema ?? []).map((c) => c.name);
  }

  segmentStats(s: Segment): RowGroupStats | undefined {
    return isParquet(s) ? parquetStats(this.conn, s, this.source(s), this.footers, this.io) : undefined;
  }

  readSegment(s: Segment): readonly Tuple[] {
    if (isParquet(s)) return this.parquetRows([s]);
    return this.take(s, this.conn.request<Uint8Array | null>(this.readRequest(s)));
  }

  private parquetRows(segments: readonly Segment[]): Tuple[] {
    return parquetRowsOf(this.conn, segments, this.source, this.names, this.io);
  }

  /**
   * Read `segments` in order in windows of contiguous segments of one object, one ranged GET
   * each: the first window is one segment (the first row comes as soon as it can), each next one
   * twice as many, up to {@link READ_WINDOW_BYTES}. The window after the current one is requested
   * as the current one is entered, so its download overlaps the query's work; at most two
   * windows' bytes are held.
   */
  reader(segments: readonly Segment[], columns?: readonly string[]): SegmentReader {
    if (segments.length > 0 && segments.every(isParquet)) return parquetReader(this.conn, segments, this.source, columns ?? this.names, this.io);
    const pick = projector(columns, this.names);
    type Window = { from: number; to: number; start: number; ticket: number; bytes?: Uint8Array | null };
    let k = 0, span = 1, current: Window | undefined, ahead: Window | undefined;
    const plan = (from: number): Window | undefined => {
      if (from >= segments.length) return undefined;
      const first = segments[from]!;
      let to = from + 1, end = first.offset! + first.bytes!;
      while (to < segments.length && to - from < span) {
        const s = segments[to]!;
        if (s.file !== first.file || s.offset !== end || end + s.bytes! - first.offset! > READ_WINDOW_BYTES) break;
        end += s.bytes!;
        to++;
      }
      span = Math.min(span * 2, 1 << 16);
      const request = this.readRequest(first) as { op: 'get'; key: string; start: number; end: number };
      return { from, to, start: first.offset!, ticket: this.conn.send({ ...request, end }) };
    };
    const drop = (w: Window | undefined) => {
      if (w && w.bytes === undefined) this.conn.abandon(w.ticket);
    };
    return {
      next: () => {
        if (k >= segments.length) return undefined;
        if (!current || k >= current.to) {
          current = ahead && ahead.from === k ? ahead : plan(k);
          ahead = plan(current!.to);
        }
        const w = current!;
        if (w.bytes === undefined) {
          w.bytes = this.conn.wait<Uint8Array | null>(w.ticket);
          if (w.bytes) this.io.bytesRead += w.bytes.byteLength;
        }
        const s = segments[k++]!;
        const part = w.bytes === null ? null : w.bytes.subarray(s.offset! - w.start, Math.min(w.bytes.byteLength, s.offset! - w.start + s.bytes!));
        return pick(this.decode(s, part));
      },
      close: () => {
        drop(current);
        drop(ahead);
        current = ahead = undefined;
        k = segments.length;
      },
    };
  }

  /**
   * A materializing read: each data object the segments lie in is downloaded whole (the byte
   * range covering its segments, in one request), then every segment is decoded.
   */
  readAll(segments: readonly Segment[]): Tuple[] {
    // Parquet row groups are read (only their column chunks) by the I/O thread, one after another.
    if (segments.some(isParquet)) return this.parquetRows(segments);
    const byFile = new Map<string, Segment[]>();
    for (const s of segments) {
      this.readRequest(s);
      let list = byFile.get(s.file!);
      if (!list) byFile.set(s.file!, (list = []));
      list.push(s);
    }
    // Every object requested before the first is waited for: the downloads overlap.
    const pending = [...byFile].map(([file, list]) => {
      const start = Math.min(...list.map((s) => s.offset!)), end = Math.max(...list.map((s) => s.offset! + s.bytes!));
      return { start, list, ticket: this.conn.send({ op: 'get', key: `${this.prefix}${DATA}${file}`, start, end }) };
    });
    const rows: Tuple[] = [];
    for (const p of pending) {
      const bytes = this.conn.wait<Uint8Array | null>(p.ticket);
      if (bytes) this.io.bytesRead += bytes.byteLength;
      for (const s of p.list) {
        const part = bytes === null ? null : bytes.subarray(s.offset! - p.start, Math.min(bytes.byteLength, s.offset! - p.start + s.bytes!));
        for (const t of this.decode(s, part)) rows.push(t);
      }
    }
    return rows;
  }

  /** Under the lock: check the insert's object, then publish the next manifest version. */
  private *commitSteps(key: string, written: Manifest['segments'], size: number): Steps<void> {
    const lock = yield* this.lockSteps(COMMIT_WAIT_MS);
    if (lock === null) throw new StorageError(`cannot commit to ${this.label}: another writer held its lock for over ${COMMIT_WAIT_MS / 1000} s; the table is unchanged`);
    try {
      if (written.length > 0) {
        const head = (yield { op: 'head', key }) as { size: number } | null;
        if (!head || head.size !== size) throw new StorageError(`insert into ${this.label} lost its segment object ${this.url(key)} (${head ? `${head.size} of ${size} bytes` : 'gone'}); the table is unchanged`);
      }
      for (let attempt = 0; ; attempt++) {
        yield* this.reloadSteps();
        const next: Manifest = { version: this.manifest.version + 1, segments: [...this.manifest.segments, ...written] };
        const held = (yield { op: 'head', key: lock }) as object | null;
        if (!held) throw new StorageError(`insert into ${this.label} lost the table's lock (this process stalled for over ${S3_LOCK_STALE_MS / 1000} s and another writer took it); the table is unchanged`);
        const mkey = this.prefix + manifestName(next.version);
        const put = (yield { op: 'put', key: mkey, body: JSON.stringify(next), ifNoneMatch: true }) as { conflict?: boolean };
        if (put.conflict) {
          // Another writer published this version (a server that checks conditional writes told us): build on it.
          if (attempt < 10) continue;
          throw new StorageError(`cannot commit to ${this.label}: version ${next.version} was taken by another writer 10 times in a row; the table is unchanged`);
        }
        this.adopt(next, mkey);
        this.versions.push(next.version);
        break;
      }
      yield* this.pruneSteps();
    } finally {
      yield* this.unlockSteps(lock);
    }
  }

  /**
   * An insert streams its batches into one new object through a multipart upload (bounded memory
   * whatever the insert's size); commit completes the upload, then publishes a manifest naming
   * it under the table's lock. Abort aborts the upload, or deletes the completed object.
   */
  begin(): TableWriter {
    this.ensureOpen();
    const enc = fileEncoder(this.opts.format ?? 'json', this.opts.schema ?? []);
    const file = `seg-${nonce()}${enc.ext}`, key = `${this.prefix}${DATA}${file}`;
    let written: Manifest['segments'] | undefined = [];
    let upload: Promise<number> | undefined, size = 0, completed = false;
    const send = async (bytes: Uint8Array) => {
      // A copy of its own, handed to the I/O thread (the batch's buffer is reused).
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      upload ??= this.conn.call<number>({ op: 'uploadBegin', key });
      const id = await upload;
      // The copy is handed over (detached) with the message: count its length first.
      const n = copy.byteLength;
      await this.conn.call({ op: 'uploadWrite', id, bytes: copy });
      this.io.bytesWritten += n;
    };
    return {
      newBatch: () => enc.newBatch(),
      writeBatch: async (batch) => {
        if (!written) throw new IngestError('this insert has already finished');
        if (!batch.rows) return;
        const { bytes, segmentAt, release } = await enc.encode(batch);
        await send(bytes);
        release?.();
        if (!written) throw new IngestError('this insert has already finished');
        written.push({ file, offset: size + segmentAt, bytes: bytes.length - segmentAt, rows: batch.rows, ...(enc.ext === '.parquet' ? { rowGroup: written.length } : {}) });
        size += bytes.length;
      },
      commit: () => this.commits.run(async () => {
        if (!written) throw new IngestError('this insert has already finished');
        if (upload) {
          const tail = await enc.finish();
          if (tail) {
            await send(tail);
            size += tail.length;
            written = written.map((x) => (x.rowGroup === undefined ? x : { ...x, fileBytes: size }));
          }
          const id = await upload;
          upload = undefined;
          await this.conn.call({ op: 'uploadEnd', id });
          completed = true;
        }
        await this.conn.run(this.commitSteps(key, written, size));
        written = undefined;
      }),
      abort: async () => {
        written = undefined;
        const u = upload;
        upload = undefined;
        if (u) await u.then((id) => this.conn.call({ op: 'uploadAbort', id })).catch(() => {});
        if (completed) await this.conn.call({ op: 'delete', keys: [key] }).catch(() => {});
      },
    };
  }

  /** Delete every object of the table, under its lock (or after waiting 30 s for it). */
  drop(): void {
    this.conn.runSync(this.dropSteps());
    this.adopt({ version: 0, segments: [] }, '');
  }

  private *dropSteps(): Steps<void> {
    yield* this.lockSteps(COMMIT_WAIT_MS);
    const all = (yield { op: 'list', prefix: this.prefix }) as ObjectInfo[];
    if (all.length) yield { op: 'delete', keys: all.map((o) => o.key) };
  }
}
