import { ConfigError, OPTION_SPECS, resolveOptions, type EngineOptions } from '../engine/index.js';
import { getScenario, resolveParams, type Scenario } from '../scenarios/index.js';

export { isPeer, PEERS, RUNNERS, type CaseSpec, type PeerRunner, type Runner } from '../core/case-spec.js';
import { isPeer, PEERS, RUNNERS, type CaseSpec, type PeerOptions, type PeerRunner, type Runner } from '../core/case-spec.js';
import type { PeerQueries } from '../scenarios/peer-api.js';

/** Which of a scenario's peer queries each peer runs. */
const PEER_QUERY: Readonly<Record<PeerRunner, keyof PeerQueries>> = { duckdb: 'sql', 'duckdb-stream': 'sql', arquero: 'arquero', ix: 'ix' };

/** The peers that can run a scenario (those it has a query written for). */
export function peersOf(scenario: Pick<Scenario, 'peers'>): PeerRunner[] {
  return PEERS.filter((p) => scenario.peers?.[PEER_QUERY[p]] !== undefined);
}

/**
 * A peer case's options, checked: DuckDB's runners take `threads` (a whole number from 0, DuckDB's
 * own default, to 1024; 1 when absent, and then left out of the id); the others take none.
 * @throws ConfigError naming the option and the value given.
 */
function peerOptions(peer: PeerRunner, options: Readonly<Record<string, unknown>>): PeerOptions {
  const out: { threads?: number } = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    if (k !== 'threads' || !peer.startsWith('duckdb')) {
      throw new ConfigError(`peer '${peer}' has no option '${k}'${peer.startsWith('duckdb') ? " (DuckDB's runners take 'threads')" : ' (it takes no options)'}`);
    }
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1024) throw new ConfigError(`peer '${peer}' option 'threads' must be a whole number from 0 (DuckDB's default: one per core) to 1024, got ${JSON.stringify(v)}`);
    if (n !== 1) out.threads = n;
  }
  return out;
}

/** The default data seed (any fixed number would do; this one is recorded in every case). */
export const DEFAULT_SEED = 20251013;

/** `k=v,k=v` in the given key order. */
function pairs(o: Readonly<Record<string, unknown>>, keys: readonly string[]): string {
  return keys.filter((k) => o[k] !== undefined).map((k) => `${k}=${String(o[k])}`).join(',');
}

/**
 * Build a case, checking everything: the scenario, its parameters, the engine and the options.
 * The id is `scenario/params/engine[+options]`, with parameters in the scenario's declared order
 * and options in the option table's order, so the same case always has the same id.
 * @throws ConfigError naming what was wrong.
 */
export function makeCase(scenarioId: string, params: Readonly<Record<string, unknown>>, engine: string, options: EngineOptions & PeerOptions = {}, seed = DEFAULT_SEED): CaseSpec {
  const scenario = getScenario(scenarioId);
  const p = resolveParams(scenario, params);
  if (engine === 'baseline') throw new ConfigError(`engine 'baseline' is now called 'limit-loop' (the hand-written limit loop)`);
  if (!(RUNNERS as readonly string[]).includes(engine)) {
    throw new ConfigError(`unknown engine '${engine}'; expected one of ${RUNNERS.join(', ')}`);
  }
  if (engine === 'limit-loop' && !scenario.limitLoop && !scenario.hasLimitLoop) {
    throw new ConfigError(`scenario '${scenario.id}' has no limit loop (see 'sluice list': the scenarios that have one say so)`);
  }
  let changed: Record<string, unknown> = {};
  if (isPeer(engine)) {
    if (!peersOf(scenario).includes(engine)) throw new ConfigError(`scenario '${scenario.id}' has no query written for peer '${engine}'`);
    if ((p.source ?? 'array') !== 'array') throw new ConfigError(`peer '${engine}' reads its own copy of the data, so it runs with source 'array' only, got '${String(p.source)}'`);
    changed = { ...peerOptions(engine, options as Readonly<Record<string, unknown>>) };
  } else {
    // Checked for the limit loop too, which then ignores them.
    const resolved = resolveOptions(options);
    for (const k of Object.keys(OPTION_SPECS) as (keyof EngineOptions)[]) {
      if (engine !== 'limit-loop' && resolved[k] !== OPTION_SPECS[k].default) changed[k] = resolved[k];
    }
  }
  const idParams = Object.keys(scenario.params).filter((k) => !(scenario.params[k]!.omitAtDefault && p[k] === scenario.params[k]!.default));
  const group = `${scenario.id}/${pairs(p, idParams)}`;
  const opts = pairs(changed, isPeer(engine) ? ['threads'] : Object.keys(OPTION_SPECS));
  return {
    id: `${group}/${engine}${opts ? `+${opts}` : ''}`,
    group,
    scenario: scenario.id,
    params: p,
    engine: engine as Runner,
    options: changed as EngineOptions,
    seed,
  };
}
