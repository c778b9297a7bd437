/**
 * Splits a line on the configured separator and converts only the columns the
 * pipeline reads. The parser is generated per data structure: indexOf scans,
 * numbers parsed straight from the line (no slice, no regex per field).
 */
import { RowError } from '../core/errors.js';
import type { FieldType, InputField, Value } from '../core/types.js';
import { bytesText, parseBoolText, parseFloatBytes, parseFloatRange, parseIntBytes, parseIntText, POW10, stringInterner } from '../values/numeric.js';
import { pyStrRepr } from '../values/python.js';

export type RowParser = (line: string, r: Value[]) => void;
/** the same over bytes [start, end) of a buffer */
export type ByteRowParser = (buf: Uint8Array, start: number, end: number, r: Value[]) => void;

const CONVERT: Record<FieldType, string> = {
  StringType: 'line.slice(s, e)',
  IntegerType: 'P.int(line, s, e)',
  LongType: 'P.int(line, s, e)',
  ShortType: 'P.int(line, s, e)',
  ByteType: 'P.int(line, s, e)',
  FloatType: 'P.float(line, s, e)',
  DoubleType: 'P.float(line, s, e)',
  BooleanType: 'P.bool(line.slice(s, e))',
};

const helpers = {
  int: parseIntText,
  float: parseFloatRange,
  bool: parseBoolText,
  tooFew(field: InputField, maxIndex: number, got: number): never {
    throw new RowError('too few columns', `expected at least ${maxIndex + 1} columns, got ${got}`, field.name);
  },
  badBytes(field: InputField, buf: Uint8Array, s: number, e: number): never {
    return helpers.bad(field, bytesText(buf, s, e), 0, e - s);
  },
  bad(field: InputField, line: string, s: number, e: number): never {
    // the whole row is kept in the dead letter; the message quotes a bounded part of the cell
    const cell = e - s > 200 ? `${pyStrRepr(line.slice(s, s + 200))}… (${e - s} characters)` : pyStrRepr(line.slice(s, e));
    throw new RowError(`bad ${field.type}`, `field '${field.name}' (column ${field.index + 1}): ${cell} is not a valid ${field.type}`, field.name);
  },
};

interface ColumnStep {
  field: InputField;
  /** row slot to fill, or -1: the column is only checked against its declared type */
  slot: number;
}

/**
 * Every declared column in column order: the ones the pipeline reads are
 * converted into their slots, the others are still checked, so a row with a
 * bad value in any declared column is a row error (docs/semantics.md#row-errors).
 */
function columnPlan(fields: readonly InputField[], slots: readonly number[]): ColumnStep[] {
  const used = new Set(slots);
  return fields.map((field, slot) => ({ field, slot: used.has(slot) ? slot : -1 })).sort((a, b) => a.field.index - b.field.index || a.slot - b.slot);
}

function fieldCode(w: ColumnStep, i: number, convert: string, bad: string): string {
  const badCall = bad.replace('${i}', String(i));
  if (w.field.type === 'StringType') return w.slot >= 0 ? `r[${w.slot}] = ${convert};\n` : '';
  return `v = ${convert}; if (v === undefined) ${badCall};${w.slot >= 0 ? ` r[${w.slot}] = v;` : ''}\n`;
}

/**
 * Code that moves past `n` columns (the current one is column `from`): unrolled for the usual
 * small gaps, a loop for wide ones, so the generated code stays small whatever the indexes.
 * `step` is the code of one step, with `$COL` for the number of columns seen so far.
 */
function skipColumns(n: number, from: number, step: string): string {
  if (n <= 8) {
    let code = '';
    for (let k = 0; k < n; k++) code += step.replace('$COL', String(from + k + 1));
    return code;
  }
  return `for (let k = ${from + 1}; k <= ${from + n}; k++) {\n${step.replace('$COL', 'k')}}\n`;
}

