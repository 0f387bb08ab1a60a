import { ConfigError, OPTION_SPECS, optionsReadBy, resolveOptions, type EngineOptions } from '../engine/index.js';
import { getScenario, SCALE_QUERIES, SOURCES, type ParamValue, type SourceKind } from '../scenarios/index.js';
import type { PeerOptions } from '../core/case-spec.js';
import { isPeer, makeCase, RUNNERS, type CaseSpec, type Runner } from './case.js';

/** One line of a suite: a scenario, a grid of parameter values, and what runs each point. */
interface SuiteEntry {
  readonly scenario: string;
  readonly grid: Readonly<Record<string, readonly ParamValue[]>>;
  readonly runs: readonly { readonly engine: Runner; readonly options?: EngineOptions & PeerOptions }[];
}

const ENGINES_AND_LIMIT = [{ engine: 'materialized' }, { engine: 'streaming' }, { engine: 'limit-loop' }] as const;
const WITH_COMPOSITION_OFF = [...ENGINES_AND_LIMIT, { engine: 'streaming', options: { enableIteratorComposition: false } }] as const;
const FUSION = { engine: 'streaming', options: { enablePipelineFusion: true } } as const;
const WITH_FUSION = [...ENGINES_AND_LIMIT, FUSION] as const;
const WITH_FUSION_AND_COMPOSITION_OFF = [...WITH_COMPOSITION_OFF, FUSION] as const;
const FUSION_RUNS = [{ engine: 'streaming' }, FUSION, { engine: 'limit-loop' }] as const;
const INGEST_RUNS = [{ engine: 'streaming' }, { engine: 'materialized' }, { engine: 'limit-loop' }] as const;
const READ_RUNS = [{ engine: 'streaming' }, { engine: 'materialized' }] as const;
const JOIN_RUNS = [
  { engine: 'materialized' },
  { engine: 'streaming', options: { enableSymmetricHashJoin: false } },
  { engine: 'streaming', options: { enableSymmetricHashJoin: true } },
] as const;
/** The reference report's joins: also the symmetric join alternating to the end, the published engine's algorithm. */
const JOIN_RUNS_WITH_ALTERNATING = [...JOIN_RUNS, { engine: 'streaming', options: { enableSymmetricHashJoin: true, enableSymmetricJoinDrain: false } }] as const;
const AGG_RUNS = [
  { engine: 'materialized', options: { enableStreamingAggregation: false } },
  { engine: 'materialized', options: { enableStreamingAggregation: true } },
  { engine: 'streaming', options: { enableStreamingAggregation: false } },
  { engine: 'streaming', options: { enableStreamingAggregation: true } },
] as const;

/** Peer engines (see harness/peers/): DuckDB's two reads, arquero and IxJS. */
const PEER_RUNS = [{ engine: 'duckdb' }, { engine: 'duckdb-stream' }, { engine: 'arquero' }, { engine: 'ix' }] as const;
/** sluice's runners beside the peers: both engines, fused streaming, and the limit loop. */
const WITH_PEERS = [...WITH_FUSION, ...PEER_RUNS] as const;
/** DuckDB with its default threads (one per core) as well as one. */
const WITH_PEERS_AND_THREADS = [...WITH_PEERS, { engine: 'duckdb', options: { threads: 0 } }] as const;
/** Joins beside the peers: both engines, both hash joins, the standard one fused through its probe, the limit loop. */
const JOIN_WITH_PEERS = [...JOIN_RUNS, { engine: 'streaming', options: { enablePipelineFusion: true } }, { engine: 'limit-loop' }, ...PEER_RUNS] as const;
/** Aggregation beside the peers: both engines, the streaming engine with the aggregation fused into its source's loop, the limit loop. */
const AGG_WITH_PEERS = [{ engine: 'materialized' }, { engine: 'streaming' }, { engine: 'streaming', options: { enablePipelineFusion: true } }, { engine: 'limit-loop' }, ...PEER_RUNS] as const;

/**
 * The suites. `fusion` measures pipeline fusion over its grid. `reference` reproduces the published report's tables plus our additions (the
 * limit loop, composition off, sizes up to 1M); `quick` is the CI-sized subset (at most
 * 3 minutes on 2 cores); `full` widens every grid.
 */
