/**
 * Peer engines beside sluice (`--suite peers`; see harness/peers/): per query shape and size,
 * every runner's time and memory, its ratio to the limit loop and to sluice's best runner of the
 * group, and DuckDB's own streaming-vs-materializing ratio beside sluice's.
 */
import { isPeer } from '../core/case-spec.js';
import type { CaseRecord } from '../core/results.js';
import { caseGroups, formatBytes, formatNs, ratio, ratioCell, runnerLabel, side, timeVerdict, timeWithCI, usable, type CaseIndex, type Ratio } from './model.js';
import { shapeLabel } from './format.js';
import type { Table } from './tables.js';

/** sluice's own engine runners (the limit loop is the yardstick, not a contender). */
const isSluiceEngine = (c: CaseRecord) => c.engine === 'materialized' || c.engine === 'streaming';

/** A runner's name as the table shows it: DuckDB's threads as DuckDB reported them. */
function runnerName(c: CaseRecord): string {
  if (c.engine.startsWith('duckdb')) {
    const threads = c.peer?.settings?.threads ?? (c.options.threads === undefined ? '1' : c.options.threads === 0 ? 'default' : String(c.options.threads));
    return `${c.engine} (${threads} thread${threads === '1' ? '' : 's'}${c.options.threads === 0 ? ", DuckDB's default" : ''})`;
  }
  if (c.engine === 'limit-loop') return 'limit loop (hand-written)';
  return isPeer(c.engine) ? c.engine : `sluice ${runnerLabel(c)}`;
}

/** The case groups that hold a peer, in results order. */
function peerGroups(ix: CaseIndex): CaseRecord[][] {
  return [...caseGroups(ix.results.cases).values()].filter((g) => g.some((c) => isPeer(c.engine)));
}

/** The fastest of sluice's engine runners in a group (by median time), if any finished. */
function sluiceBest(group: readonly CaseRecord[]): CaseRecord | undefined {
  return group.filter((c) => isSluiceEngine(c) && usable(c)).sort((a, b) => a.summary!.medianNs - b.summary!.medianNs)[0];
}

/** Rows in the group's input, for the table. */
function size(c: CaseRecord): string {
  return c.inputRows === undefined ? '–' : c.inputRows.toLocaleString('en-US');
}

/** Memory cells of a runner: V8 peak heap, external peak, RSS growth. */
function memory(c: CaseRecord): string[] {
  const h = c.heap;
  return [formatBytes(h?.peakBytes), formatBytes(h?.externalPeakBytes), formatBytes(h?.rssGrowthBytes)];
}

/** Where sluice's best stands against a peer, from the peer's time over sluice's (its 95% CI). */
function standing(r: Ratio | undefined): 'ahead' | 'behind' | 'even' | undefined {
  if (!r) return undefined;
  const s = side(r);
  return s === 'above' ? 'ahead' : s === 'below' ? 'behind' : 'even';
}

