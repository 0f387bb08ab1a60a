/**
 * Peer engines as runners of a case (see core/case-spec.ts `PeerRunner`): the case's tables are
 * loaded into the peer before any timing (the load is timed once, and reported apart from the
 * query), then the scenario's hand-written query for that peer (scenarios/peer-api.ts) runs the way
 * an engine case does: every output row handed to the same sink as sluice's rows, and checked with
 * the same checksum. A peer reads its own copy of the data: DuckDB and arquero their columnar
 * tables, IxJS the same JavaScript array of tuples that sluice's `array` source shares.
 */
import type { Tuple } from '../../engine/index.js';
import type { Scenario, Tables } from '../../scenarios/index.js';
import type { Arquero, ArqueroTable, Ix } from '../../scenarios/peer-api.js';
import type { CaseSpec, PeerRunner } from '../../core/case-spec.js';
import { drainCase, type AsyncPreparedCase, type PreparedCase } from '../measure/prepared.js';
import { importPeer, peerVersion } from './load.js';
import { prepareDuckDB } from './duckdb.js';

const now = () => process.hrtime.bigint();

/**
 * Prepare `spec` (a peer runner's case) on its generated tables: load them into the peer, then
 * wrap the peer's query for the measurement loops. DuckDB's API is asynchronous (the query runs
 * off the JavaScript thread), so its case is an {@link AsyncPreparedCase}.
 */
export async function preparePeer(spec: CaseSpec, scenario: Scenario, data: Tables, inputRows: number, dispose: () => void): Promise<PreparedCase | AsyncPreparedCase> {
  const peer = spec.engine as PeerRunner;
  const version = peerVersion(peer) ?? 'unknown';
  if (peer === 'duckdb' || peer === 'duckdb-stream') {
    return prepareDuckDB(peer, spec, scenario.peers!.sql!(spec.params), data, inputRows, dispose, version);
  }
  let t0: bigint;
  /** Run the query once, handing every output row to `to`; the row count. */
  let drain: (to: (t: Tuple) => void) => number;
  if (peer === 'arquero') {
    const aq = await importPeer<Arquero>(peer);
    t0 = now();
    const tables: Record<string, ArqueroTable> = {};
    for (const [name, t] of Object.entries(data)) tables[name] = arqueroTable(aq, t.schema, t.rows!);
    const write = scenario.peers!.arquero!;
    drain = (to) => arqueroRows(write(aq, tables, spec.params), to);
  } else {
    const ix = { ...(await importPeer<object>(peer, 'ix/iterable')), ...(await importPeer<object>(peer, 'ix/iterable/operators')) } as Ix;
    // Nothing to load: IxJS iterates the shared array.
    t0 = now();
    const write = scenario.peers!.ix!;
    drain = (to) => {
      let n = 0;
      for (const t of write(ix, data, spec.params)) {
        to(t);
        n++;
      }
      return n;
    };
  }
  return drainCase(drain, { inputRows, dispose, setup: { library: peer, version, loadNs: Number(now() - t0) } });
}

/** An arquero table of `rows`, one JavaScript array per column (how arquero's own `table()` takes data). */
function arqueroTable(aq: Arquero, schema: readonly string[], rows: readonly Tuple[]): ArqueroTable {
  const cols: Record<string, unknown[]> = {};
  schema.forEach((name, c) => {
    const col = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) col[i] = rows[i]![c];
    cols[name] = col;
  });
  return aq.table(cols);
}

/** An arquero result handed to `to` as tuples in its column order: each column read out once, then row by row. */
function arqueroRows(t: ArqueroTable, to: (t: Tuple) => void): number {
  const cols = t.columnNames().map((n) => t.array(n));
  const n = t.numRows(), k = cols.length;
  for (let i = 0; i < n; i++) {
    const row = new Array<unknown>(k);
    for (let c = 0; c < k; c++) row[c] = cols[c]![i];
    to(row as Tuple);
  }
  return n;
}
