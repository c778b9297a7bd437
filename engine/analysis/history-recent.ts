/**
 * History lookups served from the windows this run has just written. When the
 * history source is one of the run's own outputs (the usual `main` output),
 * the last few windows are kept in memory exactly as they were stored, so most
 * lookups never reach SQLite or InfluxDB; anything else (earlier runs, keys
 * missing from a window) falls through to the real source.
 */
import type { Value } from '../core/types.js';
import type { ClosedWindow, Group } from '../core/window.js';
import type { HistoryQuery, HistorySource } from '../components/types.js';

export function keyString(key: readonly Value[] | null): string {
  if (key === null) return '';
  let s = '';
  for (const v of key) s += typeof v + ':' + String(v) + '\u0001';
  return s;
}

export class RecentWindowsHistory implements HistorySource {
  readonly description: string;
  /** window end → key → the record as stored, plus `key` (what an analysis reads), frozen */
  private readonly windows = new Map<number, Map<string, Readonly<Record<string, Value>>>>();
  private newestEnd = -Infinity;
  hits = 0;
  misses = 0;
  private lastKey: Value[] | null | undefined;
  private lastKeyText = '';

  constructor(
    private readonly inner: HistorySource,
    private readonly keyFields: string[],
    private readonly valueNames: string[],
    /** how far back lookups reach: max index × batchDuration + accuracy */
    private readonly keepMs: number,
    private readonly batchMs: number,
  ) {
    this.description = `${inner.description} (recent windows cached)`;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** called after a window was written to the output this history reads */
  observe(w: ClosedWindow): void {
    const rows = new Map<string, Readonly<Record<string, Value>>>();
    const time = pointTime(w);
    for (const g of w.groups) {
      const point: Record<string, Value | Value[] | null> = storedRecord(w, g, this.keyFields, this.valueNames, time);
      point.key = g.key;
      rows.set(keyString(g.key), Object.freeze(point) as Readonly<Record<string, Value>>);
    }
    this.windows.set(w.endMs, rows);
    if (w.endMs > this.newestEnd) this.newestEnd = w.endMs;
    const horizon = this.newestEnd - this.keepMs - this.batchMs;
    for (const end of this.windows.keys()) if (end < horizon) this.windows.delete(end);
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    const point = this.knownNow(q);
    if (point) {
      const { key: _key, ...stored } = point;
      return stored;
    }
    this.misses++;
    return this.inner.lookup(q);
  }

  knownNow(q: HistoryQuery): Readonly<Record<string, Value>> | undefined {
    // Only an exact hit is answered here: a point stored at the target time itself is the
    // closest one whatever else the store holds (earlier runs included); anything else asks the store.
    // An analysis asks for several points of one record in a row, with the same key array object.
    if (q.key !== this.lastKey || q.key === null) {
      this.lastKey = q.key;
      this.lastKeyText = keyString(q.key);
    }
    const point = this.windows.get(q.targetMs)?.get(this.lastKeyText);
    if (point) this.hits++;
    return point;
  }
}

/** Values as the stores give them back: booleans as 0/1. */
function stored(v: Value): Value {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/** An aggregate row as a history store gives it back: window bounds, key fields, values and the point's time in ns. */
export function storedRecord(
  w: ClosedWindow,
  g: Group,
  keyFields: readonly string[],
  valueNames: readonly string[],
  /** the window end in ns: one per window, shared by its records */
  time: bigint = pointTime(w),
): Record<string, Value> {
  const rec: Record<string, Value> = { window_start: w.startMs, window_end: w.endMs };
  if (g.key) for (let i = 0; i < keyFields.length; i++) rec[keyFields[i]!] = stored(g.key[i]!);
  for (let i = 0; i < valueNames.length; i++) rec[valueNames[i]!] = stored(g.acc[i]!);
  rec.time = time;
  return rec;
}

/** The time a store gives a window's points: its end, in ns. */
export function pointTime(w: ClosedWindow): bigint {
  return BigInt(w.endMs) * 1_000_000n;
}
