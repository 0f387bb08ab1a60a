import test from 'ava';
import fc from 'fast-check';
import { keyFunction, tupleKey } from '../../engine/key.js';
import type { Value } from '../../engine/index.js';

const valueArb: fc.Arbitrary<Value> = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true }), fc.string({ maxLength: 4 }));

test('composite keys are injective: different tuples never share a key', (t) => {
  fc.assert(
    fc.property(fc.array(valueArb, { minLength: 2, maxLength: 4 }), fc.array(valueArb, { minLength: 2, maxLength: 4 }), (a, b) => {
      const same = a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (v === 0 && b[i] === 0));
      return (tupleKey(a) === tupleKey(b)) === same;
    }),
    { numRuns: 2000 },
  );
  t.not(tupleKey(['a;', 'b']), tupleKey(['a', ';b']));
  t.not(tupleKey([1, '2']), tupleKey(['1', 2]));
  t.not(tupleKey([null, 'N']), tupleKey(['N', null]));
});

test('keyFunction over indices agrees with tupleKey on the projected values', (t) => {
  const row: Value[] = [1, 'x', null, true];
  t.is(keyFunction([1])(row), 'x');
  t.is(keyFunction([0, 3])(row), tupleKey([1, true]));
  t.is(keyFunction([3, 2, 1])(row), tupleKey([true, null, 'x']));
});
