import type { Value } from '../types.js';

/**
 * Expressions as plain data: JSON-serializable, so a results file can record the exact query.
 * Build them with the helpers below (`col('price')`, `gt(col('price'), lit(100))`, ...), compile
 * them once with `compileExpr` / `compilePredicate`.
 *
 * Semantics (the same on both engines, because both run the same compiled closure):
 * - Three-valued logic. A comparison or arithmetic with a null operand is null; `and` is false if
 *   any argument is false, else null if any is null, else true; `or` dually; `not null` is null.
 *   A filter keeps a row only when its predicate is exactly `true`.
 * - `and`, `or` and `not` take booleans (or null). A non-boolean operand is an error, not a
 *   truth value: a `PlanError` when it is known at plan time (`not(5)`, `and(col('a'), add(…))`),
 *   else an `ExecutionError` when a row holds one (`not(col('n'))` with n = 5). Counting 5 as
 *   false, as sluice once did, silently inverts what SQL engines that cast 5 to true would return;
 *   rejecting it, as PostgreSQL does, cannot give a wrong answer. `and` stops at the first false
 *   and `or` at the first true, so an operand after that is not evaluated (nor checked).
 * - Comparisons between two non-null values of different types order them by type:
 *   boolean < number < string (the same total order `orderBy` uses); equal types compare
 *   naturally (false < true, numeric, UTF-16 code unit order).
 * - Arithmetic takes numbers only (anything else is an `ExecutionError` when the row is reached).
 *   `div` is real division, not integer division (`7 / 2` is 3.5); `mod` is JavaScript's `%`, so
 *   it works on fractions and takes the sign of the dividend (`5.5 % 2` is 1.5, `-7 % 2` is -1).
 *   Division or modulo by zero is null (SQL engines differ here; null keeps a query running).
 * - `startsWith` / `contains` take strings; null in either operand gives null.
 */
export type Expr =
  | { readonly op: 'col'; readonly name: string }
  | { readonly op: 'lit'; readonly value: Value }
  | { readonly op: CompareOp; readonly left: Expr; readonly right: Expr }
  | { readonly op: ArithOp; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'neg'; readonly arg: Expr }
  | { readonly op: 'and' | 'or'; readonly args: readonly Expr[] }
  | { readonly op: 'not'; readonly arg: Expr }
  | { readonly op: 'isNull'; readonly arg: Expr }
  | { readonly op: StringOp; readonly arg: Expr; readonly pattern: Expr };

/** Comparison operators: = != < <= > >=. */
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** Arithmetic operators. */
export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'mod';
/** String predicates. */
export type StringOp = 'startsWith' | 'contains';

export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
export const ARITH_OPS: readonly ArithOp[] = ['add', 'sub', 'mul', 'div', 'mod'];

/** A column reference. */
export const col = (name: string): Expr => ({ op: 'col', name });
/** A literal. */
export const lit = (value: Value): Expr => ({ op: 'lit', value });
const wrap = (v: Expr | Value): Expr => (v !== null && typeof v === 'object' ? v : lit(v));
/** `left = right` (a bare value on either side is a literal). */
export const eq = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'eq', left: wrap(l), right: wrap(r) });
/** `left != right` */
export const ne = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'ne', left: wrap(l), right: wrap(r) });
/** `left < right` */
export const lt = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'lt', left: wrap(l), right: wrap(r) });
/** `left <= right` */
export const le = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'le', left: wrap(l), right: wrap(r) });
/** `left > right` */
export const gt = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'gt', left: wrap(l), right: wrap(r) });
/** `left >= right` */
export const ge = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'ge', left: wrap(l), right: wrap(r) });
/** `left + right` */
export const add = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'add', left: wrap(l), right: wrap(r) });
/** `left - right` */
export const sub = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'sub', left: wrap(l), right: wrap(r) });
/** `left * right` */
export const mul = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'mul', left: wrap(l), right: wrap(r) });
/** `left / right` (null when right is 0) */
export const div = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'div', left: wrap(l), right: wrap(r) });
/** `left % right` (null when right is 0) */
export const mod = (l: Expr | Value, r: Expr | Value): Expr => ({ op: 'mod', left: wrap(l), right: wrap(r) });
/** `-arg` */
export const neg = (arg: Expr | Value): Expr => ({ op: 'neg', arg: wrap(arg) });
/** Conjunction of one or more predicates. */
export const and = (...args: Expr[]): Expr => ({ op: 'and', args });
/** Disjunction of one or more predicates. */
export const or = (...args: Expr[]): Expr => ({ op: 'or', args });
/** Negation. */
export const not = (arg: Expr): Expr => ({ op: 'not', arg });
/** True when `arg` is null (never null itself). */
export const isNull = (arg: Expr | Value): Expr => ({ op: 'isNull', arg: wrap(arg) });
/** String prefix test. */
export const startsWith = (arg: Expr | Value, pattern: Expr | Value): Expr => ({ op: 'startsWith', arg: wrap(arg), pattern: wrap(pattern) });
/** Substring test. */
export const contains = (arg: Expr | Value, pattern: Expr | Value): Expr => ({ op: 'contains', arg: wrap(arg), pattern: wrap(pattern) });

/** True when `e` looks like an expression object (as opposed to a JS function). */
export function isExpr(e: unknown): e is Expr {
  return e !== null && typeof e === 'object' && typeof (e as { op?: unknown }).op === 'string';
}

/** Render an expression as compact SQL-like text, for plans, errors and reports. */
export function exprToString(e: Expr): string {
  switch (e.op) {
    case 'col':
      return e.name;
    case 'lit':
      return typeof e.value === 'string' ? `'${e.value.replace(/'/g, "''")}'` : String(e.value);
    case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge':
    case 'add': case 'sub': case 'mul': case 'div': case 'mod':
      return `(${exprToString(e.left)} ${SYMBOLS[e.op]} ${exprToString(e.right)})`;
    case 'neg':
      return `-${exprToString(e.arg)}`;
    case 'and': case 'or':
      return `(${e.args.map(exprToString).join(` ${e.op.toUpperCase()} `)})`;
    case 'not':
      return `NOT ${exprToString(e.arg)}`;
    case 'isNull':
      return `${exprToString(e.arg)} IS NULL`;
    case 'startsWith': case 'contains':
      return `${e.op}(${exprToString(e.arg)}, ${exprToString(e.pattern)})`;
  }
}

const SYMBOLS: Record<CompareOp | ArithOp, string> = {
  eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', add: '+', sub: '-', mul: '*', div: '/', mod: '%',
};
