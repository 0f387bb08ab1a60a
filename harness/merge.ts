import { ConfigError } from '../engine/index.js';
import { environmentMismatches, readResults, type ResultsFile } from '../core/results.js';

/**
 * Join results files (shards of one run, from parallel CI jobs) into one.
 * @throws ConfigError for fewer than two files, different suites or environments, or a case that
 *   appears in two files.
 */
export function mergeResults(files: readonly string[], allowEnvMismatch = false): { merged: ResultsFile; warnings: string[] } {
  if (files.length < 2) throw new ConfigError('merge needs at least two results files');
  const all = files.map((f) => ({ f, r: readResults(f) }));
  const first = all[0]!;
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  const merged: ResultsFile = { ...first.r, cases: [] };
  for (const { f, r } of all) {
    if (r.suite !== first.r.suite) throw new ConfigError(`cannot merge suite '${r.suite}' (${f}) with suite '${first.r.suite}' (${first.f})`);
    const mismatch = environmentMismatches(first.r.environment, r.environment);
    if (mismatch.length) {
      const msg = `${f} was measured in another environment than ${first.f}: ${mismatch.join('; ')}`;
      if (!allowEnvMismatch) throw new ConfigError(`${msg} (pass --allow-env-mismatch to merge anyway)`);
      warnings.push(msg);
    }
    for (const c of r.cases) {
      const other = seen.get(c.id);
      if (other !== undefined) throw new ConfigError(`case '${c.id}' is in both ${other} and ${f}; shards must not overlap`);
      seen.set(c.id, f);
      merged.cases.push(c);
    }
  }
  return { merged, warnings };
}
