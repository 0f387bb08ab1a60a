import { Worker } from 'node:worker_threads';

/** The environment variable through which the runner tells a measuring child its parent's pid. */
export const PARENT_PID_ENV = 'SLUICE_PARENT_PID';

/**
 * Make this process die with its parent: a watchdog thread checks every half second whether the
 * process's parent is still `parentPid`, and if it is not (the runner was killed, even by SIGKILL,
 * and this process was re-parented), kills this process. It runs in a worker thread with an event
 * loop of its own, so it fires even while the measuring thread is busy or hung; it allocates
 * nothing on the measuring thread's heap, and is unref'd so it never keeps the process alive.
 */
export function dieWithParent(parentPid: number): void {
  if (!Number.isSafeInteger(parentPid) || parentPid <= 1) return;
  const source = `const { workerData } = require('node:worker_threads');
setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 500);`;
  new Worker(source, { eval: true, workerData: parentPid }).unref();
}
