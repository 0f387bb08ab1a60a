import test from 'ava';
import fc from 'fast-check';
import { allIndices, KeyIds } from '../../engine/keys/keys.js';
import type { Tuple, Value } from '../../engine/index.js';

const valueArb: fc.Arbitrary<Value> = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true }), fc.constantFrom(Number.NaN, -0, 0, 1e300, 1.7e12), fc.string({ maxLength: 4 }));
const sameValueZero = (a: Value, b: Value) => a === b || (Number.isNaN(a) && Number.isNaN(b));

for (const width of [1, 2, 3]) {
  test(`width ${width}: equal keys get equal ids, different keys different ids, ids are dense in first-seen order`, (t) => {
    fc.assert(
      fc.property(fc.array(fc.array(valueArb, { minLength: width, maxLength: width }), { maxLength: 60 }), (rows) => {
        const ids = new KeyIds(width);
        const cols = allIndices(width);
        const got = rows.map((r) => ids.id(r, cols));
        for (let i = 0; i < rows.length; i++) {
          for (let j = 0; j < i; j++) {
            const equal = rows[i]!.every((v, k) => sameValueZero(v, rows[j]![k]!));
            if ((got[i] === got[j]) !== equal) throw new Error(`${JSON.stringify(rows[i])} vs ${JSON.stringify(rows[j])}: ids ${got[i]}, ${got[j]}`);
          }
        }
        let next = 0;
        for (const id of got) if (id === next) next++; else if (id > next) throw new Error('ids are not dense');
        rows.forEach((r, i) => {
          if (ids.find(r, cols) !== got[i]) throw new Error('find disagrees with id');
        });
      }),
      { numRuns: 300 },
    );
    t.pass();
  });
}

test('keys over different column positions of two layouts share ids; find never adds', (t) => {
  const ids = new KeyIds(2);
  const left: Tuple = ['x', 1, 'ignored'], right: Tuple = [0, 1, 'x'];
  const id = ids.id(left, [0, 1]);
  t.is(ids.find(right, [2, 1]), id);
  t.is(ids.find(['y', 1], [0, 1]), -1);
  t.is(ids.find(['x', 2], [0, 1]), -1);
  t.is(ids.size, 1);
  t.not(ids.id([1, 'x'], [0, 1]), id, 'order of values matters');
  t.not(ids.id(['1', 1], [0, 1]), ids.id([1, 1], [0, 1]), "'1' and 1 differ");
});

test('every new entry is reported for memory accounting', (t) => {
  let bytes = 0;
  const ids = new KeyIds(2, (b) => (bytes += b));
  ids.id(['a', 1], [0, 1]);
  const afterOne = bytes;
  ids.id(['a', 1], [0, 1]);
  t.is(bytes, afterOne, 'a repeated key costs nothing');
  ids.id(['a', 2], [0, 1]);
  t.true(bytes > afterOne);
});
