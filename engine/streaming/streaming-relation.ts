import type { ExecutionContext } from '../context.js';
import { InternalError, RelationConsumedError } from '../errors.js';
import { compilePredicate } from '../expr/compile.js';
import { compileColumnRun, compileProbeRun, compileRun, type ProbeFusedPlan, type ProbeShape, type Stage } from '../fusion/codegen.js';
import { checkColumnarTable, columnKinds, rowDecoder, type ColumnarTable } from '../columns.js';
import { BufferedIterator } from '../iterators/buffered-iterator.js';
import { LazyCache } from '../buffers/lazy-cache.js';
import { MaterializeIterator } from '../iterators/materialize-iterator.js';
import type { AggregatePlan } from '../aggregate/aggregate-plan.js';
import { compileFold, compileProbeFold, type FoldInput } from '../aggregate/compiled-aggregate.js';
import { fillTable } from '../join/hash-join-iterator.js';
import { HashTable } from '../join/hash-table.js';
import { FilterIterator } from '../operators/filter.js';
import { isHashJoin, JOIN, joinStrategy, type JoinNodePlan } from '../operators/join.js';
import { OperatorMethods } from '../operators/methods.js';
import { drain, iterate, knownSize, labelOf, pushAll, type BinaryOperator, type BinaryPlan, type OperatorPlan, type PlanNode, type UnaryOperator } from '../operators/operator.js';
import { ProjectIterator } from '../operators/project.js';
import { ArrayIterator, checkRows, checkSchema, ColumnIterator, SourceIterator } from '../operators/scan.js';
import type { Relation, TupleIterator } from '../relation.js';
import type { Schema, Tuple } from '../types.js';

/**
 * Where a streaming relation is in its life. `cached` and `failed` are not stored: they are read
 * off the cache (see {@link StreamingRelation.phase}).
 */
type State = 'fresh' | 'armed' | 'consumed' | 'caching' | 'failed' | 'released';

/** The observable phase of a streaming relation (for tests, plans and error messages). */
export type StreamingPhase = 'fresh' | 'armed' | 'consumed' | 'caching' | 'cached' | 'failed' | 'released';

/**
 * The streaming engine's relation: a recipe that composes lazy iterators. Building a query only
 * plans it (columns are resolved and expressions compiled at once, so a bad query fails before any
 * row is read); nothing is read until the first `next()`.
 *
 * Lazy materialization state machine:
 * ```
 *            open()                       open()
 *   FRESH ───────────► CONSUMED ─────────────────► throws RelationConsumedError
 *     │                   │ materialize()  ──────► throws RelationConsumedError (pass started)
 *     │ materialize()
 *     ▼          open()                source exhausted
 *   ARMED ───────────► CACHING ─────────────────────► CACHED ──open()──► replay (any number of times)
 *                        │ open(): another cursor that replays the prefix and reads on
 *                        │ every cursor closed early: the cache is filled to the end (→ CACHED),
 *                        │   or, if the query was aborted or the source threw, → FAILED
 *                        ▼
 *                      FAILED ──open()──► throws RelationConsumedError (with the cause)
 *   FRESH / ARMED ──size() or isEmpty() whose read throws──► FAILED (the error is rethrown)
 *   any state ──release()──► RELEASED ──open()──► throws RelationConsumedError
 * ```
 * FAILED is terminal: `open()`, `toArray()`, `size()`, `isEmpty()` and `materialize()` all throw
 * `RelationConsumedError` whose `cause` is the first failure, so a pass that failed part-way can
 * never be read back as a shorter result.
 * `materialize()` in ARMED, CACHING or CACHED returns the relation unchanged.
 *
 * `isEmpty()` in FRESH or ARMED peeks one tuple through a {@link BufferedIterator} and keeps it;
 * the first `open()` then hands out that same buffered iterator, so no tuple is lost and the state
 * machine is unchanged. With `enableTrueStreaming` off, `size()` and `isEmpty()` instead
 * materialize the relation (FRESH → CACHED) to answer; unless `materialize()` was also called,
 * that cache serves the single pass once (→ CONSUMED) and is freed when the pass closes.
 */
