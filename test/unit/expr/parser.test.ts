// Sections 5.1–5.3 and docs/semantics.md#tokenizer…docs/semantics.md#tokenizer, docs/semantics.md#tokenizer: entry forms, expression grammar, literals, positioned syntax errors.
// Property tests: print → parse round trip; random garbage never crashes and always yields a positioned error.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EngineError } from '../../../engine/core/errors.js';
import type { Expr, TransformEntry } from '../../../engine/expr/ast.js';
import { parseBody, parseEntry } from '../../../engine/expr/parser.js';
import { printEntry, printExpr } from '../../../engine/expr/printer.js';
import { tokenize } from '../../../engine/expr/tokenizer.js';
import { compileTransformations } from '../../../engine/expr/compile.js';
import { normBig } from '../../../engine/values/numeric.js';
import { fieldsOf, MIXED_SPEC } from '../helpers.js';

/** The AST without source offsets. */
function shape(e: Expr): unknown {
  switch (e.kind) {
    case 'field':
      return { field: e.name };
    case 'literal':
      return { literal: e.type, value: e.value };
    case 'call':
      return { call: e.name, args: e.args.map(shape) };
  }
}

function syntaxError(f: () => unknown): EngineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('expected an error');
}

describe('entry forms (5.1)', () => {
  it('plain field', () => {
    const e = parseEntry('  sensor_id ');
    expect(e.form).toBe('field');
    expect(e.name).toBe('sensor_id');
    expect(shape(e.body)).toEqual({ field: 'sensor_id' });
    expect(e.nameSpan).toEqual({ from: 2, to: 11 });
  });
  it('rename', () => {
    const e = parseEntry('rpm_max: rotation_speed');
    expect(e.form).toBe('rename');
    expect(e.name).toBe('rpm_max');
    expect(shape(e.body)).toEqual({ field: 'rotation_speed' });
  });
  it('constant', () => {
    expect(parseEntry('traffic: 13').form).toBe('constant');
    expect(parseEntry("label: 'abc'").form).toBe('constant');
    expect(parseEntry('flag: True').form).toBe('constant');
  });
  it('function call', () => {
    const e = parseEntry('traffic: mul(packet_size, sampling_rate)');
    expect(e.form).toBe('call');
    expect(shape(e.body)).toEqual({ call: 'mul', args: [{ field: 'packet_size' }, { field: 'sampling_rate' }] });
  });
  it('whitespace around the colon is allowed', () => {
    expect(shape(parseEntry('x : a').body)).toEqual({ field: 'a' });
    expect(shape(parseEntry('x:add(a,b)').body)).toEqual({ call: 'add', args: [{ field: 'a' }, { field: 'b' }] });
  });
  it('splits at the first colon outside quotes only (D-05)', () => {
    const e = parseEntry("x: concat('a:b', 'c,d')");
    expect(e.name).toBe('x');
    expect(shape(e.body)).toEqual({
      call: 'concat',
      args: [
        { literal: 'StringType', value: 'a:b' },
        { literal: 'StringType', value: 'c,d' },
      ],
    });
    expect(shape(parseEntry("x: 'a:b:c'").body)).toEqual({ literal: 'StringType', value: 'a:b:c' });
  });
  it('quote-aware: parentheses and commas inside string arguments (D-05)', () => {
    expect(shape(parseBody("concat('a,b', ')(')"))).toEqual({
      call: 'concat',
      args: [
        { literal: 'StringType', value: 'a,b' },
        { literal: 'StringType', value: ')(' },
      ],
    });
  });
  it("an empty body is FieldNotExists: Field with name '' does not exists", () => {
    const e = syntaxError(() => parseEntry('x:'));
    expect(e.errorClass).toBe('FieldNotExists');
    expect(e.message).toBe("Field with name '' does not exists");
    expect(e.from).toBe(1);
  });
  it('an expression without an output name is an IncorrectExpression suggesting one', () => {
    const e = syntaxError(() => parseEntry('add(a, b)'));
    expect(e.errorClass).toBe('IncorrectExpression');
    expect(e.message).toContain('add: add(a, b)');
  });
  it('an invalid output name is an IncorrectExpression at the name', () => {
    const e = syntaxError(() => parseEntry('my-col: a'));
    expect(e.errorClass).toBe('IncorrectExpression');
    expect(e.message).toContain("'my-col'");
    expect([e.from, e.to]).toEqual([0, 6]);
    expect(syntaxError(() => parseEntry(' : a')).message).toContain('missing output column name');
  });
});

