// The language (docs/semantics.md#language): every built-in transformation function (value and declared type), with
// the fixed behaviours (literals-are-values, declared-types, config-lookups, truncate, casts, comparisons, argument-types
// in docs/semantics.md), and the validation errors.
import { describe, expect, it } from 'vitest';
import { type EngineError, RowError } from '../../../engine/core/errors.js';
import { BUILTINS } from '../../../engine/expr/functions.js';
import { compileTransformations } from '../../../engine/expr/compile.js';
import { configLookupFor } from '../../../engine/pipeline/plan.js';
import { parseJsonWithLocations } from '../../../engine/options/json.js';
import { pyRepr } from '../../../engine/values/python.js';
import { evalExpr, fieldsOf, FLOW_SPEC, MIXED_SPEC } from '../helpers.js';

// ii, dd, ff, bo, ss, s, x, packet_size, neg
const ROW = '3,1.5,2.5,true,foo,s,5,74,-7';

/** `<repr>\t<Type>` like `ts-engine eval` prints it. */
function ev(body: string, row = ROW): string {
  const { value, type } = evalExpr(body, MIXED_SPEC, row);
  return `${pyRepr(value, type)}\t${type}`;
}

function compileError(body: string, spec = MIXED_SPEC): EngineError {
  const r = compileTransformations([`v: ${body}`], fieldsOf(spec));
  expect(r.errors, `expected ${body} to fail validation`).toHaveLength(1);
  return r.errors[0]!.error;
}

function rowError(body: string, row = ROW): RowError {
  try {
    evalExpr(body, MIXED_SPEC, row);
  } catch (e) {
    expect(e).toBeInstanceOf(RowError);
    return e as RowError;
  }
  throw new Error(`expected ${body} to fail on the row`);
}

describe('every built-in has a test here', () => {
  it('the catalogue is the one of 5.6 plus floordiv/mod (D-08)', () => {
    expect(BUILTINS.map((f) => f.name).sort()).toEqual(
      [
        '_',
        'add',
        'and',
        'boolean',
        'concat',
        'config',
        'double',
        'eq',
        'float',
        'floordiv',
        'ge',
        'gt',
        'id',
        'int',
        'le',
        'long',
        'lt',
        'mathdiv',
        'mod',
        'mul',
        'neq',
        'not',
        'odd',
        'one',
        'or',
        'pydiv',
        'sub',
        'truncate',
      ].sort(),
    );
  });
});

describe('arithmetic: add, sub, mul (5.6)', () => {
  it('add', () => {
    expect(ev('add(1, 2)')).toBe('3\tLongType');
    expect(ev('add(-13.5, 2)')).toBe('-11.5\tFloatType');
    expect(ev('add(ii, dd)')).toBe('4.5\tDoubleType');
    expect(ev('add(x, ii)')).toBe('8\tLongType');
    expect(ev('add(x, 1.0)')).toBe('6.0\tFloatType');
    expect(ev('add(ff, dd)')).toBe('4.0\tDoubleType');
  });
  it('booleans count as 0/1; two booleans give IntegerType (D-08)', () => {
    expect(ev('add(True, 2)')).toBe('3\tLongType');
    expect(ev('add(True, True)')).toBe('2\tIntegerType');
    expect(ev('add(bo, bo)')).toBe('2\tIntegerType');
    expect(ev('sub(False, True)')).toBe('-1\tIntegerType');
  });
  it('sub', () => {
    expect(ev('sub(ii, 10)')).toBe('-7\tLongType');
    expect(ev('sub(dd, 0.5)')).toBe('1.0\tDoubleType');
  });
  it('mul: exact integers beyond 2^53 (D-39)', () => {
    expect(ev('mul(packet_size, ii)')).toBe('222\tLongType');
    expect(ev('mul(1099511627776, 1099511627776)')).toBe('1208925819614629174706176\tLongType');
    expect(ev('mul(9007199254740993, 1)')).toBe('9007199254740993\tLongType');
    expect(ev('add(9007199254740992, 1)')).toBe('9007199254740993\tLongType');
    expect(ev('mul(dd, 2)')).toBe('3.0\tDoubleType');
  });
  it('numeric promotion rejects strings: StringType is not in list', () => {
    const e = compileError('mul(ss, packet_size)');
    expect(e.errorClass).toBe('IncorrectArgumentTypeForOperationError');
    expect(e.message).toContain('StringType is not in list');
    expect(compileError("add(1, 'a')").message).toContain('StringType is not in list');
  });
});

