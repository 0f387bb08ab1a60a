import { createEngine, type Engine } from '../../engine/index.js';
import { getScenario, prepareTables, type SourceKind, type Tables, type TaskCase } from '../../scenarios/index.js';
import type { CaseSpec } from '../case.js';
import { BagChecksum } from './checksum.js';
import { drainCase, keepLast, type AnyPreparedCase } from './prepared.js';
import { isPeer } from '../../core/case-spec.js';
import { preparePeer } from '../peers/index.js';

export type { AnyPreparedCase, AsyncPreparedCase, PreparedCase } from './prepared.js';
export { lastRow } from './prepared.js';

/**
 * Two full GCs once the data exist (when the process has `--expose-gc`, as measuring children
 * do), before the query first runs. Without them the first scavenges after data generation, with
 * the young generation full of surviving rows, could tip V8's allocation-site pretenuring into
 * tenuring the query's own per-row allocations: in about one process in three, fused depth-8 at
 * 100K rows then allocated every output tuple in old space and ran 2-3x slower for the whole
 * process (9 ms instead of 3.5 ms; 0 slow processes of 14 with this, 3-4 of 12 without).
 */
function settleHeap(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

/**
 * Build the data of `spec` and wrap its query for the measurement loops. Asynchronous because a
 * stored table (`source: 'store'`) is inserted first; nothing after this awaits.
 */
export async function prepareCase(spec: CaseSpec): Promise<AnyPreparedCase> {
  const scenario = getScenario(spec.scenario);
  // Over `scan`, the generated rows are encoded and dropped here, before the heap settles.
  // The process's first createEngine() builds the engine's keep-alive pipelines (engine/keep-alive.ts):
  // made first, before the data, they are part of every case's baseline, as they are of any process
  // that has made an engine, and never inside a measured run. (Made after generating 1M rows, just
  // before the heap settles, they left a 1M-row filter 1.3x slower in both paired and separate
  // processes, and the same query in a plain script was not; cause not found.)
  createEngine('streaming');
  const data: Tables = await prepareTables(scenario.data(spec.params, spec.seed), (spec.params.source ?? 'array') as SourceKind);
  settleHeap();
  const inputRows = Object.values(data).reduce((n, t) => n + t.length, 0);
  const dispose = () => {
    for (const t of Object.values(data)) t.dispose?.();
  };
  if (isPeer(spec.engine)) {
    try {
      return await preparePeer(spec, scenario, data, inputRows, dispose);
    } catch (e) {
      dispose();
      throw e;
    }
  }
  if (spec.engine === 'limit-loop') {
    const loop = scenario.limitLoop!;
    return drainCase((to) => loop(data, spec.params, to), { inputRows, dispose });
  }
  const kind = spec.engine;
  let last: Engine | undefined;
  const build = () => {
    last = createEngine(kind, spec.options);
    return scenario.build(last, data, spec.params);
  };
  return {
    inputRows,
    dispose,
    run: () => build().forEach(keepLast),
    runChecked: () => {
      const sum = new BagChecksum();
      const it = build().open();
      try {
        for (let t = it.next(); t !== undefined; t = it.next()) sum.add(t);
      } finally {
        it.close();
      }
      return { rows: sum.rows, checksum: sum.value };
    },
    firstRowNs: () => {
      const t0 = process.hrtime.bigint();
      const it = build().open();
      try {
        it.next();
        return Number(process.hrtime.bigint() - t0);
      } finally {
        it.close();
      }
    },
    trackerPeak: () => last?.context.memory.peak ?? null,
  };
}

/** True when `spec` is a task scenario (asynchronous, see `Scenario.task`). */
export function isTask(spec: CaseSpec): boolean {
  return getScenario(spec.scenario).task !== undefined;
}

/** Prepare one runner of a task scenario, with the harness's checksum. */
export function prepareTask(spec: CaseSpec): Promise<TaskCase> {
  const task = getScenario(spec.scenario).task!;
  return task(spec.engine as 'materialized' | 'streaming' | 'limit-loop', spec.params, spec.seed, (rows) => {
    const sum = new BagChecksum();
    for (const t of rows) sum.add(t);
    return { rows: sum.rows, checksum: sum.value };
  });
}
