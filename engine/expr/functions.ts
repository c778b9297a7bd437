/**
 * Built-in transformation functions (docs/semantics.md#language). Each function type-checks its arguments and emits a JS expression;
 * the compiler stitches these into one generated function per transformation
 * list, so nothing is interpreted per row.
 */
import { EngineError } from '../core/errors.js';
import type { FieldType } from '../core/types.js';
import { isFloatingType, isIntegerType, PROMOTION_ORDER } from '../core/types.js';
import type { Expr } from './ast.js';

export interface ArgInfo {
  type: FieldType;
  node: Expr;
}

export interface FunctionDef {
  name: string;
  arity: number;
  /** human signature, e.g. `add(a: numeric, b: numeric) → promote(a, b)` */
  signature: string;
  doc: string;
  /** returns the result type or throws IncorrectArgumentTypeForOperationError */
  resultType(args: ArgInfo[]): FieldType;
  /** JS expression computing the result from argument expressions `code` */
  emit(code: string[], args: ArgInfo[], result: FieldType): string;
  /** set for user functions of a folder that is not trusted: a warning for every call */
  unchecked?: string;
}

const typeError = (msg: string, node?: Expr): never => {
  throw new EngineError('IncorrectArgumentTypeForOperationError', msg, node ? { from: node.from, to: node.to } : undefined);
};

/** Numeric promotion (docs/semantics.md#promotion); Boolean-only arithmetic promotes to IntegerType (docs/semantics.md#declared-types). */
export function promote(fn: string, args: ArgInfo[], booleanToInteger: boolean): FieldType {
  let best = -1;
  for (let i = 0; i < args.length; i++) {
    const idx = PROMOTION_ORDER.indexOf(args[i]!.type);
    if (idx < 0) {
      typeError(`${args[i]!.type} is not in list: ${fn} expects numeric arguments, argument ${i + 1} is ${args[i]!.type}`, args[i]!.node);
    }
    if (idx > best) best = idx;
  }
  const t = PROMOTION_ORDER[best]!;
  return booleanToInteger && t === 'BooleanType' ? 'IntegerType' : t;
}

/** Code converting a value of type `t` to a JS double (an integer too large for one is a row error of `fn`). */
export function asDouble(code: string, t: FieldType, fn: string): string {
  if (isFloatingType(t)) return code;
  if (t === 'BooleanType') return `(${code} ? 1 : 0)`;
  return `h.toDouble(${code}, '${fn}')`;
}

/** Code rendering a value as Python `str()` would. */
export function asPyStr(code: string, t: FieldType): string {
  if (t === 'StringType') return code;
  if (t === 'BooleanType') return `(${code} ? 'True' : 'False')`;
  if (isFloatingType(t)) return `h.pyFloat(${code})`;
  return `String(${code})`;
}

function arithmetic(name: string, sym: '+' | '-' | '*', intHelper: string, doc: string): FunctionDef {
  return {
    name,
    arity: 2,
    signature: `${name}(a: numeric, b: numeric) → promote(a, b)`,
    doc,
    resultType: (args) => promote(name, args, true),
    emit: (c, args, r) =>
      isIntegerType(r) ? `h.${intHelper}(${c[0]}, ${c[1]})` : `(${asDouble(c[0]!, args[0]!.type, name)} ${sym} ${asDouble(c[1]!, args[1]!.type, name)})`,
  };
}

function modulo(name: string, doc: string): FunctionDef {
  return {
    name,
    arity: 2,
    signature: `${name}(a: numeric, b: numeric) → promote(a, b)`,
    doc,
    resultType: (args) => promote(name, args, true),
    emit: (c, args, r) =>
      isIntegerType(r) ? `h.imod(${c[0]}, ${c[1]})` : `h.fmod(${asDouble(c[0]!, args[0]!.type, name)}, ${asDouble(c[1]!, args[1]!.type, name)})`,
  };
}

/** Result type of a comparison (docs/semantics.md#comparisons): both arguments numeric/boolean, or both strings. */
function comparisonResult(name: string): (args: ArgInfo[]) => FieldType {
  return (args) => {
    const [a, b] = args as [ArgInfo, ArgInfo];
    const aStr = a.type === 'StringType';
    if (aStr !== (b.type === 'StringType')) {
      typeError(`${name} compares ${a.type} with ${b.type}: both arguments must be numeric/boolean or both strings`, aStr ? a.node : b.node);
    }
    return 'BooleanType';
  };
}

