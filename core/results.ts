import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../engine/index.js';
import type { CaseSpec } from './case-spec.js';
import type { TimeSummary } from './stats/descriptive.js';

/** Identifies the file format. Bump `RESULTS_VERSION` on any incompatible change. */
export const RESULTS_SCHEMA = 'sluice-results';
export const RESULTS_VERSION = 1;

/** Where and how a results file was measured. Comparisons refuse to mix environments. */
export interface Environment {
  node: string;
  v8: string;
  cpuModel: string;
  cores: number;
  os: string;
  gitSha: string;
  /** SHA-256 of package-lock.json (dependency versions). */
  lockfileHash: string;
  /** Flags of the measuring child processes (time pass, heap pass). */
  /** `group`: a group pass's (absent in files written before cases could be timed by group passes alone). */
  nodeFlags: { time: string[]; heap: string[]; group?: string[] };
}

/**
 * The resolution of V8's used-heap figures: they move in steps of one V8 heap page (256 KiB) with
 * what the process holds, whatever the query did (seen: a fused 100K-row filter's peak at 1.0 or
 * 1.25 MiB by heap process, in both of two builds with the same code path). Reports call a smaller
 * difference "below resolution", and the gate never calls it a regression.
 */
export const HEAP_STEP_BYTES = 256 * 1024;

/** Memory figures of one case, from the heap pass. */
export interface HeapRecord {
  /** V8 used heap above the baseline at its highest during the query (semi-space 1 MB). */
  peakBytes: number;
  /** Bytes V8 allocated during the query. */
  allocatedBytes: number;
  gcCount: number;
  /** The memory tracker's deterministic peak (null for the limit loop). */
  trackerPeakBytes: number | null;
  /**
   * Heap retained by the full result held as an array: in files from before it was dropped (no
   * report showed it; it measured whether output tuples were new objects, not what a query needs).
   */
  retainedBytes?: number;
  /**
   * Highest external memory (ArrayBuffers, Buffers) during the query above its baseline: memory
   * a query can hold off the V8 heap. Absent in files from before it was measured.
   */
  externalPeakBytes?: number;
  /** The heap child's max resident set size. */
  maxRssBytes: number;
  /**
   * Growth of the resident set during a run (median of the measured runs), from the kernel's
   * peak RSS reset before each run (Linux): the memory figure comparable across every runner,
   * including a native peer's (DuckDB) that the V8 figures miss. Absent where it was not measured.
   */
  rssGrowthBytes?: number;
  /** Every measured run's peak (peakBytes is their median); absent in files from before they were kept. */
  peakSamples?: number[];
  /** Every measured run's allocated bytes (allocatedBytes is their median). */
  allocatedSamples?: number[];
  /**
   * Bytes allocated per run, measured over `allocatedRuns` runs back to back (V8's steps of about
   * 256 KiB steps averaged out; the figure to read for a query that allocates less than a step).
   */
  allocatedPerRunBytes?: number;
  allocatedRuns?: number;
}

/** One case in a results file. */
export interface CaseRecord {
  id: string;
  group: string;
  scenario: string;
  family: string;
  params: CaseSpec['params'];
  engine: CaseSpec['engine'];
  options: CaseSpec['options'];
  seed: number;
  status: 'ok' | 'errored' | 'pending';
  /** Why it errored: crash, timeout, out of memory, engines disagreeing, a thrown error. */
  error?: string;
  inputRows?: number;
  output?: { rows: number; checksum: string };
  /** Storage tasks: bytes one run moved to or from storage (segment and Parquet bytes, measured by the store). */
  ioBytes?: number;
  /** Every timing sample (ns per query), per round, in order. */
  rounds: number[][];
  /** Per round (parallel to `rounds`): the machine-speed probe's median time in that process, ns. */
  probes?: number[];
  /** The probe kernel's version (`compare` normalizes only between equal versions). */
  probeVersion?: number;
  /** Measured in paired processes: sample k of round r ran next to the other build's sample k of round r. */
  paired?: boolean;
  /**
   * Calibration only, a slowed build: per round, the extra work's time over the query's time as
   * the stretched query measured it (see harness/measure/slowdown.ts); about the slowdown asked for.
   */
  slowdownMeasured?: number[];
  summary?: TimeSummary;
  /**
   * Group passes (`run`, `sweep`): this case's samples, ns per run, taken in turns with the other
   * cases of its group (`pairedWith`, in arm order) in one process, each in an isolate of its
   * own; one round per isolate group. The k-th sample of round r of every record with the same
   * `pairedWith` ran in one cycle of turns, so their ratios are paired (harness/stats/paired.ts).
   */
  groupRounds?: number[][];
  /** The case ids measured together in the group passes, in arm order. */
  pairedWith?: string[];
  firstRowNs?: number | null;
  /**
   * A group pass's times to first row, per isolate group (five each), where `firstRowNs` came from
   * a group pass: the rounds a first-row ratio between two runners of the group is pooled over.
   */
  firstRowRounds?: number[][];
  heap?: HeapRecord;
  /** A peer runner's setup, from its heap pass: library, version, the untimed load of its data (ns), its settings. */
  peer?: PeerRecord;
}

