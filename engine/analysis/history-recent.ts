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
import { KeyIndex } from './key-index.js';

export function keyString(key: readonly Value[] | null): string {
  if (key === null) return '';
  let s = '';
  for (const v of key) s += typeof v + ':' + String(v) + '\u0001';
  return s;
}

/** One key's recent points, in a ring indexed by window (slot = window end ÷ batchDuration, modulo the ring's size). */
interface KeySeries {
  /** per slot, the key's aggregate row of that window */
  groups: Group[];
  /**
   * frozen points as stored, plus `key`, made from `groups` when first asked for: the built-in rules read the rows
   * themselves (rowNow), so most points are never made (docs/performance.md#analysis)
   */
  points: (Readonly<Record<string, Value>> | undefined)[];
  /** the observation (see RecentWindowsHistory.observations) each point came with */
  observedIn: number[];
  /** the newest window end this key had a point in */
  newestEnd: number;
}

const newSeries = (): KeySeries => ({ groups: [], points: [], observedIn: [], newestEnd: -Infinity });

export class RecentWindowsHistory implements HistorySource {
  readonly description: string;
  /** the run observes a window as it writes it, before it analyses it; an exact hit is the stored point itself */
  readonly answersAnalysedWindows = true;
  private readonly keys = new KeyIndex<KeySeries>();
  /** a ring slot holds one window at a time: the windows reachable from the newest one all fit */
  private readonly slots: number;
  /**
   * per slot: the end of the window observed there last (NaN: none yet), and which observation that was. A typed
   * array: an element of a holey array of doubles reads as a number allocated per lookup (6 per aggregate row).
   */
  private readonly slotEnd: Float64Array;
  private readonly slotObservation: number[] = [];
  /** per slot: the window observed there last (its bounds, for the points), and its time as a store gives it */
  private readonly slotWindow: ClosedWindow[] = [];
  private readonly slotTime: bigint[] = [];
  private observations = 0;
  private newestEnd = -Infinity;
  /** windows ending before this are out of reach: they count as forgotten */
  private horizon = -Infinity;
  private sinceSweep = 0;
  private readonly makePoint: (w: ClosedWindow, g: Group, time: bigint) => StoredPoint;
  /** every lookup at once, when the store behind reads synchronously (see the constructor) */
  readonly pointNow?: (q: HistoryQuery) => Readonly<StoredPoint> | undefined;
  hits = 0;
  misses = 0;
  private lastKey: Value[] | null | undefined;
  private lastSeries: KeySeries | undefined;

  constructor(
    private readonly inner: HistorySource,
    keyFields: string[],
    valueNames: string[],
    /** how far back lookups reach: max index × batchDuration + accuracy */
    private readonly keepMs: number,
    private readonly batchMs: number,
  ) {
    this.description = `${inner.description} (recent windows cached)`;
    this.slots = Math.floor((keepMs + batchMs) / batchMs) + 2;
    this.slotEnd = new Float64Array(this.slots).fill(Number.NaN);
    this.makePoint = storedPointMaker(keyFields, valueNames);
    // a store read synchronously answers the misses at once too: no promise per lookup (history before the
    // run's first windows is a miss for every key, 600 000 of them in a window of 100 000 keys)
    const lookupNow = inner.lookupNow?.bind(inner);
    if (lookupNow) {
      this.pointNow = (q) => {
        const hit = this.knownNow(q);
        if (hit) return hit;
        this.misses++;
        const stored = lookupNow(q);
        // as RecordHistory.at() gives a looked-up point: the stored columns, then the record's key
        return stored ? Object.freeze({ ...stored, key: q.key }) : undefined;
      };
    }
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private slotOf(endMs: number): number {
    const w = Math.floor(endMs / this.batchMs);
    // w − ⌊w ÷ slots⌋ × slots: exact for |w| < 2⁵³, never negative, and without `%`, a call into the runtime on doubles
    return w - Math.floor(w / this.slots) * this.slots;
  }

  /** called after a window was written to the output this history reads */
  observe(w: ClosedWindow): void {
    const observation = ++this.observations;
    const slot = this.slotOf(w.endMs);
    this.slotEnd[slot] = w.endMs;
    this.slotObservation[slot] = observation;
    this.slotWindow[slot] = w;
    this.slotTime[slot] = pointTime(w);
    const groups = w.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!;
      const series = this.keys.getOrAdd(g.key, newSeries);
      series.groups[slot] = g;
      series.points[slot] = undefined;
      series.observedIn[slot] = observation;
      if (w.endMs > series.newestEnd) series.newestEnd = w.endMs;
    }
    if (w.endMs > this.newestEnd) this.newestEnd = w.endMs;
    this.horizon = this.newestEnd - this.keepMs - this.batchMs;
    if (++this.sinceSweep >= this.slots) this.forgetGoneKeys();
  }

