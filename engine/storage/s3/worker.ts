/**
 * A catalog's I/O thread: runs the AWS SDK client (when the catalog reaches S3) and the Parquet
 * reader, and answers requests from the main thread (see connection.ts). Requests come on two ports: the synchronous one, whose caller is
 * blocked in `Atomics.wait` until the counter moves, and the asynchronous one (uploads, commits).
 * Requests are handled concurrently, so a prefetch runs while the main thread decodes.
 *
 * Only S3 calls happen here; no bytes are parsed. Errors go back as plain data (name, message,
 * HTTP status, and the network code), and the main thread words them.
 */
import { PassThrough } from 'node:stream';
import { workerData, type MessagePort } from 'node:worker_threads';
import {
  AbortMultipartUploadCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command,
  PutObjectCommand, S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { open } from 'node:fs/promises';
import { parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { S3Config } from './options.js';
import type { Reply, Request, Source, WireError } from './protocol.js';

const { config, syncPort, asyncPort, counter } = workerData as { config: S3Config | undefined; syncPort: MessagePort; asyncPort: MessagePort; counter: Int32Array };

const clientConfig: S3ClientConfig | undefined = config && {
  region: config.region,
  forcePathStyle: config.forcePathStyle,
  ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  ...(config.credentials ? { credentials: config.credentials } : {}),
  // Recent SDKs add CRC checksums to every request and check them on every response, which some
  // S3-compatible servers reject or do not send: only when the operation requires one.
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  maxAttempts: 3,
  requestHandler: { requestTimeout: config.requestTimeoutMs, connectionTimeout: Math.min(config.requestTimeoutMs, 10_000), throwOnRequestTimeout: true },
};
const s3 = clientConfig ? new S3Client(clientConfig) : undefined;
const Bucket = config?.bucket ?? '';
/** The S3 client; a request needing it in a catalog without S3 options is a bug of the caller. */
const client = {
  send: ((command: unknown) => {
    if (!s3) throw new Error('this catalog was opened without s3 options');
    return s3.send(command as never);
  }) as S3Client['send'],
};

/** Multipart uploads in progress, by id: the body they read from and their completion. */
const uploads = new Map<number, { body: PassThrough; upload: Upload; done: Promise<unknown>; failed?: unknown; bytes: number; key: string }>();
let nextUpload = 1;

function wire(e: unknown): WireError {
  const x = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; Code?: string; cause?: { code?: string } };
  return { name: x?.name ?? 'Error', message: String(x?.message ?? e), status: x?.$metadata?.httpStatusCode, code: x?.code ?? x?.cause?.code ?? x?.Code };
}

const isMissing = (e: unknown) => {
  const w = wire(e);
  return w.status === 404 || w.name === 'NoSuchKey' || w.name === 'NotFound';
};

async function handle(r: Request): Promise<unknown> {
  switch (r.op) {
    case 'get': {
      try {
        const range = r.start !== undefined ? `bytes=${r.start}-${r.end! - 1}` : undefined;
        const out = await client.send(new GetObjectCommand({ Bucket, Key: r.key, ...(range ? { Range: range } : {}) }));
        return await out.Body!.transformToByteArray();
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    }
    case 'put': {
      try {
        const out = await client.send(new PutObjectCommand({ Bucket, Key: r.key, Body: r.body, ...(r.ifNoneMatch ? { IfNoneMatch: '*' } : {}) }));
        return { etag: out.ETag ?? '' };
      } catch (e) {
        // 412: the key exists (conditional create lost a race); 409: a concurrent conditional write.
        const s = wire(e).status;
        if (r.ifNoneMatch && (s === 412 || s === 409)) return { conflict: true };
        throw e;
      }
    }
    case 'head': {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: r.key }));
        return { size: out.ContentLength ?? 0, lastModified: out.LastModified?.getTime() ?? 0 };
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    }
    case 'list': {
      const items: { key: string; size: number; lastModified: number }[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix: r.prefix, ...(token ? { ContinuationToken: token } : {}) }));
        for (const c of out.Contents ?? []) items.push({ key: c.Key!, size: c.Size ?? 0, lastModified: c.LastModified?.getTime() ?? 0 });
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return items;
    }
    case 'delete': {
      for (let i = 0; i < r.keys.length; i += 1000) {
        const out = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: r.keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
        const failed = (out.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
        if (failed.length) throw Object.assign(new Error(`${failed.length} objects could not be deleted, the first ${failed[0]!.Key}: ${failed[0]!.Code}`), { name: 'DeleteFailed' });
      }
      return null;
    }
    case 'listUploads': {
      try {
        const out = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: r.prefix }));
        return (out.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId!, initiated: u.Initiated?.getTime() ?? 0 }));
      } catch (e) {
        // Some S3-compatible servers (s3rver among them) do not list uploads: a bucket lifecycle rule cleans them instead.
        if (wire(e).status === 501 || wire(e).name === 'NotImplemented') return null;
        throw e;
      }
    }
    case 'abortUpload':
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key: r.key, UploadId: r.uploadId }));
      return null;
    case 'uploadBegin': {
      const body = new PassThrough({ highWaterMark: 1 << 20 });
      // 5 MiB parts (S3's least), two in flight: at most ~15 MiB of an insert's bytes in this thread.
      if (!s3) throw new Error('this catalog was opened without s3 options');
      const upload = new Upload({ client: s3, params: { Bucket, Key: r.key, Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2, leavePartsOnError: false });
      const id = nextUpload++;
      const u = { body, upload, done: undefined as unknown as Promise<unknown>, failed: undefined as unknown, bytes: 0, key: r.key };
      u.done = upload.done().catch((e) => {
        u.failed = e;
        throw e;
      });
      u.done.catch(() => {});
      uploads.set(id, u);
      return id;
    }
    case 'uploadWrite': {
      const u = uploads.get(r.id);
      if (!u) throw new Error(`no upload ${r.id}`);
      if (u.failed) throw u.failed;
      u.bytes += r.bytes.byteLength;
      if (!u.body.write(r.bytes)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => (u.body.off('error', onError), resolve());
          const onError = (e: unknown) => (u.body.off('drain', onDrain), reject(e));
          u.body.once('drain', onDrain).once('error', onError);
          u.done.catch(onError);
        });
      }
      return null;
    }
    case 'uploadEnd': {
      const u = uploads.get(r.id);
      if (!u) throw new Error(`no upload ${r.id}`);
      u.body.end();
      try {
        await u.done;
      } finally {
        uploads.delete(r.id);
      }
      return u.bytes;
    }
    case 'parquetMeta': {
      const io = { bytes: 0 };
      const md = await metadata(r.source, r.size, io);
      const rowGroups = md.row_groups.map((g) => ({
        rows: Number(g.num_rows),
        stats: Object.fromEntries(g.columns.map((c) => {
          const st = c.meta_data?.statistics;
          const value = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.getTime() : v);
          return [c.meta_data?.path_in_schema.join('.'), st ? { min: value(st.min_value), max: value(st.max_value), nulls: st.null_count === undefined ? undefined : Number(st.null_count) } : {}];
        })),
      }));
      return { rowGroups, ioBytes: io.bytes };
    }
    case 'parquetRows': {
      const io = { bytes: 0 };
      const md = await metadata(r.source, r.size, io);
      const groups = md.row_groups;
      if (!(r.rowGroup >= 0 && r.rowGroup < groups.length)) throw sluiceError(`row group ${r.rowGroup} of a file of ${groups.length}`);
      let rowStart = 0;
      for (let g = 0; g < r.rowGroup; g++) rowStart += Number(groups[g]!.num_rows);
      const rows = Number(groups[r.rowGroup]!.num_rows);
      const pieces = new Map<string, { at: number; data: ArrayLike<unknown> }[]>(r.columns.map((c) => [c, []]));
      await parquetRead({
        file: asyncBuffer(r.source, r.size, io), metadata: md, rowStart, rowEnd: rowStart + rows, columns: r.columns,
        // Timestamps as epoch milliseconds, not Dates (converted below with the other integers).
        parsers: { timestampFromMilliseconds: (v: bigint) => v } as never,
        onChunk: (c) => pieces.get(c.columnName)?.push({ at: c.rowStart, data: c.columnData as ArrayLike<unknown> }),
      });
      const columns = r.columns.map((name) => {
        const parts = pieces.get(name)!.sort((a, b) => a.at - b.at);
        const whole = parts.length === 1 ? parts[0]!.data : parts.flatMap((p) => Array.from(p.data));
        return numbers(whole, name);
      });
      return { rows, columns, ioBytes: io.bytes };
    }
    case 'uploadAbort': {
      const u = uploads.get(r.id);
      if (!u) return null;
      uploads.delete(r.id);
      await u.upload.abort().catch(() => {});
      u.body.destroy();
      await u.done.catch(() => {});
      return null;
    }
  }
}

