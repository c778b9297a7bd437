/**
 * Compiles a pipeline's transformations, row parser and aggregation to Python
 * source with ts-engine's semantics (docs/flink.md): the same types as the
 * JavaScript compiler (engine/expr/compile.ts) computes, the same row errors
 * with the same reasons and messages, Python integers, floats and strings.
 * The helpers the generated code calls live in python/tsengine_job/runtime.py.
 */
import { EngineError } from '../../core/errors.js';
import type { Expr } from '../../expr/ast.js';
import { BUILTIN_MAP, type ArgInfo, type FunctionDef } from '../../expr/functions.js';
import { fieldRead, resolveCall, typedArgs, type ConfigLookup, type Typed } from '../../expr/compile.js';
import { parseEntry } from '../../expr/parser.js';
import type { AggregationPlan } from '../../aggregate/rules.js';
import type { FieldType, InputField } from '../../core/types.js';
import { isFloatingType, isIntegerType } from '../../core/types.js';
import type { TimeUnit } from '../../core/time.js';
import { pyFloat } from '../../values/python.js';

/** A Python string literal (ASCII only, so the generated file's encoding never matters). */
export function pyStringLiteral(s: string): string {
  let out = "'";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x27) out += "\\'";
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x100) out += '\\x' + c.toString(16).padStart(2, '0');
    else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) {
        out += '\\U' + cp.toString(16).padStart(8, '0');
        i++;
      } else out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + "'";
}

/** A Python literal for a double (infinities and NaN through runtime constants). */
export function pyFloatLiteral(x: number): string {
  if (x !== x) return 'NAN';
  if (x === Infinity) return 'INF';
  if (x === -Infinity) return '(-INF)';
  const t = pyFloat(x);
  return t.startsWith('-') ? `(${t})` : t;
}

function pyIntLiteral(v: number | bigint): string {
  const t = typeof v === 'bigint' ? v.toString() : String(v);
  return t.startsWith('-') ? `(${t})` : t;
}

/** Python names of the user's Python twins: function name → `U_<name>` (a callable in the generated module). */
export interface PythonTwins {
  transforms: ReadonlySet<string>;
  aggregates: ReadonlySet<string>;
}

export interface PyExprContext {
  fields: ReadonlyMap<string, { slot: number; type: FieldType }>;
  functions: ReadonlyMap<string, FunctionDef>;
  configLookup?: ConfigLookup;
  twins?: PythonTwins;
  used: Set<number>;
}

/** Code converting a value of type `t` to a Python float (an integer too large for one is a row error of `fn`). */
function asFloat(code: string, t: FieldType, fn: string): string {
  if (isFloatingType(t)) return code;
  if (t === 'BooleanType') return `(1.0 if ${code} else 0.0)`;
  return `to_float(${code}, '${fn}')`;
}

/** Code rendering a value as Python `str()` would. */
function asStr(code: string, t: FieldType): string {
  if (t === 'StringType') return code;
  if (t === 'BooleanType') return `('True' if ${code} else 'False')`;
  if (isFloatingType(t)) return `repr(${code})`;
  return `str(${code})`;
}

function configValue(value: unknown, isInteger: boolean, path: string, node: Expr): Typed {
  switch (typeof value) {
    case 'number':
      return isInteger ? { type: 'LongType', code: pyIntLiteral(value) } : { type: 'DoubleType', code: pyFloatLiteral(value) };
    case 'bigint':
      return { type: 'LongType', code: pyIntLiteral(value) };
    case 'boolean':
      return { type: 'BooleanType', code: value ? 'True' : 'False' };
    case 'string':
      return { type: 'StringType', code: pyStringLiteral(value) };
    default: {
      const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
      throw new EngineError('ConfigError', `config('${path}') is ${what}; only numbers, strings and booleans can be used`, node);
    }
  }
}

