/**
 * JSON of InfluxDB's /query answers, with 64-bit integers (times in ns, int64 fields) kept exact.
 * lossless-json instead of a hand-written parser: about 1.2× faster on the small answers of history
 * lookups (3.8 vs 4.6 µs), about 1.3× slower on 1 MB answers (30 vs 39 MB/s), which no path here reads.
 */
import { isInteger, isSafeNumber, parse } from 'lossless-json';

const number = (text: string): number | bigint => (isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text));

/** JSON.parse, except integers beyond ±2^53 become bigint; a "__proto__" key is plain data. */
export function parseJsonBig(text: string): unknown {
  return parse(text, null, number);
}
