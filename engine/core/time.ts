import type { TimeUnit } from '../config/model.js';
import type { Value } from './types.js';

const PER_MS: Record<TimeUnit, number> = { s: 1 / 1000, ms: 1, us: 1000, ns: 1_000_000 };

/** Event-time field value → epoch milliseconds (NaN if not a finite number). */
export function timeToMsFn(unit: TimeUnit): (v: Value) => number {
  const div = PER_MS[unit];
  if (unit === 's') return (v) => (typeof v === 'number' ? v * 1000 : typeof v === 'bigint' ? Number(v) * 1000 : NaN);
  return (v) => (typeof v === 'number' ? v / div : typeof v === 'bigint' ? Number(v) / div : NaN);
}

export function windowStart(tMs: number, durMs: number): number {
  return Math.floor(tMs / durMs) * durMs;
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
