import { ConfigError, describeValue } from './errors.js';

/**
 * Engine options: the planner switches of the published engine, as data. Every field is
 * optional; {@link resolveOptions} fills the defaults once and validates, and the resolved object
 * travels in the {@link ExecutionContext}. Nothing reads options from global state.
 */
export interface EngineOptions {
  /**
   * Compose streaming operators as lazy iterators. When off, every streaming operator first
   * materializes its input into a buffer and iterates that (the published engine's fallback).
   * No effect on the materialized engine.
   * @default true
   */
  enableIteratorComposition?: boolean;
  /**
   * Keep streaming relations unmaterialized when asked for their size or emptiness: `size()`
   * returns -1 when the count is unknown, and `isEmpty()` peeks one tuple. When off, `size()` and
   * `isEmpty()` materialize the relation (into its replayable cache) to answer.
   * @default true
   */
  enableTrueStreaming?: boolean;
  /**
   * Compile each maximal run of `filter`/`extend`/`project` whose expressions are data (not JS
   * functions) into one generated function: a single loop over the run's input, with no
   * intermediate tuples. Streaming engine only, and only with iterator composition on. Changes
   * speed, never results.
   * @default false
   */
  enablePipelineFusion?: boolean;
  /**
   * Join two streaming inputs with a symmetric hash join: pull both sides alternately in batches,
   * insert each row into its side's table and probe the other's, so output starts before either
   * input ends. Only the streaming engine, and only when neither input is re-readable; otherwise
   * (and when off) joins build a hash table on one side and stream the other through it.
   * @default false
   */
  enableSymmetricHashJoin?: boolean;
  /**
   * Aggregate in one pass with accumulators, keeping only per-group state. When off, aggregation
   * first collects each group's rows and then reduces them (the published engine's path).
   * Applies to both engines.
   * @default true
   */
  enableStreamingAggregation?: boolean;
  /**
   * Rows a hash table pre-allocates its row and chain arrays for, when the build side's size is
   * not known (a known size is used instead). JavaScript's Map cannot be pre-sized, so this sizes
   * the table's own arrays only.
   * @default 1024
   */
  hashTableInitialSize?: number;
  /**
   * Rows the symmetric hash join pulls from one side before switching to the other.
   * @default 64
   */
  symmetricJoinBatchSize?: number;
  /**
   * Let the symmetric hash join stop alternating once it has read
   * `symmetricJoinDrainAfter` rows from each side: it then reads the side a standard hash join
   * would build on (the smaller known size, else the right) to its end, inserting each row and
   * emitting its matches with the other side's rows read so far, and afterwards streams the rest
   * of the other side through that table without storing it (an early hash join). The first rows
   * come as early as with pure alternation; the rest costs about what a standard hash join costs,
   * and the other side's rest is never held. When off, the join alternates to the end and holds
   * both inputs whole until one ends (the published engine's algorithm).
   * @default true
   */
  enableSymmetricJoinDrain?: boolean;
  /**
   * Rows the symmetric hash join reads from each side, alternating, before it drains one side
   * (see `enableSymmetricJoinDrain`). Rounded up to whole batches of `symmetricJoinBatchSize`.
   * @default 1024
   */
  symmetricJoinDrainAfter?: number;
  /**
   * Bytes that the context's memory tracker may hold reserved at once; a reservation past it
   * throws `ResourcesExhaustedError`. `Infinity` means no limit.
   * @default Infinity
   */
  memoryLimit?: number;
  /**
   * Rows per batch (one written segment) in storage ingest, when an insert does not say.
   * @default 1000
   */
  ingestBatchSize?: number;
}

/** Options with every default filled in. Frozen. */
export type ResolvedOptions = Readonly<Required<EngineOptions>>;

type OptionKind = 'boolean' | 'bytes' | 'positiveInt';

interface OptionSpec {
  readonly kind: OptionKind;
  readonly default: boolean | number;
  /** The engines whose code reads the option; on another engine it changes nothing. */
  readonly readBy: readonly ('materialized' | 'streaming')[];
  /**
   * Read only while this boolean option is on (e.g. the batch size of the symmetric join), and
   * while that option's own `requires` is on in turn.
   */
  readonly requires?: keyof EngineOptions;
}

/**
 * The option table: name → kind, default, and which engines read it. The single source for
 * defaults and validation, and for which option combinations are distinct code paths (a sweep
 * never varies an option for an engine that ignores it).
 */
