/**
 * Where a catalog's S3 tables live and how to reach them: checked once, when the catalog is
 * opened, with a one-line {@link ConfigError} naming the option and the value given.
 *
 * Every option has an environment fallback, so a deployment can configure sluice the way it
 * configures other S3 clients:
 *
 * | option | environment | default |
 * |---|---|---|
 * | `bucket` | `SLUICE_S3_BUCKET` | (required) |
 * | `prefix` | `SLUICE_S3_PREFIX` | `''` (the bucket's root) |
 * | `endpoint` | `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` | AWS's endpoint for the region |
 * | `region` | `AWS_REGION`, `AWS_DEFAULT_REGION` | `us-east-1` |
 * | `forcePathStyle` | — | `true` when an endpoint is given (local servers), else `false` |
 * | `credentials` | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | the SDK's default chain |
 *
 * Credentials are never written to disk: a catalog file records an S3 table's bucket and key
 * prefix only, and the catalog is opened again with its `s3` options to reach them.
 */
import { ConfigError, describeValue } from '../../errors.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What a user passes as `openCatalog({ s3 })`. */
export interface S3Options {
  bucket?: string;
  /** Key prefix of every table of the catalog (`<prefix><database>/<table>/…`); ends with '/' or is ''. */
  prefix?: string;
  /** An S3-compatible server's URL, e.g. `http://127.0.0.1:4568` for a local one. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (`<endpoint>/<bucket>/<key>`), which local servers need. */
  forcePathStyle?: boolean;
  credentials?: S3Credentials;
  /** How long one request may take before it fails (ms, default 30,000). */
  requestTimeoutMs?: number;
  /**
   * How old an object under a table's `data/` that no manifest names must be before opening the
   * table deletes it as a crashed insert's leftover (ms, default 15 minutes). A live insert's
   * object is younger: it is completed only at commit, which publishes it within seconds.
   */
  orphanAgeMs?: number;
}

/** The checked options, every default filled in. */
export interface S3Config {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  readonly credentials: S3Credentials | undefined;
  readonly requestTimeoutMs: number;
  readonly orphanAgeMs: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_ORPHAN_AGE_MS = 15 * 60_000;

/** S3's rules for a bucket name (general-purpose buckets). */
const BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** A key prefix: '' or segments of safe characters, each followed by '/'; no '.' or '..' segment. */
const PREFIX = /^(?:(?!\.{1,2}\/)[A-Za-z0-9!_.*'()-]+\/)*$/;

const KNOWN = new Set(['bucket', 'prefix', 'endpoint', 'region', 'forcePathStyle', 'credentials', 'requestTimeoutMs', 'orphanAgeMs']);

function bad(what: string, v: unknown): never {
  throw new ConfigError(`s3.${what}, got ${describeValue(v)}`);
}

function positiveMs(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${name} must be a whole number of milliseconds`, v);
  return v as number;
}

/**
 * Check `opts` (with the environment's fallbacks) into an {@link S3Config}.
 * @throws ConfigError naming the first option that is wrong and its value.
 */
export function checkS3Options(opts: unknown, env: NodeJS.ProcessEnv = process.env): S3Config {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new ConfigError(`s3 options must be an object { bucket, prefix, endpoint, … }, got ${describeValue(opts)}`);
  const o = opts as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw new ConfigError(`unknown s3 option '${k}'; the options are ${[...KNOWN].join(', ')}`);
  const bucket = o.bucket ?? env.SLUICE_S3_BUCKET;
  if (bucket === undefined) throw new ConfigError('s3.bucket is required (or set SLUICE_S3_BUCKET)');
  if (typeof bucket !== 'string' || !BUCKET.test(bucket)) bad('bucket must be a bucket name (3-63 lowercase letters, digits, dots and hyphens)', bucket);
  const prefix = o.prefix ?? env.SLUICE_S3_PREFIX ?? '';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix) || prefix.length > 512) bad("prefix must be '' or key segments each ending in '/' (letters, digits and !_.*'()-; no '.' or '..' segment), like 'lake/'", prefix);
  const endpoint = o.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = typeof endpoint === 'string' ? new URL(endpoint) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) bad('endpoint must be an http:// or https:// URL', endpoint);
  }
  const region = o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (typeof region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(region)) bad('region must be a region name like us-east-1', region);
  const forcePathStyle = o.forcePathStyle ?? endpoint !== undefined;
  if (typeof forcePathStyle !== 'boolean') bad('forcePathStyle must be true or false', forcePathStyle);
  let credentials: S3Credentials | undefined;
  if (o.credentials !== undefined) {
    const c = o.credentials as Record<string, unknown> | null;
    if (c === null || typeof c !== 'object') bad('credentials must be an object { accessKeyId, secretAccessKey, sessionToken? }', c);
    for (const k of ['accessKeyId', 'secretAccessKey'] as const) if (typeof c![k] !== 'string' || c![k] === '') bad(`credentials.${k} must be a non-empty string`, c![k]);
    if (c!.sessionToken !== undefined && typeof c!.sessionToken !== 'string') bad('credentials.sessionToken must be a string', c!.sessionToken);
    credentials = { accessKeyId: c!.accessKeyId as string, secretAccessKey: c!.secretAccessKey as string, ...(c!.sessionToken ? { sessionToken: c!.sessionToken as string } : {}) };
  }
  return {
    bucket: bucket as string, prefix: prefix as string, endpoint: endpoint as string | undefined, region: region as string, forcePathStyle: forcePathStyle as boolean,
    credentials, requestTimeoutMs: positiveMs('requestTimeoutMs', o.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS), orphanAgeMs: positiveMs('orphanAgeMs', o.orphanAgeMs, DEFAULT_ORPHAN_AGE_MS),
  };
}

/** Whether a key prefix read from disk (a catalog file) is one {@link checkS3Options} would accept. */
export function isKeyPrefix(p: unknown): p is string {
  return typeof p === 'string' && PREFIX.test(p) && p.length <= 1024;
}

export function isBucketName(b: unknown): b is string {
  return typeof b === 'string' && BUCKET.test(b);
}
