// docs/semantics.md#python-rendering: Python value rendering (repr/str of floats, ints, booleans, None, strings, tuples).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pyFloat, pyRepr, pyReprAny, pyStr, pyStrRepr, pyTuple } from '../../../engine/values/python.js';

describe('pyFloat (Python float repr, Section 8)', () => {
  it.each([
    [200, '200.0'],
    [120001, '120001.0'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [0.0001, '0.0001'],
    [1.5e-5, '1.5e-05'],
    [1e-5, '1e-05'],
    [123456789012345678, '1.2345678901234568e+17'],
    [1.5e300, '1.5e+300'],
    [-0, '-0.0'],
    [0, '0.0'],
    [2.5, '2.5'],
    [-13.5, '-13.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1e+21'],
    [1e-7, '1e-07'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [9999999999999998, '9999999999999998.0'],
    [-1234.5678, '-1234.5678'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ])('%s → %s', (x, want) => {
    expect(pyFloat(x)).toBe(want);
  });

  it('round-trips: parsing the rendering gives the same double (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true }), fc.double({ min: 1e-4, max: 1e16, noNaN: true })), (x) => {
        const s = pyFloat(x);
        const back = Number(s.replace(/^(-?)inf$/, '$1Infinity'));
        expect(Object.is(back, x)).toBe(true);
        // positional for 1e-4 <= |x| < 1e16, with a mandatory fraction part; otherwise a signed 2+ digit exponent
        if (Number.isFinite(x) && x !== 0) {
          const a = Math.abs(x);
          // the same shortest digits as the exponent form (toExponential), leading and trailing zeros aside
          const digits = (t: string) => t.replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
          expect(digits(s)).toBe(digits(x.toExponential()));
          if (a >= 1e-4 && a < 1e16) expect(s).toMatch(/^-?\d+\.\d+$/);
          else expect(s).toMatch(/^-?\d(\.\d+)?e[+-]\d{2,3}$/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('pyRepr / pyStr', () => {
  it('integers are plain decimal at any size; the column type decides int vs float', () => {
    expect(pyRepr(42, 'LongType')).toBe('42');
    expect(pyRepr(-7, 'IntegerType')).toBe('-7');
    expect(pyRepr(42, 'DoubleType')).toBe('42.0');
    expect(pyRepr(42, 'FloatType')).toBe('42.0');
    expect(pyRepr(2n ** 80n, 'LongType')).toBe('1208925819614629174706176');
    expect(pyRepr(-(2n ** 64n), 'LongType')).toBe('-18446744073709551616');
  });
  it('booleans and None', () => {
    expect(pyRepr(true, 'BooleanType')).toBe('True');
    expect(pyRepr(false, 'BooleanType')).toBe('False');
    expect(pyRepr(null, undefined)).toBe('None');
    expect(pyStr(true, 'BooleanType')).toBe('True');
  });
  it('str() of a string is unquoted, repr() is quoted', () => {
    expect(pyStr('abc', 'StringType')).toBe('abc');
    expect(pyRepr('abc', 'StringType')).toBe("'abc'");
    expect(pyStr(1.5, 'DoubleType')).toBe('1.5');
    expect(pyStr(1e16, 'DoubleType')).toBe('1e+16');
  });
});

describe('pyStrRepr (Python string repr)', () => {
  it.each([
    ['abc', "'abc'"],
    ["it's", `"it's"`],
    [`say "hi"`, `'say "hi"'`],
    [`it's "x"`, `'it\\'s "x"'`],
    ['a\\b', "'a\\\\b'"],
    ['l1\nl2\r\tx', "'l1\\nl2\\r\\tx'"],
    ['\x00\x1f\x7f', "'\\x00\\x1f\\x7f'"],
    ['é ü ß 日本', "'é ü ß 日本'"],
    ['\xa0', "'\\xa0'"],
    ['\u200b', "'\\u200b'"],
    ['😀', "'😀'"],
    ['', "''"],
    [' x ', "' x '"],
  ])('%j → %s', (s, want) => {
    expect(pyStrRepr(s)).toBe(want);
  });
});

describe('pyTuple', () => {
  it('one element gets a trailing comma, empty is ()', () => {
    expect(pyTuple([13], ['LongType'])).toBe('(13,)');
    expect(pyTuple(['192.168.30.2'], ['StringType'])).toBe("('192.168.30.2',)");
    expect(pyTuple([], [])).toBe('()');
  });
  it('elements use repr with ", " separators', () => {
    expect(pyTuple([7, 0, 5], ['LongType', 'LongType', 'LongType'])).toBe('(7, 0, 5)');
    expect(pyTuple([5, 'seal.t1'], ['LongType', 'StringType'])).toBe("(5, 'seal.t1')");
    expect(pyTuple([1.5, true, "it's"], ['DoubleType', 'BooleanType', 'StringType'])).toBe(`(1.5, True, "it's")`);
  });
  it('pyReprAny renders lists and dicts of JSON-like values', () => {
    expect(pyReprAny({ a: [1, 'x', true, null] })).toBe("{'a': [1, 'x', True, None]}");
  });
});
