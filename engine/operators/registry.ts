import { AGGREGATE } from './aggregate.js';
import { CONCAT } from './concat.js';
import { DISTINCT } from './distinct.js';
import { EXTEND } from './extend.js';
import { FILTER } from './filter.js';
import { JOIN } from './join.js';
import { LIMIT } from './limit.js';
import type { Operator, SampleSources } from './operator.js';
import { PROJECT } from './project.js';
import { SCAN } from './scan.js';
import { ANTI_JOIN, SEMI_JOIN } from './semi-join.js';
import { SORT, TOP_K } from './sort.js';

/** A registered operator: its name and its sample queries (keep-alive and the per-operator tests walk these). */
export interface RegisteredOperator {
  readonly name: string;
  samples(s: SampleSources): unknown[];
  readonly pinByReading?: true;
}

/**
 * Every operator of the engine, one line each. A new operator is a new module in this folder
 * plus its line here; keep-alive (`keep-alive.ts`) pins its classes from its samples, and the
 * per-operator tests (`test/engine/operators.test.ts`) refuse a registered operator they do not
 * cover.
 */
export const OPERATORS: readonly RegisteredOperator[] = [
  SCAN,
  FILTER,
  PROJECT,
  EXTEND,
  DISTINCT,
  CONCAT,
  LIMIT,
  JOIN,
  SEMI_JOIN,
  ANTI_JOIN,
  AGGREGATE,
  SORT,
  TOP_K,
] satisfies readonly (Operator | typeof SCAN)[];
