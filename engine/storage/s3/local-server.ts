/**
 * A local S3-compatible server, to try the S3 store without a cloud account, and for sluice's own
 * scenarios and tests: s3rver (a dependency, from the npm registry), started in a process of its
 * own on a free loopback port, storing objects in a folder of the caller's. Nothing reaches the
 * network.
 *
 * Why s3rver: it installs from the registry with no native parts or downloads, speaks enough of
 * the S3 API for sluice's store (objects, ranged reads, listing, batch deletes, multipart uploads)
 * and keeps objects as files, so a test can age one (its LastModified is its file's mtime). It does
 * not check conditional writes (`If-None-Match`), which makes it the harder case for the store's
 * commit protocol (see engine/storage/s3/store.ts), and it does not list unfinished uploads.
 */
import { spawn } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { StorageError } from '../../errors.js';
import type { S3Options } from './options.js';

export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Options for `openCatalog({ s3 })` reaching `bucket` on this server (made with {@link createBucket}). */
  options(bucket: string, extra?: Partial<S3Options>): S3Options;
  /** Make a bucket (a fresh one per test keeps tests apart). */
  createBucket(name: string): Promise<void>;
  /** Set an object's LastModified (its file's mtime), as time passing would. */
  age(bucket: string, key: string, to: Date): void;
  stop(): Promise<void>;
}

/** s3rver's fixed credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * The server's process: starts s3rver and prints its port. A process of its own, because sluice's
 * scans wait for S3 synchronously: a server on the waiting thread's event loop could never answer.
 */
const SERVER = `
const [s3rverPath, dir] = process.argv.slice(1);
const { default: S3rver } = await import(s3rverPath);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
// A client that goes away mid-request (a killed writer, a stopped I/O thread) resets its socket,
// and s3rver leaves that error unhandled: the server must outlive its clients.
process.on('uncaughtException', (e) => process.stderr.write('s3rver: ' + (e && e.code || e) + '\\n'));
const { port } = await server.run();
process.stdout.write(port + '\\n');
process.stdin.resume();
process.stdin.on('end', () => server.close().then(() => process.exit(0)));
`;

/** Start a server storing its objects under `dir` (it stops with {@link LocalS3.stop}, or when this process exits). */
export async function startLocalS3(dir: string): Promise<LocalS3> {
  const s3rverPath = pathToFileURL(createRequire(import.meta.url).resolve('s3rver')).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVER, s3rverPath, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.on('exit', (code) => reject(new Error(`the local S3 server (s3rver) exited with ${code} before it listened: ${err.trim()}`)));
  });
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref?.();
  (child.stderr as unknown as { unref(): void }).unref?.();
  const endpoint = `http://127.0.0.1:${port}`;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  return {
    endpoint,
    options: (bucket, extra = {}) => ({ bucket, endpoint, region: 'us-east-1', credentials: CREDENTIALS, ...extra }),
    createBucket: async (name) => {
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } catch (e) {
        throw new StorageError(`cannot create bucket ${JSON.stringify(name)} on the local S3 server: ${(e as Error).name}: ${(e as Error).message}`);
      }
    },
    age: (bucket, key, to) => utimesSync(path.join(dir, bucket, `${key}._S3rver_object`), to, to),
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      child.ref();
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}
