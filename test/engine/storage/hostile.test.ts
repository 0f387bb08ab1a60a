import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ConfigError, createEngine, IngestError, StorageError } from '../../../engine/index.js';
import {
  createDatabase, createTable, getDatabase, getTableData, insertBatches, insertStream, openCatalog, readStream, scan, type TableSchema,
} from '../../../engine/storage/index.js';
import { tempDir } from '../../temp-dir.js';

/**
 * The store against hostile names, hostile files on disk, impossible values, stalled sources and
 * a full disk: every case either works as a user would expect or fails with one clear error, and
 * nothing is lost, half-written, or touched outside the catalog's root.
 */

const tmp = (prefix: string) => tempDir(prefix);
const S: TableSchema = [{ name: 'id', type: 'int', nullable: false }, { name: 'at', type: 'timestamp', nullable: true }, { name: 's', type: 'string', nullable: true }];

test('a database, table and column named __proto__ (or constructor, toString) survive a reopen and a readStream', async (t) => {
  const root = tmp('sluice-proto-');
  const cat = openCatalog({ root });
  const db = createDatabase(cat, '__proto__');
  createTable(db, '__proto__', [{ name: '__proto__', type: 'int', nullable: false }, { name: 'constructor', type: 'int', nullable: false }, { name: 'toString', type: 'int', nullable: false }], { store: 'filesystem' });
  await insertStream(db, '__proto__', Readable.from(['[1,2,3]\n{"__proto__":4,"constructor":5,"toString":6}\n']));
  const again = getDatabase(openCatalog({ root }), '__proto__');
  t.deepEqual(getTableData(again, '__proto__'), [[1, 2, 3], [4, 5, 6]]);
  let text = '';
  for await (const c of readStream(again, '__proto__')) text += c;
  t.is(text, '{"__proto__":1,"constructor":2,"toString":3}\n{"__proto__":4,"constructor":5,"toString":6}\n');
  // A missing key is null (here: not nullable, so an error), never a value inherited from Object.prototype.
  createTable(again, 'plain', [{ name: 'toString', type: 'string', nullable: true }]);
  await insertStream(again, 'plain', Readable.from(['{}\n']));
  t.deepEqual(getTableData(again, 'plain'), [[null]]);
});

test('impossible dates are rejected, not rolled over; a timestamp without an offset is UTC', async (t) => {
  const db = createDatabase(openCatalog(), 'd');
  createTable(db, 't', S);
  for (const bad of ['2024-02-30', '2023-02-29T12:00:00Z', '2024-13-01', '2024-04-31', '2024-01-01T24:00', '2024-01-01T23:60', '2024-01-01T12:00:60Z', '2024-01-01T00:00+25:00']) {
    await t.throwsAsync(insertStream(db, 't', Readable.from([`[1,${JSON.stringify(bad)},null]\n`])), {
      instanceOf: IngestError, message: `row 1 of d.t: column 'at' expected an ISO-8601 timestamp string or epoch milliseconds, got the string ${JSON.stringify(bad)}`,
    }, bad);
  }
  await insertStream(db, 't', Readable.from(['[1,"2024-02-29",null]\n[2,"2024-02-29T12:30",null]\n[3,"2024-02-29T12:30:00+01:00",null]\n']));
  t.deepEqual(getTableData(db, 't').map((r) => r[1]), [Date.UTC(2024, 1, 29), Date.UTC(2024, 1, 29, 12, 30), Date.UTC(2024, 1, 29, 11, 30)]);
});

