/**
 * The Python code generator against ts-engine itself: every case is a transformation
 * body and a row; ts-engine's compiler and row parser give the expected `eval` output
 * (Python repr and type, or the row error's reason and message), the generated Python
 * run by a real Python must give the same. A table of edge cases, then generated
 * expressions over generated rows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileBody, type ConfigLookup } from '../../../../engine/expr/compile.js';
import { RowError, EngineError } from '../../../../engine/core/errors.js';
import { compileRowParser } from '../../../../engine/pipeline/row-parser.js';
import { parserSource, pythonBody, pyStringLiteral } from '../../../../engine/targets/flink/python-codegen.js';
import type { InputField, Value } from '../../../../engine/core/types.js';
import { isFloatingType, isIntegerType } from '../../../../engine/core/types.js';
import { pyRepr } from '../../../../engine/values/python.js';
import { fieldsOf, type StructureSpec } from '../../helpers.js';
import { runPython, type PyCase, type PyResult } from './python-harness.js';

const SPEC: StructureSpec = {
  a: [0, 'LongType'],
  b: [1, 'DoubleType'],
  s: [2, 'StringType'],
  f: [3, 'BooleanType'],
  i: [4, 'IntegerType'],
  t: [5, 'StringType'],
};
const FIELDS = fieldsOf(SPEC);

const CONFIG: Record<string, unknown> = { input: { options: { port: 29092, rate: 2.5, name: 'sensors', on: true } } };
const lookup: ConfigLookup = (p) => {
  let cur: unknown = CONFIG;
  for (const seg of p.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return { value: cur, isInteger: typeof cur === 'number' && Number.isInteger(cur) };
};

type Expected = { value: string; type: string } | { error: [string, string] };

interface Case {
  expr: string;
  row: string;
  sep?: string;
  fields?: InputField[];
}

/** ts-engine's answer, or undefined when the expression does not validate. */
function expected(c: Case): Expected | undefined {
  const fields = c.fields ?? FIELDS;
  let compiled: ReturnType<typeof compileBody>;
  try {
    compiled = compileBody(c.expr, fields, { configLookup: lookup });
  } catch (e) {
    if (e instanceof EngineError) return undefined;
    throw e;
  }
  const row: Value[] = new Array(fields.length).fill(null);
  try {
    compileRowParser(fields, compiled.usedSlots, c.sep ?? ',')(c.row, row);
    const v = compiled.run(row);
    return { value: pyRepr(v, compiled.type), type: compiled.type };
  } catch (e) {
    if (e instanceof RowError) return { error: [e.reason, e.message] };
    throw e;
  }
}

function pyCase(c: Case): PyCase {
  const fields = c.fields ?? FIELDS;
  const body = pythonBody(c.expr, fields, lookup);
  const source = `${parserSource(fields, body.usedSlots, c.sep ?? ',')}\ndef evaluate(r):\n    return ${body.code}\n`;
  return { source, row: c.row, nfields: fields.length, type: body.type };
}

function pyTypeOk(type: string, pytype: string): boolean {
  if (isIntegerType(type as never)) return pytype === 'int';
  if (isFloatingType(type as never)) return pytype === 'float';
  if (type === 'BooleanType') return pytype === 'bool';
  return pytype === 'str';
}

/** Runs every case through both and returns the disagreements (empty when all agree). */
function compare(cases: Case[]): { case: Case; expected: Expected; python: PyResult }[] {
  const valid = cases.map((c) => ({ c, e: expected(c) })).filter((x): x is { c: Case; e: Expected } => x.e !== undefined);
  const results = runPython(valid.map((x) => pyCase(x.c)));
  const bad: { case: Case; expected: Expected; python: PyResult }[] = [];
  valid.forEach(({ c, e }, k) => {
    const p = results[k]!;
    const same =
      'error' in e ? 'error' in p && p.error[0] === e.error[0] && p.error[1] === e.error[1] : 'value' in p && p.value === e.value && pyTypeOk(e.type, p.pytype);
    if (!same) bad.push({ case: c, expected: e, python: p });
  });
  return bad;
}

const ROW = '7,2.5,abc,true,3,xyz';