/** A fused run: its input relation and its stages. */
type FusedRun = { readonly base: StreamingRelation; readonly stages: readonly Stage[] };

/** A hash join's probe side as a fused loop reads it: the caller's rows, or an iterator. */
type ProbeInput = { readonly rows: readonly Tuple[] } | { readonly iterator: TupleIterator };

/** A relation made by an operator: the operator, its plan and its (left) input. */
type StreamNode = PlanNode & { readonly input: StreamingRelation };

export class StreamingRelation extends OperatorMethods implements Relation {
  readonly kind = 'streaming' as const;
  private state: State = 'fresh';
  private peeked: BufferedIterator | null = null;
  private cache: LazyCache | null = null;
  /** What the failed size()/isEmpty() read threw (state 'failed'). */
  private failure: unknown = undefined;
  /** The cache was made only to answer size()/isEmpty() (true streaming off), not by materialize(). */
  private implicitCache = false;

  /** @internal use the engine's sources or an operator. */
  constructor(
    readonly schema: Schema,
    private readonly ctx: ExecutionContext,
    /** Opens the composed iterator for this relation's single pass (opening its inputs). */
    private readonly produce: () => TupleIterator,
    /** The exact count when it is known without reading, else -1. Never consumes. */
    private readonly sizeHint: () => number,
    /** The operator this relation applies to its input, for plan-time rewrites and fusion through a join (null: a source or a fused run). */
    private readonly node: StreamNode | null = null,
    /** Set on a fused run (pipeline fusion): the run's input and its stages. */
    private readonly fused: { readonly base: StreamingRelation; readonly stages: readonly Stage[] } | null = null,
  ) {
    super();
  }

  /** The caller's rows, for a source made by `from()` (fused runs loop over them directly). */
  private sourceRows: readonly Tuple[] | null = null;

  /** A source over the caller's rows (validated, not copied). Its size is known. */
  static from(schema: Schema, rows: readonly Tuple[], ctx: ExecutionContext): StreamingRelation {
    const s = checkSchema(schema, 'from');
    const r = checkRows(s, rows, 'from', ctx.runtime.checkedRows);
    const rel = new StreamingRelation(s, ctx, () => new ArrayIterator(r, ctx), () => r.length);
    rel.sourceRows = r;
    return rel;
  }

  /** The caller's columns, for a source made by `fromColumns()` (fused runs read them directly). */
  private sourceColumns: ColumnarTable | null = null;

  /** A source over a columnar table: rows decoded as pulled, or read column by column by a fused run. Its size is known. */
  static fromColumns(schema: Schema, table: ColumnarTable, ctx: ExecutionContext): StreamingRelation {
    const s = checkSchema(schema, 'fromColumns');
    const t = checkColumnarTable(table, s.length, 'fromColumns');
    const at = rowDecoder(t, ctx.runtime);
    const rel = new ColumnScanRelation(s, ctx, () => new ColumnIterator(at, t.length, ctx), () => t.length);
    rel.sourceColumns = t;
    return rel;
  }

  /** A source over an iterator the caller opens on demand (called at most once unless materialized). */
  static fromIterator(schema: Schema, open: () => TupleIterator, ctx: ExecutionContext): StreamingRelation {
    const s = checkSchema(schema, 'fromIterator');
    return new StreamingRelation(s, ctx, () => new SourceIterator(open(), ctx, s), () => -1);
  }

  /** Nothing has read this relation or armed its cache: it is FRESH and nothing was peeked. */
  private get unread(): boolean {
    return this.state === 'fresh' && this.peeked === null;
  }

  /**
   * The fused run a stage or fold over this relation extends: this relation's own run while it is
   * unread, else an empty run based on this relation.
   */
  private currentRun(): FusedRun {
    return this.fused !== null && this.unread ? this.fused : { base: this, stages: [] };
  }

