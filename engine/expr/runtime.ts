/** Run-time helpers referenced by generated transformation code as `h.<name>`. */
import { RowError } from '../core/errors.js';
import type { FieldType, Value } from '../core/types.js';
import { isFloatingType, isIntegerType } from '../core/types.js';
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
  parseFloatText,
  parseIntText,
  toDoubleChecked,
  truediv,
  truthy,
} from '../values/numeric.js';
import { pyFloat, pyStrRepr } from '../values/python.js';

const SURROGATE = /[\uD800-\uDFFF]/;

function truncate(s: string, n: number | bigint): string {
  const len = typeof n === 'bigint' ? Number(n) : n;
  if (!SURROGATE.test(s)) return s.slice(0, len);
  // Python slices by code point
  return Array.from(s).slice(0, len).join('');
}

/** Python string ordering (by code point): negative, 0 or positive. */
function strcmp(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // surrogates (U+D800–U+DFFF) encode code points above U+FFFF, which sort after U+E000–U+FFFF
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function strToInt(s: string, fn: string): number | bigint {
  const v = parseIntText(s);
  if (v === undefined) throw new RowError('bad cast', `${fn}: invalid literal for int() with base 10: ${pyStrRepr(s)}`);
  return v;
}

function strToDouble(s: string, fn: string): number {
  const v = parseFloatText(s);
  if (v === undefined) throw new RowError('bad cast', `${fn}: could not convert string to float: ${pyStrRepr(s)}`);
  return v;
}

/** Brings a user function's result to the representation its declared type implies. */
function normResult(v: unknown, type: FieldType, fn: string): Value {
  if (isIntegerType(type)) {
    if (typeof v === 'bigint') return normBig(v);
    if (typeof v === 'number' && Number.isInteger(v)) return v === 0 ? 0 : v;
    if (typeof v === 'boolean') return v ? 1 : 0;
  } else if (isFloatingType(type)) {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
  } else if (type === 'BooleanType') {
    if (typeof v === 'boolean') return v;
  } else if (typeof v === 'string') return v;
  // an object's own rendering would be user code: name its kind instead
  const shown = typeof v === 'string' ? pyStrRepr(v) : (typeof v === 'object' && v !== null) || typeof v === 'function' ? `a ${typeof v}` : String(v);
  throw new RowError('bad result', `${fn} returned ${shown}, which is not a ${type}`);
}

export const runtime = {
  iadd,
  isub,
  imul,
  imod,
  ifloordiv,
  fmod,
  ffloordiv,
  truediv,
  itruediv,
  toDouble: toDoubleChecked,
  truthy,
  pyFloat,
  doubleToInt,
  truncate,
  strcmp,
  strToInt,
  strToDouble,
  normResult,
  and: (a: unknown, b: unknown) => truthy(a) && truthy(b),
  or: (a: unknown, b: unknown) => truthy(a) || truthy(b),
};