  /** drops the keys with no point in reach, so memory stays bounded by the keys of recent windows */
  private forgetGoneKeys(): void {
    this.sinceSweep = 0;
    this.lastKey = undefined;
    this.keys.retain((series) => series.newestEnd >= this.horizon);
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
    const slot = this.hitSlot(q);
    if (slot < 0) return undefined;
    const series = this.lastSeries!;
    return (series.points[slot] ??= Object.freeze(this.makePoint(this.slotWindow[slot]!, series.groups[slot]!, this.slotTime[slot]!)) as Readonly<
      Record<string, Value>
    >);
  }

  rowNow(q: HistoryQuery): readonly Value[] | undefined {
    const slot = this.hitSlot(q);
    return slot < 0 ? undefined : this.lastSeries!.groups[slot]!.acc;
  }

  /** The ring slot of an exact hit for `q` (its key's series left in lastSeries), or −1. */
  private hitSlot(q: HistoryQuery): number {
    // Only an exact hit is answered here: a point stored at the target time itself is the
    // closest one whatever else the store holds (earlier runs included); anything else asks the store.
    // An analysis asks for several points of one record in a row, with the same key array object.
    // a key found absent is looked up again: a window observed since may have brought it
    if (q.key !== this.lastKey || this.lastSeries === undefined || q.key === null) {
      this.lastKey = q.key;
      this.lastSeries = this.keys.get(q.key);
    }
    const series = this.lastSeries;
    if (!series || q.targetMs < this.horizon) return -1;
    const slot = this.slotOf(q.targetMs);
    if (this.slotEnd[slot] !== q.targetMs || series.observedIn[slot] !== this.slotObservation[slot]) return -1;
    this.hits++;
    return slot;
  }
}

/** Values as the stores give them back: booleans as 0/1. */
function stored(v: Value): Value {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/** A point as a history store gives it back, plus the record's key array as `key` (what an analysis reads). */
export type StoredPoint = Record<string, Value | Value[] | null>;

/**
 * Makes the points of one row shape: window bounds, key fields, values (booleans as 0/1), the point's time in ns
 * (one per window, shared by its records) and `key`, in that order, a name given twice keeping its first place and
 * its last value. Generated as one object literal per shape: every point is made with the same hidden class at once
 * instead of growing one property at a time (a point per aggregate row of every window, docs/performance.md).
 */
export function storedPointMaker(keyFields: readonly string[], valueNames: readonly string[]): (w: ClosedWindow, g: Group, time: bigint) => StoredPoint {
  const fields = (keyed: boolean) =>
    [
      '"window_start": w.startMs',
      '"window_end": w.endMs',
      ...(keyed ? keyFields.map((f, i) => `${JSON.stringify(f)}: S(k[${i}])`) : []),
      ...valueNames.map((n, i) => `${JSON.stringify(n)}: S(a[${i}])`),
      '"time": time',
      '"key": k',
    ].join(', ');
  // a "__proto__" entry in a literal would set the prototype: such names take the slow path
  if ([...keyFields, ...valueNames].includes('__proto__')) {
    return (w, g, time) => {
      const point: StoredPoint = storedRecord(w, g, keyFields, valueNames, time);
      point.key = g.key;
      return point;
    };
  }
  const source = `"use strict";\nreturn function storedPoint(w, g, time) {\n  const k = g.key, a = g.acc;\n  return k ? { ${fields(true)} } : { ${fields(false)} };\n};`;
  return new Function('S', source)(stored) as (w: ClosedWindow, g: Group, time: bigint) => StoredPoint;
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
