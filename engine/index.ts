/**
 * sluice's query engine: two execution strategies (materializing and streaming) behind one
 * `Relation` interface. Start with {@link createEngine}.
 */
export { createEngine, type Engine, type EngineSettings } from './engine.js';
export { createRuntime, sharedRuntime, EngineRuntime } from './runtime.js';
export { encodeColumns, rowDecoder, columnarBytes, type ColumnarTable, type Column, type ColumnKind } from './columns.js';
export type { Relation, TupleIterator, RowPredicate, RowFunction } from './relation.js';
export type { Operator, UnaryOperator, BinaryOperator, OperatorPlan, BinaryPlan, ArrayInput, RowSink, SampleSources } from './operators/operator.js';
export { OPERATORS, type RegisteredOperator } from './operators/registry.js';
export { ENGINE_KINDS, type EngineKind, type Schema, type Tuple, type Value } from './types.js';
export { resolveOptions, optionsReadBy, DEFAULT_OPTIONS, BOOLEAN_OPTIONS, OPTION_SPECS, type EngineOptions, type ResolvedOptions } from './options.js';
export { ExecutionContext, type Metrics } from './context.js';
export { MemoryTracker } from './memory/memory-tracker.js';
export * as byteModel from './memory/byte-model.js';
export {
  SluiceError, PlanError, ExecutionError, RelationConsumedError, ResourcesExhaustedError, ConfigError, IngestError, StorageError, QueryAbortedError, InternalError,
} from './errors.js';
export * from './expr/expr.js';
export { compileExpr, compilePredicate, referencedColumns, columnIndex, type CompiledExpr } from './expr/compile.js';
export { compareValues } from './expr/compare.js';
export { BufferedIterator } from './iterators/buffered-iterator.js';
export { CountingIterator } from './iterators/counting-iterator.js';
export { MaterializedRelation } from './materialized/materialized-relation.js';
export { StreamingRelation, type StreamingPhase } from './streaming/streaming-relation.js';
export type { JoinOptions } from './join/join-plan.js';
export type { AggregateSpec } from './aggregate/aggregate-plan.js';
export { AGGREGATE_FUNCTIONS, type AggregateFunction } from './aggregate/accumulators.js';
export type { SortKey } from './operators/sort.js';
export type { SymmetricJoinPhase } from './join/symmetric-hash-join-iterator.js';
