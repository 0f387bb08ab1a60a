import { ExecutionError, PlanError } from '../errors.js';
import type { Schema, Tuple, Value } from '../types.js';
import { compareValues } from './compare.js';
import { ARITH_OPS, COMPARE_OPS, exprToString, type ArithOp, type CompareOp, type Expr } from './expr.js';

/** A compiled expression: reads its columns by index, allocates nothing per row. */
export type CompiledExpr = (t: Tuple) => Value;
/** A compiled predicate: `true`, `false`, or `null` (unknown). */
export type CompiledPredicate = (t: Tuple) => boolean | null;

/**
 * Resolve a column name to its index.
 * @throws PlanError naming the column and the available ones.
 */
export function columnIndex(schema: Schema, name: string, where = 'expression'): number {
  const i = schema.indexOf(name);
  if (i < 0) {
    throw new PlanError(`unknown column '${name}' in ${where}; available columns: ${schema.length ? schema.join(', ') : '(none)'}`);
  }
  return i;
}

/**
 * Compile `e` against `schema` once. Every column reference is resolved now (an unknown column is
 * a `PlanError` at plan time); the returned closure only indexes into the tuple.
 */
export function compileExpr(e: Expr, schema: Schema): CompiledExpr {
  validate(e);
  return compile(e, schema);
}

/**
 * Compile a predicate for `filter`: the closure returns exactly `true` for rows to keep.
 * A literal or column predicate is allowed (its value is tested for `=== true`).
 */
export function compilePredicate(e: Expr, schema: Schema): (t: Tuple) => boolean {
  const f = compileExpr(e, schema);
  return (t) => f(t) === true;
}

/**
 * Check `e` against `schema` without compiling it: the same PlanErrors, in the same order, as
 * `compileExpr` (structure first, then the first unknown column in evaluation order). Used where
 * the expression is compiled some other way (pipeline fusion).
 */
export function checkExpr(e: Expr, schema: Schema): void {
  validate(e);
  for (const name of referencedColumns(e)) columnIndex(schema, name);
}

/** Names of the columns `e` reads, in first-use order. */
export function referencedColumns(e: Expr, out: string[] = []): string[] {
  switch (e.op) {
    case 'col': if (!out.includes(e.name)) out.push(e.name); break;
    case 'lit': break;
    case 'and': case 'or': for (const a of e.args) referencedColumns(a, out); break;
    case 'neg': case 'not': case 'isNull': referencedColumns(e.arg, out); break;
    case 'startsWith': case 'contains': referencedColumns(e.arg, out); referencedColumns(e.pattern, out); break;
    default: referencedColumns(e.left, out); referencedColumns(e.right, out);
  }
  return out;
}

/** Structural check for expressions that arrive as JSON (results files, CLI). */
export function validate(e: unknown, path = 'expression'): void {
  if (e === null || typeof e !== 'object') throw new PlanError(`${path} must be an expression object, got ${String(e)}`);
  const x = e as Record<string, unknown>;
  switch (x.op) {
    case 'col':
      if (typeof x.name !== 'string') throw new PlanError(`${path}: 'col' needs a string name`);
      return;
    case 'lit':
      if (!(x.value === null || ['number', 'string', 'boolean'].includes(typeof x.value))) {
        throw new PlanError(`${path}: 'lit' value must be a number, string, boolean or null`);
      }
      return;
    case 'and': case 'or':
      if (!Array.isArray(x.args) || x.args.length === 0) throw new PlanError(`${path}: '${x.op}' needs at least one argument`);
      x.args.forEach((a, i) => {
        validate(a, `${path}.args[${i}]`);
        checkBooleanOperand(x.op as string, a as Expr, `${path}.args[${i}]`);
      });
      return;
    case 'not':
      validate(x.arg, `${path}.arg`);
      checkBooleanOperand('not', x.arg as Expr, `${path}.arg`);
      return;
    case 'neg': case 'isNull':
      validate(x.arg, `${path}.arg`);
      return;
    case 'startsWith': case 'contains':
      validate(x.arg, `${path}.arg`);
      validate(x.pattern, `${path}.pattern`);
      return;
    default:
      if (COMPARE_OPS.includes(x.op as CompareOp) || ARITH_OPS.includes(x.op as ArithOp)) {
        validate(x.left, `${path}.left`);
        validate(x.right, `${path}.right`);
        return;
      }
      throw new PlanError(`${path}: unknown operator ${JSON.stringify(x.op)}`);
  }
}