describe('odd / mod: floored modulo (5.6, D-08)', () => {
  it.each([
    ['odd(-7, 2)', '1\tLongType'],
    ['odd(7, -2)', '-1\tLongType'],
    ['odd(-7.5, 2)', '0.5\tFloatType'],
    ['odd(neg, 2)', '1\tLongType'],
    ['mod(-7, 2)', '1\tLongType'],
    ['mod(7, -2)', '-1\tLongType'],
    ['mod(dd, 1)', '0.5\tDoubleType'],
  ])('%s → %s', (body, want) => {
    expect(ev(body)).toBe(want);
  });
  it('b = 0 is a row error (D-09)', () => {
    expect(rowError('odd(7, 0)').reason).toBe('division by zero');
    expect(rowError('mod(dd, 0.0)').reason).toBe('division by zero');
  });
});

describe('pydiv, floordiv, mathdiv (5.6, D-08, D-43)', () => {
  it('pydiv is true division declared DoubleType (D-08)', () => {
    expect(ev('pydiv(7, 2)')).toBe('3.5\tDoubleType');
    expect(ev('pydiv(-7, 2)')).toBe('-3.5\tDoubleType');
    expect(ev('pydiv(6, 3)')).toBe('2.0\tDoubleType');
    expect(ev('pydiv(True, 4)')).toBe('0.25\tDoubleType');
  });
  it('floordiv floors toward −∞, integer for integer arguments', () => {
    expect(ev('floordiv(-7, 2)')).toBe('-4\tLongType');
    expect(ev('floordiv(7, 2)')).toBe('3\tLongType');
    expect(ev('floordiv(-7.0, 2)')).toBe('-4.0\tFloatType');
    expect(ev('floordiv(x, 2)')).toBe('2\tLongType');
  });
  it('mathdiv is always a double and requires numeric arguments (D-43)', () => {
    expect(ev('mathdiv(7, 2)')).toBe('3.5\tDoubleType');
    expect(ev('mathdiv(ii, 3)')).toBe('1.0\tDoubleType');
    const e = compileError("mathdiv('a', 2)");
    expect(e.errorClass).toBe('IncorrectArgumentTypeForOperationError');
  });
  it('division by zero is a row error', () => {
    expect(rowError('pydiv(1, 0)').reason).toBe('division by zero');
    expect(rowError('floordiv(ii, 0)').reason).toBe('division by zero');
    expect(rowError('mathdiv(1, 0.0)').reason).toBe('division by zero');
  });
});

describe('floats of huge integers and non-finite floats follow Python', () => {
  // ii is a 120 000-digit integer on this row
  const HUGE_ROW = ROW.replace(/^3,/, `1${'0'.repeat(119_999)},`);
  it('floordiv(mul(1E+308, 10), 1) is nan (inf // 1 in Python), not 0.0', () => {
    expect(ev('floordiv(mul(1E+308, 10), 1)')).toBe('nan\tFloatType');
    expect(ev('mod(mul(1E+308, 10), 2)')).toBe('nan\tFloatType');
  });
  it('pydiv, mathdiv, double, float and mixed arithmetic of a too-large integer are OverflowError row errors', () => {
    for (const body of ['pydiv(ii, 3)', 'pydiv(ii, 2.5)', 'mathdiv(ii, 3)', 'mathdiv(1, ii)', 'double(ii)', 'float(ii)', 'add(ii, 0.5)', 'floordiv(ii, 2.0)']) {
      const e = rowError(body, HUGE_ROW);
      expect(e.reason, body).toBe('overflow');
      expect(e.message, body).toMatch(/OverflowError/);
    }
  });
  it('integer-only operations and comparisons of huge integers stay exact', () => {
    expect(ev('pydiv(ii, ii)', HUGE_ROW)).toBe('1.0\tDoubleType'); // int / int is exact in Python
    expect(ev('gt(ii, 1E+308)', HUGE_ROW)).toBe('True\tBooleanType');
    expect(ev('eq(ii, ii)', HUGE_ROW)).toBe('True\tBooleanType');
    expect(ev('floordiv(ii, ii)', HUGE_ROW)).toBe('1\tLongType');
  });
});

