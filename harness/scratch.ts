/**
 * Scratch folders of measuring children: where a `source: 'store'` case inserts its table before
 * timing (see scenarios/source.ts). They live next to the results file the user named (never in
 * the system's temporary folder), one per child, and the parent deletes each as soon as its child
 * has exited, however it exited: a child killed by a timeout, by SIGINT or by running out of
 * memory under a heap cap cannot delete its own. A folder left by a parent that was itself killed
 * is deleted by the next run that uses the same scratch base, once its owner is provably gone.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SCRATCH_ENV } from '../scenarios/index.js';

export { SCRATCH_ENV };

/** The scratch base of a run writing into `dir` (its results file's folder): a hidden folder in it. */
export function scratchBase(dir: string): string {
  return path.join(dir, '.sluice-scratch');
}

/** A fresh scratch folder for one child, named after this process (`<pid>-XXXXXX`). */
export function claimScratch(base: string): string {
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, `${process.pid}-`));
}

/** Delete a child's scratch folder, and the base too once it is empty. */
export function releaseScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(path.dirname(dir));
  } catch {
    /* not empty (another child's, or a live run's) or already gone */
  }
}

/** True when process `pid` exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Delete the scratch folders under `base` whose owning process no longer exists (a run killed
 * with SIGKILL leaves them). Folders of live processes, and anything not named as this module
 * names folders, are left alone; `also`: a live process's folders to delete too (this one's, when
 * it is interrupted after killing its children). Returns the folders deleted.
 */
export function sweepStaleScratch(base: string, also?: number): string[] {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return [];
  }
  const gone: string[] = [];
  for (const name of names) {
    const m = /^(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (!m || (Number(m[1]) !== also && alive(Number(m[1])))) continue;
    rmSync(path.join(base, name), { recursive: true, force: true });
    gone.push(name);
  }
  try {
    rmdirSync(base);
  } catch {
    /* not empty or absent */
  }
  return gone;
}