  /** Where this relation is in the state machine drawn above. */
  get phase(): StreamingPhase {
    if (this.state === 'caching') {
      if (this.cache!.isFailed) return 'failed';
      if (this.cache!.complete) return 'cached';
    }
    return this.state;
  }

  open(): TupleIterator {
    switch (this.state) {
      case 'fresh':
        this.state = 'consumed';
        return this.takeSource();
      case 'armed':
        return this.startCaching().open();
      case 'caching':
        if (this.implicitCache) {
          // The cache existed only to answer size()/isEmpty(): the pass reads it once, then frees it.
          this.state = 'consumed';
          return this.cache!.open(true);
        }
        return this.cache!.open();
      case 'consumed':
        throw new RelationConsumedError(
          `this streaming relation (${this.schema.join(', ')}) was already opened once; call materialize() before its first open() to read it again`,
        );
      case 'released':
        throw new RelationConsumedError(`this streaming relation (${this.schema.join(', ')}) was released and cannot be opened`);
      case 'failed':
        throw this.failedError('opened');
    }
  }

  /**
   * Whether `open()` can be called again after this pass: `materialize()` armed a cache that
   * replays. A cache made only to answer `size()`/`isEmpty()` serves one pass, so it does not count.
   */
  get reopenable(): boolean {
    if (this.state === 'armed') return true;
    return this.state === 'caching' && !this.implicitCache && !this.cache!.isFailed;
  }

  /** The error every read of a FAILED relation throws, with the first failure as its cause. */
  private failedError(what: string): RelationConsumedError {
    const cause = this.failure;
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return new RelationConsumedError(
      `this streaming relation (${this.schema.join(', ')}) cannot be ${what}: an earlier read of it failed${why}`,
      { cause },
    );
  }

  /** Run a read that answers size()/isEmpty(); if it throws, the relation is FAILED for good. */
  private probe<T>(read: () => T): T {
    try {
      return read();
    } catch (e) {
      this.fail(e);
      throw e;
    }
  }

  private fail(e: unknown): void {
    this.state = 'failed';
    this.failure = e;
    this.cache?.free();
    this.cache = null;
    const p = this.peeked;
    this.peeked = null;
    p?.close();
  }

  /** The exact count if known without reading (a source array, or a complete cache), else -1. */
  knownSize(): number {
    if (this.state === 'caching' && this.cache!.complete) return this.cache!.length;
    return this.sizeHint();
  }

  size(): number {
    if (this.state === 'failed') throw this.failedError('counted');
    const known = this.knownSize();
    if (known >= 0 || this.ctx.options.enableTrueStreaming) return known;
    return this.probe(() => this.materializeToAnswer()) ? this.cache!.length : -1;
  }

  isEmpty(): boolean {
    if (this.state === 'failed') throw this.failedError('probed');
    const known = this.knownSize();
    if (known >= 0) return known === 0;
    switch (this.state) {
      case 'caching':
        return this.probe(() => this.cache!.ensure(1) === 0);
      case 'fresh':
      case 'armed':
        if (!this.ctx.options.enableTrueStreaming) return this.size() === 0;
        return this.probe(() => {
          this.peeked ??= BufferedIterator.over(this.produce(), this.ctx, 'streaming isEmpty peek');
          return this.peeked.peek() === undefined;
        });
      case 'consumed':
      case 'released':
        throw new RelationConsumedError(`isEmpty() cannot answer for a streaming relation that is ${this.state}; call materialize() before its first open()`);
    }
  }

  materialize(): Relation {
    if (this.state === 'failed') throw this.failedError('materialized');
    this.implicitCache = false;
    if (this.state === 'fresh') this.state = 'armed';
    else if (this.state === 'consumed' || this.state === 'released') {
      throw new RelationConsumedError(
        `materialize() was called after this streaming relation's single pass started (it is ${this.state}); call it before the first open()`,
      );
    }
    return this;
  }