export const OPTION_SPECS: Readonly<Record<keyof EngineOptions, OptionSpec>> = {
  enableIteratorComposition: { kind: 'boolean', default: true, readBy: ['streaming'] },
  enableTrueStreaming: { kind: 'boolean', default: true, readBy: ['streaming'] },
  enablePipelineFusion: { kind: 'boolean', default: false, readBy: ['streaming'], requires: 'enableIteratorComposition' },
  enableSymmetricHashJoin: { kind: 'boolean', default: false, readBy: ['streaming'] },
  enableStreamingAggregation: { kind: 'boolean', default: true, readBy: ['materialized', 'streaming'] },
  // The materialized engine always knows its build side's size and sizes the table from it.
  hashTableInitialSize: { kind: 'positiveInt', default: 1024, readBy: ['streaming'] },
  symmetricJoinBatchSize: { kind: 'positiveInt', default: 64, readBy: ['streaming'], requires: 'enableSymmetricHashJoin' },
  enableSymmetricJoinDrain: { kind: 'boolean', default: true, readBy: ['streaming'], requires: 'enableSymmetricHashJoin' },
  symmetricJoinDrainAfter: { kind: 'positiveInt', default: 1024, readBy: ['streaming'], requires: 'enableSymmetricJoinDrain' },
  memoryLimit: { kind: 'bytes', default: Infinity, readBy: ['materialized', 'streaming'] },
  ingestBatchSize: { kind: 'positiveInt', default: 1000, readBy: ['materialized', 'streaming'] },
};

/**
 * The options of `options` that `engine` actually reads: those of other engines, and those whose
 * `requires` switch is off, are dropped. Two option sets with the same result run the same code.
 */
export function optionsReadBy(engine: 'materialized' | 'streaming', options: EngineOptions): EngineOptions {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    const spec = OPTION_SPECS[name as keyof EngineOptions];
    if (!spec || !spec.readBy.includes(engine)) continue;
    if (!switchedOn(spec.requires, options)) continue;
    out[name] = value;
  }
  return out as EngineOptions;
}

/** Whether the switch `name` (and every switch it requires in turn) is on in `options`; true for none. */
function switchedOn(name: keyof EngineOptions | undefined, options: EngineOptions): boolean {
  for (let n = name; n !== undefined; n = OPTION_SPECS[n].requires) {
    if ((options[n] ?? OPTION_SPECS[n].default) !== true) return false;
  }
  return true;
}

/** Names of the boolean options, in declaration order (for option grids). */
export const BOOLEAN_OPTIONS = Object.freeze(
  (Object.keys(OPTION_SPECS) as (keyof EngineOptions)[]).filter((k) => OPTION_SPECS[k].kind === 'boolean'),
);

/** The defaults, resolved. */
export const DEFAULT_OPTIONS: ResolvedOptions = resolveOptions({});

/**
 * Validate `options` and fill in defaults.
 * @throws ConfigError naming the option when a name is unknown or a value has the wrong type.
 */
export function resolveOptions(options: EngineOptions | undefined = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError(`engine options must be an object, got ${describeValue(options)}`);
  }
  const known = Object.keys(OPTION_SPECS);
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(OPTION_SPECS, name)) {
      throw new ConfigError(`unknown engine option '${name}' (known options: ${known.join(', ')})`);
    }
  }
  const out: Record<string, boolean | number> = {};
  for (const name of known as (keyof EngineOptions)[]) {
    const spec = OPTION_SPECS[name];
    const given = (options as Record<string, unknown>)[name];
    out[name] = given === undefined ? spec.default : check(name, spec.kind, given);
  }
  return Object.freeze(out) as unknown as ResolvedOptions;
}

function check(name: string, kind: OptionKind, v: unknown): boolean | number {
  switch (kind) {
    case 'boolean':
      if (typeof v !== 'boolean') throw new ConfigError(`engine option '${name}' must be true or false, got ${describeValue(v)}`);
      return v;
    case 'bytes':
      if (typeof v !== 'number' || Number.isNaN(v) || v <= 0 || (!Number.isInteger(v) && v !== Infinity)) {
        throw new ConfigError(`engine option '${name}' must be a positive whole number of bytes or Infinity, got ${describeValue(v)}`);
      }
      return v;
    case 'positiveInt':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
        throw new ConfigError(`engine option '${name}' must be a positive integer, got ${describeValue(v)}`);
      }
      return v;
  }
}

