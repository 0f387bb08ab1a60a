import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Temporary folders of one test file, deleted when the file's tests are done (pass or fail):
 * importing this module registers the hook, so it must be imported by the test file itself.
 * (Test runs used to leave their folders behind: thousands of them, some with stored tables.)
 */
const made: string[] = [];
test.after.always('delete the temporary folders', () => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder under the system's temporary folder, named `<prefix>XXXXXX`. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