test('invalid UTF-8 is an IngestError, not a silent U+FFFD; a UTF-8 BOM is accepted in NDJSON and JSON arrays, as bytes or text', async (t) => {
  const db = createDatabase(openCatalog(), 'd');
  createTable(db, 't', S);
  const bad = Buffer.concat([Buffer.from('[1,null,"ok"]\n[2,null,"'), Buffer.from([0xc3, 0x28]), Buffer.from('"]\n')]);
  await t.throwsAsync(insertStream(db, 't', Readable.from([bad])), { instanceOf: IngestError, message: /^the input for d\.t is not valid UTF-8 \(an invalid byte sequence in bytes 0-/ });
  await t.throwsAsync(insertStream(db, 't', Readable.from([Buffer.from('[1,null,"'), Buffer.from([0xe2, 0x82])])), { instanceOf: IngestError, message: /not valid UTF-8|ended|malformed/ });
  t.deepEqual(getTableData(db, 't'), [], 'nothing was inserted');
  // A multi-byte character split across chunks is joined.
  const euro = Buffer.from('[3,null,"€"]\n');
  await insertStream(db, 't', Readable.from([euro.subarray(0, 10), euro.subarray(10)]));
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  await insertStream(db, 't', Readable.from([Buffer.concat([bom, Buffer.from('[4,null,"a"]\n')])]));
  await insertStream(db, 't', Readable.from(['\uFEFF[5,null,"b"]\n']));
  await insertStream(db, 't', Readable.from([Buffer.concat([bom, Buffer.from('[[6,null,"c"]]')])]), { format: 'json-array' });
  t.deepEqual(getTableData(db, 't').map((r) => r[0]), [3, 4, 5, 6]);
  t.is(getTableData(db, 't')[0]![2], '€');
});

test('names read from catalog.json pass the same check as names given to createDatabase: nothing outside the root is touched', (t) => {
  const parent = tmp('sluice-escape-');
  const root = path.join(parent, 'root');
  mkdirSync(root);
  const victim = path.join(parent, 'victim-dir');
  mkdirSync(victim);
  writeFileSync(path.join(victim, 'precious.txt'), 'keep me');
  writeFileSync(path.join(root, 'catalog.json'), JSON.stringify({ version: 1, databases: { '../victim-dir': { tables: { t: { schema: S, store: 'filesystem' } } } } }));
  t.throws(() => openCatalog({ root }), { instanceOf: StorageError, message: /catalog .*catalog\.json is corrupt: database name "\.\.\/victim-dir" is not valid/ });
  writeFileSync(path.join(root, 'catalog.json'), JSON.stringify({ version: 1, databases: { d: { tables: { '../../victim-dir': { schema: S, store: 'filesystem' } } } } }));
  t.throws(() => openCatalog({ root }), { instanceOf: StorageError, message: /table 'd\.\.\.\/\.\.\/victim-dir': table name "\.\.\/\.\.\/victim-dir" is not valid/ });
  t.deepEqual(readdirSync(victim), ['precious.txt']);
  t.is(readFileSync(path.join(victim, 'precious.txt'), 'utf8'), 'keep me');
});

test('a hand-edited manifest cannot point a read outside its table folder, and bad or truncated files are one-line StorageErrors', async (t) => {
  const root = tmp('sluice-manifest-');
  const db = createDatabase(openCatalog({ root }), 'd');
  createTable(db, 't', S, { store: 'filesystem' });
  await insertBatches(db, 't', [[1, null, 'x']]);
  const dir = path.join(root, 'd', 't');
  const manifest = path.join(dir, 'manifest.json');
  const good = readFileSync(manifest, 'utf8');
  writeFileSync(path.join(root, 'outside.json'), '[[42,null,"secret"]]');
  const edited = JSON.parse(good);
  edited.segments[0].file = '../../outside.json';
  writeFileSync(manifest, JSON.stringify(edited));
  const err = t.throws(() => getTableData(getDatabase(openCatalog({ root }), 'd'), 't'), { instanceOf: StorageError });
  t.regex(err!.message, /segments\[0\]\.file must name a segment file \(seg-<12 hex digits>\.json or \.parquet\) in the table's folder, got "\.\.\/\.\.\/outside\.json"/);
  t.notRegex(err!.message, /secret/);
  writeFileSync(manifest, good.slice(0, 20));
  t.throws(() => openCatalog({ root }), { instanceOf: StorageError, message: /manifest .*manifest\.json is not valid JSON \(20 bytes; truncated or edited\?\)/ });
  writeFileSync(manifest, JSON.stringify({ version: 1, segments: [{ file: 'seg-000000000000.json', offset: -1, bytes: 3, rows: 1 }] }));
  t.throws(() => openCatalog({ root }), { instanceOf: StorageError, message: /segments\[0\]\.offset must be a whole number, got -1/ });
  writeFileSync(manifest, good);
  // A segment that is not JSON: the error says where, without quoting the file's bytes.
  const seg = JSON.parse(good).segments[0].file as string;
  const original = readFileSync(path.join(dir, seg));
  writeFileSync(path.join(dir, seg), Buffer.alloc(original.length, 'Z'));
  const corrupt = t.throws(() => getTableData(getDatabase(openCatalog({ root }), 'd'), 't'), { instanceOf: IngestError, message: /is corrupt: not valid JSON( at byte \d+)?$/ });
  t.notRegex(corrupt!.message, /ZZ/);
  // catalog.json of {} or truncated.
  writeFileSync(path.join(root, 'catalog.json'), '{}');
  t.throws(() => openCatalog({ root }), { instanceOf: StorageError, message: /catalog .* is corrupt: version must be 1, got undefined/ });
  writeFileSync(path.join(root, 'catalog.json'), '{"version":1,"datab');
  t.throws(() => openCatalog({ root }), { instanceOf: StorageError, message: /is not valid JSON/ });
  t.throws(() => openCatalog({ root: 5 as never }), { instanceOf: ConfigError, message: 'catalog root must be a folder path, got 5' });
});

for (const store of ['memory', 'filesystem'] as const) {
  test(`${store} store: abort while the source has stalled rejects promptly and leaves the table unchanged`, async (t) => {
    const root = tmp('sluice-stall-');
    const db = createDatabase(openCatalog({ root }), 'd');
    createTable(db, 't', S, { store });
    await insertBatches(db, 't', [[1, null, 'before']]);
    for (const kind of ['generator', 'readable'] as const) {
      const ac = new AbortController();
      let source: AsyncIterable<string> | Readable;
      if (kind === 'generator') {
        source = (async function* () {
          yield '[2,null,"x"]\n';
          await new Promise(() => {}); // stalls for ever
        })();
      } else {
        const p = new PassThrough();
        p.write('[2,null,"x"]\n');
        source = p; // never ended
      }
      const started = Date.now();
      const insert = insertStream(db, 't', source, { signal: ac.signal, batchSize: 1 });
      setTimeout(() => ac.abort(), 50);
      await t.throwsAsync(insert, { instanceOf: IngestError, message: 'insert into d.t was aborted; the table is unchanged' }, kind);
      t.true(Date.now() - started < 2000, `${kind}: settled in ${Date.now() - started} ms`);
      t.deepEqual(getTableData(db, 't'), [[1, null, 'before']], kind);
    }
    if (store === 'filesystem') t.deepEqual(readdirSync(path.join(root, 'd', 't')).filter((f) => f.startsWith('seg-')).length, 1, 'the aborted inserts left no files');
  });
}

test('a large memory-table insert lets timers run, so an abort fires part-way', async (t) => {
  const db = createDatabase(openCatalog(), 'd');
  createTable(db, 't', S);
  const text = Array.from({ length: 300_000 }, (_, i) => `[${i},null,"r"]`).join('\n') + '\n';
  const ac = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks === 3) ac.abort();
  }, 1);
  const insert = insertStream(db, 't', [text], { signal: ac.signal }); // one big chunk, from a plain array
  await t.throwsAsync(insert, { instanceOf: IngestError, message: /was aborted; the table is unchanged/ });
  clearInterval(timer);
  t.true(ticks >= 3, `timers ran ${ticks} times during the insert`);
  t.deepEqual(getTableData(db, 't'), []);
  // Without an abort, the same insert completes, in slices.
  const r = await insertStream(db, 't', [text]);
  t.is(r.rows, 300_000);
});