  release(): void {
    this.state = 'released';
    this.cache?.free();
    this.cache = null;
    this.peeked?.close();
    this.peeked = null;
  }

  /** Plan a one-input operator over this relation, lazily (see {@link planned}). */
  unary<A extends readonly unknown[], P extends OperatorPlan>(op: UnaryOperator<A, P>, args: A): StreamingRelation {
    return this.planned(op, op.plan(this.schema, args));
  }

  /**
   * The streaming strategy for a planned one-input operator: rewritten into the unread node below
   * (a limit over a sort: top-k); else, with pipeline fusion, a stage of this relation's fused run
   * or the fold that ends it; else its iterator composed over this relation's.
   */
  protected planned(op: UnaryOperator, plan: OperatorPlan): StreamingRelation {
    const below = this.node, ctx = this.ctx;
    if (op.over !== undefined && below !== null && this.unread) {
      const n = op.over(plan, below);
      if (n !== null) return below.input.planned(n.op as UnaryOperator, n.plan);
    }
    if (this.canFuse()) {
      const stage = op.stage?.(plan) ?? null;
      if (stage !== null) return this.fuse(plan.schema, stage);
      const fold = op.fold?.(plan, ctx) ?? null;
      if (fold !== null) {
        // This relation's fused run (or this fresh source) and the fold in one loop.
        const run = this.currentRun();
        return new StreamingRelation(plan.schema, ctx, () => op.openFold!(plan, StreamingRelation.foldFused(run, ctx, fold), ctx), () => op.size(plan, -1));
      }
    }
    return this.derive(plan.schema, op.name, (input) => op.open(plan, input, ctx, 'streaming'), () => op.size(plan, this.knownSize()), { op, plan, input: this });
  }

  /** Plan a two-input operator with this relation as its left input, lazily: its iterator opens both when the pass starts. */
  binary<A extends readonly unknown[], P extends BinaryPlan>(op: BinaryOperator<A, P>, args: A): StreamingRelation {
    const plan = op.plan(this.schema, args), ctx = this.ctx;
    const wrap = (it: TupleIterator): TupleIterator => this.input(it, labelOf(op, plan));
    return new StreamingRelation(plan.schema, ctx, () => op.open(plan, this, ctx, 'streaming', wrap), () => op.size(plan, this.knownSize(), knownSize(plan.right)), { op, plan, input: this });
  }

  toArray(): Tuple[] {
    return drain(this.open());
  }

  forEach(sink: (t: Tuple) => void): number {
    if (this.fused !== null && this.unread && this.ctx.options.enablePipelineFusion) {
      // What open() would do for a fused run, but pushing when the input is an array. (A scan with
      // work pushed into it, fusion off, is pulled like any composed iterator.)
      this.state = 'consumed';
      return StreamingRelation.pushFused(this.fused, this.ctx, sink);
    }
    // A hash join read whole, with fusion on: its probe loop pushes each joined row.
    const probe = this.canFuse() ? StreamingRelation.probeOf({ base: this, stages: [] }, this.ctx) : null;
    if (probe !== null) return probe((input, table, keys, shape) => StreamingRelation.pushProbe(compileProbeRun(shape, [], this.ctx.runtime), input, table, keys, this.ctx, sink));
    return pushAll(this.open(), sink);
  }

  [Symbol.iterator](): Iterator<Tuple> {
    return iterate(this.open());
  }

  /**
   * A relation whose single pass opens this one and wraps its iterator with `wrap`. With
   * iterator composition off, the input is read into a buffer first.
   */
  private derive(schema: Schema, operator: string, wrap: (input: TupleIterator) => TupleIterator, sizeHint: () => number, node: StreamNode): StreamingRelation {
    return new StreamingRelation(schema, this.ctx, () => {
      const input = this.input(this.open(), operator);
      try {
        return wrap(input);
      } catch (e) {
        input.close();
        throw e;
      }
    }, sizeHint, node);
  }