describe('comparisons: lt, le, gt, ge, eq, neq (5.6, D-42)', () => {
  it('numbers compare numerically across int/float/bool', () => {
    expect(ev('lt(ii, 3.5)')).toBe('True\tBooleanType');
    expect(ev('le(3, ii)')).toBe('True\tBooleanType');
    expect(ev('gt(dd, ff)')).toBe('False\tBooleanType');
    expect(ev('ge(bo, 1)')).toBe('True\tBooleanType');
    expect(ev('lt(9007199254740992, 9007199254740993)')).toBe('True\tBooleanType');
  });
  it('strings compare lexicographically by code point', () => {
    expect(ev("lt(ss, 'zzz')")).toBe('True\tBooleanType');
    expect(ev("gt('b', 'abc')")).toBe('True\tBooleanType');
    expect(ev("le('', '')")).toBe('True\tBooleanType');
    // U+FFFF < U+1F600 by code point, although UTF-16 code units compare the other way
    expect(ev("lt('\uffff', '\u{1F600}')")).toBe('True\tBooleanType');
    expect(ev("gt('\u{1F600}', '\uffff')")).toBe('True\tBooleanType');
    expect(ev("ge('\uffff', '\u{1F600}')")).toBe('False\tBooleanType');
  });
  it('NaN compares false', () => {
    expect(ev("lt(float('nan'), 1)")).toBe('False\tBooleanType');
    expect(ev("ge(float('nan'), 1)")).toBe('False\tBooleanType');
    expect(ev("eq(float('nan'), float('nan'))")).toBe('False\tBooleanType');
  });
  it('eq/neq: 1 == 1.0 == True', () => {
    expect(ev('eq(1, 1.0)')).toBe('True\tBooleanType');
    expect(ev('eq(True, 1)')).toBe('True\tBooleanType');
    expect(ev('eq(2, True)')).toBe('False\tBooleanType');
    expect(ev('neq(ii, 3)')).toBe('False\tBooleanType');
    expect(ev('eq(9007199254740993, 9007199254740992.0)')).toBe('False\tBooleanType');
  });
  it("string literals are plain values: eq(ss, 'foo') is true when ss is foo (D-06)", () => {
    expect(ev("eq(ss, 'foo')")).toBe('True\tBooleanType');
    expect(ev("neq(ss, 'foo')")).toBe('False\tBooleanType');
    expect(ev('eq(ss, "foo")')).toBe('True\tBooleanType');
  });
  it('string vs number is a validation error, for ordering and equality (D-42)', () => {
    for (const body of ['lt(ss, 1)', 'gt(1, ss)', 'le(ss, dd)', 'ge(bo, ss)', 'eq(ss, 1)', "neq(1, 'x')"]) {
      const e = compileError(body);
      expect(e.errorClass).toBe('IncorrectArgumentTypeForOperationError');
      expect(e.message).toContain('StringType');
    }
  });
});

describe('and, or, not (5.6, D-08)', () => {
  it('and/or return real booleans', () => {
    expect(ev('and(7, 2)')).toBe('True\tBooleanType');
    expect(ev('or(7, 2)')).toBe('True\tBooleanType');
    expect(ev('or(0, 2)')).toBe('True\tBooleanType');
    expect(ev('and(-7, 0)')).toBe('False\tBooleanType');
    expect(ev('or(0, 0.0)')).toBe('False\tBooleanType');
    expect(ev('and(bo, True)')).toBe('True\tBooleanType');
  });
  it('both arguments are evaluated (no short-circuit): a failing second operand is a row error', () => {
    expect(rowError('and(False, pydiv(1, 0))').reason).toBe('division by zero');
    expect(rowError('or(True, pydiv(1, 0))').reason).toBe('division by zero');
  });
  it('string operands are a validation error', () => {
    expect(compileError("or(False, 'abc')").errorClass).toBe('IncorrectArgumentTypeForOperationError');
    expect(compileError('and(ss, True)').errorClass).toBe('IncorrectArgumentTypeForOperationError');
  });
  it('not uses Python truthiness', () => {
    expect(ev('not(0)')).toBe('True\tBooleanType');
    expect(ev('not(0.0)')).toBe('True\tBooleanType');
    expect(ev("not('')")).toBe('True\tBooleanType');
    expect(ev('not(ss)')).toBe('False\tBooleanType');
    expect(ev('not(bo)')).toBe('False\tBooleanType');
    expect(ev("not(float('nan'))")).toBe('False\tBooleanType');
  });
});

