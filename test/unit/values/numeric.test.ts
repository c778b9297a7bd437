// Exact integer arithmetic (docs/semantics.md#exact-integers), Python division/modulo semantics (docs/semantics.md#language), and the input converters (docs/semantics.md#row-parsing, docs/semantics.md#boolean-cells).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RowError } from '../../../engine/core/errors.js';
import {
  doubleToInt,
  ffloordiv,
  fmod,
  iadd,
  ifloordiv,
  imod,
  imul,
  isub,
  itruediv,
  normBig,
  parseBoolText,
  parseFloatBytes,
  parseFloatRange,
  parseFloatText,
  parseIntBytes,
  parseIntText,
  stringBytes,
  stringInterner,
  toDoubleChecked,
  truediv,
  truthy,
} from '../../../engine/values/numeric.js';

const big = (v: number | bigint) => BigInt(v);

describe('exact integers (D-39)', () => {
  it('stay numbers while safe and switch to bigint beyond 2^53', () => {
    expect(iadd(Number.MAX_SAFE_INTEGER, 1)).toBe(2n ** 53n);
    expect(iadd(2n ** 53n, -1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(imul(2 ** 40, 2 ** 40)).toBe(2n ** 80n);
    expect(isub(-Number.MAX_SAFE_INTEGER, 2)).toBe(-(2n ** 53n) - 1n);
    expect(normBig(5n)).toBe(5);
    expect(imul(-3, 0)).toBe(0);
    expect(Object.is(imul(-3, 0), -0)).toBe(false);
  });
  it('booleans count as 0/1', () => {
    expect(iadd(true, 2)).toBe(3);
    expect(iadd(true, true)).toBe(2);
    expect(imul(false, 7)).toBe(0);
  });
  it('agree with bigint arithmetic on any integers (property)', () => {
    const int = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(normBig));
    fc.assert(
      fc.property(int, int, (a, b) => {
        expect(iadd(a, b)).toBe(normBig(big(a) + big(b)));
        expect(isub(a, b)).toBe(normBig(big(a) - big(b)));
        expect(imul(a, b)).toBe(normBig(big(a) * big(b)));
        if (big(b) !== 0n) {
          // Python: a == (a // b) * b + a % b, and a % b has the sign of b
          const q = big(ifloordiv(a, b));
          const r = big(imod(a, b));
          expect(q * big(b) + r).toBe(big(a));
          expect(r === 0n || r < 0n === big(b) < 0n).toBe(true);
          expect(r < 0n ? -r : r).toBeLessThan(big(b) < 0n ? -big(b) : big(b));
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('Python modulo and division (5.6)', () => {
  it('odd/mod is floored modulo: the sign of the divisor', () => {
    expect(imod(-7, 2)).toBe(1);
    expect(imod(7, -2)).toBe(-1);
    expect(imod(7, 2)).toBe(1);
    expect(imod(-7, -2)).toBe(-1);
    expect(fmod(-7.5, 2)).toBe(0.5);
    expect(fmod(7.5, -2)).toBe(-0.5);
    expect(Object.is(fmod(4, -2), -0)).toBe(true);
    expect(imod(-(2n ** 70n) - 1n, 2)).toBe(1);
  });
  it('floor division rounds toward −∞', () => {
    expect(ifloordiv(-7, 2)).toBe(-4);
    expect(ifloordiv(7, 2)).toBe(3);
    expect(ifloordiv(7, -2)).toBe(-4);
    expect(ffloordiv(-7, 2)).toBe(-4);
    expect(ffloordiv(7.5, 2)).toBe(3);
    expect(ifloordiv(-(2n ** 64n), 3)).toBe(-6148914691236517206n);
  });
  it('true division is always a double', () => {
    expect(truediv(7, 2)).toBe(3.5);
    expect(truediv(-7, 2)).toBe(-3.5);
    expect(truediv(true, 4)).toBe(0.25);
    expect(truediv(2n ** 60n, 2)).toBe(2 ** 59);
  });
  it('division by zero is a row error, never a silent inf/NaN', () => {
    for (const f of [
      () => imod(1, 0),
      () => fmod(1, 0),
      () => ifloordiv(1, 0),
      () => ffloordiv(1, 0),
      () => truediv(1, 0),
      () => truediv(1, false),
      () => imod(2n ** 60n, 0n),
    ]) {
      expect(f).toThrowError(RowError);
      try {
        f();
      } catch (e) {
        expect((e as RowError).reason).toBe('division by zero');
      }
    }
  });
});

describe('non-finite doubles and huge integers behave as in Python', () => {
  it('floor division and modulo of inf/NaN give nan (a NaN remainder is non-zero, as in C)', () => {
    expect(ffloordiv(Infinity, 1)).toBeNaN(); // float('inf') // 1
    expect(ffloordiv(-Infinity, 3)).toBeNaN();
    expect(ffloordiv(NaN, 2)).toBeNaN();
    expect(fmod(Infinity, 2)).toBeNaN(); // float('inf') % 2
    expect(fmod(NaN, 2)).toBeNaN();
    // finite operands are unchanged: 5.0 // inf == 0.0, -5.0 // inf == -1.0, -5.0 % inf == inf
    expect(ffloordiv(5, Infinity)).toBe(0);
    expect(ffloordiv(-5, Infinity)).toBe(-1);
    expect(fmod(-5, Infinity)).toBe(Infinity);
  });
  it('an integer too large for a double is an OverflowError row error, not inf', () => {
    const huge = 10n ** 120_000n;
    for (const f of [() => toDoubleChecked(huge), () => toDoubleChecked(-huge), () => truediv(huge, 2), () => truediv(1.5, huge), () => itruediv(huge, 3)]) {
      expect(f).toThrowError(RowError);
      try {
        f();
      } catch (e) {
        expect((e as RowError).reason).toBe('overflow');
        expect((e as RowError).message).toMatch(/OverflowError: (int too large to convert to float|integer division result too large for a float)/);
      }
    }
    expect(toDoubleChecked(2n ** 1023n)).toBe(2 ** 1023);
  });
  it('int / int is the correctly rounded quotient at any size (values from CPython 3)', () => {
    expect(itruediv(10n ** 400n, 10n ** 399n)).toBe(10);
    expect(itruediv(10n ** 400n, 7n * 10n ** 380n)).toBe(1.4285714285714287e19);
    expect(itruediv(2n ** 1100n + 1n, 3n * 2n ** 2100n)).toBe(3.110878728344063e-302);
    expect(itruediv(3n, 2n ** 1076n)).toBe(5e-324); // subnormal, rounded once
    expect(itruediv(1n, 3n * 2n ** 1074n)).toBe(0);
    expect(Object.is(itruediv(-(10n ** 40n), 10n ** 700n), -0)).toBe(true);
    expect(itruediv(-7, 2)).toBe(-3.5);
    expect(() => itruediv(2n ** 70n, 0)).toThrowError(/division by zero/);
  });
  it('int / int agrees with double division wherever both operands are exact doubles', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.bigInt({ min: 1n, max: 2n ** 60n }), fc.integer({ min: 0, max: 900 }), (a, b, k) => {
        // scaling both sides by 2^k changes nothing; with exact doubles the quotient is IEEE's
        const scale = 2n ** BigInt(k);
        const q = itruediv(a * scale, b * scale);
        expect(q).toBe(itruediv(a, b));
        if (Number(a) === Number(a) && BigInt(Number(a)) === a && BigInt(Number(b)) === b) expect(q).toBe(Number(a) / Number(b));
      }),
    );
  });
});

describe('casts (5.6 long/int, D-38)', () => {
  it('truncate toward zero', () => {
    expect(doubleToInt(7.9)).toBe(7);
    expect(doubleToInt(-7.9)).toBe(-7);
    expect(doubleToInt(-2.7)).toBe(-2);
    expect(doubleToInt(-0.5)).toBe(0);
    expect(Object.is(doubleToInt(-0.5), -0)).toBe(false);
    expect(doubleToInt(1e20)).toBe(100000000000000000000n);
  });
  it('NaN and ±inf are row errors', () => {
    expect(() => doubleToInt(NaN)).toThrowError(/cannot convert float NaN to integer/);
    expect(() => doubleToInt(Infinity)).toThrowError(/cannot convert float infinity to integer/);
    expect(() => doubleToInt(-Infinity)).toThrowError(RowError);
  });
  it('truthiness is Python\'s (NaN is truthy, 0/0.0/"" are falsy)', () => {
    expect(truthy(0)).toBe(false);
    expect(truthy(-0)).toBe(false);
    expect(truthy('')).toBe(false);
    expect(truthy(NaN)).toBe(true);
    expect(truthy('False')).toBe(true);
    expect(truthy(0n)).toBe(false);
    expect(truthy(3n)).toBe(true);
  });
});

describe('input converters (Section 4, D-11)', () => {
  it('integers: Python int(text)', () => {
    expect(parseIntText('42')).toBe(42);
    expect(parseIntText(' 5 ')).toBe(5);
    expect(parseIntText('+2')).toBe(2);
    expect(parseIntText('-0')).toBe(0);
    expect(parseIntText('123456789012345678901234567890')).toBe(123456789012345678901234567890n);
    expect(parseIntText('9007199254740993')).toBe(9007199254740993n);
    expect(parseIntText('-9007199254740991')).toBe(-9007199254740991);
    for (const bad of ['1.0', '', ' ', 'x', '+', '-', '1e3', '0x1F', '1 2']) expect(parseIntText(bad)).toBeUndefined();
  });
  it('integers: a slice of a line', () => {
    expect(parseIntText('a,17,b', 2, 4)).toBe(17);
  });
  it('floats: Python float(text)', () => {
    expect(parseFloatText('2.5')).toBe(2.5);
    expect(parseFloatText('1e3')).toBe(1000);
    expect(parseFloatText('1e400')).toBe(Infinity);
    expect(Object.is(parseFloatText('-0'), -0)).toBe(true);
    expect(parseFloatText(' 7 ')).toBe(7);
    expect(parseFloatText('.5')).toBe(0.5);
    expect(parseFloatText('5.')).toBe(5);
    expect(parseFloatText('inf')).toBe(Infinity);
    expect(parseFloatText('-Infinity')).toBe(-Infinity);
    expect(parseFloatText('NaN')).toBeNaN();
    for (const bad of ['', '  ', 'x', '0x10', '0b1', '0o7', '1e', '1.2.3']) expect(parseFloatText(bad)).toBeUndefined();
  });
  it('booleans: true/false/1/0/yes/no case-insensitively, anything else is malformed (D-11)', () => {
    for (const t of ['true', 'True', 'TRUE', '1', 'yes', 'Yes', ' true ']) expect(parseBoolText(t)).toBe(true);
    for (const f of ['false', 'False', '0', 'no', 'NO']) expect(parseBoolText(f)).toBe(false);
    for (const bad of ['', 'x', '2', 't', 'nope']) expect(parseBoolText(bad)).toBeUndefined();
  });
});

describe('fast converters give exactly what the general ones give', () => {
  const enc = new TextEncoder();
  const sameFloat = (text: string) => {
    const want = parseFloatText(text);
    const line = `x,${text},y`;
    const got = parseFloatRange(line, 2, 2 + text.length);
    const b = enc.encode(line);
    const gotB = parseFloatBytes(b, 2, b.length - 2);
    expect(got === undefined ? 'undefined' : Object.is(got, want) ? 'same' : got).toBe(want === undefined ? 'undefined' : 'same');
    expect(gotB === undefined ? 'undefined' : Object.is(gotB, want) ? 'same' : gotB).toBe(want === undefined ? 'undefined' : 'same');
  };
  it('decimal mantissas at the edge of 2^53 are correctly rounded', () => {
    expect(parseFloatText('900719925474099.7')).toBe(900719925474099.75);
    expect(parseFloatRange('900719925474099.7', 0, 17)).toBe(900719925474099.75);
    for (const t of ['900719925474099.7', '9007199254740993', '90071992547409.97', '-900719925474099.3', '0.9007199254740993', '9007199254740.9999'])
      sameFloat(t);
  });
  it('any decimal text (property)', () => {
    const decimal = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        fc.stringMatching(/^[0-9]{0,20}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,24}$/)),
        fc.constantFrom('', '', '', 'e5', 'E-3', ' ', 'x'),
      )
      .map(([sign, i, f, tail]) => sign + i + (f === null ? '' : '.' + f) + tail);
    fc.assert(fc.property(fc.oneof(decimal, fc.constantFrom('9007199254740993', '900719925474099.7', '-0', '.5', '5.', 'inf', 'nan', '')), sameFloat), {
      numRuns: 500,
    });
  });
  it('integers and strings from bytes', () => {
    const b = enc.encode('12,-7,+3,x1,9007199254740993,héllo,abc');
    expect(parseIntBytes(b, 0, 2)).toBe(12);
    expect(parseIntBytes(b, 3, 5)).toBe(-7);
    expect(parseIntBytes(b, 6, 8)).toBe(3);
    expect(parseIntBytes(b, 9, 11)).toBeUndefined();
    expect(parseIntBytes(b, 12, 28)).toBe(9007199254740993n);
    expect(stringBytes(b, 29, 35)).toBe('héllo');
    expect(stringBytes(b, 36, 39)).toBe('abc');
    const long = enc.encode('a'.repeat(40));
    expect(stringBytes(long, 0, 40)).toBe('a'.repeat(40));
  });
});

describe('stringInterner', () => {
  const hashOf = (bytes: Uint8Array) => {
    let h = 0;
    let high = 0;
    for (const c of bytes) {
      h = (Math.imul(h, 31) + c) | 0;
      high |= c;
    }
    return { h, high };
  };
  const read = (interner: ReturnType<typeof stringInterner>, text: string) => {
    const bytes = Buffer.from(`,${text},`, 'utf8');
    const { h, high } = hashOf(bytes.subarray(1, bytes.length - 1));
    return interner.hashed(bytes, 1, bytes.length - 1, h, high);
  };

  it('gives back the text of the bytes, whatever shares or takes its slot', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('seal.t1', 'seal.t2', 'gear', ''), fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 8 })), {
          maxLength: 200,
        }),
        (texts) => {
          // two slots: almost every string collides with another
          const interner = stringInterner(1);
          for (const text of texts) expect(read(interner, text)).toBe(text);
        },
      ),
    );
  });
});