function ordering(name: string, sym: string, doc: string): FunctionDef {
  return {
    name,
    arity: 2,
    signature: `${name}(a, b) → BooleanType   (both numeric/boolean, or both strings)`,
    doc,
    resultType: comparisonResult(name),
    // strings order by code point as in Python; JS `<` compares UTF-16 code units (wrong above U+FFFF)
    emit: (c, args) => (args[0]!.type === 'StringType' ? `(h.strcmp(${c[0]}, ${c[1]}) ${sym} 0)` : `(${c[0]} ${sym} ${c[1]})`),
  };
}

function equality(name: string, negate: boolean, doc: string): FunctionDef {
  return {
    name,
    arity: 2,
    signature: `${name}(a, b) → BooleanType   (both numeric/boolean, or both strings)`,
    doc,
    resultType: comparisonResult(name),
    // loose equality is Python's for numbers, bigints and booleans (1 == 1.0 == True); strings compare exactly
    emit: (c, args) => {
      const op = args[0]!.type === 'StringType' ? (negate ? '!==' : '===') : negate ? '!=' : '==';
      return `(${c[0]} ${op} ${c[1]})`;
    },
  };
}

function logical(name: 'and' | 'or', doc: string): FunctionDef {
  return {
    name,
    arity: 2,
    signature: `${name}(a: boolean|numeric, b: boolean|numeric) → BooleanType`,
    doc,
    resultType: (args) => {
      args.forEach((a, i) => {
        if (a.type === 'StringType') {
          typeError(`${name} expects boolean or numeric arguments, argument ${i + 1} is StringType (use boolean(x) to test a string for emptiness)`, a.node);
        }
      });
      return 'BooleanType';
    },
    emit: (c) => `h.${name === 'and' ? 'and' : 'or'}(${c[0]}, ${c[1]})`,
  };
}

function intCast(name: 'long' | 'int', result: FieldType, doc: string): FunctionDef {
  return {
    name,
    arity: 1,
    signature: `${name}(x: numeric|boolean|string) → ${result}`,
    doc,
    resultType: () => result,
    emit: (c, args) => {
      const t = args[0]!.type;
      if (isIntegerType(t)) return c[0]!;
      if (t === 'BooleanType') return `(${c[0]} ? 1 : 0)`;
      if (t === 'StringType') return `h.strToInt(${c[0]}, '${name}')`;
      return `h.doubleToInt(${c[0]}, '${name}')`;
    },
  };
}

function floatCast(name: 'float' | 'double', result: FieldType, doc: string): FunctionDef {
  return {
    name,
    arity: 1,
    signature: `${name}(x: numeric|boolean|string) → ${result}`,
    doc,
    resultType: () => result,
    emit: (c, args) => (args[0]!.type === 'StringType' ? `h.strToDouble(${c[0]}, '${name}')` : asDouble(c[0]!, args[0]!.type, name)),
  };
}

function identity(name: string, doc: string): FunctionDef {
  return {
    name,
    arity: 1,
    signature: `${name}(x) → type of x`,
    doc,
    resultType: (args) => args[0]!.type,
    emit: (c) => c[0]!,
  };
}

/**
 * `config('path')` is resolved at start-up by the compiler (docs/semantics.md#config-lookups); this
 * entry only carries its documentation and arity.
 */
export const CONFIG_FUNCTION = 'config';