describe('concat (5.6, 5.5, D-07)', () => {
  it('reference examples', () => {
    expect(ev("concat('6 - ', packet_size)")).toBe("'6 - 74'\tStringType");
    expect(ev("concat(2E+2, concat('6', packet_size))")).toBe("'200.0674'\tStringType");
    expect(ev('concat(dd, ff)')).toBe("'1.52.5'\tStringType");
    expect(ev('concat(bo, ii)')).toBe("'True3'\tStringType");
  });
  it('floats in Python repr form', () => {
    expect(ev('concat(1e16, 1.5e-05)')).toBe("'1e+161.5e-05'\tStringType");
    expect(ev("concat(float('nan'), float('-inf'))")).toBe("'nan-inf'\tStringType");
    expect(ev("concat('', 1000000000000000.0)")).toBe("'1000000000000000.0'\tStringType");
  });
  it('data is never altered: quotes in field values and literals are kept (D-07)', () => {
    expect(ev("concat(ss, 'x')", "3,1.5,2.5,true,'quoted',s,5,74,-7")).toBe(`"'quoted'x"\tStringType`);
    expect(ev(String.raw`concat('\'q\'', '')`)).toBe(`"'q'"\tStringType`);
  });
  it('exact big integers', () => {
    expect(ev("concat(mul(4294967296, 4294967296), '')")).toBe("'18446744073709551616'\tStringType");
  });
});

describe('truncate (5.6, D-37)', () => {
  it('Python slice semantics', () => {
    expect(ev("truncate('foo', -1)")).toBe("'fo'\tStringType");
    expect(ev("truncate('foo', 2)")).toBe("'fo'\tStringType");
    expect(ev("truncate('foo', 10)")).toBe("'foo'\tStringType");
    expect(ev("truncate('foo', 0)")).toBe("''\tStringType");
    expect(ev("truncate('foo', -5)")).toBe("''\tStringType");
    expect(ev('truncate(ss, x)')).toBe("'foo'\tStringType");
    expect(ev("truncate('😀ab', 1)")).toBe("'😀'\tStringType");
    expect(ev("truncate('ab😀', -1)")).toBe("'ab'\tStringType");
  });
  it('keeps quotes in the data (D-07)', () => {
    expect(ev('truncate(ss, 3)', "3,1.5,2.5,true,'quoted',s,5,74,-7")).toBe(`"'qu"\tStringType`);
  });
  it('argument types', () => {
    let e = compileError('truncate(ii, 5)');
    expect(e.errorClass).toBe('IncorrectArgumentTypeForOperationError');
    expect(e.message).toBe('First argument of Truncate should be a string. Got LongType');
    e = compileError('truncate(ss, s)');
    expect(e.message).toBe('Second argument should be a long or int. Got StringType');
    expect(compileError('truncate(ss, 1.0)').message).toBe('Second argument should be a long or int. Got FloatType');
    expect(compileError('truncate(ss, bo)').message).toBe('Second argument should be a long or int. Got BooleanType');
  });
});

describe('casts: long, int, float, double, boolean (5.6, D-06, D-38, D-43)', () => {
  it('long/int truncate toward zero, booleans 0/1, strings parsed', () => {
    expect(ev('long(7.9)')).toBe('7\tLongType');
    expect(ev('long(-7.9)')).toBe('-7\tLongType');
    expect(ev('long(-2.7)')).toBe('-2\tLongType');
    expect(ev('long(True)')).toBe('1\tLongType');
    expect(ev("long('42')")).toBe('42\tLongType');
    expect(ev("long(' 42 ')")).toBe('42\tLongType');
    expect(ev('int(5)')).toBe('5\tIntegerType');
    expect(ev('int(dd)')).toBe('1\tIntegerType');
    expect(ev('int(1e20)')).toBe('100000000000000000000\tIntegerType');
    expect(ev('int(ss)', '3,1.5,2.5,true,-12,s,5,74,-7')).toBe('-12\tIntegerType');
  });
  it('unparsable text, NaN and ±inf are row errors (D-38)', () => {
    expect(rowError("long('4.2')").message).toContain("invalid literal for int() with base 10: '4.2'");
    expect(rowError("int(float('nan'))").message).toContain('cannot convert float NaN to integer');
    expect(rowError("long(float('inf'))").message).toContain('cannot convert float infinity to integer');
    expect(rowError('long(ss)').reason).toBe('bad cast');
  });
  it('float/double', () => {
    expect(ev('float(2)')).toBe('2.0\tFloatType');
    expect(ev("float('1e3')")).toBe('1000.0\tFloatType');
    expect(ev('float(True)')).toBe('1.0\tFloatType');
    expect(ev('double(ii)')).toBe('3.0\tDoubleType');
    expect(ev("double(' -0 ')")).toBe('-0.0\tDoubleType');
    expect(rowError("double('abc')").message).toContain("could not convert string to float: 'abc'");
  });
  it('boolean is Python truthiness', () => {
    expect(ev('boolean(0)')).toBe('False\tBooleanType');
    expect(ev('boolean(0.0)')).toBe('False\tBooleanType');
    expect(ev("boolean('')")).toBe('False\tBooleanType');
    expect(ev("boolean('False')")).toBe('True\tBooleanType');
    expect(ev('boolean(s)')).toBe('True\tBooleanType');
    expect(ev('boolean(neg)')).toBe('True\tBooleanType');
  });
});

