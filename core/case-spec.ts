import type { EngineOptions } from '../engine/index.js';
import type { Params } from '../scenarios/index.js';

/** sluice's own runners: the two engines, and the scenario's hand-written limit loop. */
export type EngineRunner = 'materialized' | 'streaming' | 'limit-loop';

/**
 * Peer engines, run on the same data and checked against the same output (see harness/peers/):
 * DuckDB with a materializing read of the whole result (`duckdb`, `runAndReadAll`) and a
 * streaming one (`duckdb-stream`, chunk by chunk), arquero (materializing, columnar) and IxJS
 * (lazy iterables).
 */
export type PeerRunner = 'duckdb' | 'duckdb-stream' | 'arquero' | 'ix';

/** What runs a case. */
export type Runner = EngineRunner | PeerRunner;
export const PEERS: readonly PeerRunner[] = ['duckdb', 'duckdb-stream', 'arquero', 'ix'];
export const RUNNERS: readonly Runner[] = ['materialized', 'streaming', 'limit-loop', ...PEERS];

/** True for a peer engine's runner. */
export function isPeer(r: string): r is PeerRunner {
  return (PEERS as readonly string[]).includes(r);
}

/**
 * A peer's options (only DuckDB's runners have one). `threads`: DuckDB's worker threads, 1 by
 * default (sluice is single-threaded); 0 for DuckDB's own default (one per core).
 */
export interface PeerOptions {
  readonly threads?: number;
}

/** One measured unit: scenario × params × engine × options, with a stable id. */
export interface CaseSpec {
  readonly id: string;
  /** Cases with the same group (scenario and params) must return the same rows. */
  readonly group: string;
  readonly scenario: string;
  readonly params: Params;
  readonly engine: Runner;
  /** Only the options that differ from the defaults (the limit loop has none; a peer has its own). */
  readonly options: EngineOptions & PeerOptions;
  /** Data generator seed. */
  readonly seed: number;
}