  /**
   * Pipeline fusion needs both `enablePipelineFusion` and iterator composition on. It applies to
   * the operators that have a fused stage (filter/extend/project whose arguments are data: a JS
   * function breaks the run, and falls back to the composed iterators) or a fold (aggregate).
   */
  private canFuse(): boolean {
    const o = this.ctx.options;
    return o.enablePipelineFusion && o.enableIteratorComposition;
  }

  /**
   * Extend this relation's fused run by one stage (or start one on this relation). The caller
   * has already planned the stage the ordinary way (so plan errors surface at once, exactly as
   * without fusion); the run is compiled when it is opened, once, and the code is cached by shape,
   * so building a deep pipeline does not regenerate its prefix at every stage.
   *
   * `how` 'scan' (pipeline fusion off): the stage is pushed into a columnar scan, see
   * {@link pushableScan}; the run is opened by {@link openScan}.
   */
  protected fuse(schema: Schema, stage: Stage, how: 'fused' | 'scan' = 'fused'): StreamingRelation {
    // Only a fresh, unpeeked, unarmed run can be extended; otherwise it is the new run's input.
    const prior = this.currentRun();
    const run: FusedRun = { base: prior.base, stages: [...prior.stages, stage] };
    const ctx = this.ctx;
    const hasFilter = run.stages.some((s) => s.kind === 'filter');
    const open = how === 'scan' ? () => StreamingRelation.openScan(run, ctx) : () => StreamingRelation.openFused(run, ctx);
    return new (how === 'scan' ? ColumnScanRelation : StreamingRelation)(schema, ctx, open, () => (hasFilter ? -1 : run.base.knownSize()), null, run);
  }

  /**
   * Whether this columnar scan (see {@link ColumnScanRelation}) takes a filter or projection into
   * itself: nothing has read it; iterator composition is on (off, every operator buffers its
   * input) and pipeline fusion off (on, the fused run does this and more).
   */
  protected pushableScan(): boolean {
    const o = this.ctx.options;
    return this.unread && o.enableIteratorComposition && !o.enablePipelineFusion;
  }

  /**
   * Open a columnar scan with pushed-down filters and projections (see {@link pushableScan}): over
   * the source's columns, which consumes it; or, when the source was read meanwhile (opened,
   * peeked, or armed by materialize()), the ordinary iterators over what it replays.
   */
  private static openScan(run: FusedRun, ctx: ExecutionContext): TupleIterator {
    const cols = run.base.takeFusedInput('columns');
    if (cols !== null) return compileColumnRun(columnKinds(cols), run.stages, ctx.runtime).overColumns(cols, ctx);
    let it = run.base.open();
    for (const s of run.stages) {
      // Only filters and projections are pushed into a scan.
      if (s.kind === 'filter') it = new FilterIterator(it, compilePredicate(s.expr, s.input));
      else if (s.kind === 'project') it = new ProjectIterator(it, s.indices);
      else throw new InternalError(`a '${s.kind}' stage was pushed into a scan`);
    }
    return it;
  }

  /**
   * Open a fused run: straight over its base's columns (`fromColumns`) or rows (`from`) when the
   * base is a fresh source (taking them consumes the base), else over the base's iterator.
   */
  private static openFused(run: FusedRun, ctx: ExecutionContext): TupleIterator {
    const cols = run.base.takeFusedInput('columns');
    if (cols !== null) return compileColumnRun(columnKinds(cols), run.stages, ctx.runtime).overColumns(cols, ctx);
    const plan = compileRun(run.base.schema.length, run.stages, ctx.runtime);
    const rows = run.base.takeFusedInput('rows');
    return rows !== null ? plan.overArray(rows, ctx) : plan.overIterator(run.base.open(), ctx);
  }

