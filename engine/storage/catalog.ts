/**
 * The catalog: databases, their tables, each table's schema and store.
 *
 * A catalog opened with a `root` directory keeps its databases and filesystem tables on disk
 * (`<root>/catalog.json`, data under `<root>/<database>/<table>/`), so they survive a restart;
 * opening it again cleans what a crash left behind. Memory tables live in the process only, in
 * any catalog. Catalog changes are written atomically (temporary file, then rename).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, PlanError } from '../errors.js';
import { checkName, checkSchema, type TableSchema } from './schema.js';
import { atomicWrite, FileTableStore, MemoryTableStore, type StoreKind, type TableStore } from './store.js';

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

export class Catalog {
  private readonly databases = new Map<string, Map<string, Table>>();
  /** Files removed while opening (crash leftovers), for the caller to report. */
  readonly cleaned: string[] = [];

  private constructor(readonly root: string | undefined) {}

  /** Open a catalog; with `root`, load it from disk (creating it if absent) and clean orphans. */
  static open(opts: { root?: string } = {}): Catalog {
    const c = new Catalog(opts.root === undefined ? undefined : path.resolve(opts.root));
    if (c.root === undefined) return c;
    try {
      mkdirSync(c.root, { recursive: true });
    } catch (e) {
      throw new ConfigError(`catalog root '${c.root}' cannot be created: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const file = path.join(c.root, 'catalog.json');
    if (!existsSync(file)) return c;
    let data: CatalogFile;
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as CatalogFile;
    } catch (e) {
      throw new ConfigError(`catalog ${file} cannot be read: ${(e as Error).message}`);
    }
    for (const [db, { tables }] of Object.entries(data.databases)) {
      const map = new Map<string, Table>();
      c.databases.set(db, map);
      for (const [name, t] of Object.entries(tables)) {
        const store = new FileTableStore(path.join(c.root, db, name), `${db}.${name}`);
        c.cleaned.push(...store.cleaned.map((f) => `${db}/${name}/${f}`));
        map.set(name, { database: db, name, schema: checkSchema(t.schema), store, label: `${db}.${name}` });
      }
    }
    return c;
  }

  private persist(): void {
    if (this.root === undefined) return;
    const data: CatalogFile = { version: 1, databases: {} };
    for (const [db, tables] of this.databases) {
      const entry: CatalogFile['databases'][string] = { tables: {} };
      for (const [name, t] of tables) if (t.store.kind === 'filesystem') entry.tables[name] = { schema: t.schema, store: 'filesystem' };
      data.databases[db] = entry;
    }
    atomicWrite(path.join(this.root, 'catalog.json'), JSON.stringify(data, null, 1));
  }

  /** @internal */
  tablesOf(db: string): Map<string, Table> {
    const m = this.databases.get(db);
    if (!m) throw new PlanError(`unknown database '${db}'${this.databases.size ? `; the databases are ${[...this.databases.keys()].join(', ')}` : ' (there are none)'}`);
    return m;
  }

  /** @internal */
  addDatabase(name: string): void {
    if (this.databases.has(name)) throw new ConfigError(`database '${name}' already exists`);
    this.databases.set(name, new Map());
    this.persist();
  }

  /** @internal */
  addTable(db: string, name: string, schema: TableSchema, kind: StoreKind): Table {
    const tables = this.tablesOf(db);
    if (tables.has(name)) throw new ConfigError(`table '${name}' already exists in database '${db}'`);
    let store: TableStore;
    if (kind === 'filesystem') {
      if (this.root === undefined) throw new ConfigError(`table '${db}.${name}': the filesystem store needs a catalog opened with a root directory`);
      const dir = path.join(this.root, db, name);
      rmSync(dir, { recursive: true, force: true });
      store = new FileTableStore(dir, `${db}.${name}`);
    } else store = new MemoryTableStore();
    const t: Table = { database: db, name, schema, store, label: `${db}.${name}` };
    tables.set(name, t);
    this.persist();
    return t;
  }

  /** @internal */
  removeTable(db: string, name: string): void {
    const t = table({ name: db, catalog: this }, name);
    this.tablesOf(db).delete(name);
    this.persist();
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
  return db.catalog.addTable(db.name, checkName('table', name), checkSchema(schema), kind);
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
  const tables = db.catalog.tablesOf(db.name);
  const t = tables.get(name);
  if (!t) throw new PlanError(`unknown table '${name}' in database '${db.name}'${tables.size ? `; its tables are ${[...tables.keys()].join(', ')}` : ' (it has no tables)'}`);
  return t;
}
