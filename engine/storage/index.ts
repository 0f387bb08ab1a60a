/**
 * Table storage: a catalog of databases and tables (memory or filesystem store), streaming
 * all-or-nothing ingest, and streaming reads, including a `Relation` over a stored table.
 */
export { openCatalog, type CatalogOptions, createDatabase, getDatabase, createTable, dropTable, listTables, table, Catalog, type Database, type Table } from './catalog.js';
// `checkSchema` is checkTableSchema's old name, kept for callers of `sluice/storage` (the engine's
// own `checkSchema` checks a relation's column names, a different thing).
export { checkTableSchema, checkTableSchema as checkSchema, rowConverter, rowObject, COLUMN_TYPES, type ColumnType, type ColumnDef, type TableSchema } from './schema.js';
export { insertStream, insertBatches, INGEST_FORMATS, type IngestFormat, type InsertOptions, type InsertResult, type ChunkSource } from './ingest.js';
export { readStream, getTableData, scan, type ReadOptions, type ScanOptions } from './read.js';
export { SEGMENT_FORMATS, type SegmentFormat } from './parquet.js';
export type { IoCounts, StoreKind } from './store.js';
export { checkS3Options, type S3Options, type S3Credentials } from './s3/options.js';
export { startLocalS3, type LocalS3 } from './s3/local-server.js';
