/**
 * A catalog's I/O thread (worker.ts): the AWS SDK client when the catalog reaches S3, and the
 * Parquet reader (hyparquet, which is asynchronous) for Parquet tables on any store; and two ways
 * to ask it for something.
 *
 * - Synchronously ({@link IoThread.request}, or {@link IoThread.send} then
 *   {@link IoThread.wait}): the engines' iterators are synchronous, so a scan that needs the
 *   next segment blocks in `Atomics.wait` until the I/O thread has it. `send` without waiting is
 *   how a scan reads one segment ahead while the query works on the current one.
 * - Asynchronously ({@link IoThread.call}): inserts and commits, which are async already and
 *   must not block the event loop (other inserts of the process go on meanwhile).
 *
 * The thread starts at the first request and does not keep the process alive. Byte and request
 * counts are kept in {@link IoThread.stats} (what a scenario reports as bytes transferred).
 */
import { randomBytes } from 'node:crypto';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { InternalError, StorageError } from '../../errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, type S3Config } from './options.js';
import type { Reply, Request, WireError } from './protocol.js';

/** A request sent on the synchronous port, to be waited for with {@link IoThread.wait}. */
export type Ticket = number;

/** Tells the step runners to pause (a lock held by another writer). */
export interface Sleep {
  op: 'sleep';
  ms: number;
}

/** A sequence of requests whose answers decide the next: run the same logic sync or async. */
export type Steps<T> = Generator<Request | Sleep, T, unknown>;

