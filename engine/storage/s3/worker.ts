/**
 * The S3 I/O thread: runs the AWS SDK client for one catalog and answers requests from the main
 * thread (see connection.ts). Requests come on two ports: the synchronous one, whose caller is
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
import type { S3Config } from './options.js';
import type { Reply, Request, WireError } from './protocol.js';

const { config, syncPort, asyncPort, counter } = workerData as { config: S3Config; syncPort: MessagePort; asyncPort: MessagePort; counter: Int32Array };

const clientConfig: S3ClientConfig = {
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
const client = new S3Client(clientConfig);
const Bucket = config.bucket;

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
      const upload = new Upload({ client, params: { Bucket, Key: r.key, Body: body }, partSize: 5 * 1024 * 1024, queueSize: 2, leavePartsOnError: false });
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

function serve(port: MessagePort, sync: boolean): void {
  port.on('message', (r: Request & { rid: number }) => {
    handle(r).then(
      (value) => answer(port, sync, { rid: r.rid, ok: true, value }),
      (e) => answer(port, sync, { rid: r.rid, ok: false, error: wire(e) }),
    );
  });
}

function answer(port: MessagePort, sync: boolean, reply: Reply): void {
  const transfer = reply.ok && reply.value instanceof Uint8Array && reply.value.byteOffset === 0 && reply.value.byteLength === reply.value.buffer.byteLength ? [reply.value.buffer as ArrayBuffer] : [];
  port.postMessage(reply, transfer);
  if (sync) {
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  }
}

serve(syncPort, true);
serve(asyncPort, false);