export const BUILTINS: readonly FunctionDef[] = [
  arithmetic('add', '+', 'iadd', 'Sum of two numbers. Booleans count as 0/1; two booleans give an IntegerType.'),
  arithmetic('sub', '-', 'isub', 'Difference a − b.'),
  arithmetic('mul', '*', 'imul', 'Product a × b (integers are exact at any size).'),
  modulo('odd', 'Modulo with Python (floored) semantics: the result has the sign of the divisor. Same as mod. Division by zero is a row error.'),
  modulo('mod', 'Modulo with Python (floored) semantics: mod(-7, 2) = 1, mod(7, -2) = -1. Division by zero is a row error.'),
  {
    name: 'pydiv',
    arity: 2,
    signature: 'pydiv(a: numeric, b: numeric) → DoubleType',
    doc: 'True division a / b (Python 3 `/`): pydiv(7, 2) = 3.5. Division by zero is a row error. For floor division use floordiv.',
    resultType: (args) => {
      promote('pydiv', args, true);
      return 'DoubleType';
    },
    // int / int is exact in Python whatever the size; a float on either side converts both to doubles
    emit: (c, args) =>
      args.every((a) => isIntegerType(a.type) || a.type === 'BooleanType') ? `h.itruediv(${c[0]}, ${c[1]}, 'pydiv')` : `h.truediv(${c[0]}, ${c[1]}, 'pydiv')`,
  },
  {
    name: 'floordiv',
    arity: 2,
    signature: 'floordiv(a: numeric, b: numeric) → promote(a, b)',
    doc: 'Floor division (Python `//`): rounds toward −∞; integer for integer arguments. floordiv(-7, 2) = -4.',
    resultType: (args) => promote('floordiv', args, true),
    emit: (c, args, r) =>
      isIntegerType(r)
        ? `h.ifloordiv(${c[0]}, ${c[1]})`
        : `h.ffloordiv(${asDouble(c[0]!, args[0]!.type, 'floordiv')}, ${asDouble(c[1]!, args[1]!.type, 'floordiv')})`,
  },
  {
    name: 'mathdiv',
    arity: 2,
    signature: 'mathdiv(a: numeric, b: numeric) → DoubleType',
    doc: 'Division as doubles: a / float(b). Division by zero is a row error.',
    resultType: (args) => {
      promote('mathdiv', args, true);
      return 'DoubleType';
    },
    emit: (c) => `h.truediv(${c[0]}, ${c[1]}, 'mathdiv')`,
  },
  ordering('lt', '<', 'a < b. Numbers (and booleans) compare numerically, strings by code point; NaN compares false.'),
  ordering('le', '<=', 'a ≤ b.'),
  ordering('gt', '>', 'a > b.'),
  ordering('ge', '>=', 'a ≥ b.'),
  equality('eq', false, 'a == b (1 == 1.0 == True). Comparing a string with a number is a validation error.'),
  equality('neq', true, 'a != b.'),
  logical('and', 'True when both arguments are truthy (both are always evaluated).'),
  logical('or', 'True when at least one argument is truthy (both are always evaluated).'),
  {
    name: 'not',
    arity: 1,
    signature: 'not(x) → BooleanType',
    doc: 'Logical negation of Python truthiness: 0, 0.0, empty string and False are falsy.',
    resultType: () => 'BooleanType',
    emit: (c) => `!h.truthy(${c[0]})`,
  },
  {
    name: 'concat',
    arity: 2,
    signature: 'concat(a, b) → StringType',
    doc: "Joins the Python str() of both arguments: concat('6 - ', 74) = '6 - 74', concat(2E+2, 'x') = '200.0x'.",
    resultType: () => 'StringType',
    emit: (c, args) => `(${asPyStr(c[0]!, args[0]!.type)} + ${asPyStr(c[1]!, args[1]!.type)})`,
  },
  {
    name: 'truncate',
    arity: 2,
    signature: 'truncate(s: StringType, n: IntegerType|LongType) → StringType',
    doc: "First n characters of s (Python s[:n]); a negative n drops characters from the end: truncate('foo', -1) = 'fo'.",
    resultType: (args) => {
      if (args[0]!.type !== 'StringType') typeError(`First argument of Truncate should be a string. Got ${args[0]!.type}`, args[0]!.node);
      if (args[1]!.type !== 'IntegerType' && args[1]!.type !== 'LongType') {
        typeError(`Second argument should be a long or int. Got ${args[1]!.type}`, args[1]!.node);
      }
      return 'StringType';
    },
    emit: (c) => `h.truncate(${c[0]}, ${c[1]})`,
  },
  intCast(
    'long',
    'LongType',
    'Integer conversion (Python int()): doubles truncate toward zero, booleans give 0/1, strings are parsed; NaN/inf or unparsable text is a row error.',
  ),
  intCast('int', 'IntegerType', 'Same as long (no 32-bit range check).'),
  floatCast('float', 'FloatType', 'Conversion to a double (Python float()); strings are parsed.'),
  floatCast('double', 'DoubleType', 'Same as float, typed DoubleType.'),
  {
    name: 'boolean',
    arity: 1,
    signature: 'boolean(x) → BooleanType',
    doc: "Python truthiness: 0, 0.0, '' and False are False; any non-empty string (even 'False') is True.",
    resultType: () => 'BooleanType',
    emit: (c) => `h.truthy(${c[0]})`,
  },
  {
    name: 'one',
    arity: 1,
    signature: 'one(x) → IntegerType',
    doc: 'Always 1: a row counter (counter: one(timestamp) with sum(counter)).',
    resultType: () => 'IntegerType',
    emit: (c) => `(${c[0]}, 1)`,
  },
  {
    name: CONFIG_FUNCTION,
    arity: 1,
    signature: "config('dot.separated.path') → type of the JSON value",
    doc: "A value of the config file, resolved once at start-up: config('input.options.port'). Integers are LongType, other numbers DoubleType.",
    resultType: () => 'StringType', // replaced by the compiler, which resolves the path
    emit: (c) => c[0]!,
  },
  identity('id', "Identity: returns its argument, with the argument's type."),
  identity('_', 'Internal identity wrapper of a literal body; callable as _(13).'),
];

export const BUILTIN_MAP: ReadonlyMap<string, FunctionDef> = new Map(BUILTINS.map((f) => [f.name, f]));
