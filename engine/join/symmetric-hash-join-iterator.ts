import type { ExecutionContext } from '../context.js';
import { hasNullAt, KeyIds } from '../key.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { SLOT_BYTES, TupleSizer } from '../memory/byte-model.js';

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
 * arrived second. Once one side is exhausted no new row will ever probe the other side's rows, so
 * those are freed, and rows from the live side are only probed, not inserted.
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
  private readonly batchSize: number;
  private readonly table: SymmetricTable;
  /** Row whose matches are being emitted, its side, and the next chain position on the other side. */
  private current: Tuple = [];
  private currentIsLeft = true;
  private j = -1;

  constructor(
    private readonly left: TupleIterator,
    private readonly right: TupleIterator,
    private readonly leftKeys: readonly number[],
    private readonly rightKeys: readonly number[],
    private readonly combine: (l: Tuple, r: Tuple) => Tuple,
    ctx: ExecutionContext,
  ) {
    this.batchSize = this.batchLeft = ctx.options.symmetricJoinBatchSize;
    this.table = new SymmetricTable(leftKeys.length, ctx);
  }

  next(): Tuple | undefined {
    const table = this.table;
    for (;;) {
      const j = this.j;
      if (j >= 0) {
        if (this.currentIsLeft) {
          this.j = table.right.chain[j]!;
          return this.combine(this.current, table.right.rows[j]!);
        }
        this.j = table.left.chain[j]!;
        return this.combine(table.left.rows[j]!, this.current);
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
          this.emitFrom(t, true, table.insertLeft(t, this.leftKeys));
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
          this.emitFrom(t, false, table.insertRight(t, this.rightKeys));
          break;
        }
        case 'leftDone': {
          const t = this.right.next();
          if (t === undefined) {
            this.close();
            break;
          }
          if (!hasNullAt(t, this.rightKeys)) this.emitFrom(t, false, table.leftHead(t, this.rightKeys));
          break;
        }
        case 'rightDone': {
          const t = this.left.next();
          if (t === undefined) {
            this.close();
            break;
          }
          if (!hasNullAt(t, this.leftKeys)) this.emitFrom(t, true, table.rightHead(t, this.leftKeys));
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
    this.table.free();
    try {
      this.left.close();
    } finally {
      this.right.close();
    }
  }

  /** Start emitting the matches of `t`: the chain from `head` on the other side. */
  private emitFrom(t: Tuple, isLeft: boolean, head: number): void {
    this.current = t;
    this.currentIsLeft = isLeft;
    this.j = head;
  }

  private switchTo(phase: 'pullLeft' | 'pullRight'): void {
    this.phase = phase;
    this.batchLeft = this.batchSize;
  }

  /** pullLeft → leftDone: no left row will ever probe the right side's rows again, so free them. */
  private leftExhausted(): void {
    this.left.close();
    this.table.right.free();
    this.phase = 'leftDone';
  }

  /** pullRight → rightDone: symmetrically, the left side's rows are no longer needed. */
  private rightExhausted(): void {
    this.right.close();
    this.table.left.free();
    this.phase = 'rightDone';
  }
}

/** One side's rows and chain links (see `HashTable` for the layout). */
class Side {
  rows: Tuple[] = [];
  chain: Int32Array;
  size = 0;
  reserved = 0;
  private readonly sizer = new TupleSizer();

  constructor(private readonly ctx: ExecutionContext, private readonly operator: string, capacity: number) {
    this.chain = new Int32Array(capacity);
    this.rows = new Array<Tuple>(capacity);
    this.reserve(capacity * (SLOT_BYTES + 4));
  }

  /** Append `t`, linked to the previous row with its key; returns its index. */
  push(t: Tuple, prev: number): number {
    const i = this.size;
    if (i === this.chain.length) {
      this.reserve(i * (SLOT_BYTES + 4));
      const chain = new Int32Array(i * 2);
      chain.set(this.chain);
      this.chain = chain;
      this.rows.length = i * 2;
    }
    this.reserve(this.sizer.charge(t));
    this.rows[i] = t;
    this.chain[i] = prev;
    this.size = i + 1;
    return i;
  }

  reserve(bytes: number): void {
    this.ctx.memory.reserve(bytes, this.operator);
    this.reserved += bytes;
  }

  free(): void {
    this.rows = [];
    this.chain = new Int32Array(0);
    this.size = 0;
    this.ctx.memory.release(this.reserved);
    this.reserved = 0;
  }
}

/**
 * Both sides' hash tables over one set of key ids: key → the newest row index on each side, in
 * two arrays indexed by the key's dense id. Inserting a row and finding the other side's matches
 * is a single key lookup, where two separate tables need three; this is most of what keeps the
 * symmetric join near the standard one, which does one lookup per build row and one per probe row.
 */
class SymmetricTable {
  readonly left: Side;
  readonly right: Side;
  private readonly keys: KeyIds;
  private leftHeads: number[] = [];
  private rightHeads: number[] = [];
  private keyBytes = 0;

  constructor(width: number, private readonly ctx: ExecutionContext) {
    const cap = ctx.options.hashTableInitialSize;
    this.left = new Side(ctx, 'symmetric hash join (left rows)', cap);
    this.right = new Side(ctx, 'symmetric hash join (right rows)', cap);
    this.keys = new KeyIds(width, (bytes) => {
      ctx.memory.reserve(bytes + 2 * SLOT_BYTES, 'symmetric hash join (keys)');
      this.keyBytes += bytes + 2 * SLOT_BYTES;
    });
  }

  /** Insert a left row; returns the head of the right rows with the same key (-1 if none). */
  insertLeft(t: Tuple, keyCols: readonly number[]): number {
    const id = this.entry(t, keyCols);
    this.leftHeads[id] = this.left.push(t, this.leftHeads[id]!);
    return this.rightHeads[id]!;
  }

  /** Insert a right row; returns the head of the left rows with the same key. */
  insertRight(t: Tuple, keyCols: readonly number[]): number {
    const id = this.entry(t, keyCols);
    this.rightHeads[id] = this.right.push(t, this.rightHeads[id]!);
    return this.leftHeads[id]!;
  }

  /** Head of the left rows with the key of `t` at `keyCols` (probe only). */
  leftHead(t: Tuple, keyCols: readonly number[]): number {
    const id = this.keys.find(t, keyCols);
    return id < 0 ? -1 : this.leftHeads[id]!;
  }

  /** Head of the right rows with the key of `t` at `keyCols` (probe only). */
  rightHead(t: Tuple, keyCols: readonly number[]): number {
    const id = this.keys.find(t, keyCols);
    return id < 0 ? -1 : this.rightHeads[id]!;
  }

  free(): void {
    this.left.free();
    this.right.free();
    this.keys.clear();
    this.leftHeads = [];
    this.rightHeads = [];
    this.ctx.memory.release(this.keyBytes);
    this.keyBytes = 0;
  }

  private entry(t: Tuple, keyCols: readonly number[]): number {
    const id = this.keys.id(t, keyCols);
    if (id === this.leftHeads.length) {
      this.leftHeads.push(-1);
      this.rightHeads.push(-1);
    }
    return id;
  }
}