describe('one, id, _ (5.6, D-04, D-08)', () => {
  it('one is always 1 (IntegerType), its argument must still be valid', () => {
    expect(ev('one(x)')).toBe('1\tIntegerType');
    expect(ev('one(ss)')).toBe('1\tIntegerType');
    expect(compileError('one(nope)').errorClass).toBe('FieldNotExists');
  });
  it('id returns its argument with its type (D-08)', () => {
    expect(ev('id(ss)')).toBe("'foo'\tStringType");
    expect(ev('id(dd)')).toBe('1.5\tDoubleType');
    expect(ev('id(bo)')).toBe('True\tBooleanType');
  });
  it('_ wraps a literal', () => {
    expect(ev('_(13)')).toBe('13\tLongType');
    expect(ev("_('x')")).toBe("'x'\tStringType");
  });
});

describe('config() is resolved once at start-up and typed from the JSON value (D-08, D-36)', () => {
  const text = `{"input": {"options": {"port": 29092, "rate": 2.5, "name": "kafka", "on": true, "big": 12345678901234567890, "nothing": null, "list": [1, 2], "obj": {}}}}`;
  const doc = parseJsonWithLocations(text);
  const lookup = configLookupFor(doc, doc.value);
  const cfg = (body: string) => {
    const { value, type } = evalExpr(body, MIXED_SPEC, ROW, lookup);
    return `${pyRepr(value, type)}\t${type}`;
  };
  const cfgError = (body: string) => {
    const r = compileTransformations([`v: ${body}`], fieldsOf(MIXED_SPEC), { configLookup: lookup });
    expect(r.errors).toHaveLength(1);
    return r.errors[0]!.error;
  };
  it('integer → LongType, other numbers → DoubleType, strings, booleans', () => {
    expect(cfg("config('input.options.port')")).toBe('29092\tLongType');
    expect(cfg("config('input.options.rate')")).toBe('2.5\tDoubleType');
    expect(cfg("config('input.options.name')")).toBe("'kafka'\tStringType");
    expect(cfg("config('input.options.on')")).toBe('True\tBooleanType');
    expect(cfg("config('input.options.big')")).toBe('12345678901234567890\tLongType');
  });
  it('reference examples', () => {
    expect(cfg("add(10, int(config('input.options.port')))")).toBe('29102\tLongType');
    expect(cfg("concat('Port - ', concat(3, config('input.options.port')))")).toBe("'Port - 329092'\tStringType");
  });
  it('objects, arrays, null and missing paths are validation errors naming the path', () => {
    expect(cfgError("config('input.options.nothing')").message).toContain("config('input.options.nothing') is null");
    expect(cfgError("config('input.options.list')").message).toContain('is an array');
    expect(cfgError("config('input.options.obj')").message).toContain('is an object');
    expect(cfgError("config('input.options.list.0')").message).toContain("no value at path 'input.options.list.0'");
    const missing = cfgError("config('input.options.nope')");
    expect(missing.errorClass).toBe('ConfigError');
    expect(missing.message).toContain("no value at path 'input.options.nope'");
    expect(cfgError("config('a.b.c')").message).toContain("no value at path 'a.b.c'");
  });
  it('the argument must be a string literal', () => {
    expect(cfgError('config(ss)').errorClass).toBe('IncorrectArgumentTypeForOperationError');
  });
});

