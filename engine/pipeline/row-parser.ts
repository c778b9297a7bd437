/**
 * Splits a line on the configured separator and converts only the columns the
 * pipeline reads, scanning with indexOf (no regex, no full split per row).
 */
import { RowError } from '../errors.js';
import type { FieldType, InputField, Value } from '../types.js';
import { parseBoolText, parseFloatText, parseIntText } from '../values/numeric.js';
import { pyStrRepr } from '../values/python.js';

export type RowParser = (line: string, r: Value[]) => void;

type Converter = (line: string, start: number, end: number) => Value | undefined;

function converter(type: FieldType): Converter {
  switch (type) {
    case 'StringType':
      return (l, s, e) => l.slice(s, e);
    case 'IntegerType':
    case 'LongType':
    case 'ShortType':
    case 'ByteType':
      return (l, s, e) => parseIntText(l, s, e);
    case 'FloatType':
    case 'DoubleType':
      return (l, s, e) => parseFloatText(l.slice(s, e));
    case 'BooleanType':
      return (l, s, e) => parseBoolText(l.slice(s, e));
  }
}

export function compileRowParser(fields: readonly InputField[], slots: readonly number[], sep: string): RowParser {
  // (column, slot) pairs in column order; one column may feed several slots (duplicate indexes)
  const wanted = slots.map((slot) => ({ slot, field: fields[slot]!, convert: converter(fields[slot]!.type) })).sort((a, b) => a.field.index - b.field.index || a.slot - b.slot);
  const n = wanted.length;
  const sepLen = sep.length;
  const maxIndex = n > 0 ? wanted[n - 1]!.field.index : -1;
  const cols = wanted.map((w) => w.field.index);
  const slotOf = wanted.map((w) => w.slot);
  const convs = wanted.map((w) => w.convert);

  return (line, r) => {
    let col = 0;
    let start = 0;
    let end = sepLen === 1 ? line.indexOf(sep) : line.indexOf(sep, 0);
    if (end < 0) end = line.length;
    for (let i = 0; i < n; i++) {
      const target = cols[i]!;
      while (col < target) {
        if (end >= line.length) {
          throw new RowError('too few columns', `expected at least ${maxIndex + 1} columns, got ${col + 1}`, wanted[i]!.field.name);
        }
        start = end + sepLen;
        end = line.indexOf(sep, start);
        if (end < 0) end = line.length;
        col++;
      }
      const v = convs[i]!(line, start, end);
      if (v === undefined) {
        const f = wanted[i]!.field;
        throw new RowError(`bad ${f.type}`, `field '${f.name}' (column ${f.index + 1}): ${pyStrRepr(line.slice(start, end))} is not a valid ${f.type}`, f.name);
      }
      r[slotOf[i]!] = v;
    }
  };
}
