import { spawn } from 'node:child_process';
import path from 'node:path';
import { CHILDREN_FROM_BUILD } from '../harness/runner.js';

/**
 * How the tests start the sluice CLI: from dist/ under `npm test` (which builds first and sets
 * SLUICE_CHILDREN_FROM_BUILD=1; see harness/runner.ts), else from the sources through tsx.
 */
export const CLI_ARGS: readonly string[] = CHILDREN_FROM_BUILD ? [path.resolve('dist/harness/cli.js')] : ['--import', 'tsx', path.resolve('harness/cli.ts')];

/** Run the sluice CLI; resolves with its exit code and output. */
export function sluice(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...CLI_ARGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
