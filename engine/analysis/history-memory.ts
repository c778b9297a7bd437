/**
 * History answered from the windows of the run itself, with no store at all: backtests, config
 * tests and diffs replay a config with its outputs off, so the points analysis compares with are
 * the windows this replay has just closed. Lookups follow docs/semantics.md#history-lookups
 * exactly (closest point within ± accuracy, a tie to the later one), as the SQLite store answers them.
 */
import type { Value } from '../core/types.js';
import type { ClosedWindow, Group } from '../core/window.js';
import type { HistoryQuery, HistorySource } from '../components/types.js';
import { pointTime, storedPointMaker, type StoredPoint } from './history-recent.js';
import { KeyIndex } from './key-index.js';

/**
 * One key's points, oldest first. A point is kept as its window and aggregate row, and made (frozen, with `key`) only
 * when something asks for it: the built-in rules read the rows by index (rowNow), so most points are never made, and
 * a point per aggregate row of every window was most of a backtest's garbage (docs/backtest.md#speed).
 */
interface KeySeries {
  /** window ends in increasing order (windows close in time order) */
  ends: number[];
  windows: ClosedWindow[];
  groups: Group[];
  points: (Readonly<StoredPoint> | undefined)[];
  /** entries before this index are past the horizon */
  first: number;
}

export class WindowMemoryHistory implements HistorySource {
  readonly description = 'the windows of this replay (in memory)';
  /** the replay observes each window before it analyses it */
  readonly answersAnalysedWindows = true;
  private readonly keys = new KeyIndex<KeySeries>();
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
    const groups = w.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!;
      let s = this.keys.get(g.key);
      if (!s) {
        s = { ends: [], windows: [], groups: [], points: [], first: 0 };
        this.keys.set(g.key, s);
        // a lookup may have remembered this key as absent
        this.lastKey = undefined;
      }
      s.ends.push(w.endMs);
      s.windows.push(w);
      s.groups.push(g);
      s.points.push(undefined);
    }
    if (w.endMs > this.newestEnd) this.newestEnd = w.endMs;
    if (this.keepMs !== Infinity && ++this.sinceCompaction >= 64) this.forgetOld();
  }

  /** drops points no lookup can reach any more, so memory stays bounded by keys × look-back */
  private forgetOld(): void {
    this.sinceCompaction = 0;
    this.lastKey = undefined;
    const horizon = this.newestEnd - this.keepMs;
    this.keys.retain((s) => {
      while (s.first < s.ends.length && s.ends[s.first]! < horizon) s.first++;
      if (s.first === s.ends.length) return false;
      if (s.first > 1024 && s.first * 2 > s.ends.length) {
        s.ends.splice(0, s.first);
        s.windows.splice(0, s.first);
        s.groups.splice(0, s.first);
        s.points.splice(0, s.first);
        s.first = 0;
      }
      return true;
    });
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    const point = this.pointNow(q);
    if (!point) return undefined;
    const { key: _key, ...stored } = point;
    return stored as Record<string, Value>;
  }

  pointNow(q: HistoryQuery): Readonly<StoredPoint> | undefined {
    const i = this.closest(q);
    if (i < 0) return undefined;
    const s = this.lastSeries!;
    const w = s.windows[i]!;
    return (s.points[i] ??= Object.freeze(this.makePoint(w, s.groups[i]!, pointTime(w))));
  }

  /** the answer's aggregate row, as it was before stored (booleans as booleans), in the output's value order */
  rowNow(q: HistoryQuery): readonly Value[] | undefined {
    const i = this.closest(q);
    return i < 0 ? undefined : this.lastSeries!.groups[i]!.acc;
  }

  /** The index of the answer to `q` in its key's series (the series left in lastSeries), or −1. */
  private closest(q: HistoryQuery): number {
    // an analysis asks for several points of one record in a row: its key array is the same object
    if (q.key !== this.lastKey || q.key === null) {
      this.lastKey = q.key;
      this.lastSeries = this.keys.get(q.key);
    }
    const s = this.lastSeries;
    if (!s) return -1;
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
    const laterDistance = later < 0 ? Infinity : ends[later]! - q.targetMs;
    const earlierDistance = earlier < 0 ? Infinity : q.targetMs - ends[earlier]!;
    // the closest point first, a tie goes to the later one
    const best = laterDistance <= earlierDistance ? later : earlier;
    if (best < 0 || Math.min(laterDistance, earlierDistance) > q.toleranceMs) return -1;
    return best;
  }
}
