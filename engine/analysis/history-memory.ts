/**
 * History answered from the windows of the run itself, with no store at all: backtests, config
 * tests and diffs replay a config with its outputs off, so the points analysis compares with are
 * the windows this replay has just closed. Lookups follow docs/semantics.md#history-lookups
 * exactly (closest point within ± accuracy, a tie to the later one), as the SQLite store answers them.
 */
import type { Value } from '../core/types.js';
import type { ClosedWindow, Group } from '../core/window.js';
import type { HistoryQuery, HistorySource } from '../components/types.js';
import { keyString, pointTime, storedPointMaker, type StoredPoint } from './history-recent.js';

interface KeySeries {
  /** window ends in increasing order (windows close in time order) */
  ends: number[];
  /** as stored, plus `key` (what an analysis reads), frozen */
  records: Readonly<Record<string, Value | Value[] | null>>[];
  /** entries before this index are past the horizon */
  first: number;
}

export class WindowMemoryHistory implements HistorySource {
  readonly description = 'the windows of this replay (in memory)';
  /** the replay observes each window before it analyses it */
  readonly answersAnalysedWindows = true;
  private readonly series = new Map<string, KeySeries>();
  private newestEnd = -Infinity;
  private sinceCompaction = 0;
  private lastKey: Value[] | null | undefined;
  private lastSeries: KeySeries | undefined;
  private readonly makePoint: (w: ClosedWindow, g: Group, time: bigint) => StoredPoint;

  constructor(
    keyFields: readonly string[],
    valueNames: readonly string[],
    /** how far back lookups can reach (ms before the newest window end); Infinity keeps every window */
    private readonly keepMs: number,
  ) {
    this.makePoint = storedPointMaker(keyFields, valueNames);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  /** called once per closed window, before the window is analysed (a run writes before it analyses) */
  observe(w: ClosedWindow): void {
    const time = pointTime(w);
    for (const g of w.groups) {
      const k = keyString(g.key);
      let s = this.series.get(k);
      if (!s) {
        s = { ends: [], records: [], first: 0 };
        this.series.set(k, s);
        this.lastKey = undefined;
      }
      s.ends.push(w.endMs);
      s.records.push(Object.freeze(this.makePoint(w, g, time)));
    }
    if (w.endMs > this.newestEnd) this.newestEnd = w.endMs;
    if (this.keepMs !== Infinity && ++this.sinceCompaction >= 64) this.forgetOld();
  }

  /** drops points no lookup can reach any more, so memory stays bounded by keys × look-back */
  private forgetOld(): void {
    this.sinceCompaction = 0;
    const horizon = this.newestEnd - this.keepMs;
    for (const [k, s] of this.series) {
      while (s.first < s.ends.length && s.ends[s.first]! < horizon) s.first++;
      if (s.first === s.ends.length) {
        this.series.delete(k);
        this.lastKey = undefined;
      } else if (s.first > 1024 && s.first * 2 > s.ends.length) {
        s.ends.splice(0, s.first);
        s.records.splice(0, s.first);
        s.first = 0;
      }
    }
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    const point = this.pointNow(q);
    if (!point) return undefined;
    const { key: _key, ...stored } = point;
    return stored as Record<string, Value>;
  }

  pointNow(q: HistoryQuery): Readonly<Record<string, Value | Value[] | null>> | undefined {
    // an analysis asks for several points of one record in a row: its key array is the same object
    if (q.key !== this.lastKey || q.key === null) {
      this.lastKey = q.key;
      this.lastSeries = this.series.get(keyString(q.key));
    }
    const s = this.lastSeries;
    if (!s) return undefined;
    const { ends } = s;
    // first point at or after the target: lookups reach a few windows back, so walk back from the
    // newest point, and search the rest by halves
    let lo = ends.length;
    const stop = Math.max(s.first, ends.length - 16);
    while (lo > stop && ends[lo - 1]! >= q.targetMs) lo--;
    if (lo === stop && lo > s.first && ends[lo - 1]! >= q.targetMs) {
      let hi = lo;
      lo = s.first;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ends[mid]! < q.targetMs) lo = mid + 1;
        else hi = mid;
      }
    }
    const later = lo < ends.length ? lo : -1;
    const earlier = lo - 1 >= s.first ? lo - 1 : -1;
    const distance = (i: number) => (i < 0 ? Infinity : Math.abs(ends[i]! - q.targetMs));
    // the closest point first, a tie goes to the later one
    const best = distance(later) <= distance(earlier) ? later : earlier;
    if (best < 0 || distance(best) > q.toleranceMs) return undefined;
    return s.records[best];
  }
}