/** An error to be shown as it is (a SluiceError's message), not as a failed request. */
function sluiceError(message: string): Error {
  return Object.assign(new Error(message), { name: 'SluiceError' });
}

/** Bytes [start, end) of a source: a ranged GET, or a read of a local file. */
async function readRange(src: Source, start: number, end: number): Promise<Uint8Array> {
  if ('key' in src) {
    const out = await client.send(new GetObjectCommand({ Bucket, Key: src.key, Range: `bytes=${start}-${end - 1}` }));
    return out.Body!.transformToByteArray();
  }
  const fh = await open(src.file, 'r');
  try {
    const buf = new Uint8Array(end - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) throw sluiceError(`${src.file} is truncated: ${start + got} of ${end} bytes`);
      got += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** A source as hyparquet reads it, counting the bytes it fetches. */
function asyncBuffer(src: Source, size: number, io: { bytes: number }): AsyncBuffer {
  return {
    byteLength: size,
    slice: async (start: number, end: number = size) => {
      const b = await readRange(src, start, end);
      io.bytes += b.byteLength;
      return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    },
  };
}

/** Parsed footers, by file (files are never modified after they are written); the newest 256. */
const footers = new Map<string, Promise<FileMetaData>>();
function metadata(src: Source, size: number, io: { bytes: number }): Promise<FileMetaData> {
  const id = `${'key' in src ? `s3:${src.key}` : `file:${src.file}`}:${size}`;
  let md = footers.get(id);
  if (!md) {
    // The footer exactly: its length is in the file's last 8 bytes (then the magic 'PAR1').
    const file = asyncBuffer(src, size, io);
    md = (async () => {
      if (size < 12) throw new Error(`${size} bytes is too short`);
      const tail = new DataView(await file.slice(size - 8, size));
      if (tail.getUint32(4, true) !== 0x31524150) throw new Error('it does not end with PAR1');
      const footer = tail.getUint32(0, true);
      if (footer + 12 > size) throw new Error(`its footer length ${footer} is more than the file holds`);
      return parquetMetadataAsync(file, { initialFetchSize: footer + 8 });
    })().catch((e) => {
      footers.delete(id);
      throw sluiceError(`${'key' in src ? src.key : src.file} is not a readable Parquet file: ${(e as Error).message}`);
    });
    footers.set(id, md);
    if (footers.size > 256) footers.delete(footers.keys().next().value!);
  }
  return md;
}

/** A decoded column with 64-bit integers as numbers (a Float64Array), which must be safe integers. */
function numbers(data: ArrayLike<unknown>, name: string): ArrayLike<unknown> {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v > 9007199254740991n || v < -9007199254740991n) throw sluiceError(`column '${name}' holds the integer ${v}, beyond 2^53, which sluice's numbers cannot hold exactly`);
      out[i] = Number(v);
    }
    return out;
  }
  if (Array.isArray(data) && data.some((v) => typeof v === 'bigint')) {
    return data.map((v) => {
      if (typeof v !== 'bigint') return v;
      if (v > 9007199254740991n || v < -9007199254740991n) throw sluiceError(`column '${name}' holds the integer ${v}, beyond 2^53, which sluice's numbers cannot hold exactly`);
      return Number(v);
    });
  }
  return data;
}

function serve(port: MessagePort, sync: boolean): void {
  port.on('message', (r: Request & { rid: number }) => {
    handle(r).then(
      (value) => answer(port, sync, { rid: r.rid, ok: true, value }),
      (e) => answer(port, sync, { rid: r.rid, ok: false, error: wire(e) }),
    );
  });
}

function answer(port: MessagePort, sync: boolean, reply: Reply): void {
  const whole = (a: unknown): a is ArrayBufferView => ArrayBuffer.isView(a) && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  const v = reply.ok ? reply.value : undefined;
  // Bytes and decoded numeric columns move to the main thread without a copy.
  const transfer = whole(v) ? [v.buffer as ArrayBuffer]
    : v && typeof v === 'object' && Array.isArray((v as { columns?: unknown }).columns) ? [...new Set((v as { columns: unknown[] }).columns.filter(whole).map((c) => c.buffer as ArrayBuffer))] : [];
  port.postMessage(reply, transfer);
  if (sync) {
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  }
}

serve(syncPort, true);
serve(asyncPort, false);