/** How a peer runner was set up (see harness/peers/). */
export interface PeerRecord {
  library: string;
  version: string;
  loadNs: number;
  settings?: Record<string, string>;
}

/** A whole results file. */
export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA;
  version: typeof RESULTS_VERSION;
  suite: string;
  createdAt: string;
  environment: Environment;
  settings: RunSettings;
  cases: CaseRecord[];
}

/** How a run measured (recorded so that a resume uses the same settings). */
export interface RunSettings {
  rounds: number;
  maxTime: number;
  minSamples: number;
  warmupRuns: number;
  timeoutSec: number;
  /** Measured runs in the heap pass (samples of peak and allocated bytes); 3 when absent. */
  heapRuns?: number;
  /**
   * Paired calibration only: `rounds` is this many times the gate's rounds (a gate run draws its
   * rounds from the pool); 2 when absent (calibrations measured before the pool was 3).
   */
  pairedPool?: number;
  /**
   * Paired measurement only: isolate pairs per paired process (see PairJob.isolates), each a round
   * of the records, so a case's record holds `rounds × isolates` rounds; 1 when absent.
   */
  isolates?: number;
  /**
   * Group passes (`run`, `sweep`): isolate groups per paired process over a case group's runners
   * (0 or absent: none, every ratio then comes from separate processes).
   */
  groupIsolates?: number;
  /** Seconds of turns per isolate group (all arms' samples together). */
  groupMaxTime?: number;
  /** At most this many group processes per group: more are run while a ratio's interval is wider than `groupTarget`. */
  groupPasses?: number;
  /** The relative half-width of a ratio's 95% interval the group passes aim for (0.05: ±5%). */
  groupTarget?: number;
  /**
   * The V8 old-generation cap of every measuring child, MiB (`--max-old-space-size`; a group
   * pass's isolates get the same limit): a case that exceeds it is recorded as errored, "out of
   * memory at N rows". Absent: Node's default limit.
   */
  heapCapMb?: number;
  /**
   * Paired gate only: cases whose first verdict was undecided and that were measured with one
   * more paired process (their records hold `(rounds + 1) × isolates` rounds).
   */
  extended?: string[];
}

/**
 * A record's time samples by process: its time passes' rounds (one process each), or, for a case
 * timed by its group passes alone, each group pass's isolate groups (`isolatesPerPass` of them,
 * the run's `groupIsolates`) merged into one round. Comparing two runs, the process, not the
 * isolate, is what a machine's speed phase moves as one: isolates of one run share it.
 */
export function processRounds(r: Pick<CaseRecord, 'rounds' | 'groupRounds'>, isolatesPerPass?: number): number[][] {
  if (r.rounds.length) return r.rounds;
  // Without the run's isolates per pass, all of them as one round (enough for the samples alone).
  const g = r.groupRounds ?? [], k = Math.max(1, isolatesPerPass ?? g.length);
  const out: number[][] = [];
  for (let i = 0; i < g.length; i += k) out.push(g.slice(i, i + k).flat());
  return out;
}

