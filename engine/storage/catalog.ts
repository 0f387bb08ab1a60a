/**
 * The catalog: databases, their tables, each table's schema and store.
 *
 * A catalog opened with a `root` directory keeps its databases and filesystem tables on disk
 * (`<root>/catalog.json`, data under `<root>/<database>/<table>/`), so they survive a restart;
 * opening it again cleans what a crash left behind. Memory tables live in the process only, in
 * any catalog. Catalog changes are written atomically (temporary file, then rename), under a
 * lock on the catalog file and after re-reading it, so processes sharing a root never overwrite
 * each other's databases and tables; a process sees another's new tables when it looks one up.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, PlanError, StorageError } from '../errors.js';
import { lockSync, tryLockSync } from './lock.js';
import { IoThread } from './s3/connection.js';
import { checkS3Options, isBucketName, isKeyPrefix, type S3Options } from './s3/options.js';
import { S3TableStore } from './s3/store.js';
import { checkName, checkTableSchema, type TableSchema } from './schema.js';
import { SEGMENT_FORMATS, type SegmentFormat } from './parquet.js';
import { atomicWrite, FileTableStore, ioCounts, ioReason, MemoryTableStore, type Segment, type StoreKind, type StoreOptions, type TableStore } from './store.js';

/** A table known to the catalog. */
export interface Table {
  readonly database: string;
  readonly name: string;
  readonly schema: TableSchema;
  readonly store: TableStore;
  /** How its inserts encode rows: JSON arrays, or Parquet row groups. */
  readonly segmentFormat: SegmentFormat;
  /** `database.table`, for messages. */
  readonly label: string;
}

/** A database: a namespace of tables in a catalog. */
export interface Database {
  readonly name: string;
  readonly catalog: Catalog;
}

/** A table as the catalog file records it: an S3 table also by where it is (never by credentials). */
type TableEntry = ({ schema: TableSchema; store: 'filesystem' } | { schema: TableSchema; store: 's3'; bucket: string; prefix: string }) & { segmentFormat?: 'parquet' };

interface CatalogFile {
  version: 1;
  databases: Record<string, { tables: Record<string, TableEntry> }>;
}

/**
 * An S3 table of a catalog opened without S3 options for its bucket: known (so it is listed and
 * its name stays taken), but every use says what is missing.
 */
class UnreachableS3Store implements TableStore {
  readonly kind = 's3';
  readonly io = ioCounts();
  constructor(readonly bucket: string, readonly prefix: string, private readonly label: string) {}
  private fail(): never {
    throw new StorageError(`table ${this.label} is stored in S3 (s3://${this.bucket}/${this.prefix}); open the catalog with s3 options for bucket '${this.bucket}' to use it`);
  }
  snapshot(): readonly Segment[] {
    return this.fail();
  }
  readSegment(): never {
    return this.fail();
  }
  begin(): never {
    return this.fail();
  }
  drop(): void {
    this.fail();
  }
}

/** How long a catalog change waits for another process's change to the same catalog. */
const CATALOG_WAIT_MS = 10_000;

/**
 * Parse and check a catalog file read from disk (it may have been edited): every database and
 * table name must pass the same check as a name given to `createDatabase`/`createTable`, so no
 * name from disk can lead outside the root.
 * @throws StorageError naming the file and the first entry that is wrong.
 */