/** The Python expression of one built-in call, given its argument code and types (mirrors expr/functions.ts). */
function emitBuiltin(name: string, c: string[], args: ArgInfo[], r: FieldType): string {
  const [a, b] = c as [string, string];
  const ta = args[0]?.type as FieldType;
  const tb = args[1]?.type as FieldType;
  switch (name) {
    case 'add':
    case 'sub':
    case 'mul': {
      const sym = name === 'add' ? '+' : name === 'sub' ? '-' : '*';
      return isIntegerType(r) ? `(${a} ${sym} ${b})` : `(${asFloat(a, ta, name)} ${sym} ${asFloat(b, tb, name)})`;
    }
    case 'odd':
    case 'mod':
      return isIntegerType(r) ? `imod(${a}, ${b})` : `fmod(${asFloat(a, ta, name)}, ${asFloat(b, tb, name)})`;
    case 'pydiv':
      return `truediv(${a}, ${b}, 'pydiv')`;
    case 'mathdiv':
      return `float_div(${a}, ${b}, 'mathdiv')`;
    case 'floordiv':
      return isIntegerType(r) ? `ifloordiv(${a}, ${b})` : `ffloordiv(${asFloat(a, ta, 'floordiv')}, ${asFloat(b, tb, 'floordiv')})`;
    case 'lt':
      return `(${a} < ${b})`;
    case 'le':
      return `(${a} <= ${b})`;
    case 'gt':
      return `(${a} > ${b})`;
    case 'ge':
      return `(${a} >= ${b})`;
    case 'eq':
      return `(${a} == ${b})`;
    case 'neq':
      return `(${a} != ${b})`;
    case 'and':
      return `(bool(${a}) & bool(${b}))`;
    case 'or':
      return `(bool(${a}) | bool(${b}))`;
    case 'not':
      return `(not ${a})`;
    case 'boolean':
      return `bool(${a})`;
    case 'concat':
      return `(${asStr(a, ta)} + ${asStr(b, tb)})`;
    case 'truncate':
      return `${a}[:${b}]`;
    case 'long':
    case 'int':
      if (isIntegerType(ta)) return a;
      if (ta === 'BooleanType') return `(1 if ${a} else 0)`;
      if (ta === 'StringType') return `str_to_int(${a}, '${name}')`;
      return `float_to_int(${a}, '${name}')`;
    case 'float':
    case 'double':
      return ta === 'StringType' ? `str_to_float(${a}, '${name}')` : asFloat(a, ta, name);
    case 'one':
      return `(${a}, 1)[1]`;
    case 'id':
    case '_':
      return a;
    default:
      throw new EngineError('OperationNotSupportedError', `Operation '${name}' has no Python form`);
  }
}

export function pythonExpr(node: Expr, ctx: PyExprContext): Typed {
  switch (node.kind) {
    case 'field':
      return fieldRead(node, ctx.fields, ctx.used);
    case 'literal':
      switch (node.type) {
        case 'LongType':
          return { type: 'LongType', code: pyIntLiteral(node.value as number | bigint) };
        case 'FloatType':
          return { type: 'FloatType', code: pyFloatLiteral(node.value as number) };
        case 'BooleanType':
          return { type: 'BooleanType', code: node.value ? 'True' : 'False' };
        default:
          return { type: 'StringType', code: pyStringLiteral(node.value as string) };
      }
    case 'call': {
      const target = resolveCall(node, ctx.functions, ctx.configLookup);
      if (target.kind === 'config') return configValue(target.value, target.isInteger, target.path, target.arg);
      const { args, code } = typedArgs(node, (a) => pythonExpr(a, ctx));
      const type = target.fn.resultType(args);
      if (BUILTIN_MAP.get(node.name) === target.fn) return { type, code: emitBuiltin(node.name, code, args, type) };
      if (!ctx.twins?.transforms.has(node.name)) {
        throw new EngineError('OperationNotSupportedError', `extension function '${node.name}' has no Python twin`, node.nameSpan);
      }
      return { type, code: `call_twin(U_${node.name}, ${pyStringLiteral(node.name)}, ${pyStringLiteral(type)}, ${code.join(', ')})` };
    }
  }
}

export function fieldContext(
  fields: readonly InputField[],
  functions: ReadonlyMap<string, FunctionDef>,
  configLookup?: ConfigLookup,
  twins?: PythonTwins,
): PyExprContext {
  const map = new Map<string, { slot: number; type: FieldType }>();
  fields.forEach((f, slot) => map.set(f.name, { slot, type: f.type }));
  return { fields: map, functions, configLookup, twins, used: new Set() };
}

/** One transformation body as a Python expression over `r` (the `eval` twin, for tests). */
export function pythonBody(text: string, fields: readonly InputField[], configLookup?: ConfigLookup): Typed & { usedSlots: number[] } {
  const ctx = fieldContext(fields, BUILTIN_MAP, configLookup);
  const entry = parseEntry(`v: ${text}`);
  const t = pythonExpr(entry.body, ctx);
  return { ...t, usedSlots: [...ctx.used].sort((a, b) => a - b) };
}

/** `def transform(r)`: the transformed row as a tuple. */
export function transformSource(bodies: readonly Expr[], ctx: PyExprContext): { source: string; types: FieldType[] } {
  const parts: string[] = [];
  const types: FieldType[] = [];
  for (const b of bodies) {
    const t = pythonExpr(b, ctx);
    parts.push(t.code);
    types.push(t.type);
  }
  const tuple = parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
  return { source: `def transform(r):\n    return ${tuple}\n`, types };
}

const PARSERS: Record<FieldType, string | undefined> = {
  StringType: undefined,
  IntegerType: 'parse_int',
  LongType: 'parse_int',
  ShortType: 'parse_int',
  ByteType: 'parse_int',
  FloatType: 'parse_float',
  DoubleType: 'parse_float',
  BooleanType: 'parse_bool',
};

/**
 * `def parse(line)`: every declared column in column order (row-parser.ts): the ones
 * the pipeline reads converted into their slots, the others only checked.
 */
