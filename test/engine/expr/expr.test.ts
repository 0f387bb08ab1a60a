import test from 'ava';
import {
  add, and, col, compileExpr, contains, div, eq, exprToString, ge, gt, isNull, le, lit, lt, mod, mul, ne, neg, not, or,
  referencedColumns, startsWith, sub, ExecutionError, PlanError, type Expr, type Value,
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

test('and/or/not take booleans: a non-boolean literal or arithmetic operand is a PlanError, a non-boolean value an ExecutionError', (t) => {
  t.throws(() => compileExpr(not(lit(5)), schema), { instanceOf: PlanError, message: `expression.arg: 'not' takes booleans, got number 5` });
  t.throws(() => compileExpr(or(lit('yes'), lit(true)), schema), { instanceOf: PlanError, message: /args\[0\]: 'or' takes booleans, got string 'yes'/ });
  t.throws(() => compileExpr(and(lit(true), add(col('a'), 1)), schema), { instanceOf: PlanError, message: /'and' takes booleans, got the number expression \(a \+ 1\)/ });
  t.is(ev(not(lit(null)), []), null, 'null is allowed: it is unknown');
  t.throws(() => ev(not(col('a')), [5, 0, '']), { instanceOf: ExecutionError, message: `'not' takes booleans, got number 5 in NOT a` });
  t.throws(() => ev(or(col('s')), [0, 0, 'x']), { instanceOf: ExecutionError, message: /'or' takes booleans, got string "x"/ });
  t.throws(() => ev(and(lit(true), col('a')), [0, 0, '']), { instanceOf: ExecutionError, message: /'and' takes booleans, got number 0/ });
  t.throws(() => ev(and(col('a'), col('b'), lit(true)), [true, 'no', '']), { instanceOf: ExecutionError });
  t.throws(() => ev(or(lit(false), col('a'), lit(false)), [1, 0, '']), { instanceOf: ExecutionError });
  // Short-circuit: an operand after the deciding one is not evaluated, so not checked.
  t.is(ev(and(lit(false), col('a')), [5, 0, '']), false);
  t.is(ev(or(lit(true), col('a')), [5, 0, '']), true);
});

test('div is real division and mod is JavaScript remainder (fractions, sign of the dividend); by zero both are null', (t) => {
  t.is(ev(div(lit(7), lit(2)), []), 3.5);
  t.is(ev(mod(lit(5.5), lit(2)), []), 1.5);
  t.is(ev(mod(lit(-7), lit(2)), []), -1);
  t.is(ev(div(col('a'), col('b')), [1, 0, '']), null);
  t.is(ev(mod(col('a'), col('b')), [1, 0, '']), null);
});
