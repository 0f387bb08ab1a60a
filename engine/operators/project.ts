import { PlanError } from '../errors.js';
import { columnIndex } from '../expr/compile.js';
import { projector } from '../iterators/projector.js';
import type { TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';
import type { UnaryOperator } from './operator.js';

/** A checked projection: the output columns and where each is in the input. */
export interface ProjectPlan {
  readonly schema: Schema;
  readonly indices: readonly number[];
}

/** Lazily keeps the columns at `indices`, in that order. One new tuple per row, nothing else. */
export class ProjectIterator implements TupleIterator {
  private readonly pick: (t: Tuple) => Tuple;

  constructor(
    private readonly source: TupleIterator,
    indices: readonly number[],
  ) {
    this.pick = projector(indices);
  }

  next(): Tuple | undefined {
    const t = this.source.next();
    return t === undefined ? undefined : this.pick(t);
  }

  close(): void {
    this.source.close();
  }
}

/** `project(columns)`: keep the named columns, in the given order. */
export const PROJECT: UnaryOperator<[readonly string[]], ProjectPlan> = {
  name: 'project',
  inputs: 1,
  plan(schema, [columns]) {
    if (!Array.isArray(columns)) throw new PlanError('project takes an array of column names');
    const seen = new Set<string>();
    const indices = columns.map((c) => {
      if (seen.has(c)) throw new PlanError(`project lists column '${c}' twice`);
      seen.add(c);
      return columnIndex(schema, c, 'project');
    });
    return { schema: Object.freeze(columns.slice()), indices };
  },
  open: (plan, input) => new ProjectIterator(input, plan.indices),
  eager(plan, input, out) {
    const pick = projector(plan.indices), rows = input.rows, n = rows.length;
    for (let i = 0; i < n; i++) out.push(pick(rows[i]!));
  },
  size: (_plan, n) => n,
  stage: (plan) => ({ kind: 'project', indices: plan.indices }),
  samples: (s) => [s.left().project(['b', 'a']), s.columns().project(['b'])],
};
