/**
 * What engines share across queries, held in one object that every engine names (its context's
 * `runtime`) instead of in module state: generated code by query shape (fused runs, column
 * readers, aggregation folds, probe loops) and which row arrays were already checked for a width.
 *
 * Engines made without one share {@link sharedRuntime}, so that repeated queries reuse warm code
 * (the harness makes an engine per measured run, and a compile costs far more than a small
 * query). Give an engine a runtime of its own (`createEngine(kind, options, { runtime:
 * createRuntime() })`) to isolate it: a test that counts compilations, or a long-lived process
 * that wants to drop generated code with the runtime.
 *
 * Only shapes are keys: column indices, kinds and generated text, never a value from a query or
 * its data (see fusion/codegen.ts).
 */
export class EngineRuntime {
  private readonly code = new Map<string, Map<string, unknown>>();
  /** Row arrays already checked (`checkRows`), with the width they were checked for. */
  readonly checkedRows = new WeakMap<readonly unknown[], number>();

  /** The generated code for `key` in `namespace`, made by `make` the first time it is asked for. */
  cached<F>(namespace: string, key: string, make: () => F): F {
    let shapes = this.code.get(namespace);
    if (shapes === undefined) this.code.set(namespace, (shapes = new Map()));
    let f = shapes.get(key) as F | undefined;
    if (f === undefined) {
      f = make();
      shapes.set(key, f);
    }
    return f;
  }

  /** Shapes compiled so far in `namespace` (for tests and the compile-time figure). */
  compiled(namespace: string): number {
    return this.code.get(namespace)?.size ?? 0;
  }
}

/** A runtime of its own, sharing nothing with other engines. */
export function createRuntime(): EngineRuntime {
  return new EngineRuntime();
}

const SHARED = new EngineRuntime();

/** The runtime engines share unless given their own (see {@link EngineRuntime}). */
export function sharedRuntime(): EngineRuntime {
  return SHARED;
}
