import type { ExecutionContext } from '../context.js';
import { hasNullAt, KeyIds, ValueIds } from '../keys/keys.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { SLOT_BYTES, TupleSizer } from '../memory/byte-model.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';

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
        case 'pullLeft':
          this.pull(true);
          break;
        case 'pullRight':
          this.pull(false);
          break;
        case 'leftDone':
          this.probe(false);
          break;
        case 'rightDone':
          this.probe(true);
          break;
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

  /**
   * Read the rest of the current batch from one side, inserting each row, until a row has matches
   * on the other side (they are then emitted before the next row is read) or the batch or the side ends.
   */
  private pull(fromLeft: boolean): void {
    const input = fromLeft ? this.left : this.right, keys = fromLeft ? this.leftKeys : this.rightKeys, table = this.table;
    let n = this.batchLeft;
    while (n > 0) {
      const t = input.next();
      if (t === undefined) {
        this.batchLeft = n;
        if (fromLeft) this.leftExhausted();
        else this.rightExhausted();
        return;
      }
      n--;
      if (hasNullAt(t, keys)) continue;
      const head = fromLeft ? table.insertLeft(t, keys) : table.insertRight(t, keys);
      if (head >= 0) {
        this.emitFrom(t, fromLeft, head);
        break;
      }
    }
    if (n === 0) this.switchTo(fromLeft ? 'pullRight' : 'pullLeft');
    else this.batchLeft = n;
  }

  /** After the other side ended: read rows from one side, probing only, until one has matches or the side ends. */
  private probe(fromLeft: boolean): void {
    const input = fromLeft ? this.left : this.right, keys = fromLeft ? this.leftKeys : this.rightKeys, table = this.table;
    for (;;) {
      const t = input.next();
      if (t === undefined) {
        this.close();
        return;
      }
      if (hasNullAt(t, keys)) continue;
      const head = fromLeft ? table.rightHead(t, keys) : table.leftHead(t, keys);
      if (head >= 0) {
        this.emitFrom(t, fromLeft, head);
        return;
      }
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
  private readonly mem: MemoryReservation;
  private readonly sizer = new TupleSizer();

  constructor(ctx: ExecutionContext, operator: string, capacity: number) {
    this.mem = ctx.memory.reservation(operator);
    this.chain = new Int32Array(capacity);
    this.rows = new Array<Tuple>(capacity);
    this.mem.grow(capacity * (SLOT_BYTES + 4));
  }

  /** Append `t`, linked to the previous row with its key; returns its index. */
  push(t: Tuple, prev: number): number {
    const i = this.size;
    if (i === this.chain.length) {
      this.mem.grow(i * (SLOT_BYTES + 4));
      const chain = new Int32Array(i * 2);
      chain.set(this.chain);
      this.chain = chain;
      this.rows.length = i * 2;
    }
    this.mem.grow(this.sizer.charge(t));
    this.rows[i] = t;
    this.chain[i] = prev;
    this.size = i + 1;
    return i;
  }

  free(): void {
    this.rows = [];
    this.chain = new Int32Array(0);
    this.size = 0;
    this.mem.free();
  }
}

/**
 * Keys the symmetric join numbers through the Map before small integers go to the dense table:
 * more than the standard join's 256, since a symmetric join is often stopped early (LIMIT), where
 * the dense table's growth is most of the cost (a 10K x 10K join's first 10 rows: 60 µs, 16% more
 * with the dense table from the 256th key).
 */
const SYMMETRIC_DENSE_FROM = 4096;

/**
 * Both sides' hash tables over one set of key ids: key → the newest row index on each side, side
 * by side in one typed array indexed by the key's dense id. Inserting a row and finding the other
 * side's matches is a single key lookup, where two separate tables need three. A one-column key is
 * numbered by a {@link ValueIds} (small integers through a dense table once
 * {@link SYMMETRIC_DENSE_FROM} keys are seen), a wider key by {@link KeyIds}.
 */
class SymmetricTable {
  readonly left: Side;
  readonly right: Side;
  private readonly keys: KeyIds | null;
  private readonly single: ValueIds | null;
  /** Per key id, the newest left row at `2 id` and the newest right row at `2 id + 1` (one load brings both). */
  private heads: Int32Array;
  private count = 0;
  private readonly keyMem: MemoryReservation;

  constructor(width: number, ctx: ExecutionContext) {
    const cap = ctx.options.hashTableInitialSize;
    this.left = new Side(ctx, 'symmetric hash join (left rows)', cap);
    this.right = new Side(ctx, 'symmetric hash join (right rows)', cap);
    const keyMem = (this.keyMem = ctx.memory.reservation('symmetric hash join (keys)'));
    const reserve = (bytes: number): void => keyMem.grow(bytes);
    this.single = width === 1 ? new ValueIds(reserve, false, SYMMETRIC_DENSE_FROM) : null;
    this.keys = width === 1 ? null : new KeyIds(width, reserve);
    this.heads = new Int32Array(2 * cap);
    reserve(cap * 8);
  }

  /** Insert a left row; returns the head of the right rows with the same key (-1 if none). */
  insertLeft(t: Tuple, keyCols: readonly number[]): number {
    const id = this.entry(t, keyCols);
    const heads = this.heads, h = 2 * id;
    heads[h] = this.left.push(t, heads[h]!);
    return heads[h + 1]!;
  }

  /** Insert a right row; returns the head of the left rows with the same key. */
  insertRight(t: Tuple, keyCols: readonly number[]): number {
    const id = this.entry(t, keyCols);
    const heads = this.heads, h = 2 * id + 1;
    heads[h] = this.right.push(t, heads[h]!);
    return heads[h - 1]!;
  }

  /** Head of the left rows with the key of `t` at `keyCols` (probe only). */
  leftHead(t: Tuple, keyCols: readonly number[]): number {
    const id = this.find(t, keyCols);
    return id < 0 ? -1 : this.heads[2 * id]!;
  }

  /** Head of the right rows with the key of `t` at `keyCols` (probe only). */
  rightHead(t: Tuple, keyCols: readonly number[]): number {
    const id = this.find(t, keyCols);
    return id < 0 ? -1 : this.heads[2 * id + 1]!;
  }

  free(): void {
    this.left.free();
    this.right.free();
    this.keys?.clear();
    this.single?.clear();
    this.heads = new Int32Array(0);
    this.keyMem.free();
  }

  private find(t: Tuple, keyCols: readonly number[]): number {
    return this.single !== null ? this.single.find(t[keyCols[0]!]) : this.keys!.find(t, keyCols);
  }

  /** The key's id, with both heads at -1 for a new key. */
  private entry(t: Tuple, keyCols: readonly number[]): number {
    const id = this.single !== null ? this.single.id(t[keyCols[0]!]) : this.keys!.id(t, keyCols);
    if (id === this.count) {
      if (2 * id === this.heads.length) this.growHeads();
      this.heads[2 * id] = -1;
      this.heads[2 * id + 1] = -1;
      this.count = id + 1;
    }
    return id;
  }

  private growHeads(): void {
    const n = this.heads.length, cap = Math.max(32, n * 2);
    const next = new Int32Array(cap);
    next.set(this.heads);
    this.heads = next;
    this.keyMem.grow((cap - n) * 4);
  }
}
