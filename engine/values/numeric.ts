/**
 * Exact integer arithmetic with a fast path: integers are JS numbers while they
 * are safe integers and switch to bigint beyond ±(2^53 − 1) (docs/semantics.md#exact-integers). Every helper
 * returns a normalised integer (number iff safe), so equality and Map keys work.
 * Python semantics throughout: floored modulo and floor division, true division.
 */
import { RowError } from '../core/errors.js';

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
  return iaddSlow(asInt(a), asInt(b));
}

function iaddSlow(a: Int, b: Int): Int {
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
  return isubSlow(asInt(a), asInt(b));
}

function isubSlow(a: Int, b: Int): Int {
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
  return imulSlow(asInt(a), asInt(b));
}

function imulSlow(a: Int, b: Int): Int {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    if (r <= MAX_SAFE && r >= MIN_SAFE) return r === 0 ? 0 : r;
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

/** Any numeric/boolean value as a double (an integer beyond the double range becomes ±Infinity). */
export function toDouble(v: number | bigint | boolean): number {
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
}

function overflow(fn: string, what: string): never {
  throw new RowError('overflow', `${fn}: OverflowError: ${what}`);
}

/**
 * Python `float(x)` of a number, as the language's conversions and mixed int/float arithmetic do it:
 * an integer too large for a double is an OverflowError (a row error), never a silent infinity.
 */
export function toDoubleChecked(v: number | bigint | boolean, fn = 'float'): number {
  if (typeof v !== 'bigint') return toDouble(v);
  const d = Number(v);
  if (d === Infinity || d === -Infinity) overflow(fn, 'int too large to convert to float');
  return d;
}

/** Python `a / b` when either side is a float: both converted to doubles first. */
export function truediv(a: number | bigint | boolean, b: number | bigint | boolean, op = 'division'): number {
  const y = toDoubleChecked(b, op);
  if (y === 0) zeroDivision(op);
  return toDoubleChecked(a, op) / y;
}

/** Number of bits of a positive bigint. */
function bitLength(b: bigint): number {
  const hex = b.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
}

/** x · 2^e in two exact steps (each factor a normal double), so only the final product rounds. */
function scaleByPowerOfTwo(x: number, e: number): number {
  const half = Math.trunc(e / 2);
  return x * 2 ** half * 2 ** (e - half);
}

/**
 * Python `int / int` (true division of two integers): the correctly rounded quotient, however
 * large the operands (`10**400 / 10**399` is 10.0); a quotient beyond the double range is an
 * OverflowError, one below it underflows to ±0.0.
 */
export function itruediv(a: Int | boolean, b: Int | boolean, op = 'division'): number {
  const x = asInt(a);
  const y = asInt(b);
  if (typeof x === 'number' && typeof y === 'number') {
    // both exact doubles: IEEE division is correctly rounded
    if (y === 0) zeroDivision(op);
    return x / y;
  }
  let n = big(x);
  let d = big(y);
  if (d === 0n) zeroDivision(op);
  const negative = n < 0n !== d < 0n;
  if (n === 0n) return negative ? -0 : 0;
  if (n < 0n) n = -n;
  if (d < 0n) d = -d;
  const magnitude = bitLength(n) - bitLength(d);
  if (magnitude > 1025) overflow(op, 'integer division result too large for a float');
  if (magnitude < -1080) return negative ? -0 : 0;
  // a quotient of 55–56 bits: 53 for the mantissa, a rounding bit, and a sticky bit below it
  const shift = 55 - magnitude;
  let q: bigint;
  let exact: boolean;
  if (shift >= 0) {
    const scaled = n << BigInt(shift);
    q = scaled / d;
    exact = q * d === scaled;
  } else {
    const scaled = d << BigInt(-shift);
    q = n / scaled;
    exact = q * scaled === n;
  }
  let lowExp = -shift;
  // below the normal range fewer mantissa bits remain: round only once, at 2^-1074
  if (lowExp < -1076) {
    const drop = BigInt(-1076 - lowExp);
    if ((q & ((1n << drop) - 1n)) !== 0n) exact = false;
    q >>= drop;
    lowExp = -1076;
  }
  if (!exact) q |= 1n;
  const v = scaleByPowerOfTwo(Number(q), lowExp);
  if (v === Infinity) overflow(op, 'integer division result too large for a float');
  return negative ? -v : v;
}

/** Python float `a % b` (CPython's float_rem; a NaN remainder counts as non-zero, as in C). */
export function fmod(a: number, b: number): number {
  if (b === 0) zeroDivision('modulo');
  let mod = a % b;
  // C's `if (mod)` (CPython's float_rem): NaN counts as non-zero, unlike JavaScript's truthiness
  if (mod !== 0) {
    if (b < 0 !== mod < 0) mod += b;
  } else {
    mod = b < 0 ? -0 : 0;
  }
  return mod;
}

/** Python float `a // b` (CPython's float_floor_div; NaN quotients and remainders count as non-zero, as in C). */
export function ffloordiv(a: number, b: number): number {
  if (b === 0) zeroDivision('floor division');
  let mod = a % b;
  let div = (a - mod) / b;
  // as in fmod: C's truthiness, so NaN (an infinite dividend) propagates as in Python
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  if (div !== 0) {
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

/** Python `int(x)` for a double: truncate toward zero; NaN/inf are row errors (docs/semantics.md#casts). */
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

export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const MANTISSA_LIMIT = 900719925474098; // m * 10 + 9 stays below 2^53 (900719925474099 * 10 + 9 does not)

/**
 * `float(text[start:end])` without slicing for the common plain decimal form:
 * an exact integer mantissa below 2^53 divided by an exact power of ten (≤ 1e22)
 * is correctly rounded by IEEE division (Clinger's fast path), so the result is
 * identical to Number(); anything else takes the general path.
 */
export function parseFloatRange(s: string, start: number, end: number): number | undefined {
  let i = start;
  let neg = false;
  let c = s.charCodeAt(i);
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < end; i++) {
    c = s.charCodeAt(i);
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      if (m > MANTISSA_LIMIT) return parseFloatText(s.slice(start, end));
      m = m * 10 + d;
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return parseFloatText(s.slice(start, end));
  }
  if (digits === 0) return parseFloatText(s.slice(start, end));
  if (frac > 22) return parseFloatText(s.slice(start, end));
  const v = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -v : v;
}

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

/** Input boolean cells (docs/semantics.md#boolean-cells): true/false/1/0/yes/no, case-insensitive. */
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

// ---- byte-level parsing (CSV replay reads bytes; strings are made only for string fields) ----

const DECODER = new TextDecoder();

/** UTF-8 text of bytes [start, end). */
export function bytesText(buf: Uint8Array, start: number, end: number): string {
  return DECODER.decode(buf.subarray(start, end));
}

/** parseIntText over bytes. */
export function parseIntBytes(buf: Uint8Array, start: number, end: number): Int | undefined {
  let i = start;
  let neg = false;
  const c = buf[i]!;
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  const n = end - i;
  if (n <= 0 || n > 15) return parseIntText(bytesText(buf, start, end));
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return parseIntText(bytesText(buf, start, end));
    v = v * 10 + d;
  }
  return neg ? (v === 0 ? 0 : -v) : v;
}

/** parseFloatRange over bytes (same exact fast path). */
export function parseFloatBytes(buf: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let neg = false;
  let c = buf[i]!;
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < end; i++) {
    c = buf[i]!;
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      if (m > MANTISSA_LIMIT) return parseFloatText(bytesText(buf, start, end));
      m = m * 10 + d;
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return parseFloatText(bytesText(buf, start, end));
  }
  if (digits === 0 || frac > 22) return parseFloatText(bytesText(buf, start, end));
  const v = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -v : v;
}

