/**
 * Splits a line on the configured separator and converts only the columns the
 * pipeline reads. The parser is generated per data structure: indexOf scans,
 * numbers parsed straight from the line (no slice, no regex per field).
 */
import { RowError } from '../core/errors.js';
import type { FieldType, InputField, Value } from '../core/types.js';
import { bytesText, parseBoolText, parseFloatBytes, parseFloatRange, parseIntBytes, parseIntText, stringInterner } from '../values/numeric.js';
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

const BYTE_CONVERT: Record<FieldType, string> = {
  StringType: 'S[${slot}](b, s, e)',
  IntegerType: 'P.intB(b, s, e)',
  LongType: 'P.intB(b, s, e)',
  ShortType: 'P.intB(b, s, e)',
  ByteType: 'P.intB(b, s, e)',
  FloatType: 'P.floatB(b, s, e)',
  DoubleType: 'P.floatB(b, s, e)',
  BooleanType: 'P.bool(P.text(b, s, e))',
};

const byteHelpers = { ...helpers, intB: parseIntBytes, floatB: parseFloatBytes, text: bytesText };

/** Byte-level parser for a single-byte separator: fields are scanned in JS, no string per line. */
export function compileByteRowParser(fields: readonly InputField[], slots: readonly number[], sepByte: number): ByteRowParser {
  const wanted = columnPlan(fields, slots);
  const maxIndex = wanted.length > 0 ? wanted[wanted.length - 1]!.field.index : -1;
  // e = end of the current field; s = its start
  const scan = `e = s; while (e < end && b[e] !== ${sepByte}) e++;\n`;
  let code = `let s = start, e, v;\n${scan}`;
  let col = 0;
  wanted.forEach((w, i) => {
    code += skipColumns(w.field.index - col, col, `if (e >= end) P.tooFew(F[${i}], ${maxIndex}, $COL);\ns = e + 1; ${scan}`);
    col = w.field.index;
    code += fieldCode(w, i, BYTE_CONVERT[w.field.type].replace('${slot}', String(w.slot)), 'P.badBytes(F[${i}], b, s, e)');
  });
  // one intern table per string column: keys repeat, a new string per row would be garbage
  const interners = fields.map((f) => (f.type === 'StringType' ? stringInterner() : undefined));
  const factory = new Function('P', 'F', 'S', `"use strict";\nreturn function parseRowBytes(b, start, end, r) {\n${code}};`);
  return factory(
    byteHelpers,
    wanted.map((w) => w.field),
    interners,
  ) as ByteRowParser;
}
