/** Messages between the main thread (connection.ts) and the S3 I/O thread (worker.ts). */

export type Request =
  /** An object's bytes, or the range [start, end); null when there is no such object. */
  | { op: 'get'; key: string; start?: number; end?: number }
  /** Write an object; with `ifNoneMatch`, only if the key does not exist yet ({ conflict: true } if it does, on servers that check). */
  | { op: 'put'; key: string; body: string | Uint8Array; ifNoneMatch?: boolean }
  /** An object's size and last-modified time (server clock, ms), or null. */
  | { op: 'head'; key: string }
  /** Every object under a prefix, in key order. */
  | { op: 'list'; prefix: string }
  | { op: 'delete'; keys: string[] }
  /** Multipart uploads in progress under a prefix, or null when the server cannot list them. */
  | { op: 'listUploads'; prefix: string }
  | { op: 'abortUpload'; key: string; uploadId: string }
  /** A streaming upload of one object: begin (returns its id), write chunks, end (returns its size) or abort. */
  | { op: 'uploadBegin'; key: string }
  | { op: 'uploadWrite'; id: number; bytes: Uint8Array }
  | { op: 'uploadEnd'; id: number }
  | { op: 'uploadAbort'; id: number }
  /** A Parquet file's row groups: rows and per-column statistics ({@link ParquetMeta}). */
  | { op: 'parquetMeta'; source: Source; size: number }
  /** One row group's columns, decoded ({@link ParquetRows}). */
  | { op: 'parquetRows'; source: Source; size: number; rowGroup: number; columns: string[] };

/** Where a file is: an object of the catalog's bucket, or a local file (a filesystem table's). */
export type Source = { key: string } | { file: string };

export interface ParquetMeta {
  rowGroups: { rows: number; stats: Record<string, { min?: unknown; max?: unknown; nulls?: number }> }[];
  /** Bytes fetched to read it. */
  ioBytes: number;
}

export interface ParquetRows {
  rows: number;
  /** One array per requested column, in the order asked (integers as numbers: Float64Array). */
  columns: ArrayLike<unknown>[];
  ioBytes: number;
}

export interface WireError {
  name: string;
  message: string;
  status?: number;
  code?: string;
}

/** An answer, to the request whose `rid` it carries. */
export type Reply = { rid: number; ok: true; value: unknown } | { rid: number; ok: false; error: WireError };

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: number;
}