const TABLE: Case[] = [
  // arithmetic, promotion, unbounded integers
  ...['add(a, i)', 'sub(a, b)', 'mul(a, a)', 'add(f, f)', 'mul(f, 2.5)', 'sub(i, f)'].map((expr) => ({ expr, row: ROW })),
  { expr: 'mul(a, a)', row: '9007199254740993,0,x,1,0,y' },
  { expr: 'add(a, 1)', row: '9007199254740992,0,x,1,0,y' },
  { expr: 'mul(mul(a, a), a)', row: '-123456789012345678901,0,x,1,0,y' },
  { expr: 'add(a, b)', row: '9007199254740993,0.5,x,1,0,y' },
  { expr: 'add(a, b)', row: `${'9'.repeat(400)},0.5,x,1,0,y` },
  // division and modulo
  ...['pydiv(a, i)', 'pydiv(-7, 2)', 'pydiv(7, 0)', 'mathdiv(a, i)', 'mathdiv(a, 0)', 'floordiv(-7, 2)', 'floordiv(7, -2)', 'floordiv(b, 0.0)'].map((expr) => ({
    expr,
    row: ROW,
  })),
  ...['mod(-7, 2)', 'mod(7, -2)', 'odd(-7.5, 2)', 'mod(a, 0)', 'mod(b, -0.0)', 'floordiv(-7.5, 2)', 'mod(-0.0, 3)'].map((expr) => ({ expr, row: ROW })),
  { expr: 'pydiv(a, i)', row: '123456789012345678901234567,0,x,1,3,y' },
  { expr: 'pydiv(a, i)', row: '9007199254740993,0,x,1,3,y' },
  { expr: 'pydiv(a, 3)', row: '-9007199254740993,0,x,1,3,y' },
  { expr: 'pydiv(a, a)', row: '123456789012345678901234567890123,0,x,1,3,y' },
  { expr: 'pydiv(1, a)', row: '123456789012345678901234567890123,0,x,1,3,y' },
  { expr: 'floordiv(a, i)', row: '-123456789012345678901234567,0,x,1,7,y' },
  // integers beyond the double range: OverflowError row errors, as CPython raises them
  ...['pydiv(a, i)', 'pydiv(a, b)', 'mathdiv(a, i)', 'mathdiv(i, a)', 'mod(a, b)', 'floordiv(a, b)', 'double(a)', 'mul(b, a)'].map((expr) => ({
    expr,
    row: `${'9'.repeat(400)},0.5,x,1,1,y`,
  })),
  { expr: 'mod(b, 2.0)', row: '0,inf,x,1,0,y' },
  { expr: 'floordiv(b, 2.0)', row: '0,-inf,x,1,0,y' },
  { expr: 'mod(b, 3.0)', row: '0,1e300,x,1,0,y' },
  // comparisons and logic
  ...['lt(a, b)', 'ge(s, t)', 'eq(a, 7.0)', 'eq(f, 1)', 'neq(b, b)', 'and(f, a)', 'or(0, 0.0)', 'not(s)', 'not(b)', 'boolean(t)', 'and(f, pydiv(a, 0))'].map(
    (expr) => ({ expr, row: ROW }),
  ),
  { expr: 'lt(s, t)', row: '0,0,\u{1F600},1,0,\uFFFD' },
  { expr: 'eq(b, b)', row: '0,nan,x,1,0,y' },
  { expr: 'gt(a, b)', row: '9007199254740993,9007199254740992,x,1,0,y' },
  // strings
  ...['concat(s, a)', 'concat(b, f)', "concat(2E+2, concat('6', a))", 'concat(1.5e-7, 1e16)', 'truncate(s, 2)', 'truncate(s, -1)', 'truncate(s, 0)'].map(
    (expr) => ({ expr, row: ROW }),
  ),
  { expr: 'concat(s, t)', row: '0,0,it\'s,1,0,"q"\\' },
  { expr: 'truncate(s, a)', row: '2,0,\u{1F600}\u{1F601}x,1,0,y' },
  { expr: 'concat(b, s)', row: '0,-0,\u00e9\t,1,0,y' },
  // casts
  ...['long(b)', 'int(s)', 'long(f)', 'float(s)', 'double(a)', 'double(f)', 'long(t)', 'float(t)'].map((expr) => ({ expr, row: ROW })),
  ...[' 42 ', '+7', '-0', '4.2', '', '1_000', '١٢', '0x1F'].map((v) => ({ expr: 'long(s)', row: `0,0,${v},1,0,y` })),
  ...[' 1e3 ', '.5', '1.', 'inf', '-Infinity', 'nan', 'NaN', '1e400', '\u00a02.5\u3000', '1_0', '0x10', 'e5', '.'].map((v) => ({
    expr: 'float(s)',
    row: `0,0,${v},1,0,y`,
  })),
  ...['nan', 'inf', '-inf', '7.9', '-7.9', '1e20'].map((v) => ({ expr: 'long(b)', row: `0,${v},x,1,0,y` })),
  // constants and config()
  ...[
    "'x: y'",
    '13',
    '-13.5',
    '4E+8',
    'True',
    'one(s)',
    'id(a)',
    '_(13)',
    "config('input.options.port')",
    "config('input.options.rate')",
    "config('input.options.name')",
    "config('input.options.on')",
  ].map((expr) => ({ expr, row: ROW })),
  { expr: "add(10, int(config('input.options.port')))", row: ROW },
  // row parsing: bad cells, too few columns, separators, booleans
  ...['x,2.5,abc,true,3,xyz', '7,2.5', '7,zz,abc,true,3,xyz', '7,2.5,abc,maybe,3,xyz', '7,2.5,abc, YES ,3,xyz', '7,2.5,abc,no,3'].map((row) => ({
    expr: 'add(a, i)',
    row,
  })),
  { expr: 'concat(s, f)', row: '7;2.5;a,b;0;3;q', sep: ';' },
  { expr: 'concat(s, t)', row: '7::2.5::a::1::3::q', sep: '::' },
  { expr: 'y', row: '1,,3', fields: fieldsOf({ x: [0, 'LongType'], y: [2, 'LongType'] }) },
  { expr: 'y', row: '1,bad,3', fields: fieldsOf({ x: [0, 'LongType'], z: [1, 'DoubleType'], y: [2, 'LongType'] }) },
  { expr: 'y', row: '1', fields: fieldsOf({ x: [0, 'StringType'], y: [3, 'LongType'] }) },
];