function parseCatalog(file: string, text: string): Map<string, Map<string, TableEntry>> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new StorageError(`catalog ${file} is not valid JSON (${text.length} bytes; truncated or edited?)`);
  }
  const bad = (what: string): never => {
    throw new StorageError(`catalog ${file} is corrupt: ${what}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(data)) return bad('it must be an object { version: 1, databases: { … } }');
  if (data.version !== 1) bad(`version must be 1, got ${JSON.stringify(data.version)}`);
  if (!isObject(data.databases)) return bad(`databases must be an object, got ${JSON.stringify(data.databases)}`);
  const out = new Map<string, Map<string, TableEntry>>();
  for (const [db, entry] of Object.entries(data.databases)) {
    try {
      checkName('database', db);
    } catch (e) {
      bad((e as Error).message);
    }
    if (!isObject(entry) || !isObject(entry.tables)) return bad(`database '${db}' must be an object { tables: { … } }`);
    const tables = new Map<string, TableEntry>();
    for (const [name, t] of Object.entries(entry.tables)) {
      try {
        checkName('table', name);
        if (!isObject(t)) throw new Error('it must be an object { schema, store }');
        if (t.segmentFormat !== undefined && t.segmentFormat !== 'parquet') throw new Error(`segmentFormat must be 'parquet' or absent, got ${JSON.stringify(t.segmentFormat)}`);
        const fmt = t.segmentFormat === 'parquet' ? { segmentFormat: 'parquet' as const } : {};
        if (t.store === 'filesystem') tables.set(name, { schema: checkTableSchema(t.schema), store: 'filesystem', ...fmt });
        else if (t.store === 's3') {
          if (!isBucketName(t.bucket)) throw new Error(`bucket must be a bucket name, got ${JSON.stringify(t.bucket)}`);
          // The table's own prefix, and nothing else: `<catalog prefix>/<database>/<table>/`.
          if (!isKeyPrefix(t.prefix) || !(t.prefix as string).endsWith(`${db}/${name}/`)) throw new Error(`prefix must be a key prefix ending in '${db}/${name}/', got ${JSON.stringify(t.prefix)}`);
          tables.set(name, { schema: checkTableSchema(t.schema), store: 's3', bucket: t.bucket as string, prefix: t.prefix as string, ...fmt });
        } else throw new Error(`store must be 'filesystem' or 's3', got ${JSON.stringify(t.store)}`);
      } catch (e) {
        bad(`table '${db}.${name}': ${(e as Error).message}`);
      }
    }
    out.set(db, tables);
  }
  return out;
}

export class Catalog {
  private readonly databases = new Map<string, Map<string, Table>>();
  /** Files removed while opening (crash leftovers), for the caller to report. */
  readonly cleaned: string[] = [];
  private readonly file: string | undefined;
  /** The catalog's I/O thread: S3 requests (when opened with `s3` options) and Parquet reads. Started at its first request. */
  readonly io: IoThread;

  private constructor(readonly root: string | undefined, s3: S3Options | undefined) {
    this.file = root === undefined ? undefined : path.join(root, 'catalog.json');
    this.io = new IoThread(s3 === undefined ? undefined : checkS3Options(s3));
  }

  /** The I/O thread, when the catalog reaches S3 (opened with `s3` options). */
  get s3(): IoThread | undefined {
    return this.io.config ? this.io : undefined;
  }

  /** What a file-backed store of a table needs. */
  private storeOptions(schema: TableSchema, format: SegmentFormat): StoreOptions {
    return { schema, format, io: () => this.io };
  }

  /**
   * Open a catalog; with `root`, load it from disk (creating it if absent) and clean orphans of
   * its filesystem tables (an S3 table's are cleaned when it is first used); with `s3`, reach S3
   * tables in that bucket and prefix (see s3/options.ts).
   */
  static open(opts: CatalogOptions = {}): Catalog {
    if (opts === null || typeof opts !== 'object') throw new ConfigError(`catalog options must be an object { root?, s3? }, got ${JSON.stringify(opts)}`);
    for (const k of Object.keys(opts)) if (k !== 'root' && k !== 's3') throw new ConfigError(`unknown catalog option '${k}'; the options are root, s3`);
    if (opts.root !== undefined && (typeof opts.root !== 'string' || opts.root === '')) throw new ConfigError(`catalog root must be a folder path, got ${JSON.stringify(opts.root)}`);
    const c = new Catalog(opts.root === undefined ? undefined : path.resolve(opts.root), opts.s3);
    if (c.root === undefined) return c;
    try {
      mkdirSync(c.root, { recursive: true });
    } catch (e) {
      throw new ConfigError(`catalog root '${c.root}' cannot be created: ${ioReason(e)}`);
    }
    c.refresh(true);
    return c;
  }

  /**
   * Bring the in-memory catalog up to date with the file (another process may have changed it):
   * filesystem tables added there are opened, tables dropped there are forgotten; memory tables
   * and stores already open are kept.
   */
  private refresh(cleanup = false): void {
    const file = this.file!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new StorageError(`catalog ${file} cannot be read: ${ioReason(e)}`);
    }
    const onDisk = parseCatalog(file, text);
    for (const [db, tables] of onDisk) {
      let map = this.databases.get(db);
      if (!map) this.databases.set(db, (map = new Map()));
      for (const [name, entry] of tables) {
        if (map.has(name)) continue;
        const label = `${db}.${name}`;
        const format = entry.segmentFormat ?? 'json', opts = this.storeOptions(entry.schema, format);
        let store: TableStore;
        if (entry.store === 'filesystem') {
          const fs = new FileTableStore(path.join(this.root!, db, name), label, false, opts);
          if (cleanup) this.cleaned.push(...fs.cleaned.map((f) => `${db}/${name}/${f}`));
          store = fs;
        } else {
          store = this.s3 && this.s3.s3.bucket === entry.bucket ? new S3TableStore(this.s3, entry.prefix, label, false, opts) : new UnreachableS3Store(entry.bucket, entry.prefix, label);
        }
        map.set(name, { database: db, name, schema: entry.schema, store, segmentFormat: format, label });
      }
      for (const [name, t] of map) if (t.store.kind !== 'memory' && !tables.has(name)) map.delete(name);
    }
    for (const [db, map] of this.databases) {
      if (!onDisk.has(db) && [...map.values()].every((t) => t.store.kind !== 'memory')) this.databases.delete(db);
    }
    if (cleanup) {
      // Temporary files of catalog writes that died before their rename; only under the lock,
      // which a live writer would hold (if another process holds it, they wait for another open).
      const lock = tryLockSync(file, `catalog ${file}`);
      if (lock === null) return;
      try {
        for (const f of readdirSync(this.root!)) {
          if (/^catalog\.json\.[0-9a-f]{12}\.tmp$/.test(f)) {
            rmSync(path.join(this.root!, f), { force: true });
            this.cleaned.push(f);
          }
        }
      } finally {
        lock.release();
      }
    }
  }

  /**
   * A catalog change: under the catalog's lock, re-read the file, check and apply `change` to a
   * copy of what it says, write it, and only then let `commit` update this process's view. A
   * change that fails (a taken name, a full disk) leaves the file and the view as they were.
   */
  private change<T>(apply: (next: Map<string, Map<string, TableEntry>>) => void, commit: () => T): T {
    if (this.file === undefined) {
      apply(new Map());
      return commit();
    }
    const lock = lockSync(this.file, `catalog ${this.file}`, CATALOG_WAIT_MS);
    try {
      this.refresh();
      const next = new Map<string, Map<string, TableEntry>>();
      for (const [db, tables] of this.databases) {
        const m = new Map<string, TableEntry>();
        for (const [name, t] of tables) {
          const entry = entryOf(t);
          if (entry) m.set(name, entry);
        }
        next.set(db, m);
      }
      apply(next);
      // Object.fromEntries makes own properties, so a name like __proto__ is written as a name.
      const data: CatalogFile = {
        version: 1,
        databases: Object.fromEntries([...next].map(([db, tables]) => [db, {
          tables: Object.fromEntries([...tables]),
        }])),
      };
      atomicWrite(this.file, JSON.stringify(data, null, 1));
      return commit();
    } finally {
      lock.release();
    }
  }

  /** @internal */
  tablesOf(db: string): Map<string, Table> {
    let m = this.databases.get(db);
    if (!m && this.file !== undefined) {
      // Perhaps another process created it since this catalog was opened.
      this.refresh();
      m = this.databases.get(db);
    }
    if (!m) throw new PlanError(`unknown database '${db}'${this.databases.size ? `; the databases are ${[...this.databases.keys()].join(', ')}` : ' (there are none)'}`);
    return m;
  }

  /** @internal a table, looking again on disk when this process does not know it yet. */
  findTable(db: string, name: string): Table | undefined {
    const tables = this.tablesOf(db);
    if (!tables.has(name) && this.file !== undefined) this.refresh();
    return this.tablesOf(db).get(name);
  }

  /** @internal */
  addDatabase(name: string): void {
    this.change((next) => {
      if (next.has(name) || this.databases.has(name)) throw new ConfigError(`database '${name}' already exists`);
      next.set(name, new Map());
    }, () => void this.databases.set(name, new Map()));
  }

  /** @internal */
  addTable(db: string, name: string, schema: TableSchema, kind: StoreKind, format: SegmentFormat = 'json'): Table {
    const label = `${db}.${name}`;
    if (kind === 'memory' && format !== 'json') throw new ConfigError(`table '${label}': segmentFormat '${format}' needs the filesystem or s3 store (a memory table keeps rows, not files)`);
    const opts = this.storeOptions(schema, format), fmt = format === 'parquet' ? { segmentFormat: 'parquet' as const } : {};
    if (kind === 'filesystem' && this.root === undefined) throw new ConfigError(`table '${label}': the filesystem store needs a catalog opened with a root directory`);
    if (kind === 's3' && this.s3 === undefined) throw new ConfigError(`table '${label}': the s3 store needs a catalog opened with s3 options (openCatalog({ s3: { bucket, … } }))`);
    if (kind === 'memory' || (kind === 's3' && this.root === undefined)) {
      // Known to this process only (an S3 table's data stays in its bucket; a catalog with a root would record it).
      const tables = this.tablesOf(db);
      if (tables.has(name)) throw new ConfigError(`table '${name}' already exists in database '${db}'`);
      const store = kind === 'memory' ? new MemoryTableStore() : new S3TableStore(this.s3!, `${this.s3!.s3.prefix}${db}/${name}/`, label, true, opts);
      const t: Table = { database: db, name, schema, store, segmentFormat: format, label };
      tables.set(name, t);
      return t;
    }
    if (kind === 's3') {
      let store: S3TableStore | undefined;
      return this.change((next) => {
        const tables = next.get(db);
        if (!tables) this.tablesOf(db);
        if (tables!.has(name) || this.tablesOf(db).has(name)) throw new ConfigError(`table '${name}' already exists in database '${db}'`);
        const prefix = `${this.s3!.s3.prefix}${db}/${name}/`;
        store = new S3TableStore(this.s3!, prefix, label, true, opts);
        tables!.set(name, { schema, store: 's3', bucket: this.s3!.s3.bucket, prefix, ...fmt });
      }, () => {
        const t: Table = { database: db, name, schema, store: store!, segmentFormat: format, label };
        this.tablesOf(db).set(name, t);
        return t;
      });
    }
    const dir = path.join(this.root!, db, name);
    let store: FileTableStore | undefined, touched = false;
    try {
      return this.change((next) => {
        const tables = next.get(db);
        if (!tables) this.tablesOf(db); // throws the unknown-database PlanError
        if (tables!.has(name) || this.tablesOf(db).has(name)) throw new ConfigError(`table '${name}' already exists in database '${db}'`);
        // A folder left by a table that was dropped, or by a create that failed: start empty.
        touched = true;
        rmSync(dir, { recursive: true, force: true });
        store = new FileTableStore(dir, `${db}.${name}`, true, opts);
        tables!.set(name, { schema, store: 'filesystem', ...fmt });
      }, () => {
        const t: Table = { database: db, name, schema, store: store!, segmentFormat: format, label: `${db}.${name}` };
        this.tablesOf(db).set(name, t);
        return t;
      });
    } catch (e) {
      // Not in the catalog: its folder must not stay behind either.
      if (touched) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** @internal */
  removeTable(db: string, name: string): void {
    const t = table({ name: db, catalog: this }, name);
    // Its data cannot be deleted without a connection: keep its entry until it can.
    if (t.store instanceof UnreachableS3Store) t.store.drop();
    if (entryOf(t) === undefined || this.file === undefined) {
      this.tablesOf(db).delete(name);
      t.store.drop();
      return;
    }
    this.change((next) => void next.get(db)?.delete(name), () => void this.tablesOf(db).delete(name));
    t.store.drop();
  }

  /** Stop this catalog's I/O thread, if it started one (it does not keep the process alive either way). */
  async close(): Promise<void> {
    await this.io.close();
  }
}

/** What the catalog file records of a table, or undefined for a table of this process only (memory). */
function entryOf(t: Table): TableEntry | undefined {
  const fmt = t.segmentFormat === 'parquet' ? { segmentFormat: 'parquet' as const } : {};
  if (t.store.kind === 'filesystem') return { schema: t.schema, store: 'filesystem', ...fmt };
  if (t.store instanceof S3TableStore || t.store instanceof UnreachableS3Store) return { schema: t.schema, store: 's3', bucket: t.store.bucket, prefix: t.store.prefix, ...fmt };
  return undefined;
}

export interface CatalogOptions {
  /** A folder for the catalog file and filesystem tables; without it, the catalog lives in this process. */
  root?: string;
  /** Where S3 tables live and how to reach them (see s3/options.ts). */
  s3?: S3Options;
}

/** Open a catalog (see {@link Catalog}). */
export function openCatalog(opts: CatalogOptions = {}): Catalog {
  return Catalog.open(opts);
}

/**
 * Create a database in `catalog`.
 * @throws ConfigError for a bad or taken name.
 */
export function createDatabase(catalog: Catalog, name: string): Database {
  catalog.addDatabase(checkName('database', name));
  return { name, catalog };
}

/**
 * A database of `catalog` by name.
 * @throws PlanError naming an unknown database.
 */
export function getDatabase(catalog: Catalog, name: string): Database {
  catalog.tablesOf(name);
  return { name, catalog };
}

/**
 * Create a table.
 * @throws ConfigError for a bad name or schema, a taken name, or a filesystem table in a catalog without a root.
 */
export function createTable(db: Database, name: string, schema: TableSchema, opts: { store?: StoreKind; segmentFormat?: SegmentFormat } = {}): Table {
  const kind = opts.store ?? 'memory';
  if (kind !== 'memory' && kind !== 'filesystem' && kind !== 's3') throw new ConfigError(`unknown store ${JSON.stringify(kind)}; expected 'memory', 'filesystem' or 's3'`);
  const format = opts.segmentFormat ?? 'json';
  if (!SEGMENT_FORMATS.includes(format)) throw new ConfigError(`unknown segmentFormat ${JSON.stringify(format)}; expected 'json' or 'parquet'`);
  return db.catalog.addTable(db.name, checkName('table', name), checkTableSchema(schema), kind, format);
}

/** Drop a table and delete its data. @throws PlanError for an unknown database or table. */
export function dropTable(db: Database, name: string): void {
  db.catalog.removeTable(db.name, name);
}

/** The tables of a database, with their committed row counts. */
export function listTables(db: Database): { name: string; store: StoreKind; segmentFormat: SegmentFormat; schema: TableSchema; rows: number }[] {
  return [...db.catalog.tablesOf(db.name).values()].map((t) => ({
    name: t.name, store: t.store.kind, segmentFormat: t.segmentFormat, schema: t.schema, rows: t.store.snapshot().reduce((n, s) => n + s.rows, 0),
  }));
}

/**
 * A table by name.
 * @throws PlanError naming the unknown database or, separately, the unknown table.
 */
export function table(db: Database, name: string): Table {
  const t = db.catalog.findTable(db.name, name);
  const tables = db.catalog.tablesOf(db.name);
  if (!t) throw new PlanError(`unknown table '${name}' in database '${db.name}'${tables.size ? `; its tables are ${[...tables.keys()].join(', ')}` : ' (it has no tables)'}`);
  return t;
}
