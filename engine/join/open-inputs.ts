import type { Relation, TupleIterator } from '../relation.js';

/**
 * Whether `r` can be opened again without error: a materialized relation, or a streaming one
 * whose `materialize()` was called (its cache replays). Used to pick hash-join build sides and
 * to decide whether a cross product may re-read its right side.
 */
export function isReopenable(r: Relation): boolean {
  if (r.kind === 'materialized') return true;
  const phase = (r as { phase?: string }).phase;
  return phase === 'armed' || phase === 'caching' || phase === 'cached';
}

/** Open two inputs; if the second fails to open, the first is closed before rethrowing. */
export function openBoth(left: Relation, right: Relation, wrap: (it: TupleIterator) => TupleIterator = (it) => it): [TupleIterator, TupleIterator] {
  const l = wrap(left.open());
  try {
    return [l, wrap(right.open())];
  } catch (e) {
    l.close();
    throw e;
  }
}
