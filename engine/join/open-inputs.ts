import type { Relation, TupleIterator } from '../relation.js';

/**
 * Whether `r` can be opened again without error: a materialized relation, or a streaming one
 * whose `materialize()` was called (its cache replays). A cache that only answered `size()` or
 * `isEmpty()` serves a single pass and does not count. Used to pick hash-join build sides and
 * to decide whether a cross product may re-read its right side.
 */
export function isReopenable(r: Relation): boolean {
  if (r.kind === 'materialized') return true;
  return (r as { reopenable?: boolean }).reopenable === true;
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
