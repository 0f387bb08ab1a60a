import type { ExecutionContext } from '../context.js';
import { hasNullAt, KeyIds, ValueIds } from '../keys/keys.js';
import type { TupleIterator } from '../relation.js';
import type { Tuple } from '../types.js';
import { TupleSizer } from '../memory/byte-model.js';
import { HashTable, ROW_SLOT_BYTES, type KeyNumbering } from './hash-table.js';
import type { MemoryReservation } from '../memory/memory-tracker.js';
import { RowChunks } from '../buffers/row-chunks.js';

/**
 * Where the symmetric hash join is. Drawn:
 * ```
 *   pullLeft ⇄ pullRight      alternate, a batch of B rows from each
 *      │ D rows read from each side (enableSymmetricJoinDrain)
 *      ▼
 *   drainLeft | drainRight    read the side a standard join would build on to its end
 *      │                       (into a standard hash table when its size is known)
 *      │ a side exhausted, in either phase above: free the other side's table
 *      ▼
 *   leftDone | rightDone      pull the other side only, probing the exhausted side's table
 *      │ it is exhausted too
 *      ▼
 *   done
 * ```
 * While both sides are live, each pulled row is inserted into its own side's table and probes the
 * other side's table, so every matching pair is emitted exactly once, by whichever of the two rows
 * arrived second; that holds for any order of reading, which is what lets the join change its
 * order. Once one side is exhausted no new row will ever probe the other side's rows, so those are
 * freed, and rows from the live side are only probed, not inserted.
 *
 * Draining is the early hash join's switch (Lawrence, VLDB 2005): after `symmetricJoinDrainAfter`
 * rows from each side (D above, in whole batches), the join reads the side a standard hash join
 * would build on (`drainLeft`) to its end, still inserting and probing, so the matches with the
 * other side's rows read so far keep coming; then that side is exhausted, and the other side's
 * rest only probes. Pure alternation inserts every row of both sides and holds both inputs whole
 * until one ends; draining inserts the other side's first D rows only. When the drained side's
 * size is known, its rows go to the standard join's `HashTable` (see `startDrain`), and the
 * other side's rest probes that table as a standard join's probe side does.
 */
export type SymmetricJoinPhase = 'pullLeft' | 'pullRight' | 'drainLeft' | 'drainRight' | 'leftDone' | 'rightDone' | 'done';

/**
 * Where the pending matches of the current row are (`next()` emits them one per call): a chain in
 * the symmetric table's right or left side, or in the drained side's standard table (holding the
 * right or the left side). Plain numbers: an enum is an object under this build's settings.
 */
const SYM_RIGHT = 0, SYM_LEFT = 1, FULL_RIGHT = 2, FULL_LEFT = 3;

/** Rows a drain of unknown size reads per call of `pull` (a Smi, so the loop's counter stays one): in effect, to the end. */
const DRAIN_BATCH = 2 ** 30 - 1;

/**
 * A drained side of known size moves to a standard hash table sized, at first, for this many
 * times the rows it had when the drain started (unless that is a quarter of its size or more),
 * and for its whole size in one step when that fills (see `startDrain`). Sized for the whole side
 * at once, a 100K x 100K join stopped by a LIMIT 10 just after its drain started took 1.27 ms
 * instead of 0.18 and reserved 2.5 MiB instead of 0.8, for a table it never filled. (Sized this
 * way and numbering its keys with the symmetric table's numbering, 213 µs and 957 KiB.)
 */