describe('literals (5.2, 5.3)', () => {
  const lit = (body: string) => shape(parseBody(body));
  it('reference examples', () => {
    expect(lit('13')).toEqual({ literal: 'LongType', value: 13 });
    expect(lit('+13')).toEqual({ literal: 'LongType', value: 13 });
    expect(lit('-13')).toEqual({ literal: 'LongType', value: -13 });
    expect(lit('-13.5')).toEqual({ literal: 'FloatType', value: -13.5 });
    expect(lit("'-13.5'")).toEqual({ literal: 'StringType', value: '-13.5' });
    expect(lit('True')).toEqual({ literal: 'BooleanType', value: true });
    expect(lit('False')).toEqual({ literal: 'BooleanType', value: false });
  });
  it.each([
    ['1.0', 1],
    ['-13.5', -13.5],
    ['4E+8', 4e8],
    ['1.2E+5', 1.2e5],
    ['1.', 1],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['2e-3', 0.002],
    ['1.e5', 1e5],
  ])('float %s is FloatType %d', (src, v) => {
    expect(lit(src)).toEqual({ literal: 'FloatType', value: v });
  });
  it('integers are exact beyond 2^53 (D-39)', () => {
    expect(lit('9007199254740993')).toEqual({ literal: 'LongType', value: 9007199254740993n });
    expect(lit('-123456789012345678901234567890')).toEqual({ literal: 'LongType', value: -123456789012345678901234567890n });
  });
  it('strings in both quote styles with escapes', () => {
    expect(lit('"abc"')).toEqual({ literal: 'StringType', value: 'abc' });
    expect(lit(String.raw`'it\'s'`)).toEqual({ literal: 'StringType', value: "it's" });
    expect(lit(String.raw`"say \"hi\""`)).toEqual({ literal: 'StringType', value: 'say "hi"' });
    expect(lit(String.raw`'a\\b'`)).toEqual({ literal: 'StringType', value: 'a\\b' });
    expect(lit(`"it's"`)).toEqual({ literal: 'StringType', value: "it's" });
    expect(lit("''")).toEqual({ literal: 'StringType', value: '' });
  });
  it('booleans are capitalised as in Python; true/None are field references', () => {
    expect(lit('true')).toEqual({ field: 'true' });
    expect(lit('None')).toEqual({ field: 'None' });
  });
});

describe('call syntax (D-02, D-03, D-04)', () => {
  it('arguments are trimmed (D-02)', () => {
    expect(shape(parseBody('mul(packet_size,   sampling_rate )'))).toEqual({ call: 'mul', args: [{ field: 'packet_size' }, { field: 'sampling_rate' }] });
  });
  it('a nested call after whitespace is a call (D-03)', () => {
    expect(shape(parseBody('add(a, mul(b,c))'))).toEqual({ call: 'add', args: [{ field: 'a' }, { call: 'mul', args: [{ field: 'b' }, { field: 'c' }] }] });
  });
  it('a single one-character argument is kept (D-04)', () => {
    expect(shape(parseBody('boolean(s)'))).toEqual({ call: 'boolean', args: [{ field: 's' }] });
    expect(shape(parseBody('int(5)'))).toEqual({ call: 'int', args: [{ literal: 'LongType', value: 5 }] });
    expect(shape(parseBody('one(x)'))).toEqual({ call: 'one', args: [{ field: 'x' }] });
    expect(shape(parseBody('f()'))).toEqual({ call: 'f', args: [] });
    expect(shape(parseBody('add(1,mul(2,3) )'))).toEqual({
      call: 'add',
      args: [
        { literal: 'LongType', value: 1 },
        {
          call: 'mul',
          args: [
            { literal: 'LongType', value: 2 },
            { literal: 'LongType', value: 3 },
          ],
        },
      ],
    });
  });
  it('a trailing comma is a positioned IncorrectExpression (D-04)', () => {
    const e = syntaxError(() => parseBody('add(a,)'));
    expect(e.errorClass).toBe('IncorrectExpression');
    expect(e.message).toContain("expected an argument after ','");
    expect(e.from).toBe(6);
  });
  it('stray text after a nested call is a positioned IncorrectExpression (D-04)', () => {
    const e = syntaxError(() => parseBody('add(1,mul(2,3) x)'));
    expect(e.errorClass).toBe('IncorrectExpression');
    expect(e.message).toContain("expected ',' or ')' but found 'x'");
    expect(e.from).toBe(15);
  });
  it("unbalanced parentheses: 'Incorrect expression: <o> open brackets and <c> close brackets ' (5.2)", () => {
    const e = syntaxError(() => parseBody('add((1,2)'));
    expect(e.errorClass).toBe('IncorrectExpression');
    expect(e.message).toBe('Incorrect expression: 1 open brackets and 0 close brackets ');
    const f = syntaxError(() => parseBody('add(1,2))'));
    expect(f.errorClass).toBe('IncorrectExpression');
    expect(f.message).toBe('Incorrect expression: 0 open brackets and 1 close brackets ');
    expect(syntaxError(() => parseBody('add(1,2')).message).toMatch(/open brackets and \d+ close brackets/);
  });
  it('brackets inside string literals do not count', () => {
    expect(shape(parseBody("concat('(((', 'x')"))).toEqual({
      call: 'concat',
      args: [
        { literal: 'StringType', value: '(((' },
        { literal: 'StringType', value: 'x' },
      ],
    });
  });
});

