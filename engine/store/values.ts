/**
 * How values are kept in the embedded store (docs/bad-input.md): integers in int64 range as
 * INTEGER, booleans as 0/1, doubles as REAL, strings as TEXT — and integers beyond int64 (the
 * language's integers are unbounded) as a BLOB holding their decimal digits. Not TEXT: a column of
 * INTEGER affinity turns a numeric-looking TEXT into a REAL and loses the digits, while a BLOB is
 * stored as it is; `CAST(col AS TEXT)` gives the exact digits of every row either way.
 */
import type { Value } from '../types.js';
import { normBig } from '../values/numeric.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export type SqlValue = number | bigint | string | Buffer | null;

export function toSqlValue(v: Value): SqlValue {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint' && (v > INT64_MAX || v < INT64_MIN)) return Buffer.from(v.toString(), 'latin1');
  return v;
}

const DIGITS = /^-?[0-9]+$/;

/**
 * A stored value read back (statements in safe-integer mode, so int64 values keep every digit):
 * integers as number when safe, else bigint; a BLOB of decimal digits is such an integer.
 */
export function fromSqlValue(v: unknown): Value {
  if (typeof v === 'bigint') return normBig(v);
  if (Buffer.isBuffer(v)) {
    const text = v.toString('latin1');
    return DIGITS.test(text) ? normBig(BigInt(text)) : text;
  }
  return v as Value;
}
