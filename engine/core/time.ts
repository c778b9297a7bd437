/** Time units, window arithmetic and timestamps: the one table every layer converts time with. */
import type { Value } from './types.js';

/** Units of an event-time field (input.options.time_unit). */
export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

export const TIME_UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'ns'];

/** Milliseconds in one of each unit. */
export const MS_PER_UNIT: Readonly<Record<TimeUnit, number>> = { s: 1000, ms: 1, us: 1 / 1000, ns: 1 / 1_000_000 };

/** Event-time field value → epoch milliseconds (NaN if not a finite number). */
export function timeToMsFn(unit: TimeUnit): (v: Value) => number {
  // dividing by the exact reciprocal keeps the results bit-identical to what was stored before
  if (unit === 's') return (v) => (typeof v === 'number' ? v * 1000 : typeof v === 'bigint' ? Number(v) * 1000 : NaN);
  const div = 1 / MS_PER_UNIT[unit];
  return (v) => (typeof v === 'number' ? v / div : typeof v === 'bigint' ? Number(v) / div : NaN);
}

/** Largest epoch time (ms) a JavaScript Date holds. */
export const MAX_EVENT_MS = 8.64e15;

export function windowStart(tMs: number, durMs: number): number {
  return Math.floor(tMs / durMs) * durMs;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
