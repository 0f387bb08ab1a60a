import { ConfigError, QueryAbortedError } from './errors.js';
import { MemoryTracker } from './memory/memory-tracker.js';
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options.js';
import { EngineRuntime, sharedRuntime } from './runtime.js';

/**
 * Counters the engine keeps about its own work. They are cheap (incremented once per operator
 * or source pass, never per row) and let tests and the harness see what actually ran.
 */
export interface Metrics {
  /** Rows pulled out of sources (`from` arrays and `fromIterator` iterators). */
  sourceRows: number;
  /** Times an operator buffered its whole input (materialized operators, composition off, caches). */
  materializations: number;
  /** Rows copied into such buffers. */
  materializedRows: number;
}

/**
 * Everything an operator may consult while it runs: the resolved options, the memory tracker,
 * the metrics and an optional abort signal. One context per engine instance; relations carry
 * a reference to it, so there is no global state.
 */
export class ExecutionContext {
  readonly options: ResolvedOptions;
  readonly memory: MemoryTracker;
  readonly metrics: Metrics = { sourceRows: 0, materializations: 0, materializedRows: 0 };
  /** Generated code and checked rows this engine shares with others (see runtime.ts). */
  readonly runtime: EngineRuntime;

  constructor(
    options: EngineOptions | ResolvedOptions | undefined,
    /** Checked by sources every 1024 rows (see {@link ABORT_CHECK_MASK}). */
    readonly signal?: AbortSignal,
    runtime?: EngineRuntime,
  ) {
    this.options = resolveOptions(options);
    this.memory = new MemoryTracker(this.options.memoryLimit);
    if (runtime !== undefined && !(runtime instanceof EngineRuntime)) throw new ConfigError(`runtime must be an EngineRuntime from createRuntime(), got ${typeof runtime}`);
    this.runtime = runtime ?? sharedRuntime();
  }

  /** Throw {@link QueryAbortedError} if the signal has fired. */
  checkAborted(): void {
    if (this.signal?.aborted) {
      throw new QueryAbortedError(`query aborted: ${String(this.signal.reason ?? 'abort signal fired')}`);
    }
  }
}

/** Sources poll the abort signal once per this many rows (a power of two minus one mask). */
export const ABORT_CHECK_MASK = 1023;