/** A string field: ASCII bytes become a one-byte string directly, anything else is decoded as UTF-8. */
export function stringBytes(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 16) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return bytesText(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return bytesText(buf, start, end);
  const latin1 = (buf as unknown as { latin1Slice?: (s: number, e: number) => string }).latin1Slice;
  return latin1 ? latin1.call(buf, start, end) : bytesText(buf, start, end);
}

/** A table of the strings a column has held: see stringInterner. */
export interface StringInterner {
  /**
   * The string of bytes [start, end), given `hash` = the fold h = (h × 31 + byte) | 0 over them from 0 and `high`
   * = the OR of them (so the caller computes both while it looks for the cell's end).
   */
  hashed(buf: Uint8Array, start: number, end: number, hash: number, high: number): string;
}

/**
 * A string field read through an intern table: repeated values (keys such as a
 * sensor type) come back as the same string instead of a new allocation per
 * row. Bounded: one string per slot of a fixed table, a new string taking the
 * slot of the one it collides with. An array indexed by the hash, not a Map,
 * so a lookup hashes nothing again and never boxes the hash as a key.
 */
export function stringInterner(slotBits = 14): StringInterner {
  const table: string[] = new Array<string>(1 << slotBits).fill('');
  const shift = 32 - slotBits;
  return {
    hashed(buf, start, end, hash, high) {
      const n = end - start;
      if (n > 48 || high >= 0x80) return stringBytes(buf, start, end);
      const slot = Math.imul(hash ^ n, 0x9e3779b1) >>> shift;
      const hit = table[slot]!;
      if (hit.length === n) {
        let i = 0;
        while (i < n && hit.charCodeAt(i) === buf[start + i]) i++;
        if (i === n) return hit;
      }
      const str = stringBytes(buf, start, end);
      table[slot] = str;
      return str;
    },
  };
}
