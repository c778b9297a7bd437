/**
 * JSON of InfluxDB's /query answers, with 64-bit integers (times in ns, int64 fields) kept exact.
 * lossless-json instead of a hand-written parser: about 1.5× slower than the one it replaced (9.5 vs
 * 6.2 µs for a history lookup's answer; test/bench/json.mjs), which is nothing beside the HTTP round
 * trip around it, for one less parser of our own (docs/architecture.md#libraries-chosen-by-measurement).
 */
import { isInteger, isSafeNumber, parse } from 'lossless-json';

const number = (text: string): number | bigint => (isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text));

/** JSON.parse, except integers beyond ±2^53 become bigint; a "__proto__" key is plain data. */
export function parseJsonBig(text: string): unknown {
  return parse(text, null, number);
}