  /** {@link openFused}, pushing every output tuple to `sink` from the generated loop where it can. */
  private static pushFused(run: FusedRun, ctx: ExecutionContext, sink: (t: Tuple) => void): number {
    const probe = StreamingRelation.probeOf(run, ctx);
    if (probe !== null) return probe((input, table, keys, shape) => StreamingRelation.pushProbe(compileProbeRun(shape, run.stages, ctx.runtime), input, table, keys, ctx, sink));
    const cols = run.base.takeFusedInput('columns');
    if (cols !== null) return compileColumnRun(columnKinds(cols), run.stages, ctx.runtime).pushOverColumns(cols, ctx, sink);
    const plan = compileRun(run.base.schema.length, run.stages, ctx.runtime);
    const rows = run.base.takeFusedInput('rows');
    return rows !== null ? plan.pushOverArray(rows, ctx, sink) : pushAll(plan.overIterator(run.base.open(), ctx), sink);
  }

  /**
   * A fused run ending in an aggregation, as its fold's input: over its base's columns or rows
   * when the base is a fresh source (taking them consumes the base), else over the base's iterator
   * (opened when the fold runs, closed by the aggregation).
   */
  private static foldFused(run: FusedRun, ctx: ExecutionContext, plan: AggregatePlan): FoldInput {
    const probe = StreamingRelation.probeOf(run, ctx);
    if (probe !== null) {
      return {
        fold: (groups) => probe((input, table, keys, shape) => {
          const fold = compileProbeFold(shape, run.stages, plan);
          if ('rows' in input) fold.overArray(input.rows, table, keys, ctx, groups);
          else fold.overIterator(input.iterator, table, keys, ctx, groups);
        }),
        close: () => {},
      };
    }
    const fold = compileFold(run.base.schema.length, run.stages, plan);
    const cols = run.base.takeFusedInput('columns');
    if (cols !== null) return { fold: (groups) => fold.overColumns(cols, ctx, groups), close: () => {} };
    const rows = run.base.takeFusedInput('rows');
    if (rows !== null) return { fold: (groups) => fold.overArray(rows, ctx, groups), close: () => {} };
    const input = run.base.open();
    return { fold: (groups) => fold.overIterator(input, ctx, groups), close: () => input.close() };
  }

  private static pushProbe(plan: ProbeFusedPlan, input: ProbeInput, table: HashTable, keys: readonly number[], ctx: ExecutionContext, sink: (t: Tuple) => void): number {
    return 'rows' in input ? plan.pushOverArray(input.rows, table, keys, ctx, sink) : plan.pushOverIterator(input.iterator, table, keys, ctx, sink);
  }

  /**
   * Pipeline fusion through a hash join's probe: when a fused run's base is a fresh hash join
   * (not symmetric, not a cross product), claim the join's single pass and return how to run it
   * as one loop: read the build side (the join's own rule, `joinStrategy` in `operators/join.ts`) into a table,
   * then hand the generated loop the probe side's rows (its array when it is a fresh `from()`
   * source, else its iterator), the table, the probe keys and the shape of the joined rows. The
   * table is freed and both inputs closed however the loop ends. Null when the base is not such
   * a join; nothing is claimed then.
   */
  private static probeOf(run: FusedRun, ctx: ExecutionContext): (<T>(loop: (input: ProbeInput, table: HashTable, probeKeys: readonly number[], shape: ProbeShape) => T) => T) | null {
    const base = run.base, node = base.node;
    if (node === null || node.op !== JOIN || !isHashJoin(node.plan as JoinNodePlan) || !base.unread) return null;
    const plan = node.plan as JoinNodePlan, left = node.input, right = plan.right;
    const how = joinStrategy(left, right, ctx);
    if (how.symmetric) return null;
    base.state = 'consumed';
    return (loop) => {
      const { buildLeft, buildSize } = how;
      const keys = buildLeft ? plan.leftKeys : plan.rightKeys;
      const buildSide = buildLeft ? left : right, probeSide = buildLeft ? right : left;
      const take = (r: Relation) => (r instanceof StreamingRelation ? r.takeFusedInput('rows') : null);
      let table: HashTable | null = null, build: TupleIterator | null = null, probe: TupleIterator | null = null;
      try {
        // A fresh from() build side is indexed where it is (HashTable.borrowing), not copied.
        // What is opened is opened in the join's order: left, then right.
        const buildRows = take(buildSide);
        if (buildLeft && buildRows === null) build = left.open();
        const rows = take(probeSide);
        if (rows === null) probe = probeSide.open();
        if (!buildLeft && buildRows === null) build = right.open();
        if (buildRows !== null) {
          table = HashTable.borrowing(buildRows, keys, ctx, 'streaming hash join');
          table.fillBorrowed();
        } else {
          table = new HashTable(keys, ctx, 'streaming hash join', buildSize);
          fillTable(table, build!);
        }
        const input: ProbeInput = rows !== null ? { rows } : { iterator: probe! };
        return loop(input, table, buildLeft ? plan.rightKeys : plan.leftKeys, { leftWidth: left.schema.length, keep: plan.keep, buildIsLeft: buildLeft });
      } finally {
        table?.free();
        try {
          build?.close();
        } finally {
          probe?.close();
        }
      }
    };
  }

