import type { EngineOptions } from '../engine/index.js';
import type { Params } from '../scenarios/index.js';

/** What runs a case: one of the two engines, or the scenario's hand-written limit loop. */
export type Runner = 'materialized' | 'streaming' | 'limit-loop';
export const RUNNERS: readonly Runner[] = ['materialized', 'streaming', 'limit-loop'];

/** One measured unit: scenario × params × engine × options, with a stable id. */
export interface CaseSpec {
  readonly id: string;
  /** Cases with the same group (scenario and params) must return the same rows. */
  readonly group: string;
  readonly scenario: string;
  readonly params: Params;
  readonly engine: Runner;
  /** Only the options that differ from the defaults (the limit loop has none). */
  readonly options: EngineOptions;
  /** Data generator seed. */
  readonly seed: number;
}