export function compileRowParser(fields: readonly InputField[], slots: readonly number[], sep: string): RowParser {
  // (column, slot) pairs in column order; one column may feed several slots (duplicate indexes)
  const wanted = columnPlan(fields, slots);
  const maxIndex = wanted.length > 0 ? wanted[wanted.length - 1]!.field.index : -1;
  const L = sep.length;
  let code = `let s = 0, e = line.indexOf(SEP); if (e < 0) e = line.length;\nlet v;\n`;
  let col = 0;
  wanted.forEach((w, i) => {
    code += skipColumns(
      w.field.index - col,
      col,
      `if (e >= line.length) P.tooFew(F[${i}], ${maxIndex}, $COL);\ns = e + ${L}; e = line.indexOf(SEP, s); if (e < 0) e = line.length;\n`,
    );
    col = w.field.index;
    code += fieldCode(w, i, CONVERT[w.field.type], 'P.bad(F[${i}], line, s, e)');
  });
  const factory = new Function('P', 'F', 'SEP', `"use strict";\nreturn function parseRow(line, r) {\n${code}};`);
  return factory(
    helpers,
    wanted.map((w) => w.field),
    sep,
  ) as RowParser;
}

/** the general conversion of cell [s, p); strings are read through their column's intern table instead */
const BYTE_CONVERT: Record<Exclude<FieldType, 'StringType'>, string> = {
  IntegerType: 'P.intB(b, s, p)',
  LongType: 'P.intB(b, s, p)',
  ShortType: 'P.intB(b, s, p)',
  ByteType: 'P.intB(b, s, p)',
  FloatType: 'P.floatB(b, s, p)',
  DoubleType: 'P.floatB(b, s, p)',
  BooleanType: 'P.bool(P.text(b, s, p))',
};

const byteHelpers = { ...helpers, intB: parseIntBytes, floatB: parseFloatBytes, text: bytesText, POW10 };

const INTEGER_TYPES = new Set<FieldType>(['IntegerType', 'LongType', 'ShortType', 'ByteType']);
const FLOAT_TYPES = new Set<FieldType>(['FloatType', 'DoubleType']);

/**
 * How generated byte-reading code is written into its function: where a slot's value goes (an element of `r`,
 * or a local of the processor's row runs), and what a bad row does (throw its row error, or `bail` without one).
 */
interface ByteCodeForm {
  slot(slot: number): string;
  /** a statement that leaves the row instead of throwing its row error */
  bail?: string;
}

const INTO_ROW_ARRAY: ByteCodeForm = { slot: (slot) => `r[${slot}]` };

/**
 * Code for one column, from its first byte (`p`) to the separator or line end after it (`p` again, `s` its start).
 * Numbers are converted while the separator is looked for, in one pass: the plain forms (sign, digits, one
 * point) in line, where they give the same value as the general parser (the exact decimal fast path of
 * parseFloatBytes, at most 15 digits for an integer); anything else goes to the general parser over the cell.
 * A column only checked accepts any plain number at once: every one of them is valid.
 */
function byteFieldCode(w: ColumnStep, i: number, sepByte: number, numbersInLine: boolean, form: ByteCodeForm): string {
  const { type } = w.field;
  const into = w.slot >= 0 ? form.slot(w.slot) : '';
  const toSep = `while (p < end && b[p] !== ${sepByte}) p++;\n`;
  const bad = form.bail ?? `P.badBytes(F[${i}], b, s, p)`;
  const general = (cell: string) => `${toSep}v = ${cell}; if (v === undefined) ${bad};${into ? ` ${into} = v;` : ''}\n`;
  if (type === 'StringType') {
    if (!into) return `s = p; ${toSep}`;
    // the intern table's hash is taken during the scan
    return `s = p; hs = 0; hb = 0;\nwhile (p < end && (c = b[p]) !== ${sepByte}) { hs = (Math.imul(hs, 31) + c) | 0; hb |= c; p++; }\n${into} = S[${w.slot}].hashed(b, s, p, hs, hb);\n`;
  }
  const convert = BYTE_CONVERT[type];
  const sign = `s = p; c = p < end ? b[p] : ${sepByte}; if (c === 45 || c === 43) p++;\n`;
  const tail = `if ((p < end && c !== ${sepByte})`;
  if (numbersInLine && INTEGER_TYPES.has(type)) {
    if (!into) return `${sign}d = p; while (p < end && (c = b[p]) >= 48 && c <= 57) p++;\n${tail} || p === d) { ${general(convert)} }\n`;
    return (
      `${sign}d = p; v = 0; while (p < end && (c = b[p]) >= 48 && c <= 57) { v = v * 10 + c - 48; p++; }\n` +
      `${tail} || p === d || p - d > 15) { ${general(convert)} } else ${into} = b[s] === 45 ? (v === 0 ? 0 : -v) : v;\n`
    );
  }
  if (numbersInLine && FLOAT_TYPES.has(type)) {
    const digit = !into ? 'nd++;' : 'm = m * 10 + c - 48; nd++; if (fr >= 0) fr++;';
    const scan = `nd = 0; fr = -1;${!into ? '' : ' m = 0;'} for (; p < end; p++) { c = b[p]; if (c >= 48 && c <= 57) { ${digit} } else if (c === 46 && fr < 0) fr = 0; else break; }\n`;
    if (!into) return `${sign}${scan}${tail} || nd === 0) { ${general(convert)} }\n`;
    return (
      `${sign}${scan}${tail} || nd === 0 || nd > 15 || fr > 22) { ${general(convert)} }\n` +
      `else { v = fr > 0 ? m / P.POW10[fr] : m; ${into} = b[s] === 45 ? -v : v; }\n`
    );
  }
  return `s = p; ${general(convert)}`;
}