  /** A fresh `from()` / `fromColumns()` source hands its rows or columns to a fused run (or a scan with work pushed into it) directly, and is consumed. */
  private takeFusedInput(what: 'rows'): readonly Tuple[] | null;
  private takeFusedInput(what: 'columns'): ColumnarTable | null;
  private takeFusedInput(what: 'rows' | 'columns'): readonly Tuple[] | ColumnarTable | null {
    const src = what === 'rows' ? this.sourceRows : this.sourceColumns;
    if (src === null || !this.unread) return null;
    this.state = 'consumed';
    return src;
  }

  /** An operator's input: the iterator itself, or (composition off) a buffer of all of it. */
  private input(it: TupleIterator, operator: string): TupleIterator {
    return this.ctx.options.enableIteratorComposition ? it : new MaterializeIterator(it, this.ctx, `streaming ${operator} (composition off)`);
  }

  /** ARMED → CACHING: the single pass begins, and fills the cache as it goes. */
  private startCaching(): LazyCache {
    this.state = 'caching';
    this.ctx.metrics.materializations++;
    return (this.cache = new LazyCache(this.takeSource(), this.ctx));
  }

  private takeSource(): TupleIterator {
    const p = this.peeked;
    this.peeked = null;
    return p ?? this.produce();
  }

  /** `enableTrueStreaming` off: read the whole relation into its cache. False if it cannot. */
  private materializeToAnswer(): boolean {
    if (this.state === 'fresh') {
      this.state = 'armed';
      this.implicitCache = true;
    }
    if (this.state === 'armed') this.startCaching();
    if (this.state !== 'caching') return false;
    this.cache!.fill();
    return true;
  }
}

/**
 * A columnar scan: a fresh `fromColumns()` source, or one with filters and projections pushed
 * into it. A filter (an Expr) or projection over it is pushed into it too, as a database's table
 * scan evaluates its pushed-down predicate and projection itself (see `pushableScan`): the scan
 * reads the predicate's columns straight from the column arrays, tests each row in generated
 * code (the fused run's code, `compileColumnRun`, restricted to filters and projections), and
 * decodes only the output columns of the rows that pass. A scan that keeps 1% of its rows builds
 * 1% of the tuples, and a projection of 3 columns decodes 3; the operators above it still pull
 * one tuple at a time through their own iterators.
 *
 * (Both checks live here, not in `StreamingRelation`: there, the projection's check made the gate
 * find a projection over an array 1.09-1.12x slower in four runs, though direct timings showed
 * no difference; the same was seen with an earlier projection pushdown, 4059723. Cause not found.)
 */
class ColumnScanRelation extends StreamingRelation {
  protected override planned(op: UnaryOperator, plan: OperatorPlan): StreamingRelation {
    if (this.pushableScan()) {
      const stage = op.stage?.(plan) ?? null;
      if (stage !== null && stage.kind !== 'extend') return this.fuse(plan.schema, stage, 'scan');
    }
    return super.planned(op, plan);
  }
}