describe('Python-only literal forms are IncorrectExpression (D-34)', () => {
  it.each(['0x1F', '0o17', '1_000', '1+2', '[1,2]', "b'x'", '12abc', '1.2.3', '1e', '-', '{}', 'a.b', '$x', 'add(1;2)'])('%s', (src) => {
    const e = syntaxError(() => parseBody(src));
    expect(e.errorClass).toBe('IncorrectExpression');
    expect(e.from).toBeGreaterThanOrEqual(0);
    expect(e.to).toBeGreaterThan(e.from!);
    expect(e.to).toBeLessThanOrEqual(src.length);
  });
  it('the error points at the offending text', () => {
    const e = syntaxError(() => parseBody('add(a, 0x1F)'));
    expect([e.from, e.to]).toEqual([7, 11]);
    const u = syntaxError(() => parseBody("concat(a, 'open"));
    expect(u.errorClass).toBe('IncorrectExpression');
    expect(u.message).toBe(`Incorrect expression: unterminated string literal (no closing "'")`);
    expect([u.from, u.to]).toEqual([10, 15]);
    expect(syntaxError(() => parseBody('"x')).message).toBe(`Incorrect expression: unterminated string literal (no closing '"')`);
  });
});

describe('tokenizer', () => {
  it('tokens carry offsets', () => {
    const t = tokenize("f( a ,'x')");
    expect(t.map((x) => [x.kind, x.from, x.to, x.text])).toEqual([
      ['ident', 0, 1, 'f'],
      ['(', 1, 2, '('],
      ['ident', 3, 4, 'a'],
      [',', 5, 6, ','],
      ['string', 6, 9, 'x'],
      [')', 9, 10, ')'],
      ['eof', 10, 10, ''],
    ]);
  });
});

// ---- properties ------------------------------------------------------------------

const KEYWORDS = new Set(['True', 'False']);
const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((s) => !KEYWORDS.has(s));
const intLit = fc.tuple(fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,25}$/)).map(([sign, digits]) => {
  const raw = sign + digits;
  const v = BigInt(digits) * (sign === '-' ? -1n : 1n);
  return { kind: 'literal', type: 'LongType', value: normBig(v), raw } as Expr;
});
const floatLit = fc
  .tuple(
    fc.constantFrom('', '+', '-'),
    fc.oneof(fc.stringMatching(/^[0-9]{1,6}\.[0-9]{0,6}$/), fc.stringMatching(/^\.[0-9]{1,6}$/), fc.stringMatching(/^[0-9]{1,4}$/)),
    fc.oneof(fc.constant(''), fc.stringMatching(/^[eE][+-]?[0-9]{1,3}$/)),
  )
  .filter(([, m, e]) => m.includes('.') || e !== '')
  .map(([s, m, e]) => ({ kind: 'literal', type: 'FloatType', value: Number(s + m + e), raw: s + m + e }) as Expr);
