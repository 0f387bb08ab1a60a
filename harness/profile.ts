import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { measureCommand } from './runner.js';
import { claimScratch, releaseScratch, SCRATCH_ENV, scratchBase, sweepStaleScratch } from './scratch.js';
import { ConfigError, type EngineOptions } from '../engine/index.js';
import { makeCase, type CaseSpec } from './case.js';
import { parseSet } from './plan.js';

/** Profilers: four Clinic.js tools, and V8's own CPU and heap profilers. */
export const PROFILE_TOOLS = ['flame', 'heapprofiler', 'doctor', 'bubbleprof', 'cpu-prof', 'heap-prof'] as const;
export type ProfileTool = (typeof PROFILE_TOOLS)[number];

/**
 * Rebuild a case from its id (`scenario/k=v,k=v/engine[+option=value,...]`). The id is checked
 * by regenerating it: only the canonical spelling of a real case is accepted.
 * @throws ConfigError naming what did not parse.
 */
export function parseCaseId(id: string): CaseSpec {
  const m = /^([^/]+)\/([^/]*)\/([a-z-]+)(?:\+(.+))?$/.exec(id);
  if (!m) throw new ConfigError(`'${id}' is not a case id (scenario/params/engine[+options]; see 'sluice list --suite quick')`);
  const [, scenario, paramText, engine, optText] = m as unknown as [string, string, string, string, string | undefined];
  const params: Record<string, string> = {};
  for (const kv of paramText ? paramText.split(',') : []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new ConfigError(`case id '${id}': parameter '${kv}' is not name=value`);
    params[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const options = optText ? parseSet(optText.split(',')) : {};
  const c = makeCase(scenario, params, engine, options);
  if (c.id !== id) throw new ConfigError(`'${id}' is not the canonical id of a case; did you mean '${c.id}'?`);
  return c;
}

/** "10s", "500ms", "2m" or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(text).trim());
  const v = m ? Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1) : NaN;
  if (!(v > 0) || v > 3600) throw new ConfigError(`--duration takes a time such as 10s, 500ms or 2m (at most 1 hour), got '${text}'`);
  return v;
}

/** The profiled loop: node arguments that start it (compiled JS, or the TypeScript source via tsx). */
function loopCommand(): string[] {
  const { preload, script } = measureCommand('profile-loop');
  return [...preload, script];
}

/** The default output directory for a case and tool. */
export function defaultProfileDir(c: CaseSpec, tool: ProfileTool): string {
  return path.join('results', 'profiles', c.id.replace(/[^A-Za-z0-9=.,+-]+/g, '_'), tool);
}

/** Make `dir` and check it is writable. @throws ConfigError otherwise. */
export function prepareDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new ConfigError(`cannot write profiles into '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-10_000);
      process.stderr.write(d);
    });
    p.on('error', (e) => resolve({ code: -1, stderr: e.message }));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Files in `dir` (recursively) ending with `suffix`, newest first. */
function findOutputs(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(suffix)) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
}

/** What a profile run produced, or why it could not. */
export type ProfileOutcome = { ok: true; file: string } | { ok: false; reason: string };

const ALTERNATIVE = 'try --tool flame or --tool heapprofiler, or V8\'s own profilers: --tool cpu-prof / --tool heap-prof';

/**
 * Profile one case for `durationSec` seconds with `tool`, writing into `outDir`. The profiled
 * process runs the same prepared case as a measurement. A tool that fails here (exits non-zero
 * or writes no output) is reported with the reason and an alternative, never as a silent success.
 */
export async function profileCase(c: CaseSpec, tool: ProfileTool, durationSec: number, outDir: string): Promise<ProfileOutcome> {
  if (!(PROFILE_TOOLS as readonly string[]).includes(tool)) {
    throw new ConfigError(`unknown profiling tool '${tool}'; accepted: ${PROFILE_TOOLS.join(', ')}`);
  }
  prepareDir(outDir);
  // A stored table (source: 'store') goes in a scratch folder inside outDir, deleted afterwards.
  const base = scratchBase(outDir);
  sweepStaleScratch(base);
  const scratch = claimScratch(base);
  try {
    return await profileWith(c, tool, durationSec, outDir, { ...process.env, NO_INSIGHT: '1', [SCRATCH_ENV]: scratch });
  } finally {
    releaseScratch(scratch);
  }
}

async function profileWith(c: CaseSpec, tool: ProfileTool, durationSec: number, outDir: string, env: NodeJS.ProcessEnv): Promise<ProfileOutcome> {
  const job = JSON.stringify({ case: c, durationSec });
  if (tool === 'cpu-prof' || tool === 'heap-prof') {
    const before = new Set(findOutputs(outDir, tool === 'cpu-prof' ? '.cpuprofile' : '.heapprofile'));
    const flags = tool === 'cpu-prof' ? ['--cpu-prof', `--cpu-prof-dir=${outDir}`] : ['--heap-prof', `--heap-prof-dir=${outDir}`];
    const r = await run(process.execPath, ['--expose-gc', ...flags, ...loopCommand(), job], env);
    const fresh = findOutputs(outDir, tool === 'cpu-prof' ? '.cpuprofile' : '.heapprofile').filter((f) => !before.has(f));
    if (r.code !== 0 || fresh.length === 0) return { ok: false, reason: `node ${flags[0]} exited with ${r.code} and wrote no profile: ${lastLine(r.stderr)}` };
    return { ok: true, file: fresh[0]! };
  }
  let clinic: string;
  try {
    clinic = createRequire(import.meta.url).resolve('clinic/bin.js');
  } catch {
    return { ok: false, reason: `Clinic.js is not installed (npm install clinic); ${ALTERNATIVE}` };
  }
  const before = new Set(findOutputs(outDir, '.html'));
  const r = await run(process.execPath, [clinic, tool, '--open=false', '--dest', outDir, '--', process.execPath, '--expose-gc', ...loopCommand(), job], env);
  const fresh = findOutputs(outDir, '.html').filter((f) => !before.has(f));
  if (r.code !== 0 || fresh.length === 0) {
    return { ok: false, reason: `clinic ${tool} does not work here (exit ${r.code}${r.stderr.trim() ? `: ${lastLine(r.stderr)}` : ', no report written'}); ${ALTERNATIVE}` };
  }
  return { ok: true, file: fresh[0]! };
}

function lastLine(s: string): string {
  return (s.trim().split('\n').filter((l) => l.trim()).at(-1) ?? '').slice(0, 240);
}

/** Build a case from `--scenario/--engine/--param/--set` flags. */
export function caseFromFlags(scenario: string, engine: string, params: readonly string[], set: readonly string[]): CaseSpec {
  const p: Record<string, string> = {};
  for (const kv of params) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--param takes name=value (for example --param rows=100000), got '${kv}'`);
    p[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return makeCase(scenario, p, engine, parseSet(set) as EngineOptions);
}
