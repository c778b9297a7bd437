/**
 * Python 3 value rendering (docs/semantics.md#python-rendering): the reference's textual output is
 * Python's repr/str, so stdout lines and `concat` must be byte-compatible.
 */
import type { FieldType, Value } from '../core/types.js';
import { isIntegerType } from '../core/types.js';

/** Python `repr(float)`: shortest round-trip digits, positional for 1e-4 ≤ |x| < 1e16. */
export function pyFloat(x: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = x < 0 ? -x : x;
  if (a >= 1e-4 && a < 1e16) {
    // Python's positional range, which JS also prints positionally (it takes exponents below 1e-6 and from 1e21),
    // with the same shortest round-trip digits: only the fraction of an integral value is missing
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  // Outside that range, toExponential() without an argument yields the shortest digits that round-trip, with an
  // exponent below −4 or from 16 on (a double outside the range cannot round to digits inside it).
  const exp = x.toExponential();
  const ePos = exp.indexOf('e');
  let mantissa = exp.slice(0, ePos);
  const e = Number(exp.slice(ePos + 1));
  let sign = '';
  if (mantissa[0] === '-') {
    sign = '-';
    mantissa = mantissa.slice(1);
  }
  const digits = mantissa.replace('.', '');
  const frac = digits.length > 1 ? '.' + digits.slice(1) : '';
  const absE = Math.abs(e);
  return sign + digits[0] + frac + 'e' + (e < 0 ? '-' : '+') + (absE < 10 ? '0' + absE : String(absE));
}

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python `repr(str)`. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code >= 0x80 && ch !== ' ' && NON_PRINTABLE.test(ch)) {
      if (code < 0x100) out += '\\x' + code.toString(16).padStart(2, '0');
      else if (code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0');
      else out += '\\U' + code.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

/** Python `str(v)` of a value whose static type is `type`. */
export function pyStr(v: Value, type: FieldType | undefined): string {
  if (typeof v === 'string') return v;
  return pyRepr(v, type);
}

/** Python `repr(v)` of a value whose static type is `type` (integer kinds print without `.0`). */
export function pyRepr(v: Value, type: FieldType | undefined): string {
  switch (typeof v) {
    case 'number':
      if (type !== undefined && isIntegerType(type)) return String(v);
      if (type === undefined && Number.isInteger(v) && !Object.is(v, -0)) return String(v);
      return pyFloat(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'True' : 'False';
    case 'string':
      return pyStrRepr(v);
    default:
      return v === null ? 'None' : String(v);
  }
}

/** Python tuple repr: `(a,)` for one element, `()` for none. */
export function pyTuple(values: readonly Value[], types: readonly (FieldType | undefined)[]): string {
  if (values.length === 1) return '(' + pyRepr(values[0]!, types[0]) + ',)';
  let s = '(';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += ', ';
    s += pyRepr(values[i]!, types[i]);
  }
  return s + ')';
}

/** Python `repr` of an arbitrary JSON-like value (lists, dicts), used for history maps. */
export function pyReprAny(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(pyReprAny).join(', ') + ']';
  if (v !== null && typeof v === 'object') {
    return (
      '{' +
      Object.entries(v)
        .map(([k, x]) => pyStrRepr(k) + ': ' + pyReprAny(x))
        .join(', ') +
      '}'
    );
  }
  return pyRepr(v as Value, undefined);
}