describe('Python code generator: the same results as ts-engine eval', () => {
  it('agrees on a table of edge cases (every function, casts, big integers, floats, row errors)', () => {
    expect(TABLE.every((c) => expected(c) !== undefined)).toBe(true);
    expect(compare(TABLE)).toEqual([]);
  });

  it('agrees on generated expressions over generated rows', () => {
    const numericLeaf = fc.oneof(
      fc.constantFrom('a', 'b', 'f', 'i', '0', '1', '-3', '2.5', '-0.0', '1e16', 'True', 'False'),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Number.isInteger(x) ? `${x}.0` : String(x)).replace(/^(-?)(\d+)e/, '$1$2.0e')),
    );
    const stringLeaf = fc.constantFrom('s', 't', "'q'", "''", "'it''s'".replace("''s", "\\'s"));
    const expr = fc.letrec<{ num: string; str: string }>((tie) => ({
      num: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        numericLeaf,
        fc
          .tuple(fc.constantFrom('add', 'sub', 'mul', 'mod', 'pydiv', 'mathdiv', 'floordiv', 'lt', 'ge', 'eq', 'neq', 'and', 'or'), tie('num'), tie('num'))
          .map(([f, x, y]) => `${f}(${x}, ${y})`),
        fc.tuple(fc.constantFrom('long', 'int', 'float', 'double', 'not', 'boolean', 'one', 'id'), tie('num')).map(([f, x]) => `${f}(${x})`),
        fc.tuple(fc.constantFrom('long', 'float'), tie('str')).map(([f, x]) => `${f}(${x})`),
        fc.tuple(fc.constantFrom('lt', 'eq', 'ge'), tie('str'), tie('str')).map(([f, x, y]) => `${f}(${x}, ${y})`),
      ),
      str: fc.oneof(
        { depthSize: 'small' },
        stringLeaf,
        fc.tuple(tie('num'), tie('str')).map(([x, y]) => `concat(${x}, ${y})`),
        fc.tuple(tie('str'), tie('num')).map(([x, y]) => `concat(${x}, ${y})`),
        fc.tuple(tie('str'), fc.constantFrom('a', 'i', '2', '-1', '0')).map(([x, y]) => `truncate(${x}, ${y})`),
      ),
    })).num;
    const intCell = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }).map(String),
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
      fc.constantFrom('0', ' 5 ', '+2', 'x'),
    );
    const dblCell = fc.oneof(
      fc.double().map((x) => (Object.is(x, -0) ? '-0' : String(x))),
      fc.constantFrom('inf', '-inf', 'nan', '1e400', '2.5', ' 1e3 ', '0', '-0', '.5', 'z'),
    );
    const strCell = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('42', ' 4.2 ', '1e3', 'inf', "'", '"', '\\', ''));
    const boolCell = fc.constantFrom('true', 'False', '1', '0', 'yes', 'NO', 'maybe');
    const row = fc
      .tuple(intCell, dblCell, strCell, boolCell, intCell, strCell)
      .filter((cells) => cells.every((x) => !x.includes(',') && !x.includes('\n') && !x.includes('\r')))
      .map((cells) => cells.join(','));
    const cases = fc.sample(fc.record({ expr, row }), 600);
    const answers = cases.map(expected).filter((e) => e !== undefined);
    // the sample must exercise values and row errors alike, not only validation failures
    expect(answers.filter((e) => 'value' in e).length).toBeGreaterThan(150);
    expect(answers.filter((e) => 'error' in e).length).toBeGreaterThan(50);
    const bad = compare(cases);
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it('writes Python string literals that read back as the same text', () => {
    const texts = fc.sample(fc.string({ unit: 'binary', maxLength: 12 }), 200);
    const cases: PyCase[] = texts.map((t) => ({
      source: `def parse(line):\n    return []\n\ndef evaluate(r):\n    return ${pyStringLiteral(t)}\n`,
      row: '',
      nfields: 0,
      type: 'StringType',
    }));
    const results = runPython(cases);
    expect(results.map((r) => ('text' in r ? r.text : r))).toEqual(texts);
  });
});