test('scan of a hostile table reads nothing outside it, on both engines', async (t) => {
  const root = tmp('sluice-scan-');
  const db = createDatabase(openCatalog({ root }), 'd');
  createTable(db, 't', S, { store: 'filesystem' });
  await insertBatches(db, 't', [[1, null, 'x']]);
  const manifest = path.join(root, 'd', 't', 'manifest.json');
  const m = JSON.parse(readFileSync(manifest, 'utf8'));
  m.segments[0].file = '/etc/passwd';
  writeFileSync(manifest, JSON.stringify(m));
  for (const kind of ['materialized', 'streaming'] as const) {
    t.throws(() => scan(db, 't', createEngine(kind)).toArray(), { instanceOf: StorageError, message: /must name a segment file/ }, kind);
  }
});

/** Mount a tmpfs of `size` at a fresh folder, or return null (with the reason) where that is not allowed. */
function smallDisk(size: string): { dir: string; unmount: () => void } | string {
  const dir = tmp('sluice-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${String((e as Error).message).split('\n')[0]})`;
  }
  return { dir, unmount: () => { try { execFileSync('umount', [dir]); } catch { /* best effort */ } rmSync(dir, { recursive: true, force: true }); } };
}

/** Fill the file system at `dir` until a write fails, leaving `spare` bytes. */
function fill(dir: string, spare: number): void {
  const filler = path.join(dir, 'filler');
  const chunk = Buffer.alloc(4096);
  let size = 0;
  for (;;) {
    try {
      writeFileSync(filler, chunk, { flag: 'a' });
      size += chunk.length;
    } catch {
      break;
    }
  }
  // Give back `spare` bytes (rounded to pages).
  writeFileSync(filler, Buffer.alloc(Math.max(0, size - spare)));
}