describe('validation errors of 5.7', () => {
  it('unknown field: FieldNotExists', () => {
    const e = compileError('add(ii, nope)');
    expect(e.errorClass).toBe('FieldNotExists');
    expect(e.message).toBe("Field with name 'nope' does not exists");
    expect([e.from, e.to]).toEqual([11, 15]); // offsets inside "v: add(ii, nope)"
  });
  it('unknown or wrongly-cased function: OperationNotSupportedError', () => {
    let e = compileError('ADD(ii, 1)');
    expect(e.errorClass).toBe('OperationNotSupportedError');
    expect(e.message).toBe("Operation 'ADD' is not supported.");
    e = compileError('country_of(ss)');
    expect(e.message).toBe("Operation 'country_of' is not supported.");
  });
  it('arity: IncorrectArgumentsAmountForOperationError (D-33)', () => {
    let e = compileError('add(1,2,3)');
    expect(e.errorClass).toBe('IncorrectArgumentsAmountForOperationError');
    expect(e.message).toBe("Operation 'add' expects 2 arguments, got 3.");
    e = compileError('not()');
    expect(e.message).toBe("Operation 'not' expects 1 argument, got 0.");
  });
  it('reference test facts (flow data structure)', () => {
    const flow = fieldsOf(FLOW_SPEC);
    const types = (entries: string[]) => {
      const r = compileTransformations(entries, flow);
      expect(r.errors).toEqual([]);
      return r.transform!.columns.map((c) => c.type);
    };
    const err = (entry: string) => compileTransformations([entry], flow).errors[0]?.error.errorClass;
    expect(types(['src_ip', 'dst_ip', 'packet_size', 'sampling_rate'])).toEqual(['StringType', 'StringType', 'LongType', 'LongType']);
    expect(types(['size: packet_size'])).toEqual(['LongType']);
    expect(types(['a: add(1,2)'])).toEqual(['LongType']);
    expect(err('a: add(1,2,3)')).toBe('IncorrectArgumentsAmountForOperationError');
    expect(err('a: mul(src_ip, packet_size)')).toBe('IncorrectArgumentTypeForOperationError');
    expect(types(['a: mul(packet_size, sampling_rate)', 'b: mul(add(sampling_rate, packet_size), sampling_rate)'])).toEqual(['LongType', 'LongType']);
    expect(types(['a: truncate(src_ip, 5)'])).toEqual(['StringType']);
    expect(err('a: truncate(src_ip, dst_ip)')).toBe('IncorrectArgumentTypeForOperationError');
    expect(types(["a: concat(1, 'x')", 'b: concat(2.5, True)'])).toEqual(['StringType', 'StringType']);
    expect(err('nope')).toBe('FieldNotExists');
  });
  it('the transformation evaluator on its own tolerates duplicate output names (D-19)', () => {
    const r = compileTransformations(["concat: concat('a', 'b')", "concat: concat('c', 'd')"], fieldsOf(FLOW_SPEC));
    expect(r.errors).toEqual([]);
    const o: unknown[] = [null, null];
    r.transform!.run([], o as never);
    expect(o).toEqual(['ab', 'cd']);
  });
  it('all errors of a transformation list are reported, each with its entry index', () => {
    const r = compileTransformations(['ok: add(1,2)', 'a: nope', 'b: ADD(1,2)', 'c: add(1,)'], fieldsOf(FLOW_SPEC));
    expect(r.errors.map((e) => [e.index, e.error.errorClass])).toEqual([
      [1, 'FieldNotExists'],
      [2, 'OperationNotSupportedError'],
      [3, 'IncorrectExpression'],
    ]);
  });
  it('literal bodies (5.3): the constant on every row', () => {
    const r = compileTransformations(['dst_ip: 13', 'a: +13', 'b: -13', 'c: -13.5', "d: '-13.5'", 'e: True'], fieldsOf(FLOW_SPEC));
    const o: unknown[] = new Array(6).fill(null);
    r.transform!.run([], o as never);
    expect(o).toEqual([13, 13, -13, -13.5, '-13.5', true]);
    expect(r.transform!.columns.map((c) => c.type)).toEqual(['LongType', 'LongType', 'LongType', 'FloatType', 'StringType', 'BooleanType']);
  });
});
