/**
 * Cross-process locks for the filesystem store, through proper-lockfile: a lock on a path is a
 * directory `<path>.lock` made with `mkdir` (atomic on every local file system), whose mtime the
 * holder refreshes every few seconds. A lock not refreshed for {@link LOCK_STALE_MS} belongs to a
 * dead (or frozen) process and may be taken over; its holder then finds it compromised at the
 * next refresh and must not publish anything. Locks are released on normal exit and on signals
 * that let the process run handlers; a SIGKILLed holder's lock goes stale.
 *
 * Used for: the catalog file (changes are read-modify-write under its lock) and each table's
 * manifest (commits and orphan cleanup). An insert's own segment file carries the same staleness
 * rule in its mtime (see FileTableStore.begin), which costs no lock folder per insert.
 */
import fs from 'node:fs';
import lockfile from 'proper-lockfile';
import { StorageError } from '../errors.js';

/** A lock whose directory has not been touched for this long is stale: its holder is gone. */
export const LOCK_STALE_MS = 10_000;

/** A held lock. */
export interface HeldLock {
  /** Give it back (idempotent; never throws). */
  release(): void;
  /** The lock went stale while held (this process stalled) and may be someone else's now. */
  readonly compromised: boolean;
}

function hold(path: string, state: { compromised: boolean }): HeldLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (state.compromised) return;
      try {
        // Synchronous, so the lock folder is gone when release() returns.
        lockfile.unlockSync(path, { realpath: false, fs: LOCK_FS });
      } catch {
        /* already gone: compromised or removed with its folder */
      }
    },
    get compromised() {
      return state.compromised;
    },
  };
}

/**
 * The file-system calls proper-lockfile makes, and no more: its synchronous API copies the `fs`
 * object it is given on every call, and the default (graceful-fs, a hundred functions) made that
 * copy most of a lock's cost (0.4 of 0.56 ms).
 */
const LOCK_FS = {
  mkdir: fs.mkdir, realpath: fs.realpath, stat: fs.stat, rmdir: fs.rmdir, utimes: fs.utimes,
  mkdirSync: fs.mkdirSync, realpathSync: fs.realpathSync, statSync: fs.statSync, rmdirSync: fs.rmdirSync, utimesSync: fs.utimesSync,
};

function options(state: { compromised: boolean }) {
  return { stale: LOCK_STALE_MS, realpath: false, fs: LOCK_FS, onCompromised: () => void (state.compromised = true) };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** One attempt (proper-lockfile's synchronous one: a few system calls); null while another holds it. */
function attempt(path: string, what: string): HeldLock | null {
  const state = { compromised: false };
  try {
    lockfile.lockSync(path, options(state));
    return hold(path, state);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ELOCKED') throw new StorageError(`cannot lock ${what}: ${code ?? (e as Error).message}`);
    return null;
  }
}

const stillLocked = (what: string, waitMs: number) => new StorageError(`${what} is locked by another process (waited ${waitMs / 1000} s); try again when it has finished`);

/**
 * Take the lock on `path` now, waiting up to `waitMs` (synchronously) while another holds it.
 * @returns the lock, or null when `waitMs` passed (or is 0) and the lock is still held elsewhere.
 * @throws StorageError when the lock cannot be made at all (missing folder, permissions, full disk).
 */
export function tryLockSync(path: string, what: string, waitMs = 0): HeldLock | null {
  const deadline = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(2 * pause, 100)) {
    const l = attempt(path, what);
    if (l !== null || Date.now() >= deadline) return l;
    Atomics.wait(sleeper, 0, 0, pause);
  }
}

/** {@link tryLockSync}, but a lock still held after `waitMs` is a StorageError naming `what`. */
export function lockSync(path: string, what: string, waitMs: number): HeldLock {
  const l = tryLockSync(path, what, waitMs);
  if (l === null) throw stillLocked(what, waitMs);
  return l;
}

/** Take the lock on `path`, waiting up to `waitMs` between attempts without blocking the event loop. */
export async function lockAsync(path: string, what: string, waitMs: number): Promise<HeldLock> {
  const deadline = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(2 * pause, 200)) {
    const l = attempt(path, what);
    if (l !== null) return l;
    if (Date.now() >= deadline) throw stillLocked(what, waitMs);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** The lock directory's name for `file` (so that cleanup can recognise lock directories). */
export const LOCK_SUFFIX = '.lock';