/**
 * `and`/`or`/`not` take booleans (or null). An operand known at plan time not to be one (a number
 * or string literal, arithmetic) is a `PlanError` here; a column holding one is an
 * `ExecutionError` when the row is reached ({@link SLOW_PATHS.bool}).
 */
function checkBooleanOperand(op: string, a: Expr, path: string): void {
  const type = a.op === 'lit' ? (a.value === null ? 'null' : typeof a.value) : ARITH_OPS.includes(a.op as ArithOp) || a.op === 'neg' ? 'number' : null;
  if (type === 'number' || type === 'string') {
    throw new PlanError(`${path}: '${op}' takes booleans, got ${type === 'number' && a.op !== 'lit' ? 'the number expression' : type} ${exprToString(a)}`);
  }
}

function compile(e: Expr, schema: Schema): CompiledExpr {
  switch (e.op) {
    case 'col': {
      const i = columnIndex(schema, e.name);
      return (t) => t[i]!;
    }
    case 'lit': {
      const v = e.value;
      return () => v;
    }
    case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge':
      return compileCompare(e.op, e.left, e.right, schema);
    case 'add': case 'sub': case 'mul': case 'div': case 'mod':
      return compileArith(e.op, compile(e.left, schema), compile(e.right, schema), e);
    case 'neg': {
      const a = compile(e.arg, schema);
      return (t) => {
        const v = a(t);
        return typeof v === 'number' ? -v : SLOW_PATHS.neg(v, e);
      };
    }
    case 'and':
      return compileAnd(e.args.map((a) => compile(a, schema)), e);
    case 'or':
      return compileOr(e.args.map((a) => compile(a, schema)), e);
    case 'not': {
      const a = compile(e.arg, schema);
      return (t) => {
        const v = a(t);
        return v === true ? false : v === false ? true : v === null ? null : SLOW_PATHS.bool('not', v, e);
      };
    }
    case 'isNull': {
      const a = compile(e.arg, schema);
      return (t) => a(t) === null;
    }
    case 'startsWith': case 'contains': {
      const a = compile(e.arg, schema), p = compile(e.pattern, schema);
      const starts = e.op === 'startsWith';
      return (t) => SLOW_PATHS.str(starts, a(t), p(t), e);
    }
  }
}

/** The error for an operand of the wrong type. */
function badOperand(op: string, v: Value, e: Expr): ExecutionError {
  return new ExecutionError(`'${op}' got ${typeof v} ${JSON.stringify(v)} in ${exprToString(e)}; it takes ${op === 'startsWith' || op === 'contains' ? 'strings' : 'numbers'}`);
}

/**
 * The semantics of each operator beyond its all-numbers (or all-strings) fast path, in one place:
 * the compiled closures below and the code pipeline fusion generates both call these, so nulls,
 * cross-type comparisons and operand errors behave the same on either path.
 */
export const SLOW_PATHS = {
  /** A comparison with SQL nulls: null if either side is null, else the documented cross-type order. */
  cmp(op: CompareOp, a: Value, b: Value): boolean | null {
    if (a === null || b === null) return null;
    if (op === 'eq') return a === b;
    if (op === 'ne') return a !== b;
    return test(op, compareValues(a, b));
  },
  /** Arithmetic where an operand is not a number: null for a null, else the operand error. */
  arith(op: ArithOp, a: Value, b: Value, e: Expr): null {
    if (a === null || b === null) return null;
    throw badOperand(op, typeof a !== 'number' ? a : b, e);
  },
  /** Negation of a non-number: null for null, else the operand error. */
  neg(v: Value, e: Expr): null {
    if (v === null) return null;
    throw badOperand('neg', v, e);
  },
  /** An operand of `and`/`or`/`not` that is not a boolean or null: always throws. */
  bool(op: 'and' | 'or' | 'not', v: Value, e: Expr): never {
    throw new ExecutionError(`'${op}' takes booleans, got ${typeof v} ${JSON.stringify(v)} in ${exprToString(e)}`);
  },
  /** startsWith / contains with nulls and operand errors. */
  str(starts: boolean, s: Value, q: Value, e: Expr): boolean | null {
    if (s === null || q === null) return null;
    if (typeof s !== 'string' || typeof q !== 'string') throw badOperand(starts ? 'startsWith' : 'contains', typeof s !== 'string' ? s : q, e);
    return starts ? s.startsWith(q) : s.includes(q);
  },
};

