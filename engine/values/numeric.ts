/**
 * Exact integer arithmetic with a fast path: integers are JS numbers while they
 * are safe integers and switch to bigint beyond ±(2^53 − 1) (D-39). Every helper
 * returns a normalised integer (number iff safe), so equality and Map keys work.
 * Python semantics throughout: floored modulo and floor division, true division.
 */
import { RowError } from '../errors.js';

export type Int = number | bigint;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MIN_SAFE = -Number.MAX_SAFE_INTEGER;
const BIG_MAX_SAFE = BigInt(MAX_SAFE);
const BIG_MIN_SAFE = BigInt(MIN_SAFE);

export function normBig(b: bigint): Int {
  return b <= BIG_MAX_SAFE && b >= BIG_MIN_SAFE ? Number(b) : b;
}

/** integer | boolean → integer (booleans count as 0/1) */
export function asInt(v: Int | boolean): Int {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

function big(v: Int | boolean): bigint {
  return typeof v === 'bigint' ? v : BigInt(typeof v === 'boolean' ? (v ? 1 : 0) : v);
}

export function iadd(a: Int | boolean, b: Int | boolean): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (r <= MAX_SAFE && r >= MIN_SAFE) return r;
  }
  return normBig(big(a) + big(b));
}

export function isub(a: Int | boolean, b: Int | boolean): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (r <= MAX_SAFE && r >= MIN_SAFE) return r;
  }
  return normBig(big(a) - big(b));
}

export function imul(a: Int | boolean, b: Int | boolean): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (r <= MAX_SAFE && r >= MIN_SAFE) return r === 0 ? 0 : r; // no -0 for integers
  }
  return normBig(big(a) * big(b));
}

function zeroDivision(op: string): never {
  throw new RowError('division by zero', `${op}: division by zero`);
}

/** Python `a % b` on integers: the result has the sign of the divisor. */
export function imod(a: Int | boolean, b: Int | boolean): Int {
  const x = asInt(a);
  const y = asInt(b);
  if (typeof x === 'number' && typeof y === 'number') {
    if (y === 0) zeroDivision('modulo');
    let r = x % y;
    if (r !== 0 && r < 0 !== y < 0) r += y;
    return r === 0 ? 0 : r;
  }
  const bx = big(x);
  const by = big(y);
  if (by === 0n) zeroDivision('modulo');
  let r = bx % by;
  if (r !== 0n && r < 0n !== by < 0n) r += by;
  return normBig(r);
}

/** Python `a // b` on integers: floor toward −∞. */
export function ifloordiv(a: Int | boolean, b: Int | boolean): Int {
  const x = asInt(a);
  const y = asInt(b);
  if (typeof x === 'number' && typeof y === 'number') {
    if (y === 0) zeroDivision('floor division');
    const r = x % y;
    // x - r is an exact multiple of y, so the division below is exact
    let q = (x - r) / y;
    if (r !== 0 && r < 0 !== y < 0) q -= 1;
    return q === 0 ? 0 : q;
  }
  const bx = big(x);
  const by = big(y);
  if (by === 0n) zeroDivision('floor division');
  let q = bx / by;
  const r = bx % by;
  if (r !== 0n && r < 0n !== by < 0n) q -= 1n;
  return normBig(q);
}

/** Any numeric/boolean value as a double. */
export function toDouble(v: number | bigint | boolean): number {
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
}

/** Python `a / b` (true division), always a double. */
export function truediv(a: number | bigint | boolean, b: number | bigint | boolean, op = 'division'): number {
  const y = toDouble(b);
  if (y === 0) zeroDivision(op);
  return toDouble(a) / y;
}

/** Python float `a % b`. */
export function fmod(a: number, b: number): number {
  if (b === 0) zeroDivision('modulo');
  let mod = a % b;
  if (mod) {
    if (b < 0 !== mod < 0) mod += b;
  } else {
    mod = b < 0 ? -0 : 0;
  }
  return mod;
}

/** Python float `a // b` (CPython's float_floor_div algorithm). */
export function ffloordiv(a: number, b: number): number {
  if (b === 0) zeroDivision('floor division');
  let mod = a % b;
  let div = (a - mod) / b;
  if (mod) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  if (div) {
    let floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
    return floordiv;
  }
  return a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
}

/** Python truthiness of a value (NaN is truthy, as in Python). */
export function truthy(v: unknown): boolean {
  if (typeof v === 'number') return v !== 0;
  return !!v;
}

/** Python `int(x)` for a double: truncate toward zero; NaN/inf are row errors (D-38). */
export function doubleToInt(x: number, fn = 'long'): Int {
  if (x !== x) throw new RowError('bad cast', `${fn}: cannot convert float NaN to integer`);
  if (x === Infinity || x === -Infinity) throw new RowError('bad cast', `${fn}: cannot convert float infinity to integer`);
  const t = Math.trunc(x);
  if (t <= MAX_SAFE && t >= MIN_SAFE) return t === 0 ? 0 : t;
  return BigInt(t);
}

/** Python `int(text)`: optional whitespace, optional sign, decimal digits. Returns undefined if invalid. */
export function parseIntText(s: string, start = 0, end = s.length): Int | undefined {
  while (start < end && isSpace(s.charCodeAt(start))) start++;
  while (end > start && isSpace(s.charCodeAt(end - 1))) end--;
  if (start >= end) return undefined;
  let neg = false;
  let c = s.charCodeAt(start);
  if (c === 45 /* - */ || c === 43 /* + */) {
    neg = c === 45;
    start++;
    if (start >= end) return undefined;
  }
  const n = end - start;
  if (n <= 15) {
    let v = 0;
    for (let i = start; i < end; i++) {
      c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      v = v * 10 + c;
    }
    return neg ? (v === 0 ? 0 : -v) : v;
  }
  for (let i = start; i < end; i++) {
    c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
  }
  const b = BigInt(s.slice(start, end));
  return normBig(neg ? -b : b);
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

const SPECIAL_FLOATS: Record<string, number> = {
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
};

/** Python `float(text)`: decimal and exponent forms, inf/nan, surrounding whitespace. */
export function parseFloatText(s: string): number | undefined {
  const v = +s;
  if (v === v) {
    // JS also accepts "", "  ", 0x/0o/0b literals and "Infinity"; Python's float() does not
    // accept the empty ones nor the radix prefixes.
    const t = s.trim();
    if (t.length === 0) return undefined;
    const c0 = t.charCodeAt(0);
    if (c0 === 48 && t.length > 1) {
      const c1 = t.charCodeAt(1) | 0x20;
      if (c1 === 0x78 || c1 === 0x6f || c1 === 0x62) return undefined; // x o b
    }
    return v;
  }
  const special = SPECIAL_FLOATS[s.trim().toLowerCase()];
  return special;
}

/** Input boolean cells (D-11): true/false/1/0/yes/no, case-insensitive. */
export function parseBoolText(s: string): boolean | undefined {
  switch (s.trim().toLowerCase()) {
    case 'true':
    case '1':
    case 'yes':
      return true;
    case 'false':
    case '0':
    case 'no':
      return false;
    default:
      return undefined;
  }
}
