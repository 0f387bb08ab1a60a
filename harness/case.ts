import { ConfigError, OPTION_SPECS, resolveOptions, type EngineOptions } from '../engine/index.js';
import { getScenario, resolveParams } from '../scenarios/index.js';

export { RUNNERS, type CaseSpec, type Runner } from '../core/case-spec.js';
import { RUNNERS, type CaseSpec, type Runner } from '../core/case-spec.js';

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
export function makeCase(scenarioId: string, params: Readonly<Record<string, unknown>>, engine: string, options: EngineOptions = {}, seed = DEFAULT_SEED): CaseSpec {
  const scenario = getScenario(scenarioId);
  const p = resolveParams(scenario, params);
  if (engine === 'baseline') throw new ConfigError(`engine 'baseline' is now called 'limit-loop' (the hand-written limit loop)`);
  if (!(RUNNERS as readonly string[]).includes(engine)) {
    throw new ConfigError(`unknown engine '${engine}'; expected one of ${RUNNERS.join(', ')}`);
  }
  if (engine === 'limit-loop' && !scenario.limitLoop && !scenario.hasLimitLoop) {
    throw new ConfigError(`scenario '${scenario.id}' has no limit loop (only the filter/project families and ingest do)`);
  }
  const resolved = resolveOptions(options);
  const changed: Record<string, unknown> = {};
  if (engine !== 'limit-loop') {
    for (const k of Object.keys(OPTION_SPECS) as (keyof EngineOptions)[]) {
      if (resolved[k] !== OPTION_SPECS[k].default) changed[k] = resolved[k];
    }
  }
  const idParams = Object.keys(scenario.params).filter((k) => !(scenario.params[k]!.omitAtDefault && p[k] === scenario.params[k]!.default));
  const group = `${scenario.id}/${pairs(p, idParams)}`;
  const opts = pairs(changed, Object.keys(OPTION_SPECS));
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