const DRAIN_START_ROWS = 8;

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
  /** Rows still to read from the side not drained before draining the other (Infinity: never). */
  private untilDrain: number;
  private readonly table: SymmetricTable;
  /** The drained side's rows, from the drain on (see {@link startDrain}); null before, and once closed. */
  private full: HashTable | null = null;
  /** Row whose matches are being emitted, where they are, and the next chain position there. */
  private current: Tuple = [];
  private follow = SYM_RIGHT;
  private j = -1;

  constructor(
    private readonly left: TupleIterator,
    private readonly right: TupleIterator,
    private readonly leftKeys: readonly number[],
    private readonly rightKeys: readonly number[],
    private readonly combine: (l: Tuple, r: Tuple) => Tuple,
    private readonly ctx: ExecutionContext,
    /** The larger input's row count when known without reading it, else -1 (see {@link SYMMETRIC_DENSE_FROM}). */
    knownSize = -1,
    /** Which side to drain (read to its end) once `symmetricJoinDrainAfter` rows of each are read. */
    private readonly drainLeft = false,
    /** That side's row count when known without reading it, else -1: its table is sized for it when the drain starts. */
    private readonly drainSize = -1,
  ) {
    this.batchSize = this.batchLeft = ctx.options.symmetricJoinBatchSize;
    this.untilDrain = ctx.options.enableSymmetricJoinDrain ? ctx.options.symmetricJoinDrainAfter : Infinity;
    this.table = new SymmetricTable(leftKeys.length, ctx, knownSize);
  }

  next(): Tuple | undefined {
    for (;;) {
      const j = this.j;
      if (j >= 0) {
        switch (this.follow) {
          case SYM_RIGHT: {
            const side = this.table.right;
            this.j = side.chain[j]!;
            return this.combine(this.current, side.rows.at(j));
          }
          case SYM_LEFT: {
            const side = this.table.left;
            this.j = side.chain[j]!;
            return this.combine(side.rows.at(j), this.current);
          }
          case FULL_RIGHT: {
            const full = this.full!;
            this.j = full.chain[j]!;
            return this.combine(this.current, full.rows[j]!);
          }
          case FULL_LEFT: {
            const full = this.full!;
            this.j = full.chain[j]!;
            return this.combine(full.rows[j]!, this.current);
          }
        }
      }
      switch (this.phase) {
        case 'pullLeft':
          this.pull(true);
          break;
        case 'pullRight':
          this.pull(false);
          break;
        case 'drainLeft':
          if (this.drainSize < 0) this.pull(true);
          else this.drain(true);
          break;
        case 'drainRight':
          if (this.drainSize < 0) this.pull(false);
          else this.drain(false);
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

  /** Row `t` has matches, the first at `head` in the table `follow` names: `next()` emits them. */
  private matched(t: Tuple, follow: number, head: number): void {
    this.current = t;
    this.follow = follow;
    this.j = head;
  }

  close(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.j = -1;
    this.table.free();
    this.full?.free();
    this.full = null;
    try {
      this.left.close();
    } finally {
      this.right.close();
    }
  }

  /**
   * Read the rest of the current batch from one side, inserting each row, until a row has matches
   * on the other side (they are then emitted before the next row is read) or the batch or the side
   * ends. One loop with the insert written out: as calls (key, side, chain), TurboFan left them
   * out of line, and a 100K-row join spent a third of its time in them.
   */
  private pull(fromLeft: boolean): void {
    const input = fromLeft ? this.left : this.right, keys = fromLeft ? this.leftKeys : this.rightKeys, table = this.table;
    const side = fromLeft ? table.left : table.right, own = fromLeft ? 0 : 1;
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
      const id = table.entry(t, keys);
      if (id < 0) continue;
      const h = 2 * id + own, heads = table.heads;
      const i = side.rows.push(t);
      if (i === side.chain.length) side.growChain();
      side.chain[i] = heads[h]!;
      side.charge(t);
      heads[h] = i;
      const head = heads[h ^ 1]!;
      if (head >= 0) {
        this.matched(t, fromLeft ? SYM_RIGHT : SYM_LEFT, head);
        break;
      }
    }
    if (n === 0) this.batchDone(fromLeft);
    else this.batchLeft = n;
  }

  /** A batch ended: read the other side next, or start draining. */
  private batchDone(fromLeft: boolean): void {
    if (this.phase === 'drainLeft' || this.phase === 'drainRight') {
      this.batchLeft = DRAIN_BATCH;
    } else if (fromLeft !== this.drainLeft && (this.untilDrain -= this.batchSize) <= 0) {
      // A drain of known size starts at its first read (`startDrain`; not here: the last row
      // pulled may still have matches to emit, in the side it moves); one of unknown size pulls
      // into the symmetric table to the end.
      this.phase = this.drainLeft ? 'drainLeft' : 'drainRight';
      this.batchLeft = DRAIN_BATCH;
    } else {
      this.phase = fromLeft ? 'pullRight' : 'pullLeft';
      this.batchLeft = this.batchSize;
    }
  }

  /**
   * The first read of a drain of known size: the side to drain moves into a standard hash table
   * (the one a standard hash join builds; probing it afterwards is that join's probe), which then
   * takes the rest of the side, numbering its keys with the symmetric table's numbering (one dense
   * table for both). The other side's rows read so far stay in the symmetric table, for the
   * drained rows to probe. Drained into the symmetric table (as a drain of unknown size still
   * is), a 100K x 100K join took 1.53-1.68x of the standard join's time in paired runs, its probe
   * afterwards twice the standard join's; moved here, 1.17-1.25x. Moved only after an eighth of
   * the side was read, 1.43-1.47x: reading the first rows of the drain into the symmetric table
   * cost that much, not their number (a 32nd cost the same; cause not pinned down).
   */
  private startDrain(): HashTable {
    const drainLeft = this.drainLeft, side = drainLeft ? this.table.left : this.table.right;
    const full = (this.full = new HashTable(drainLeft ? this.leftKeys : this.rightKeys, this.ctx, 'streaming symmetric hash join (drained side)', this.drainSize, DRAIN_START_ROWS * side.rows.size, this.table.lendIds()));
    for (let i = 0; i < side.rows.size; i++) full.insert(side.rows.at(i));
    side.free();
    return full;
  }

  /**
   * Read the drained side until a row has matches among the other side's rows read before the
   * drain (emitted next) or the side ends: each row goes into the standard table, and probes the
   * symmetric table's other side.
   */
  private drain(fromLeft: boolean): void {
    const input = fromLeft ? this.left : this.right, table = this.table, full = this.full ?? this.startDrain(), other = fromLeft ? 1 : 0;
    for (;;) {
      const t = input.next();
      if (t === undefined) {
        if (fromLeft) this.leftExhausted();
        else this.rightExhausted();
        return;
      }
      // The drained table numbers keys with the symmetric table's numbering: the id is the same there.
      const head = table.headOf(full.insert(t), other);
      if (head >= 0) {
        this.matched(t, fromLeft ? SYM_RIGHT : SYM_LEFT, head);
        return;
      }
    }
  }

  /** After the other side ended: read rows from one side, probing only, until one has matches or the side ends. */
  private probe(fromLeft: boolean): void {
    const input = fromLeft ? this.left : this.right, keys = fromLeft ? this.leftKeys : this.rightKeys, table = this.table;
    const full = this.full;
    if (full !== null) {
      // After a drain: the standard join's probe.
      for (;;) {
        const t = input.next();
        if (t === undefined) {
          this.close();
          return;
        }
        const head = full.head(t, keys);
        if (head >= 0) {
          this.matched(t, fromLeft ? FULL_RIGHT : FULL_LEFT, head);
          return;
        }
      }
    }
    const other = fromLeft ? 1 : 0;
    for (;;) {
      const t = input.next();
      if (t === undefined) {
        this.close();
        return;
      }
      const head = table.otherHead(t, keys, other);
      if (head >= 0) {
        this.matched(t, fromLeft ? SYM_RIGHT : SYM_LEFT, head);
        return;
      }
    }
  }

  /**
   * pullLeft or drainLeft → leftDone: no left row will ever probe the right side's rows again, so
   * free them; after a drain, the whole symmetric table (the right rows go on to probe the drained table).
   */
  private leftExhausted(): void {
    this.left.close();
    if (this.full !== null) this.table.free(true);
    else this.table.right.free();
    this.phase = 'leftDone';
  }

  /** pullRight or drainRight → rightDone: symmetrically. */
  private rightExhausted(): void {
    this.right.close();
    if (this.full !== null) this.table.free(true);
    else this.table.left.free();
    this.phase = 'rightDone';
  }
}

/**
 * One side's rows and chain links (see `HashTable` for the layout). The rows are kept in chunks
 * ({@link RowChunks}); the chain is pre-sized to `hashTableInitialSize` and doubled when full, and
 * the tracker holds both as if pre-sized and doubled.
 */
class Side {
  readonly rows = new RowChunks();
  chain: Int32Array;
  private readonly mem: MemoryReservation;
  private readonly sizer = new TupleSizer();

  /** `chain`: the first chain (a view into the table's one first buffer), reserved with a row slot per link. */
  constructor(ctx: ExecutionContext, operator: string, chain: Int32Array) {
    this.mem = ctx.memory.reservation(operator);
    this.mem.grow(chain.length * ROW_SLOT_BYTES);
    this.chain = chain;
  }

  /** Reserve the bytes of a row just appended. */
  charge(t: Tuple): void {
    this.mem.grow(this.sizer.charge(t));
  }

  growChain(): void {
    const n = this.chain.length;
    this.mem.grow(n * ROW_SLOT_BYTES);
    const chain = new Int32Array(n * 2);
    chain.set(this.chain);
    this.chain = chain;
  }

  free(): void {
    this.rows.clear();
    this.chain = new Int32Array(0);
    this.mem.free();
  }
}

/**
 * Keys the symmetric join numbers through the Map before small integers go to the dense table:
 * more than the standard join's 256, since a symmetric join is often stopped early (LIMIT), where
 * the dense table's growth is most of the cost (a 10K x 10K join's first 10 rows: 60 µs, 16% more
 * with the dense table from the 256th key). With an input's size known, the dense table is taken
 * from the {@link SYMMETRIC_DENSE_FROM_KNOWN}th key and reaches 4x that size at once, as the
 * standard join's does from the first: a first row (about 200 keys of a 10K join) and a LIMIT 10
 * (about 600) stay in the Map, and a full 10K join numbers a tenth of its keys there instead of
 * two fifths. From the first key instead, the dense table's one 32-64 KiB allocation took the last
 * step to the first row from 7.5 to 13.8 µs and put 50 KiB on a LIMIT 10 join's tracker peak.
 */
const SYMMETRIC_DENSE_FROM = 4096;
/** See {@link SYMMETRIC_DENSE_FROM}. */
const SYMMETRIC_DENSE_FROM_KNOWN = 1024;

/**
 * Both sides' rows over one set of key ids: key → the newest row index on each side, side by side
 * in one typed array indexed by the key's dense id. Inserting a row and finding the other side's
 * matches is a single key lookup, where two separate tables need three. A one-column key is
 * numbered by a {@link ValueIds} (small integers through a dense table once
 * {@link SYMMETRIC_DENSE_FROM} keys are seen, or {@link SYMMETRIC_DENSE_FROM_KNOWN} with an input's
 * size known), a wider key by {@link KeyIds}.
 */
class SymmetricTable {
  readonly left: Side;
  readonly right: Side;
  /** Per key id, the newest left row at `2 id` and the newest right row at `2 id + 1` (one load brings both). */
  heads: Int32Array;
  private readonly keys: KeyIds | null;
  private readonly single: ValueIds | null;
  private count = 0;
  private readonly keyMem: MemoryReservation;

  constructor(width: number, ctx: ExecutionContext, knownSize: number) {
    const cap = ctx.options.hashTableInitialSize;
    // One buffer for the heads and both first chains: each typed array past 64 bytes is a backing
    // store of its own outside the JS heap, about 1 µs to allocate, and three of them were a fifth
    // of a 10K join's time to first row.
    const first = new ArrayBuffer(16 * cap);
    this.heads = new Int32Array(first, 0, 2 * cap);
    this.left = new Side(ctx, 'symmetric hash join (left rows)', new Int32Array(first, 8 * cap, cap));
    this.right = new Side(ctx, 'symmetric hash join (right rows)', new Int32Array(first, 12 * cap, cap));
    const keyMem = (this.keyMem = ctx.memory.reservation('symmetric hash join (keys)'));
    const reserve = (bytes: number): void => keyMem.grow(bytes);
    const known = knownSize >= SYMMETRIC_DENSE_FROM_KNOWN;
    this.single = width === 1 ? new ValueIds(reserve, false, known ? SYMMETRIC_DENSE_FROM_KNOWN : SYMMETRIC_DENSE_FROM, known ? knownSize : 0) : null;
    this.keys = width === 1 ? null : new KeyIds(width, reserve);
    reserve(cap * 8);
  }

  /** The id of the key of `t` at `keyCols`, with both heads at -1 for a new key; -1 for a null key. */
  entry(t: Tuple, keyCols: readonly number[]): number {
    let id: number;
    if (this.single !== null) {
      const v = t[keyCols[0]!];
      if (v === null) return -1;
      id = this.single.id(v);
    } else {
      if (hasNullAt(t, keyCols)) return -1;
      id = this.keys!.id(t, keyCols);
    }
    if (id === this.count) {
      if (2 * id === this.heads.length) this.growHeads();
      this.heads[2 * id] = -1;
      this.heads[2 * id + 1] = -1;
      this.count = id + 1;
    }
    return id;
  }

  /** The id of the key of `t` at `keyCols` if either side has it, else -1 (also for a null key). */
  find(t: Tuple, keyCols: readonly number[]): number {
    if (this.single !== null) {
      const v = t[keyCols[0]!];
      return v === null ? -1 : this.single.find(v);
    }
    return hasNullAt(t, keyCols) ? -1 : this.keys!.find(t, keyCols);
  }

  /** The newest row with the key of `t` at `keyCols` on side `other` (0 left, 1 right), else -1. */
  otherHead(t: Tuple, keyCols: readonly number[], other: number): number {
    return this.headOf(this.find(t, keyCols), other);
  }

  /**
   * The newest row with key id `id` on side `other`, else -1 (also for id -1). An id from `count` on
   * was numbered by a drain's table (`lendIds`): no row here has it.
   */
  headOf(id: number, other: number): number {
    return id < 0 || id >= this.count ? -1 : this.heads[2 * id + other]!;
  }

  /** The key numbering, for a drain's standard table to number its keys with (one for both). It stays until `free()` without `keepIds`. */
  lendIds(): KeyNumbering {
    return { single: this.single, keys: this.keys };
  }

  /** Drop both sides (idempotent); `keepIds`: not the key numbering, which a drain's table still reads. */
  free(keepIds = false): void {
    this.left.free();
    this.right.free();
    this.heads = new Int32Array(0);
    if (keepIds) return;
    this.keys?.clear();
    this.single?.clear();
    this.keyMem.free();
  }

  private growHeads(): void {
    const n = this.heads.length, cap = Math.max(32, n * 2);
    const next = new Int32Array(cap);
    next.set(this.heads);
    this.heads = next;
    this.keyMem.grow((cap - n) * 4);
  }
}