/** one intern table per string column: keys repeat, a new string per row would be garbage */
export type InternTables = (ReturnType<typeof stringInterner> | undefined)[];

export function internTables(fields: readonly InputField[]): InternTables {
  return fields.map((f) => (f.type === 'StringType' ? stringInterner() : undefined));
}

/** Byte-level parser for a single-byte separator: fields are scanned in JS, no string per line. */
export function compileByteRowParser(
  fields: readonly InputField[],
  slots: readonly number[],
  sepByte: number,
  interners = internTables(fields),
): ByteRowParser {
  const { code, scope } = byteRowCode(fields, slots, sepByte, interners, INTO_ROW_ARRAY);
  const factory = new Function(
    ...Object.keys(scope),
    `"use strict";\nreturn function parseRowBytes(b, start, end, r) {\nlet p = start, ${BYTE_ROW_VARS};\n${code}};`,
  );
  return factory(...Object.values(scope)) as ByteRowParser;
}

/** the locals byteRowCode's code uses, besides `b` (the bytes), `p` (the row's start) and `end` */
export const BYTE_ROW_VARS = 's = p, d, c, v, m, nd, fr, hs, hb';

/**
 * The generated code that reads a row's columns from bytes b[p, end) into `form`'s slots, and the names it refers
 * to (`scope`: P, F, S), for a function that declares BYTE_ROW_VARS. Also used by the processor's row runs
 * (row-runs.ts), with the same intern tables as the parser.
 */
export function byteRowCode(
  fields: readonly InputField[],
  slots: readonly number[],
  sepByte: number,
  interners: InternTables,
  form: ByteCodeForm,
): { code: string; scope: { P: typeof byteHelpers; F: InputField[]; S: InternTables } } {
  const wanted = columnPlan(fields, slots);
  const maxIndex = wanted.length > 0 ? wanted[wanted.length - 1]!.field.index : -1;
  // a separator that can be part of a plain number (a digit, sign or point) leaves numbers to the general parser
  const numbersInLine = !((sepByte >= 48 && sepByte <= 57) || sepByte === 43 || sepByte === 45 || sepByte === 46);
  // p = the current position: the start of column `col` (atStart) or the end of it
  let code = '';
  let col = 0;
  let atStart = true;
  wanted.forEach((w, i) => {
    const index = w.field.index;
    // from the end of column c to the start of the next one; c + 1 columns were seen
    const next = (seen: string) => `if (p >= end) ${form.bail ?? `P.tooFew(F[${i}], ${maxIndex}, ${seen})`};\np++;\n`;
    // one column into several slots: read again from its start
    if (index === col && !atStart) code += 'p = s;\n';
    else if (index > col) {
      if (!atStart) {
        code += next(String(col + 1));
        col++;
      }
      // columns not declared in between
      code += skipColumns(index - col, col, `while (p < end && b[p] !== ${sepByte}) p++;\n${next('$COL')}`);
    }
    code += byteFieldCode(w, i, sepByte, numbersInLine, form);
    col = index;
    atStart = false;
  });
  return { code, scope: { P: byteHelpers, F: wanted.map((w) => w.field), S: interners } };
}