/** The peers table, or null when the results hold no peer. */
export function peersTable(ix: CaseIndex): Table | null {
  const groups = peerGroups(ix);
  if (groups.length === 0) return null;
  const rows: string[][] = [], rowCases: string[][] = [];
  /** Per peer runner name: sluice's best against it in each group. */
  const tally = new Map<string, { ahead: string[]; behind: string[]; even: string[]; logs: number[] }>();
  for (const g of groups) {
    const first = g[0]!, shape = shapeLabel(first);
    const limit = g.find((c) => c.engine === 'limit-loop');
    const best = sluiceBest(g);
    for (const c of g) {
      const vsLimit = c === limit ? '' : ratioCell(ratio(c, limit));
      const vsBest = c === best ? "sluice's best" : ratioCell(ratio(c, best));
      rows.push([shape, size(c), runnerName(c), timeWithCI(c), vsLimit, vsBest, ...memory(c), c.peer ? formatNs(c.peer.loadNs) : '', formatNs(c.firstRowNs)]);
      rowCases.push([c.id]);
      if (isPeer(c.engine) && best) {
        const r = ratio(c, best), st = standing(r), name = runnerName(c);
        const t = tally.get(name) ?? { ahead: [], behind: [], even: [], logs: [] };
        if (st && r) {
          t[st].push(`${shape} at ${size(first)} rows (${r.value.toFixed(2)}x)`);
          t.logs.push(Math.log(r.value));
        }
        tally.set(name, t);
      }
    }
  }
  const notes: string[] = [];
  for (const [name, t] of tally) {
    const n = t.logs.length;
    if (n === 0) {
      notes.push(`${name}: no group has both its time and sluice's.`);
      continue;
    }
    const geo = Math.exp(t.logs.reduce((a, x) => a + x, 0) / n);
    const part = (what: string, xs: string[]) => (xs.length ? `${what} in ${xs.length} (${xs.join('; ')})` : '');
    notes.push(`**${name}** over ${n} group${n === 1 ? '' : 's'}: its time is ${geo.toFixed(2)}x sluice's best (geometric mean). ${[part('sluice is ahead', t.ahead), part('sluice is behind', t.behind), part('no measurable difference', t.even)].filter(Boolean).join('; ')}.`);
  }
  notes.push(
    'Memory: the V8 peak heap compares the runners that live in the V8 heap (sluice, the limit loop, arquero, IxJS). DuckDB keeps its tables and intermediate results in native memory that V8 does not see: its V8 figure counts only the JavaScript rows it hands back. RSS growth (the kernel\'s peak resident set during a run above the run\'s start) counts both, and is the figure to compare across every runner; it moves in pages and counts heap growth too.',
    'No runner is timed right after a forced GC, and none after another query in the same heap: in a group pass every runner has a V8 isolate of its own and takes its samples back to back with no collection between them (a full GC before each sample made that sample a first-run-after-GC, up to 5.8x slower for some runners), and no isolate runs two queries, so a count cannot inherit the pretenuring decisions of a large collect (up to 6x slower when it does).',
    'Each peer reads its own copy of the data, loaded before any timing (the load column: once, untimed in the runs): DuckDB and arquero their columnar tables, IxJS the same JavaScript array of tuples the sluice runners read. Every runner hands each output row to the same sink as a JavaScript array, and its rows are checked against sluice\'s (count and checksum); a peer that disagrees shows as an error. The queries are written by hand per peer, as its users would (scenarios/peer-api.ts).',
  );
  return {
    id: 'peers', title: 'Peer engines: DuckDB, arquero, IxJS',
    what: 'Every runner of a group took turns in the same group passes (one isolate each; DuckDB runs its query off the JavaScript thread, awaited within its turn), so the ratios are paired (95% CI). "vs sluice\'s best": the runner\'s time over the fastest sluice engine runner of the group (above 1: sluice is faster).',
    columns: ['Query', 'Input rows', 'Runner', 'Time (95% CI)', 'vs limit loop', "vs sluice's best", 'Peak heap (V8)', 'External peak', 'RSS growth', 'Load (untimed)', 'First row'],
    rows, rowCases, notes,
  };
}

/** DuckDB's streaming read against its materializing one, beside sluice's streaming engine against its materialized one. */
export function peerStreamingTable(ix: CaseIndex): Table | null {
  const rows: string[][] = [], rowCases: string[][] = [];
  for (const g of peerGroups(ix)) {
    const plain = (engine: string) => g.find((c) => c.engine === engine && Object.keys(c.options).length === 0);
    const dm = plain('duckdb'), ds = plain('duckdb-stream'), sm = plain('materialized'), ss = plain('streaming');
    if (!dm || !ds || !sm || !ss) continue;
    const duck = ratio(dm, ds), own = ratio(sm, ss);
    if (!duck && !own) continue;
    rows.push([shapeLabel(g[0]!), size(g[0]!), timeVerdict(duck), timeVerdict(own), `${formatBytes(dm.heap?.rssGrowthBytes)} / ${formatBytes(ds.heap?.rssGrowthBytes)}`, `${formatBytes(sm.heap?.rssGrowthBytes)} / ${formatBytes(ss.heap?.rssGrowthBytes)}`, `${formatNs(dm.firstRowNs)} / ${formatNs(ds.firstRowNs)}`]);
    rowCases.push([dm.id, ds.id, sm.id, ss.id]);
  }
  if (rows.length === 0) return null;
  return {
    id: 'peer-streaming', title: "Streaming vs materializing, in DuckDB and in sluice",
    what: "The same question in a production engine: DuckDB's streaming read (chunks as it produces them) against its materializing read (the whole result, then its rows), beside sluice's streaming engine against its materialized one, on the same query and data, paired (95% CI). A cell reads as the streaming side's speed.",
    columns: ['Query', 'Input rows', 'DuckDB: streaming vs materializing', 'sluice: streaming vs materialized', 'DuckDB RSS growth (mat. / str.)', 'sluice RSS growth (mat. / str.)', 'DuckDB first row (mat. / str.)'],
    rows, rowCases,
    notes: ['DuckDB single-threaded (threads=1) in both reads. The materializing read holds the whole result as JavaScript rows before the first is handed on; the streaming read holds one chunk (2048 rows) at a time.'],
  };
}