/** The rounds a complete record of a run with these settings holds (processes × isolate pairs). */
export function recordRounds(s: Pick<RunSettings, 'rounds' | 'isolates'>): number {
  return s.rounds * (s.isolates ?? 1);
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Describe this machine and build. */
export function captureEnvironment(root: string, nodeFlags: Environment['nodeFlags']): Environment {
  const sha = git(['-C', root, 'rev-parse', 'HEAD']);
  const dirty = sha !== undefined && (git(['-C', root, 'status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  const lock = path.join(root, 'package-lock.json');
  return {
    node: process.version,
    v8: process.versions.v8,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    gitSha: sha === undefined ? 'unknown' : `${sha}${dirty ? '+dirty' : ''}`,
    lockfileHash: existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex').slice(0, 16) : 'none',
    nodeFlags,
  };
}

/** The fields that must match for two results files to be comparable. */
export function environmentMismatches(a: Environment, b: Environment): string[] {
  const out: string[] = [];
  if (a.cpuModel !== b.cpuModel) out.push(`CPU model (${a.cpuModel} vs ${b.cpuModel})`);
  if (a.cores !== b.cores) out.push(`core count (${a.cores} vs ${b.cores})`);
  if (a.node !== b.node) out.push(`node version (${a.node} vs ${b.node})`);
  if (a.lockfileHash !== b.lockfileHash) out.push(`lockfile (${a.lockfileHash} vs ${b.lockfileHash})`);
  return out;
}

/**
 * Write a results file atomically: to a temporary file beside it, then rename. A reader (or a
 * crash) sees the old file or the new one, never half of one.
 * @throws ConfigError when the directory is not writable.
 */
export function writeResults(file: string, results: ResultsFile): void {
  writeFileAtomic(file, JSON.stringify(results, null, 1) + '\n', 'results file');
}

/**
 * Write `text` to `file` atomically (temporary file beside it, then rename); on any failure the
 * temporary file is removed and `file` is unchanged.
 * @throws ConfigError when `file` is a directory or cannot be written, naming it and the reason.
 */
export function writeFileAtomic(file: string, text: string | Buffer, what = 'file'): void {
  if (existsSync(file) && statSync(file).isDirectory()) throw new ConfigError(`cannot write ${what} '${file}': it is a directory; name a file`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ConfigError(`cannot write ${what} '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * A case's V8 heap cap, MiB: its own (the scale scenario's `heapCap` parameter, so that one suite
 * can hold capped cases beside uncapped ones) or the run's (`--heap-cap`, a suite's `heapCapMb`).
 * The runner caps the case's processes with it; reports say which cap a row was measured under.
 */
export function caseHeapCap(c: { readonly params: Readonly<Record<string, unknown>> }, settings: Pick<RunSettings, 'heapCapMb'>): number | undefined {
  const own = Number(c.params.heapCap ?? 0);
  return own > 0 ? own : settings.heapCapMb;
}

/**
 * Read and validate a results file.
 * @throws ConfigError for a missing file, invalid JSON, another schema or version, or a malformed record.
 */
export function readResults(file: string): ResultsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read results file '${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`results file '${file}' is not valid JSON (${(e as Error).message})`);
  }
  return validateResults(data, file);
}

/**
 * Checks one value of a results file, naming where it is (`cases[3].params.rows`) and what it
 * holds when it is wrong. A results file may come from another run, another machine, or a hand
 * edit; every command reads it through {@link validateResults}, so no later code meets a field of
 * the wrong type (a report would otherwise crash on it, or name a chart after it).
 */
class Check {
  constructor(private readonly file: string) {}
  fail(where: string, what: string, v: unknown): never {
    let shown: string;
    try {
      shown = JSON.stringify(v) ?? String(v);
    } catch {
      shown = String(v);
    }
    throw new ConfigError(`results file '${this.file}': ${where} must be ${what}, got ${shown.length > 60 ? shown.slice(0, 60) + '…' : shown}`);
  }
  object(where: string, v: unknown): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(where, 'an object', v);
    return v as Record<string, unknown>;
  }
  string(where: string, v: unknown, optional = false): void {
    if (optional && v === undefined) return;
    if (typeof v !== 'string') this.fail(where, 'a string', v);
  }
  number(where: string, v: unknown, optional = false, nullable = false): void {
    if ((optional && v === undefined) || (nullable && v === null)) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(where, nullable ? 'a number or null' : 'a number', v);
  }
  numbers(where: string, v: unknown, optional = false): void {
    if (optional && v === undefined) return;
    if (!Array.isArray(v)) this.fail(where, 'an array of numbers', v);
    (v as unknown[]).forEach((x, i) => this.number(`${where}[${i}]`, x));
  }
  strings(where: string, v: unknown, optional = false): void {
    if (optional && v === undefined) return;
    if (!Array.isArray(v)) this.fail(where, 'an array of strings', v);
    (v as unknown[]).forEach((x, i) => this.string(`${where}[${i}]`, x));
  }
  /** Parameters and options: an object of plain names to numbers, strings or booleans. */
  values(where: string, v: unknown): void {
    const o = this.object(where, v);
    for (const [k, x] of Object.entries(o)) {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k)) this.fail(`${where} key`, 'a plain name', k);
      if (typeof x === 'string') {
        // Values end up in case ids, chart titles and file names: plain text only.
        if (!/^[A-Za-z0-9_.+-]*$/.test(x)) this.fail(`${where}.${k}`, 'a number, boolean or plain word', x);
      } else if (typeof x !== 'boolean') this.number(`${where}.${k}`, x);
    }
  }
}

/** Check the shape of parsed results; see {@link readResults}. */
export function validateResults(data: unknown, file: string): ResultsFile {
  const d = data as Partial<ResultsFile> | null;
  if (d === null || typeof d !== 'object' || d.schema !== RESULTS_SCHEMA) {
    throw new ConfigError(`'${file}' is not a sluice results file (no "schema": "${RESULTS_SCHEMA}")`);
  }
  if (d.version !== RESULTS_VERSION) {
    throw new ConfigError(`results file '${file}' has schema version ${String(d.version)}; this sluice reads version ${RESULTS_VERSION}`);
  }
  const c = new Check(file);
  c.string('suite', d.suite);
  c.string('createdAt', d.createdAt);
  const env = c.object('environment', d.environment);
  for (const k of ['node', 'v8', 'cpuModel', 'os', 'gitSha', 'lockfileHash'] as const) c.string(`environment.${k}`, env[k]);
  c.number('environment.cores', env.cores);
  const flags = c.object('environment.nodeFlags', env.nodeFlags);
  c.strings('environment.nodeFlags.time', flags.time);
  c.strings('environment.nodeFlags.heap', flags.heap);
  c.strings('environment.nodeFlags.group', flags.group, true);
  const settings = c.object('settings', d.settings);
  for (const k of ['rounds', 'maxTime', 'minSamples', 'warmupRuns', 'timeoutSec'] as const) c.number(`settings.${k}`, settings[k]);
  for (const k of ['heapRuns', 'pairedPool', 'isolates', 'groupIsolates', 'groupMaxTime', 'groupPasses', 'groupTarget', 'heapCapMb'] as const) c.number(`settings.${k}`, settings[k], true);
  c.strings('settings.extended', settings.extended, true);
  if (!Array.isArray(d.cases)) c.fail('cases', 'an array', d.cases);
  d.cases!.forEach((raw, i) => {
    const w = `cases[${i}]`;
    const r = c.object(w, raw);
    for (const k of ['id', 'group', 'scenario', 'family', 'engine'] as const) c.string(`${w}.${k}`, r[k]);
    if (!/^[A-Za-z0-9_./=,+-]+$/.test(r.id as string)) c.fail(`${w}.id`, 'a case id (letters, digits and _./=,+-)', r.id);
    c.values(`${w}.params`, r.params);
    c.values(`${w}.options`, r.options);
    c.number(`${w}.seed`, r.seed);
    if (!['ok', 'errored', 'pending'].includes(r.status as string)) c.fail(`${w}.status`, "'ok', 'errored' or 'pending'", r.status);
    c.string(`${w}.error`, r.error, true);
    c.number(`${w}.inputRows`, r.inputRows, true);
    c.number(`${w}.ioBytes`, r.ioBytes, true);
    if (r.output !== undefined) {
      const o = c.object(`${w}.output`, r.output);
      c.number(`${w}.output.rows`, o.rows);
      c.string(`${w}.output.checksum`, o.checksum);
    }
    if (!Array.isArray(r.rounds)) c.fail(`${w}.rounds`, 'an array of arrays of numbers', r.rounds);
    (r.rounds as unknown[]).forEach((x, k) => c.numbers(`${w}.rounds[${k}]`, x));
    c.numbers(`${w}.probes`, r.probes, true);
    c.number(`${w}.probeVersion`, r.probeVersion, true);
    if (r.paired !== undefined && typeof r.paired !== 'boolean') c.fail(`${w}.paired`, 'true or false', r.paired);
    c.numbers(`${w}.slowdownMeasured`, r.slowdownMeasured, true);
    if (r.summary !== undefined) {
      const s = c.object(`${w}.summary`, r.summary);
      for (const k of ['n', 'medianNs', 'meanNs', 'minNs', 'maxNs', 'iqrRel'] as const) c.number(`${w}.summary.${k}`, s[k]);
      if (!Array.isArray(s.ci95Ns) || s.ci95Ns.length !== 2) c.fail(`${w}.summary.ci95Ns`, 'a pair of numbers', s.ci95Ns);
      c.numbers(`${w}.summary.ci95Ns`, s.ci95Ns);
      c.number(`${w}.summary.isolates`, s.isolates, true);
    }
    for (const key of ['groupRounds', 'firstRowRounds'] as const) {
      const v = r[key];
      if (v === undefined) continue;
      if (!Array.isArray(v)) c.fail(`${w}.${key}`, 'an array of arrays of numbers', v);
      (v as unknown[]).forEach((x, k) => c.numbers(`${w}.${key}[${k}]`, x));
    }
    c.strings(`${w}.pairedWith`, r.pairedWith, true);
    c.number(`${w}.firstRowNs`, r.firstRowNs, true, true);
    if (r.heap !== undefined) {
      const h = c.object(`${w}.heap`, r.heap);
      for (const k of ['peakBytes', 'allocatedBytes', 'gcCount', 'maxRssBytes'] as const) c.number(`${w}.heap.${k}`, h[k]);
      for (const k of ['retainedBytes', 'externalPeakBytes', 'rssGrowthBytes'] as const) c.number(`${w}.heap.${k}`, h[k], true);
      c.number(`${w}.heap.trackerPeakBytes`, h.trackerPeakBytes, false, true);
      c.numbers(`${w}.heap.peakSamples`, h.peakSamples, true);
      c.numbers(`${w}.heap.allocatedSamples`, h.allocatedSamples, true);
      c.number(`${w}.heap.allocatedPerRunBytes`, h.allocatedPerRunBytes, true);
      c.number(`${w}.heap.allocatedRuns`, h.allocatedRuns, true);
    }
    if (r.peer !== undefined) {
      const p = c.object(`${w}.peer`, r.peer);
      c.string(`${w}.peer.library`, p.library);
      c.string(`${w}.peer.version`, p.version);
      c.number(`${w}.peer.loadNs`, p.loadNs);
      if (p.settings !== undefined) for (const [k, v] of Object.entries(c.object(`${w}.peer.settings`, p.settings))) c.string(`${w}.peer.settings.${k}`, v);
    }
    renameLegacyRunner(r);
  });
  if (Array.isArray(settings.extended)) settings.extended = (settings.extended as string[]).map(legacyId);
  return d as ResultsFile;
}

/**
 * Files written before the hand-written loop was named `limit-loop` call it `baseline`, in the
 * record's engine, at the end of its id and in the ids it was paired with; read them as today's.
 */
const legacyId = (s: string) => s.replace(/\/baseline$/, '/limit-loop');
function renameLegacyRunner(r: Record<string, unknown>): void {
  const id = legacyId;
  if (r.engine === 'baseline') r.engine = 'limit-loop';
  r.id = id(r.id as string);
  if (Array.isArray(r.pairedWith)) r.pairedWith = (r.pairedWith as string[]).map(id);
}
