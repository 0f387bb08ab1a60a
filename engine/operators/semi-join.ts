import type { ExecutionContext } from '../context.js';
import { planSemiJoin, type JoinOptions } from '../join/join-plan.js';
import { hasNullAt, KeyIds } from '../keys/keys.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import type { Relation, TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { checkRelation, openBoth, type BinaryOperator, type BinaryPlan } from './operator.js';

/** A checked semi or anti join: the key columns on each side. */
export interface SemiJoinPlan extends BinaryPlan {
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  readonly anti: boolean;
}

/**
 * Semi join (left rows with at least one key match on the right) or anti join (left rows with
 * none), each left row at most once. On the first `next()` the right side's distinct keys are
 * read into a reserved set; the left side then streams through it. Null keys never match, so an
 * anti join keeps left rows with a null key (NOT EXISTS semantics).
 */
export class SemiJoinIterator implements TupleIterator {
  private keys: KeyIds | null = null;
  private readonly mem: MemoryReservation;
  private closed = false;

  constructor(
    private readonly left: TupleIterator,
    private readonly right: TupleIterator,
    private readonly plan: SemiJoinPlan,
    ctx: ExecutionContext,
  ) {
    this.mem = ctx.memory.reservation(plan.anti ? 'anti join (key set)' : 'semi join (key set)');
  }

  next(): Tuple | undefined {
    if (this.closed) return undefined;
    const keys = (this.keys ??= this.readKeys());
    const { anti, leftKeys } = this.plan;
    for (let t = this.left.next(); t !== undefined; t = this.left.next()) {
      const found = !hasNullAt(t, leftKeys) && keys.find(t, leftKeys) >= 0;
      if (found !== anti) return t;
    }
    this.close();
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keys = null;
    this.mem.free();
    try {
      this.right.close();
    } finally {
      this.left.close();
    }
  }

  private readKeys(): KeyIds {
    const mem = this.mem, rightKeys = this.plan.rightKeys;
    const keys = new KeyIds(rightKeys.length, (bytes) => mem.grow(bytes));
    const src = this.right;
    for (let t = src.next(); t !== undefined; t = src.next()) {
      if (!hasNullAt(t, rightKeys)) keys.id(t, rightKeys);
    }
    src.close();
    return keys;
  }
}

/** `semiJoin` / `antiJoin`: the left rows with at least one (no) key match on the right, each once. */
function semiJoin(anti: boolean): BinaryOperator<[Relation, JoinOptions?], SemiJoinPlan> {
  const name = anti ? 'anti join' : 'semi join';
  return {
    name,
    inputs: 2,
    plan(schema, [other, opts]) {
      const right = checkRelation(other, name);
      return { schema, right, anti, ...planSemiJoin(schema, right.schema, opts, name) };
    },
    open(plan, left, ctx, _engine, wrap) {
      const [l, r] = openBoth(left, plan.right, wrap);
      return new SemiJoinIterator(l, r, plan, ctx);
    },
    size: () => -1,
    pinByReading: true,
    samples: (s) => [anti ? s.left().antiJoin(s.right()) : s.left().semiJoin(s.right())],
  };
}

export const SEMI_JOIN = semiJoin(false);
export const ANTI_JOIN = semiJoin(true);