test('a full disk: createTable and insert fail with one StorageError, nothing is registered, nothing is half-written', async (t) => {
  const disk = smallDisk('256k');
  if (typeof disk === 'string') {
    t.log(`skipped: ${disk}`);
    t.pass();
    return;
  }
  t.teardown(disk.unmount);
  const root = path.join(disk.dir, 'root');
  const cat = openCatalog({ root });
  const db = createDatabase(cat, 'd');
  createTable(db, 'kept', S, { store: 'filesystem' });
  await insertBatches(db, 'kept', [[1, null, 'x']]);
  fill(disk.dir, 0);
  const err = t.throws(() => createTable(db, 'new', S, { store: 'filesystem' }), { instanceOf: StorageError });
  t.regex(err!.message, /ENOSPC \(no space left on device\)/);
  t.false(err!.message.includes('\n'));
  t.throws(() => getTableData(db, 'new'), { message: /unknown table 'new'/ }, 'not registered in this process');
  await t.throwsAsync(insertStream(db, 'kept', Readable.from([Array.from({ length: 5000 }, (_, i) => `[${i},null,"${'y'.repeat(50)}"]`).join('\n')])), { instanceOf: StorageError, message: /ENOSPC/ });
  t.deepEqual(getTableData(db, 'kept'), [[1, null, 'x']], 'the table is unchanged');
  rmSync(path.join(disk.dir, 'filler'));
  const reopened = getDatabase(openCatalog({ root }), 'd');
  t.deepEqual(getTableData(reopened, 'kept'), [[1, null, 'x']]);
  t.throws(() => getTableData(reopened, 'new'), { message: /unknown table 'new'/ }, 'not in catalog.json either');
  t.false(existsSync(path.join(root, 'd', 'new')), 'no folder left for the failed table');
  const leftovers = [...readdirSync(root), ...readdirSync(path.join(root, 'd', 'kept'))].filter((f) => f.endsWith('.tmp') || (f.startsWith('seg-') && !f.endsWith('.lock') && !JSON.parse(readFileSync(path.join(root, 'd', 'kept', 'manifest.json'), 'utf8')).segments.some((s: { file: string }) => s.file === f)));
  t.deepEqual(leftovers, []);
  // And with space again, the same createTable works.
  createTable(reopened, 'new', S, { store: 'filesystem' });
  t.deepEqual(getTableData(reopened, 'new'), []);
});
