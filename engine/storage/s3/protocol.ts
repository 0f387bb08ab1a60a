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
  | { op: 'uploadAbort'; id: number };

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
