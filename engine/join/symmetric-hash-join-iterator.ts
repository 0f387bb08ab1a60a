import type { ExecutionContext } from '../context.js';
import { hasNullAt, keyFunction, type Key } from '../key.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { HashTable } from './hash-table.js';

/**
 * Where the symmetric hash join is. Drawn:
 * ```
 *             batch of B rows pulled            batch of B rows pulled
 *   pullLeft ─────────────────────► pullRight ─────────────────────► pullLeft ...
 *      │ left exhausted                 │ right exhausted
 *      │ (free the right table)         │ (free the left table)
 *      ▼                                ▼
 *   leftDone: pull right only,       rightDone: pull left only,
 *   probe the left table             probe the right table
 *      │ right exhausted                │ left exhausted
 *      └──────────────► done ◄──────────┘
 * ```
 * While both sides are live, each pulled row is inserted into its own side's table and probes the
 * other side's table, so every matching pair is emitted exactly once, by whichever of the two rows
 * arrived second. Once one side is exhausted no new row will ever probe the other side's table,
 * so that table is freed and rows from the live side are only probed, not inserted.
 */
export type SymmetricJoinPhase = 'pullLeft' | 'pullRight' | 'leftDone' | 'rightDone' | 'done';

/**
 * Symmetric (pipelined) hash join of two streams: the first output row appears as soon as a
 * matching pair has been read, before either input is exhausted.
 *
 * `next()` is the only way to read a tuple, and each call returns the next output exactly once;
 * nothing advances when a tuple is looked at (the published engine's version advanced its queue
 * in the accessor, so a plain counting loop never ended). Pending matches are a chain position
 * in the other side's table, not a queue, so nothing is allocated per match but the output tuple.
 */
export class SymmetricHashJoinIterator implements TupleIterator {
  /** Current phase (see {@link SymmetricJoinPhase}). */
  phase: SymmetricJoinPhase = 'pullLeft';
  private batchLeft: number;
  private leftTable: HashTable | null;
  private rightTable: HashTable | null;
  /** Row whose matches are being emitted, the table they are in, and the next chain position. */
  private current: Tuple = [];
  private currentIsLeft = true;
  private matches: HashTable | null = null;
  private j = -1;
  private readonly batchSize: number;
  private readonly leftKey: (t: Tuple) => Key;
  private readonly rightKey: (t: Tuple) => Key;

  constructor(
    private readonly left: TupleIterator,
    private readonly right: TupleIterator,
    private readonly leftKeys: readonly number[],
    private readonly rightKeys: readonly number[],
    private readonly combine: (l: Tuple, r: Tuple) => Tuple,
    ctx: ExecutionContext,
  ) {
    this.batchSize = this.batchLeft = ctx.options.symmetricJoinBatchSize;
    this.leftKey = keyFunction(leftKeys);
    this.rightKey = keyFunction(rightKeys);
    this.leftTable = new HashTable(leftKeys, ctx, 'symmetric hash join (left table)');
    this.rightTable = new HashTable(rightKeys, ctx, 'symmetric hash join (right table)');
  }

  next(): Tuple | undefined {
    for (;;) {
      const j = this.j;
      if (j >= 0) {
        const table = this.matches!;
        this.j = table.chain[j]!;
        const other = table.rows[j]!;
        return this.currentIsLeft ? this.combine(this.current, other) : this.combine(other, this.current);
      }
      switch (this.phase) {
        case 'pullLeft': {
          const t = this.left.next();
          if (t === undefined) {
            this.leftExhausted();
            break;
          }
          if (--this.batchLeft === 0) this.switchTo('pullRight');
          if (hasNullAt(t, this.leftKeys)) break;
          this.leftTable!.insert(t);
          this.probe(t, true, this.rightTable!);
          break;
        }
        case 'pullRight': {
          const t = this.right.next();
          if (t === undefined) {
            this.rightExhausted();
            break;
          }
          if (--this.batchLeft === 0) this.switchTo('pullLeft');
          if (hasNullAt(t, this.rightKeys)) break;
          this.rightTable!.insert(t);
          this.probe(t, false, this.leftTable!);
          break;
        }
        case 'leftDone': {
          const t = this.right.next();
          if (t === undefined) {
            this.close();
            break;
          }
          if (!hasNullAt(t, this.rightKeys)) this.probe(t, false, this.leftTable!);
          break;
        }
        case 'rightDone': {
          const t = this.left.next();
          if (t === undefined) {
            this.close();
            break;
          }
          if (!hasNullAt(t, this.leftKeys)) this.probe(t, true, this.rightTable!);
          break;
        }
        case 'done':
          return undefined;
      }
    }
  }

  close(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.j = -1;
    this.matches = null;
    this.leftTable?.free();
    this.rightTable?.free();
    this.leftTable = this.rightTable = null;
    try {
      this.left.close();
    } finally {
      this.right.close();
    }
  }

  private probe(t: Tuple, isLeft: boolean, other: HashTable): void {
    const j = other.head(isLeft ? this.leftKey(t) : this.rightKey(t));
    this.current = t;
    this.currentIsLeft = isLeft;
    this.matches = other;
    this.j = j;
  }

  private switchTo(phase: 'pullLeft' | 'pullRight'): void {
    this.phase = phase;
    this.batchLeft = this.batchSize;
  }

  /** pullLeft → leftDone: no left row will ever probe the right table again, so free it. */
  private leftExhausted(): void {
    this.left.close();
    this.rightTable!.free();
    this.phase = 'leftDone';
  }

  /** pullRight → rightDone: symmetrically, the left table is no longer needed. */
  private rightExhausted(): void {
    this.right.close();
    this.leftTable!.free();
    this.phase = 'rightDone';
  }
}
