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
import { checkName, checkTableSchema, type TableSchema } from './schema.js';
import { atomicWrite, FileTableStore, ioReason, MemoryTableStore, type StoreKind, type TableStore } from './store.js';

/** A table known to the catalog. */
export interface Table {
  readonly database: string;
  readonly name: string;
  readonly schema: TableSchema;
  readonly store: TableStore;
  /** `database.table`, for messages. */
  readonly label: string;
}

/** A database: a namespace of tables in a catalog. */
export interface Database {
  readonly name: string;
  readonly catalog: Catalog;
}

interface CatalogFile {
  version: 1;
  databases: Record<string, { tables: Record<string, { schema: TableSchema; store: 'filesystem' }> }>;
}

/** How long a catalog change waits for another process's change to the same catalog. */
const CATALOG_WAIT_MS = 10_000;

/**
 * Parse and check a catalog file read from disk (it may have been edited): every database and
 * table name must pass the same check as a name given to `createDatabase`/`createTable`, so no
 * name from disk can lead outside the root.
 * @throws StorageError naming the file and the first entry that is wrong.
 */
function parseCatalog(file: string, text: string): Map<string, Map<string, TableSchema>> {
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
  const out = new Map<string, Map<string, TableSchema>>();
  for (const [db, entry] of Object.entries(data.databases)) {
    try {
      checkName('database', db);
    } catch (e) {
      bad((e as Error).message);
    }
    if (!isObject(entry) || !isObject(entry.tables)) return bad(`database '${db}' must be an object { tables: { … } }`);
    const tables = new Map<string, TableSchema>();
    for (const [name, t] of Object.entries(entry.tables)) {
      try {
        checkName('table', name);
        if (!isObject(t)) throw new Error('it must be an object { schema, store }');
        if (t.store !== 'filesystem') throw new Error(`store must be 'filesystem', got ${JSON.stringify(t.store)}`);
        tables.set(name, checkTableSchema(t.schema));
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

  private constructor(readonly root: string | undefined) {
    this.file = root === undefined ? undefined : path.join(root, 'catalog.json');
  }

  /** Open a catalog; with `root`, load it from disk (creating it if absent) and clean orphans. */
  static open(opts: { root?: string } = {}): Catalog {
    if (opts.root !== undefined && (typeof opts.root !== 'string' || opts.root === '')) throw new ConfigError(`catalog root must be a folder path, got ${JSON.stringify(opts.root)}`);
    const c = new Catalog(opts.root === undefined ? undefined : path.resolve(opts.root));
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
      for (const [name, schema] of tables) {
        if (map.has(name)) continue;
        const store = new FileTableStore(path.join(this.root!, db, name), `${db}.${name}`);
        if (cleanup) this.cleaned.push(...store.cleaned.map((f) => `${db}/${name}/${f}`));
        map.set(name, { database: db, name, schema, store, label: `${db}.${name}` });
      }
      for (const [name, t] of map) if (t.store.kind === 'filesystem' && !tables.has(name)) map.delete(name);
    }
    for (const [db, map] of this.databases) {
      if (!onDisk.has(db) && [...map.values()].every((t) => t.store.kind === 'filesystem')) this.databases.delete(db);
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
  private change<T>(apply: (next: Map<string, Map<string, TableSchema>>) => void, commit: () => T): T {
    if (this.file === undefined) {
      apply(new Map());
      return commit();
    }
    const lock = lockSync(this.file, `catalog ${this.file}`, CATALOG_WAIT_MS);
    try {
      this.refresh();
      const next = new Map<string, Map<string, TableSchema>>();
      for (const [db, tables] of this.databases) {
        const m = new Map<string, TableSchema>();
        for (const [name, t] of tables) if (t.store.kind === 'filesystem') m.set(name, t.schema);
        next.set(db, m);
      }
      apply(next);
      // Object.fromEntries makes own properties, so a name like __proto__ is written as a name.
      const data: CatalogFile = {
        version: 1,
        databases: Object.fromEntries([...next].map(([db, tables]) => [db, {
          tables: Object.fromEntries([...tables].map(([name, schema]) => [name, { schema, store: 'filesystem' as const }])),
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
  addTable(db: string, name: string, schema: TableSchema, kind: StoreKind): Table {
    if (kind === 'filesystem' && this.root === undefined) throw new ConfigError(`table '${db}.${name}': the filesystem store needs a catalog opened with a root directory`);
    if (kind === 'memory') {
      const tables = this.tablesOf(db);
      if (tables.has(name)) throw new ConfigError(`table '${name}' already exists in database '${db}'`);
      const t: Table = { database: db, name, schema, store: new MemoryTableStore(), label: `${db}.${name}` };
      tables.set(name, t);
      return t;
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
        store = new FileTableStore(dir, `${db}.${name}`, true);
        tables!.set(name, schema);
      }, () => {
        const t: Table = { database: db, name, schema, store: store!, label: `${db}.${name}` };
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
    if (t.store.kind === 'memory') {
      this.tablesOf(db).delete(name);
      t.store.drop();
      return;
    }
    this.change((next) => void next.get(db)?.delete(name), () => void this.tablesOf(db).delete(name));
    t.store.drop();
  }
}

/** Open a catalog (see {@link Catalog}). */
export function openCatalog(opts: { root?: string } = {}): Catalog {
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
export function createTable(db: Database, name: string, schema: TableSchema, opts: { store?: StoreKind } = {}): Table {
  const kind = opts.store ?? 'memory';
  if (kind !== 'memory' && kind !== 'filesystem') throw new ConfigError(`unknown store ${JSON.stringify(kind)}; expected 'memory' or 'filesystem'`);
  return db.catalog.addTable(db.name, checkName('table', name), checkTableSchema(schema), kind);
}

/** Drop a table and delete its data. @throws PlanError for an unknown database or table. */
export function dropTable(db: Database, name: string): void {
  db.catalog.removeTable(db.name, name);
}

/** The tables of a database, with their committed row counts. */
export function listTables(db: Database): { name: string; store: StoreKind; schema: TableSchema; rows: number }[] {
  return [...db.catalog.tablesOf(db.name).values()].map((t) => ({
    name: t.name, store: t.store.kind, schema: t.schema, rows: t.store.snapshot().reduce((n, s) => n + s.rows, 0),
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
