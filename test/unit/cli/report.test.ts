// Counts in the CLI's summary lines: grouped as toLocaleString('en-US') groups them, for every digit count, signs,
// halves that round, and the values it leaves to toLocaleString (not safe integers, NaN, infinities); -0 is 0.
import { describe, expect, it } from 'vitest';
import { grouped } from '../../../engine/cli/report.js';

describe('grouped', () => {
  it('writes what toLocaleString("en-US") writes for the rounded number', () => {
    const values = [0, 7, 42, 999, 1000, 1001, 12_345, 99_999, 100_000, 999_999, 1_000_000, 49_180.5, 1234.49, -1234, -999, -1_000_000.5];
    for (let digits = 1; digits <= 16; digits++) values.push(Number('9'.repeat(digits)), 10 ** (digits - 1));
    values.push(2 ** 53 - 1, 2 ** 53, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    for (const n of values) expect(grouped(n), String(n)).toBe(Math.round(n).toLocaleString('en-US'));
    expect(grouped(-0.25)).toBe('0'); // toLocaleString writes "-0"
  });
});
