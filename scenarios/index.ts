import { ConfigError } from '../engine/index.js';
import { aggregation } from './aggregation.js';
import { complexPipeline } from './complex-pipeline.js';
import { groupBy } from './group-by.js';
import { ingest, read, scanTable } from './ingest.js';
import { join } from './join.js';
import { memoryCharacteristics } from './memory-characteristics.js';
import { multipleFilters } from './multiple-filters.js';
import { pipelineDepth } from './pipeline-depth.js';
import { scale } from './scale.js';
import { selectivity } from './selectivity.js';
import { SOURCE_PARAM } from './source.js';
import type { Params, ParamValue, Scenario } from './types.js';

export type { Scenario, Params, ParamValue, Dataset, Tables, LimitLoop, ParamSpec, TaskCase, OutputChecksum } from './types.js';
export { prepareTables, SCRATCH_ENV, SOURCES, type SourceKind, type Table } from './source.js';
export { OHLC_AGGREGATES } from './aggregation.js';
export { SCALE_QUERIES } from './scale.js';

/** A query scenario with the `source` parameter every query scenario takes (see source.ts). */
function withSource(s: Scenario): Scenario {
  return s.task || s.params.source ? s : { ...s, params: { ...s.params, source: SOURCE_PARAM } };
}

/** Every scenario, by id. The one registry the harness and the CLI read. */
export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [selectivity, multipleFilters, complexPipeline, pipelineDepth, memoryCharacteristics, join, aggregation, groupBy, scale, ingest, read, scanTable].map((s) => [s.id, withSource(s)]),
);

/**
 * Look a scenario up by id.
 * @throws ConfigError naming the known scenarios.
 */
export function getScenario(id: string): Scenario {
  const s = SCENARIOS.get(id);
  if (!s) throw new ConfigError(`unknown scenario '${id}'; known scenarios: ${[...SCENARIOS.keys()].join(', ')}`);
  return s;
}

/**
 * Fill defaults and check every parameter of `scenario`.
 * @throws ConfigError naming the parameter and what it accepts.
 */
export function resolveParams(scenario: Scenario, given: Readonly<Record<string, unknown>> = {}): Params {
  const out: Record<string, ParamValue> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(scenario.params, name)) {
      throw new ConfigError(`scenario '${scenario.id}' has no parameter '${name}'; its parameters: ${Object.keys(scenario.params).join(', ')}`);
    }
  }
  for (const [name, spec] of Object.entries(scenario.params)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    let v = raw ?? spec.default;
    if (typeof spec.default === 'number' && typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) v = Number(v);
    // Messages show the value as given: '1e400' (not null), '9007199254740993' (not ...992).
    const shown = typeof raw === 'string' ? `'${raw}'` : JSON.stringify(v);
    if (spec.values) {
      if (!spec.values.includes(v as ParamValue)) {
        throw new ConfigError(`scenario '${scenario.id}' parameter '${name}' must be one of ${spec.values.join(', ')}, got ${shown}`);
      }
    } else if (typeof spec.default === 'number') {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
        throw new ConfigError(`scenario '${scenario.id}' parameter '${name}' must be a positive integer, got ${shown}`);
      }
    } else if (typeof v !== typeof spec.default) {
      throw new ConfigError(`scenario '${scenario.id}' parameter '${name}' must be a ${typeof spec.default}, got ${shown}`);
    }
    out[name] = v as ParamValue;
  }
  return Object.freeze(out);
}