/**
 * Comparisons. The common shape `column <op> number literal` gets a closure that reads the column
 * directly and compares numbers inline; everything else goes through the generic path.
 */
function compileCompare(op: CompareOp, left: Expr, right: Expr, schema: Schema): CompiledExpr {
  if (left.op === 'col' && right.op === 'lit' && typeof right.value === 'number') {
    const i = columnIndex(schema, left.name), c = right.value;
    const slow = (v: Value): boolean | null => SLOW_PATHS.cmp(op, v, c);
    switch (op) {
      case 'eq': return (t) => { const v = t[i]!; return typeof v === 'number' ? v === c : slow(v); };
      case 'ne': return (t) => { const v = t[i]!; return typeof v === 'number' ? v !== c : slow(v); };
      case 'lt': return (t) => { const v = t[i]!; return typeof v === 'number' ? v < c : slow(v); };
      case 'le': return (t) => { const v = t[i]!; return typeof v === 'number' ? v <= c : slow(v); };
      case 'gt': return (t) => { const v = t[i]!; return typeof v === 'number' ? v > c : slow(v); };
      case 'ge': return (t) => { const v = t[i]!; return typeof v === 'number' ? v >= c : slow(v); };
    }
  }
  const l = compile(left, schema), r = compile(right, schema);
  return (t) => SLOW_PATHS.cmp(op, l(t), r(t));
}

function test(op: CompareOp, c: number): boolean {
  switch (op) {
    case 'eq': return c === 0;
    case 'ne': return c !== 0;
    case 'lt': return c < 0;
    case 'le': return c <= 0;
    case 'gt': return c > 0;
    case 'ge': return c >= 0;
  }
}

function compileArith(op: ArithOp, l: CompiledExpr, r: CompiledExpr, e: Expr): CompiledExpr {
  const slow = (a: Value, b: Value): null => SLOW_PATHS.arith(op, a, b, e);
  switch (op) {
    case 'add': return (t) => { const a = l(t), b = r(t); return typeof a === 'number' && typeof b === 'number' ? a + b : slow(a, b); };
    case 'sub': return (t) => { const a = l(t), b = r(t); return typeof a === 'number' && typeof b === 'number' ? a - b : slow(a, b); };
    case 'mul': return (t) => { const a = l(t), b = r(t); return typeof a === 'number' && typeof b === 'number' ? a * b : slow(a, b); };
    case 'div': return (t) => { const a = l(t), b = r(t); return typeof a === 'number' && typeof b === 'number' ? (b === 0 ? null : a / b) : slow(a, b); };
    case 'mod': return (t) => { const a = l(t), b = r(t); return typeof a === 'number' && typeof b === 'number' ? (b === 0 ? null : a % b) : slow(a, b); };
  }
}

function compileAnd(args: CompiledExpr[], e: Expr): CompiledExpr {
  // false stops with false, null makes the result unknown; anything but a boolean or null throws.
  const bad = (v: Value): never => SLOW_PATHS.bool('and', v, e);
  if (args.length === 1) { const a = args[0]!; return (t) => { const v = a(t); return v === true || v === false || v === null ? v : bad(v); }; }
  if (args.length === 2) {
    const [a, b] = args as [CompiledExpr, CompiledExpr];
    return (t) => {
      const x = a(t);
      if (x !== true && x !== null) return x === false ? false : bad(x);
      const y = b(t);
      if (y !== true && y !== null) return y === false ? false : bad(y);
      return x === null || y === null ? null : true;
    };
  }
  return (t) => {
    let unknown = false;
    for (let k = 0; k < args.length; k++) {
      const v = args[k]!(t);
      if (v === false) return false;
      if (v === null) unknown = true;
      else if (v !== true) bad(v);
    }
    return unknown ? null : true;
  };
}

function compileOr(args: CompiledExpr[], e: Expr): CompiledExpr {
  // true stops with true, null makes the result unknown; anything but a boolean or null throws.
  const bad = (v: Value): never => SLOW_PATHS.bool('or', v, e);
  if (args.length === 1) { const a = args[0]!; return (t) => { const v = a(t); return v === true || v === false || v === null ? v : bad(v); }; }
  return (t) => {
    let unknown = false;
    for (let k = 0; k < args.length; k++) {
      const v = args[k]!(t);
      if (v === true) return true;
      if (v === null) unknown = true;
      else if (v !== false) bad(v);
    }
    return unknown ? null : false;
  };
}