export const SUITES: Readonly<Record<string, readonly SuiteEntry[]>> = {
  quick: [
    { scenario: 'selectivity', grid: { rows: [10_000], selectivity: [0.01, 0.1, 0.5, 1] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'multiple-filters', grid: { rows: [10_000] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'complex-pipeline', grid: { rows: [5_000] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'pipeline-depth', grid: { rows: [10_000], depth: [1, 4, 8] }, runs: WITH_COMPOSITION_OFF },
    { scenario: 'memory', grid: { variant: ['aggressive', 'moderate', 'projection-only'] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'join', grid: { rows: [10_000], multiplicity: [1], variant: ['full', 'limit10'] }, runs: JOIN_RUNS },
    { scenario: 'ohlc', grid: { symbols: [3], days: [10], barsPerDay: [390] }, runs: AGG_RUNS },
    { scenario: 'group-by', grid: { rows: [10_000], groups: [100], key: ['int'] }, runs: [...AGG_RUNS, { engine: 'limit-loop' }] },
  ],
  reference: [
    // The published size (10K) and ours (1M); 100K is in the fusion suite. (Each size costs about
    // 40 s of npm start's 10 minutes; the 100K size and the 100K join's LIMIT variants went to keep it.)
    { scenario: 'selectivity', grid: { rows: [10_000, 1_000_000], selectivity: [0.01, 0.1, 0.5, 1] }, runs: WITH_FUSION },
    { scenario: 'multiple-filters', grid: { rows: [10_000] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'complex-pipeline', grid: { rows: [5_000] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'pipeline-depth', grid: { rows: [50_000], depth: [1, 2, 4, 6, 8] }, runs: WITH_FUSION_AND_COMPOSITION_OFF },
    { scenario: 'memory', grid: { variant: ['aggressive', 'moderate', 'projection-only'] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'join', grid: { rows: [10_000, 100_000], multiplicity: [1, 10], variant: ['full'] }, runs: JOIN_RUNS_WITH_ALTERNATING },
    { scenario: 'join', grid: { rows: [10_000], multiplicity: [1, 10], variant: ['limit10'] }, runs: JOIN_RUNS_WITH_ALTERNATING },
    { scenario: 'ohlc', grid: { symbols: [3], days: [10], barsPerDay: [390] }, runs: [...AGG_RUNS, ...PEER_RUNS] },
    { scenario: 'ohlc', grid: { symbols: [30], days: [10], barsPerDay: [390] }, runs: AGG_RUNS },
    // A slice of the peers suite: a filter where sluice leads its peers (above: OHLC, where DuckDB leads).
    { scenario: 'selectivity', grid: { rows: [100_000], selectivity: [0.1] }, runs: WITH_PEERS },
    // The published memory claims re-examined with the input read from a scan and from a stored
    // table (see scenarios/source.ts).
    { scenario: 'selectivity', grid: { rows: [10_000], selectivity: [0.01, 0.1, 0.5], source: ['scan', 'store'] }, runs: ENGINES_AND_LIMIT },
    { scenario: 'memory', grid: { variant: ['aggressive', 'moderate'], source: ['scan', 'store'] }, runs: ENGINES_AND_LIMIT },
    // A slice of the scale suite: how far each engine gets from a scan under a 64 MiB heap cap.
    { scenario: 'scale', grid: { rows: [100_000, 1_000_000], query: ['filter10', 'groupby'], heapCap: [64] }, runs: [{ engine: 'materialized' }, { engine: 'streaming' }] },
  ],
  // Pipeline fusion against composed iterators and the limit loop: selectivity x depth, 100K and 1M rows.
  fusion: [
    { scenario: 'selectivity', grid: { rows: [100_000, 1_000_000], selectivity: [0.01, 0.1, 0.5, 1] }, runs: FUSION_RUNS },
    { scenario: 'pipeline-depth', grid: { rows: [100_000, 1_000_000], depth: [2, 4, 8] }, runs: FUSION_RUNS },
  ],
  // How far each engine gets under a fixed heap cap (the scale suite's heapCapMb), reading a scan.
  scale: [
    { scenario: 'scale', grid: { rows: [10_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000], query: SCALE_QUERIES }, runs: [{ engine: 'materialized' }, { engine: 'streaming' }] },
    // The published OHLC case as its engine ran it: minute bars read from storage.
    { scenario: 'scale', grid: { rows: [100_000, 1_000_000, 3_000_000], query: ['ohlc'], source: ['store'] }, runs: [{ engine: 'materialized' }, { engine: 'streaming' }] },
  ],
  // sluice beside peer engines on the same data and queries (about 11 minutes on 2 cores).
  peers: [
    // 1M rows where the output is small: a pass of nine runners over a 1M-row output takes 90 s
    // (depth 6 at 1M rows, 75% kept: 236 s for two), and OHLC over 1.17M rows outlasts a pass's 120 s.
    { scenario: 'selectivity', grid: { rows: [100_000], selectivity: [0.01, 0.1, 1] }, runs: WITH_PEERS },
    { scenario: 'selectivity', grid: { rows: [1_000_000], selectivity: [0.01, 0.1] }, runs: WITH_PEERS_AND_THREADS },
    { scenario: 'multiple-filters', grid: { rows: [100_000] }, runs: WITH_PEERS },
    { scenario: 'complex-pipeline', grid: { rows: [100_000] }, runs: WITH_PEERS },
    { scenario: 'pipeline-depth', grid: { rows: [100_000], depth: [6] }, runs: WITH_PEERS },
    { scenario: 'join', grid: { rows: [100_000], multiplicity: [1, 10], variant: ['full'] }, runs: JOIN_WITH_PEERS },
    { scenario: 'join', grid: { rows: [100_000], multiplicity: [1], variant: ['count'] }, runs: JOIN_WITH_PEERS },
    { scenario: 'ohlc', grid: { symbols: [30], days: [10], barsPerDay: [390] }, runs: AGG_WITH_PEERS },
    // IxJS left out at 1M rows: its eager groupBy takes 0.2-0.3 s a run (16x and 7x sluice), and the suite 10 minutes.
    { scenario: 'group-by', grid: { rows: [1_000_000], groups: [100], key: ['int', 'string'] }, runs: AGG_WITH_PEERS.filter((r) => r.engine !== 'ix') },
  ],
  // Storage: streaming ingest and read against materializing ones and the parse-only limit.
  // Each store: memory, filesystem, and S3 on a local server (see engine/storage/s3/local-server.ts).
  ingest: [
    { scenario: 'ingest', grid: { rows: [10_000, 100_000, 1_000_000], store: ['filesystem', 'memory', 's3'] }, runs: INGEST_RUNS },
    { scenario: 'read', grid: { rows: [10_000, 100_000, 1_000_000], store: ['filesystem', 'memory', 's3'] }, runs: READ_RUNS },
    // A scan of an S3 table: time to first row and peak heap, streaming against downloading it all first.
    { scenario: 'selectivity', grid: { rows: [10_000, 1_000_000], selectivity: [0.01], source: ['s3'] }, runs: [{ engine: 'materialized' }, { engine: 'streaming' }] },
    // A filtered scan of a stored table, JSON and Parquet segments, on disk and in S3: bytes read, and row groups skipped by statistics.
    { scenario: 'scan-table', grid: { rows: [1_000_000], store: ['filesystem', 's3'], segmentFormat: ['json', 'parquet'], keep: [0.1, 1] }, runs: [{ engine: 'streaming' }, { engine: 'materialized' }] },
    // Parquet segments, written and read back.
    { scenario: 'ingest', grid: { rows: [10_000, 1_000_000], segmentFormat: ['parquet'], store: ['filesystem', 's3'] }, runs: INGEST_RUNS.filter((r) => r.engine !== 'limit-loop') },
  ],
  full: [
    { scenario: 'selectivity', grid: { rows: [10_000, 100_000, 1_000_000], selectivity: [0.001, 0.01, 0.1, 0.2, 0.5, 1] }, runs: WITH_FUSION_AND_COMPOSITION_OFF },
    { scenario: 'multiple-filters', grid: { rows: [10_000, 100_000, 1_000_000] }, runs: WITH_COMPOSITION_OFF },
    { scenario: 'complex-pipeline', grid: { rows: [5_000, 100_000, 1_000_000] }, runs: WITH_COMPOSITION_OFF },
    { scenario: 'pipeline-depth', grid: { rows: [10_000, 100_000, 1_000_000], depth: [1, 2, 3, 4, 5, 6, 7, 8] }, runs: WITH_FUSION_AND_COMPOSITION_OFF },
    { scenario: 'memory', grid: { variant: ['aggressive', 'moderate', 'projection-only'] }, runs: WITH_COMPOSITION_OFF },
    { scenario: 'join', grid: { rows: [10_000, 100_000], multiplicity: [1, 10, 100], variant: ['full', 'limit10'] }, runs: JOIN_RUNS_WITH_ALTERNATING },
    { scenario: 'ohlc', grid: { symbols: [3, 30, 100], days: [10, 20], barsPerDay: [390] }, runs: AGG_RUNS },
    { scenario: 'group-by', grid: { rows: [100_000, 1_000_000], groups: [10, 100, 10_000], key: ['int', 'string'] }, runs: [...AGG_RUNS, { engine: 'limit-loop' }] },
    { scenario: 'ingest', grid: { rows: [10_000, 100_000, 1_000_000], batchSize: [100, 1000, 10_000] }, runs: INGEST_RUNS },
    { scenario: 'read', grid: { rows: [10_000, 100_000, 1_000_000] }, runs: READ_RUNS },
  ],
};

/** How to narrow or adjust a suite. */
export interface PlanFilter {
  /** Glob over case ids (`*` matches anything, `?` one character). */
  readonly filter?: string | readonly string[];
  /** Keep only these runners. */
  readonly engines?: readonly Runner[];
  /** Options applied to every engine case (on top of the suite's own). */
  readonly set?: EngineOptions;
  readonly seed?: number;
  /**
   * Run every query case over each of these sources (`array`, `scan`, `store`; see scenarios/source.ts)
   * instead of the suite's own; task scenarios (ingest, read) have no source and are kept as they are.
   */
  readonly sources?: readonly SourceKind[];
}

/**
 * Parse `--source`: a comma-separated list of sources.
 * @throws ConfigError naming an unknown source or an empty list.
 */
export function parseSources(v: string | undefined): SourceKind[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    if (!(SOURCES as readonly string[]).includes(s)) throw new ConfigError(`--source: unknown source '${s}'; accepted: ${SOURCES.join(', ')}`);
  }
  if (list.length === 0) throw new ConfigError(`--source needs at least one of ${SOURCES.join(', ')}`);
  return [...new Set(list)] as SourceKind[];
}

/** Cartesian product of a parameter grid, in declaration order. */
function expandGrid(grid: Readonly<Record<string, readonly ParamValue[]>>): Record<string, ParamValue>[] {
  let points: Record<string, ParamValue>[] = [{}];
  for (const [name, values] of Object.entries(grid)) points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  return points;
}

/**
 * Expand a suite into cases, in a stable order: grouped by scenario and params, engines together
 * within a group (so the runner can interleave them and compare their outputs).
 * @throws ConfigError for an unknown suite, engine or option, or a filter that matches nothing.
 */
export function planSuite(suite: string, f: PlanFilter = {}): CaseSpec[] {
  const entries = SUITES[suite];
  if (!entries) throw new ConfigError(`unknown suite '${suite}'; known suites: ${Object.keys(SUITES).join(', ')}`);
  const set = f.set ?? {};
  resolveOptions(set);
  const cases: CaseSpec[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const hasSource = Object.hasOwn(getScenario(e.scenario).params, 'source');
    const grid = f.sources && hasSource ? { ...e.grid, source: f.sources } : e.grid;
    for (const point of expandGrid(grid)) {
      for (const run of e.runs) {
        if (f.engines && !f.engines.includes(run.engine)) continue;
        // Peers read their own copy of the data: they run beside the array source only.
        if (isPeer(run.engine) && (point.source ?? 'array') !== 'array') continue;
        const options = run.engine === 'limit-loop' ? {} : isPeer(run.engine) ? { ...run.options } : { ...run.options, ...set };
        const c = makeCase(e.scenario, point, run.engine, options, f.seed);
        if (seen.has(c.id)) continue; // --set can make two runs identical
        seen.add(c.id);
        cases.push(c);
      }
    }
  }
  return applyFilter(cases, f.filter, `suite '${suite}'`);
}

/** Keep the cases whose id matches `glob`; an empty result is an error, not a silent no-op. */
export function applyFilter(cases: CaseSpec[], globs: string | readonly string[] | undefined, what: string): CaseSpec[] {
  if (globs === undefined) return cases;
  // A repeated --filter is a union; each one must match something (a typo would otherwise pass unseen).
  const list = typeof globs === 'string' ? [globs] : globs;
  const res = list.map((g) => {
    if (typeof g !== 'string' || g === '') throw new ConfigError(`--filter takes a glob over case ids, got ${JSON.stringify(g)}`);
    const re = globToRegExp(g);
    if (!cases.some((c) => re.test(c.id))) throw new ConfigError(`--filter '${g}' matches no case of ${what} (see 'sluice list')`);
    return re;
  });
  return cases.filter((c) => res.some((re) => re.test(c.id)));
}
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * Keep shard `index` of `count` (1-based), splitting by group so that every engine of a group
 * lands in the same shard (the runner compares their outputs).
 * @throws ConfigError for a malformed shard.
 */
export function shard(cases: CaseSpec[], spec: string): CaseSpec[] {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ConfigError(`--shard must look like i/n with 1 <= i <= n (for example 2/4), got '${spec}'`);
  }
  const groups = [...new Set(cases.map((c) => c.group))];
  const mine = new Set(groups.filter((_, i) => i % count === index - 1));
  return cases.filter((c) => mine.has(c.group));
}

/**
 * Parse `--set` values: `name=value` with a known option; booleans as true/false, numbers as
 * numbers (Infinity allowed for memoryLimit).
 * @throws ConfigError naming the malformed argument or the unknown option.
 */
export function parseSet(items: readonly string[]): EngineOptions {
  const out: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set takes option=value (for example --set enableSymmetricHashJoin=true), got '${item}'`);
    const name = item.slice(0, eq), raw = item.slice(eq + 1);
    if (!Object.hasOwn(OPTION_SPECS, name)) {
      throw new ConfigError(`--set: unknown engine option '${name}'; known options: ${Object.keys(OPTION_SPECS).join(', ')}`);
    }
    out[name] = parseOptionValue(name, raw);
  }
  resolveOptions(out as EngineOptions);
  return out as EngineOptions;
}

function parseOptionValue(name: string, raw: string): boolean | number {
  const kind = OPTION_SPECS[name as keyof EngineOptions].kind;
  if (kind === 'boolean') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new ConfigError(`option '${name}' takes true or false, got '${raw}'`);
  }
  const n = raw === 'Infinity' ? Infinity : Number(raw);
  if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`option '${name}' takes a number, got '${raw}'`);
  return n;
}

/**
 * A sweep: every combination of the varied options, on the given engines, for one scenario.
 * `vary` items are a boolean option name (false and true) or `name=v1,v2,...`.
 * @throws ConfigError for an unknown option, a malformed value list, or nothing to vary.
 */
export function planSweep(scenarioId: string, vary: readonly string[], opts: { params?: Record<string, unknown>; engines?: readonly Runner[]; seed?: number; set?: EngineOptions } = {}): CaseSpec[] {
  const scenario = getScenario(scenarioId);
  if (vary.length === 0) throw new ConfigError('sweep needs at least one --vary option');
  const axes: [string, (boolean | number)[]][] = [];
  for (const item of vary.flatMap((v) => splitVary(v))) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (!Object.hasOwn(OPTION_SPECS, name)) {
      throw new ConfigError(`--vary: unknown engine option '${name}'; known options: ${Object.keys(OPTION_SPECS).join(', ')}`);
    }
    const spec = OPTION_SPECS[name as keyof EngineOptions];
    let values: (boolean | number)[];
    if (eq < 0) {
      if (spec.kind !== 'boolean') throw new ConfigError(`--vary ${name} needs values, for example --vary ${name}=16,64,256`);
      values = [false, true];
    } else {
      values = item.slice(eq + 1).split('|').map((v) => parseOptionValue(name, v));
    }
    if (axes.some(([n]) => n === name)) throw new ConfigError(`--vary lists option '${name}' twice`);
    axes.push([name, values]);
  }
  let grid: Record<string, boolean | number>[] = [{}];
  for (const [name, values] of axes) grid = grid.flatMap((g) => values.map((v) => ({ ...g, [name]: v })));
  const engines = (opts.engines ?? ['materialized', 'streaming']).filter((e) => e !== 'limit-loop');
  const cases: CaseSpec[] = [];
  for (const options of grid) {
    // Only the options this engine reads: an option it ignores would be the same code measured twice.
    for (const engine of engines) cases.push(makeCase(scenario.id, opts.params ?? {}, engine, optionsReadBy(engine as 'materialized' | 'streaming', { ...opts.set, ...options } as EngineOptions), opts.seed));
  }
  if (scenario.limitLoop && (opts.engines ?? ['limit-loop']).includes('limit-loop')) cases.push(makeCase(scenario.id, opts.params ?? {}, 'limit-loop', {}, opts.seed));
  // Identical option sets on one engine are kept once.
  return [...new Map(cases.map((c) => [c.id, c])).values()];
}

/**
 * `--vary a,b,c=1,2` is read as the options a, b and c=1|2: a comma starts a new option unless
 * the text after it is a value of the current one.
 */
function splitVary(v: string): string[] {
  const out: string[] = [];
  for (const part of v.split(',')) {
    if (out.length > 0 && out.at(-1)!.includes('=') && (!/^[A-Za-z]/.test(part) || part === 'Infinity')) out[out.length - 1] += `|${part}`;
    else out.push(part);
  }
  return out;
}

export { RUNNERS };
