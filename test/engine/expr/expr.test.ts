import test from 'ava';
import {
  add, and, col, compileExpr, contains, div, eq, exprToString, ge, gt, isNull, le, lit, lt, mod, mul, ne, neg, not, or,
  referencedColumns, startsWith, sub, type Expr, type Value,
} from '../../../engine/index.js';

const schema = ['a', 'b', 's'];
const ev = (e: Expr, row: Value[]) => compileExpr(e, schema)(row);

test('comparisons on numbers, strings and booleans', (t) => {
  t.true(ev(gt(col('a'), 2), [3, 0, 'x']) as boolean);
  t.false(ev(lt(col('a'), 2), [3, 0, 'x']) as boolean);
  t.true(ev(le(col('a'), col('b')), [3, 3, 'x']) as boolean);
  t.true(ev(ge(col('s'), 'abc'), [0, 0, 'abd']) as boolean);
  t.true(ev(eq(col('s'), 'x'), [0, 0, 'x']) as boolean);
  t.true(ev(ne(col('a'), 1), [2, 0, '']) as boolean);
  t.true(ev(lt(lit(false), lit(true)), []) as boolean);
});

test('three-valued logic: null operands make comparisons null; and/or/not follow SQL', (t) => {
  t.is(ev(gt(col('a'), 1), [null, 0, '']), null);
  t.is(ev(eq(col('a'), null), [null, 0, '']), null);
  t.is(ev(and(gt(col('a'), 1), lit(false)), [null, 0, '']), false);
  t.is(ev(and(gt(col('a'), 1), lit(true)), [null, 0, '']), null);
  t.is(ev(or(gt(col('a'), 1), lit(true)), [null, 0, '']), true);
  t.is(ev(or(gt(col('a'), 1), lit(false)), [null, 0, '']), null);
  t.is(ev(not(gt(col('a'), 1)), [null, 0, '']), null);
  t.is(ev(isNull(col('a')), [null, 0, '']), true);
  t.is(ev(and(lit(true), lit(true), lit(null)), []), null);
  t.is(ev(and(lit(true), lit(false), lit(null)), []), false);
  t.is(ev(or(lit(false), lit(null), lit(false)), []), null);
});

test('comparisons across types use the total order boolean < number < string', (t) => {
  t.true(ev(lt(col('a'), 'z'), [5, 0, '']) as boolean);
  t.true(ev(gt(col('a'), true), [5, 0, '']) as boolean);
  t.false(ev(eq(col('a'), '5'), [5, 0, '']) as boolean);
  t.true(ev(gt(col('s'), 99), [0, 0, '1']) as boolean, 'a string column against a number literal');
});

test('arithmetic, null propagation and division by zero', (t) => {
  t.is(ev(add(col('a'), col('b')), [2, 3, '']), 5);
  t.is(ev(sub(col('a'), 1), [2, 3, '']), 1);
  t.is(ev(mul(col('a'), 1.5), [2, 3, '']), 3);
  t.is(ev(div(col('a'), col('b')), [3, 2, '']), 1.5);
  t.is(ev(div(col('a'), 0), [3, 2, '']), null);
  t.is(ev(mod(col('a'), 0), [3, 2, '']), null);
  t.is(ev(mod(col('a'), 2), [3, 2, '']), 1);
  t.is(ev(neg(col('a')), [3, 2, '']), -3);
  t.is(ev(add(col('a'), null), [3, 2, '']), null);
});

test('string predicates', (t) => {
  t.true(ev(startsWith(col('s'), 'ab'), [0, 0, 'abc']) as boolean);
  t.false(ev(startsWith(col('s'), 'b'), [0, 0, 'abc']) as boolean);
  t.true(ev(contains(col('s'), 'bc'), [0, 0, 'abc']) as boolean);
  t.is(ev(contains(col('s'), 'b'), [0, 0, null]), null);
});

test('expressions are plain JSON: they round-trip and compile the same', (t) => {
  const e = and(gt(col('a'), 1.5), or(isNull(col('s')), contains(col('s'), "it's")), not(eq(mul(col('a'), col('b')), 6)));
  const back = JSON.parse(JSON.stringify(e)) as Expr;
  t.deepEqual(back, e);
  for (const row of [[2, 3, null], [2, 2, "it's"], [1, 1, 'x'], [3, 2, null]] as Value[][]) t.is(ev(back, row), ev(e, row));
  t.is(exprToString(e), "((a > 1.5) AND (s IS NULL OR contains(s, 'it''s')) AND NOT ((a * b) = 6))");
  t.deepEqual(referencedColumns(e), ['a', 's', 'b']);
});