export class IoThread {
  /** Requests made, bytes received (object reads) and sent (object writes). */
  readonly stats = { requests: 0, bytesIn: 0, bytesOut: 0 };
  private worker: Worker | undefined;
  private syncPort!: MessagePort;
  private asyncPort!: MessagePort;
  /** [0]: how many synchronous answers the I/O thread has posted. */
  private counter!: Int32Array;
  private nextId = 1;
  /** Synchronous answers received but not yet waited for (a prefetch whose turn has not come). */
  private readonly arrived = new Map<number, Reply>();
  /** Tickets nobody will wait for: their answers are dropped when they arrive. */
  private readonly abandoned = new Set<number>();
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void; r: Request }>();
  private readonly sentSync = new Map<number, Request>();
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  /** `config`: where S3 tables are, or undefined for a catalog without S3 (Parquet reads only). */
  constructor(readonly config: S3Config | undefined) {}

  /** The S3 options (for an S3 store's own use: it exists only in a catalog with them). */
  get s3(): S3Config {
    if (!this.config) throw new InternalError('this catalog was opened without s3 options');
    return this.config;
  }

  /** `s3://bucket/prefix`, for messages. */
  get where(): string {
    return this.config ? `s3://${this.config.bucket}/${this.config.prefix}` : 'local files';
  }

  private start(): void {
    if (this.worker) return;
    const sync = new MessageChannel(), async = new MessageChannel();
    this.counter = new Int32Array(new SharedArrayBuffer(4));
    const workerData = { config: this.config, syncPort: sync.port2, asyncPort: async.port2, counter: this.counter };
    const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const transferList = [sync.port2, async.port2];
    if (import.meta.url.endsWith('.ts') && process.env.SLUICE_CHILDREN_FROM_BUILD === '1') {
      // Run from source under `npm test`, which builds first: the built worker, without the 0.7 s
      // of CPU that registering the TypeScript loader in each worker costs (see harness/runner.ts).
      this.worker = new Worker(new URL('../../../dist/engine/storage/s3/worker.js', import.meta.url), { workerData, transferList, env });
    } else if (import.meta.url.endsWith('.ts')) {
      // Run from source (tests): a worker does not inherit the TypeScript loader, so it registers it first.
      const target = new URL('./worker.ts', import.meta.url).href;
      this.worker = new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(target)}); })`, { eval: true, workerData, transferList, env });
    } else {
      this.worker = new Worker(new URL('./worker.js', import.meta.url), { workerData, transferList, env });
    }
    this.worker.unref();
    this.worker.on('error', (e) => this.failAll(e));
    this.syncPort = sync.port1;
    this.asyncPort = async.port1;
    this.asyncPort.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.rid);
      if (!p) return;
      this.pending.delete(reply.rid);
      if (this.pending.size === 0) this.asyncPort.unref();
      if (!reply.ok) return p.reject(this.describe(p.r, reply.error));
      this.stats.bytesIn += replyBytes(reply.value);
      p.resolve(this.counted(p.r, reply.value));
    });
    this.asyncPort.unref();
  }

  private failAll(e: unknown): void {
    for (const [, p] of this.pending) p.reject(new StorageError(`the I/O thread for ${this.where} failed: ${(e as Error).message}`));
    this.pending.clear();
  }

  /**
   * Count an answered request and the bytes it sent (a put's body; an upload's chunks are counted
   * when handed over). What it brought back is counted on arrival.
   */
  private counted(r: Request, value: unknown): unknown {
    this.stats.requests++;
    if (r.op === 'put') this.stats.bytesOut += typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength;
    return value;
  }

  /** Send a request on the synchronous port without waiting. */
  send(r: Request): Ticket {
    this.start();
    const id = this.nextId++;
    this.sentSync.set(id, r);
    this.syncPort.postMessage({ ...r, rid: id }, r.op === 'uploadWrite' ? [r.bytes.buffer as ArrayBuffer] : []);
    return id;
  }

  /** Block until the answer to `ticket` arrives; its value, or a StorageError. */
  wait<T>(ticket: Ticket): T {
    const limit = (this.config?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) * 3 + 10_000, deadline = Date.now() + limit;
    for (;;) {
      const seen = Atomics.load(this.counter, 0);
      for (let m = receiveMessageOnPort(this.syncPort); m; m = receiveMessageOnPort(this.syncPort)) {
        const reply = m.message as Reply;
        // Counted on arrival: an abandoned read-ahead's bytes were transferred too.
        if (reply.ok) this.stats.bytesIn += replyBytes(reply.value);
        if (this.abandoned.delete(reply.rid)) this.sentSync.delete(reply.rid);
        else this.arrived.set(reply.rid, reply);
      }
      const reply = this.arrived.get(ticket);
      if (reply) {
        this.arrived.delete(ticket);
        const r = this.sentSync.get(ticket)!;
        this.sentSync.delete(ticket);
        if (!reply.ok) throw this.describe(r, reply.error);
        return this.counted(r, reply.value) as T;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.abandoned.add(ticket);
        throw new StorageError(`no answer from the I/O thread (${this.config?.endpoint ?? (this.config ? 'AWS' : 'local files')}) to ${this.what(this.sentSync.get(ticket)!)} within ${Math.round(limit / 1000)} s`);
      }
      Atomics.wait(this.counter, 0, seen, Math.min(left, 1000));
    }
  }

  /** Forget a ticket nobody will wait for (a prefetch of a scan that stopped early). */
  abandon(ticket: Ticket): void {
    if (this.arrived.delete(ticket)) this.sentSync.delete(ticket);
    else if (this.sentSync.has(ticket)) this.abandoned.add(ticket);
  }

  /** A request, answered synchronously. */
  request<T>(r: Request): T {
    return this.wait<T>(this.send(r));
  }

  /** A request, answered asynchronously (the event loop runs meanwhile). */
  call<T>(r: Request): Promise<T> {
    this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, r });
      if (this.pending.size === 1) this.asyncPort.ref();
      // Counted now: the bytes are handed over (detached) with the message.
      if (r.op === 'uploadWrite') this.stats.bytesOut += r.bytes.byteLength;
      this.asyncPort.postMessage({ ...r, rid: id }, r.op === 'uploadWrite' ? [r.bytes.buffer as ArrayBuffer] : []);
    });
  }

  /** Run `steps` with synchronous requests (a failed request is thrown into the steps, so their `finally` runs). */
  runSync<T>(steps: Steps<T>): T {
    let s = steps.next();
    while (!s.done) {
      const r = s.value;
      let input: unknown, error: unknown, failed = false;
      try {
        if (r.op === 'sleep') Atomics.wait(this.sleeper, 0, 0, r.ms);
        else input = this.request(r);
      } catch (e) {
        failed = true;
        error = e;
      }
      s = failed ? steps.throw(error) : steps.next(input);
    }
    return s.value;
  }

  /** Run `steps` with asynchronous requests (a failed request is thrown into the steps). */
  async run<T>(steps: Steps<T>): Promise<T> {
    let s = steps.next();
    while (!s.done) {
      const r = s.value;
      let input: unknown, error: unknown, failed = false;
      try {
        if (r.op === 'sleep') await new Promise((done) => setTimeout(done, r.ms));
        else input = await this.call(r);
      } catch (e) {
        failed = true;
        error = e;
      }
      s = failed ? steps.throw(error) : steps.next(input);
    }
    return s.value;
  }

  /** Stop the I/O thread (a new request starts it again). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.syncPort?.close();
    this.asyncPort?.close();
    this.failAll(new Error('the I/O thread was stopped'));
    w?.ref();
    await w?.terminate();
  }

  private what(r: Request): string {
    switch (r.op) {
      case 'get': return `reading ${r.key}${r.start !== undefined ? ` (bytes ${r.start}-${r.end! - 1})` : ''}`;
      case 'put': return `writing ${r.key}`;
      case 'head': return `looking up ${r.key}`;
      case 'list': return `listing ${r.prefix}`;
      case 'delete': return `deleting ${r.keys.length === 1 ? r.keys[0] : `${r.keys.length} objects`}`;
      case 'listUploads': return `listing uploads under ${r.prefix}`;
      case 'abortUpload': return `aborting the upload of ${r.key}`;
      case 'parquetMeta': return `reading the Parquet footer of ${'key' in r.source ? r.source.key : r.source.file}`;
      case 'parquetRows': return `reading row group ${r.rowGroup} of ${'key' in r.source ? r.source.key : r.source.file}`;
      default: return 'uploading';
    }
  }

  /** One line for a failed request: what was asked, of which bucket, and the reason in words. */
  private describe(r: Request, e: WireError): StorageError {
    const net: Record<string, string> = { ECONNREFUSED: 'connection refused', ENOTFOUND: 'host not found', ETIMEDOUT: 'timed out', ECONNRESET: 'connection reset' };
    let reason: string;
    if (e.name === 'SluiceError') return new StorageError(e.message);
    if (!this.config || ('source' in r && 'file' in r.source)) return new StorageError(`${this.what(r)} failed: ${e.code ?? e.name}: ${e.message.split('\n')[0]}`);
    if (e.code && net[e.code]) reason = `cannot reach ${this.config.endpoint ?? 'S3'}: ${e.code} (${net[e.code]})`;
    else if (e.name === 'NoSuchBucket') reason = `bucket '${this.config.bucket}' does not exist`;
    else if (e.name === 'AccessDenied' || e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch' || e.status === 403) reason = `access denied (${e.name}; check the credentials)`;
    else if (e.name === 'TimeoutError' || e.name === 'RequestTimeout') reason = `timed out after ${this.config.requestTimeoutMs} ms`;
    else reason = `${e.name}${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message.split('\n')[0]}`;
    return new StorageError(`S3 failed ${this.what(r)} in bucket '${this.config.bucket}': ${reason}`);
  }
}

/** Bytes an answer brought from storage: an object's bytes, or what a Parquet read fetched. */
function replyBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (value !== null && typeof value === 'object' && typeof (value as { ioBytes?: unknown }).ioBytes === 'number') return (value as { ioBytes: number }).ioBytes;
  return 0;
}

/** A fresh random name part: 12 hex digits (segment objects) or 16 (lock claims). */
export function nonce(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}
