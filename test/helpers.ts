import { drain } from '../engine/operators/operator.js';
import { BOOLEAN_OPTIONS, createEngine, ENGINE_KINDS, optionsReadBy, type Engine, type EngineOptions, type Relation, type Tuple, type TupleIterator } from '../engine/index.js';

/** Every combination of the boolean engine options (2^k objects). */
export function optionCombos(): EngineOptions[] {
  const combos: EngineOptions[] = [];
  for (let mask = 0; mask < 1 << BOOLEAN_OPTIONS.length; mask++) {
    const o: Record<string, boolean> = {};
    BOOLEAN_OPTIONS.forEach((name, i) => (o[name] = (mask & (1 << i)) !== 0));
    combos.push(o as EngineOptions);
  }
  return combos;
}

/**
 * One engine per kind × distinct option combination, labelled for assertion messages. Two
 * combinations that differ only in options the engine does not read (`optionsReadBy`: another
 * engine's, or one whose switch is off) run the same code, and are kept once. Where the symmetric
 * join's drain is on, its numbers are small (batches of 2, drain after 3 rows per side), so that
 * the tests' small inputs reach the drain; with the drain off the join alternates to the end.
 */
export function allEngines(): { label: string; make: () => Engine }[] {
  const out: { label: string; make: () => Engine }[] = [];
  const seen = new Set<string>();
  for (const kind of ENGINE_KINDS) {
    for (const combo of optionCombos()) {
      const o: EngineOptions = optionsReadBy(kind, combo).enableSymmetricJoinDrain ? { ...combo, symmetricJoinBatchSize: 2, symmetricJoinDrainAfter: 3 } : combo;
      const label = `${kind} ${JSON.stringify(optionsReadBy(kind, o))}`;
      if (seen.has(label)) continue;
      seen.add(label);
      out.push({ label, make: () => createEngine(kind, o) });
    }
  }
  return out;
}

/**
 * A canonical, order-independent form of a bag of tuples. Numbers are rounded to 12 significant
 * digits, because a float sum over the same rows in another order may differ in the last bit.
 */
export function bag(rows: readonly Tuple[]): string[] {
  return sequence(rows).sort();
}

/** The canonical form of a sequence of tuples (order kept). */
export function sequence(rows: readonly Tuple[]): string[] {
  return rows.map((r) => JSON.stringify(r.map((v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v))));
}

/** A source that records how it is used: pulls, rows produced, closes. */
export class ProbeSource implements TupleIterator {
  pulls = 0;
  closes = 0;
  private pos = 0;
  constructor(private readonly rows: readonly Tuple[], private readonly failAt = -1) {}
  next(): Tuple | undefined {
    this.pulls++;
    if (this.pos === this.failAt) throw new Error(`probe source failed at row ${this.pos}`);
    return this.pos < this.rows.length ? this.rows[this.pos++] : undefined;
  }
  close(): void {
    this.closes++;
  }
  get produced(): number {
    return this.pos;
  }
}

/** Read every tuple of a relation through open()/next()/close(). */
export function readAll(r: Relation): Tuple[] {
  return drain(r.open());
}

/** Integer rows [i, i % m] for i < n. */
export function intRows(n: number, m = 10): Tuple[] {
  return Array.from({ length: n }, (_, i) => [i, i % m]);
}