export function parserSource(fields: readonly InputField[], slots: readonly number[], sep: string): string {
  const used = new Set(slots);
  const plan = fields.map((field, slot) => ({ field, slot: used.has(slot) ? slot : -1 })).sort((a, b) => a.field.index - b.field.index || a.slot - b.slot);
  const maxIndex = plan.length > 0 ? plan[plan.length - 1]!.field.index : -1;
  let code = `def parse(line):\n    c = line.split(${pyStringLiteral(sep)})\n    n = len(c)\n    r = [None] * ${fields.length}\n`;
  for (const { field, slot } of plan) {
    const i = field.index;
    if (i > 0) code += `    if n <= ${i}:\n        too_few(${maxIndex}, n)\n`;
    const parser = PARSERS[field.type];
    if (parser === undefined) {
      if (slot >= 0) code += `    r[${slot}] = c[${i}]\n`;
      continue;
    }
    code += `    v = ${parser}(c[${i}])\n    if v is None:\n        bad_cell(${pyStringLiteral(field.name)}, ${i}, '${field.type}', c[${i}])\n`;
    if (slot >= 0) code += `    r[${slot}] = v\n`;
  }
  return code + '    return r\n';
}

export function eventTimeSource(slot: number | undefined, unit: TimeUnit): string {
  if (slot === undefined) return 'TIME_SLOT = None\n\n\ndef event_ms(r):\n    return 0.0\n';
  const expr =
    unit === 's'
      ? `to_float(r[${slot}]) * 1000.0`
      : unit === 'ms'
        ? `to_float(r[${slot}])`
        : `to_float(r[${slot}]) / ${unit === 'us' ? '1000.0' : '1000000.0'}`;
  return `TIME_SLOT = ${slot}\n\n\ndef event_ms(r):\n    return ${expr}\n`;
}

/** Grouping (aggregate/groups.ts): `group_add` folds a transformed row into its group, `merge_acc` folds a partial in. */
export function aggregationSource(plan: AggregationPlan, twins?: PythonTwins): string {
  const keyed = plan.keys.length > 0;
  const floatKeys = plan.keys.some((k) => isFloatingType(k.type));
  const keyTuple = keyed ? `(${plan.keys.map((k) => `o[${k.position}]`).join(', ')}${plan.keys.length === 1 ? ',' : ''})` : 'None';
  const norm = (k: string, i: number, t: FieldType) => (isFloatingType(t) ? `norm_float_key(${k}[${i}])` : `${k}[${i}]`);
  const normOf = (k: string) =>
    !keyed ? '0' : floatKeys ? `(${plan.keys.map((kk, i) => norm(k, i, kk.type)).join(', ')}${plan.keys.length === 1 ? ',' : ''})` : k;

  const combineWith = (v: AggregationPlan['values'][number], acc: string, x: string, type: FieldType): string => {
    const name = v.fn.name;
    const boolIn = type === 'BooleanType';
    if (name === 'sum') return boolIn ? `${acc} = ${acc} + (1 if ${x} else 0)` : `${acc} = ${acc} + ${x}`;
    if (name === 'mul') return boolIn ? `${acc} = ${acc} * (1 if ${x} else 0)` : `${acc} = ${acc} * ${x}`;
    if (name === 'max') return `if ${acc} < ${x}:\n        ${acc} = ${x}`;
    if (name === 'min') return `if ${acc} > ${x}:\n        ${acc} = ${x}`;
    if (!twins?.aggregates.has(name)) throw new EngineError('OperationNotSupportedError', `aggregate function '${name}' has no Python twin`);
    return `${acc} = call_twin(A_${name}, ${pyStringLiteral(name)}, ${pyStringLiteral(v.type)}, ${acc}, ${x})`;
  };
  const init = (v: AggregationPlan['values'][number]): string => {
    const x = `o[${v.position}]`;
    if ((v.fn.name === 'sum' || v.fn.name === 'mul') && v.input === 'BooleanType') return `(1 if ${x} else 0)`;
    if (BUILTIN_AGGREGATE_NAMES.has(v.fn.name) || v.type === v.input) return x;
    return `norm_result(${x}, ${pyStringLiteral(v.type)}, ${pyStringLiteral(v.fn.name)})`;
  };
  let code = 'def norm_key(k):\n';
  code += keyed ? `    return ${floatKeys ? normOf('k') : 'k'}\n` : '    return 0\n';
  code += `\n\ndef group_add(groups, o, seq):\n    k = ${keyTuple}\n    nk = ${keyed ? (floatKeys ? normOf('k') : 'k') : '0'}\n    g = groups.get(nk)\n`;
  code += `    if g is None:\n        groups[nk] = [seq, k${plan.values.map((v) => ', ' + init(v)).join('')}]\n        return\n`;
  plan.values.forEach((v, j) => {
    code += `    ${combineWith(v, `g[${j + 2}]`, `o[${v.position}]`, v.input)}\n`;
  });
  code += '\n\ndef merge_acc(a, b):\n';
  if (plan.values.length === 0) code += '    return\n';
  plan.values.forEach((v, j) => {
    code += `    ${combineWith(v, `a[${j}]`, `b[${j}]`, v.type)}\n`;
  });
  return code;
}

const BUILTIN_AGGREGATE_NAMES = new Set(['sum', 'mul', 'max', 'min']);