const strLit = fc
  .string({
    unit: fc.oneof(fc.constantFrom("'", '"', '\\', '\n', '\t', '\r', ',', '(', ')', ':'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    maxLength: 12,
  })
  .map((s) => ({ kind: 'literal', type: 'StringType', value: s, raw: '' }) as Expr);
const boolLit = fc.boolean().map((b) => ({ kind: 'literal', type: 'BooleanType', value: b, raw: b ? 'True' : 'False' }) as Expr);

const { expr } = fc.letrec<{ expr: Expr; call: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ident.map((name) => ({ kind: 'field', name, from: 0, to: 0 }) as Expr),
    intLit,
    floatLit,
    strLit,
    boolLit,
    tie('call'),
  ),
  call: fc
    .record({ name: ident, args: fc.array(tie('expr'), { maxLength: 3 }) })
    .map(({ name, args }) => ({ kind: 'call', name, args, nameSpan: { from: 0, to: 0 }, from: 0, to: 0 }) as Expr),
}));

function checkPositioned(e: unknown, src: string): void {
  expect(e).toBeInstanceOf(EngineError);
  const err = e as EngineError;
  expect([
    'IncorrectExpression',
    'FieldNotExists',
    'OperationNotSupportedError',
    'IncorrectArgumentsAmountForOperationError',
    'IncorrectArgumentTypeForOperationError',
    'ConfigError',
  ]).toContain(err.errorClass);
  expect(err.message.length).toBeGreaterThan(0);
  expect(typeof err.from).toBe('number');
  expect(typeof err.to).toBe('number');
  expect(err.from!).toBeGreaterThanOrEqual(0);
  expect(err.from!).toBeLessThanOrEqual(src.length);
  expect(err.to!).toBeGreaterThanOrEqual(err.from!);
  expect(err.to!).toBeLessThanOrEqual(Math.max(src.length, err.from! + 1));
}

describe('properties', () => {
  it('print → parse gives back the same expression', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const text = printExpr(e);
        expect(shape(parseBody(text))).toEqual(shape(e));
        // printing is canonical: a second round trip prints the same text
        expect(printExpr(parseBody(text))).toBe(text);
      }),
      { numRuns: 400 },
    );
  });

  it('print → parse of whole entries', () => {
    fc.assert(
      fc.property(ident, expr, (name, e) => {
        const entry = parseEntry(`${name}: ${printExpr(e)}`);
        expect(entry.name).toBe(name);
        expect(shape(entry.body)).toEqual(shape(e));
        const again = parseEntry(printEntry(entry));
        expect(again.name).toBe(name);
        expect(shape(again.body)).toEqual(shape(e));
      }),
      { numRuns: 200 },
    );
  });

  const grammarish = fc.string({
    unit: fc.constantFrom(...'ab_x1209 ,:()\'"\\+-.eE\tTrueFals#[]{}$;'.split('')),
    maxLength: 40,
  });
  const garbage = fc.oneof(grammarish, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));

  it('random garbage never crashes: it parses, or fails with a positioned EngineError', () => {
    fc.assert(
      fc.property(garbage, (src) => {
        let entry: TransformEntry | undefined;
        try {
          entry = parseEntry(src);
        } catch (e) {
          checkPositioned(e, src);
        }
        if (entry) {
          expect(entry.name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
          // whatever parsed also compiles or fails with a positioned error (never an exception)
          const r = compileTransformations([src], fieldsOf(MIXED_SPEC));
          for (const { error } of r.errors) checkPositioned(error, src);
          if (r.errors.length === 0) expect(r.transform!.columns).toHaveLength(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('random bodies: parseBody never throws anything but a positioned EngineError', () => {
    fc.assert(
      fc.property(garbage, (src) => {
        try {
          const e = parseBody(src);
          expect(shape(parseBody(printExpr(e)))).toEqual(shape(e));
        } catch (e) {
          checkPositioned(e, src);
        }
      }),
      { numRuns: 500 },
    );
  });
});
