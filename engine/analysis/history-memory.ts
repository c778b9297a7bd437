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
 * One key's points, oldest first, in a ring that grows by doubling and otherwise never moves: a point leaves as soon as
 * it is out of reach, and nothing is copied as the run goes on. Arrays that grew and were spliced kept thousands of
 * entries alive across young-generation collections, and each copy of them was promoted (12 MB promoted per 1 M rows,
 * against 2.5 MB without history; V8's `--trace-gc-nvp`). A point is kept as its window and aggregate row, and made
 * (frozen, with `key`) only when something asks for it: the built-in rules read the rows by index (rowNow), so most
 * points are never made (docs/backtest.md#speed).
 */
class KeySeries {
  /** window ends in increasing order (windows close in time order), ring-indexed */
  ends = new Float64Array(8);
  windows: (ClosedWindow | undefined)[] = new Array(8).fill(undefined);
  groups: (Group | undefined)[] = new Array(8).fill(undefined);
  points: (Readonly<StoredPoint> | undefined)[] = new Array(8).fill(undefined);
  /** ring index of the oldest point */
  head = 0;
  size = 0;
  private mask = 7;

  /** the ring index of the i-th point, oldest first */
  at(i: number): number {
    return (this.head + i) & this.mask;
  }

  push(w: ClosedWindow, g: Group): void {
    if (this.size > this.mask) this.grow();
    const at = this.at(this.size++);
    this.ends[at] = w.endMs;
    this.windows[at] = w;
    this.groups[at] = g;
  }

  /** forgets the points of windows ending before `horizon`; true when none is left */
  forgetBefore(horizon: number): boolean {
    while (this.size > 0 && this.ends[this.head]! < horizon) {
      const at = this.head;
      this.windows[at] = undefined;
      this.groups[at] = undefined;
      this.points[at] = undefined;
      this.head = (at + 1) & this.mask;
      this.size--;
    }
    return this.size === 0;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const ends = new Float64Array(capacity);
    const windows: (ClosedWindow | undefined)[] = new Array(capacity).fill(undefined);
    const groups: (Group | undefined)[] = new Array(capacity).fill(undefined);
    const points: (Readonly<StoredPoint> | undefined)[] = new Array(capacity).fill(undefined);
    for (let i = 0; i < this.size; i++) {
      const from = this.at(i);
      ends[i] = this.ends[from]!;
      windows[i] = this.windows[from];
      groups[i] = this.groups[from];
      points[i] = this.points[from];
    }
    this.ends = ends;
    this.windows = windows;
    this.groups = groups;
    this.points = points;
    this.head = 0;
    this.mask = capacity - 1;
  }
}

const newSeries = () => new KeySeries();

export class WindowMemoryHistory implements HistorySource {
  readonly description = 'the windows of this replay (in memory)';
  /** the replay observes each window before it analyses it */
  readonly answersAnalysedWindows = true;
  private readonly keys = new KeyIndex<KeySeries>();
  private newestEnd = -Infinity;
  private sinceSweep = 0;
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
    if (w.endMs > this.newestEnd) this.newestEnd = w.endMs;
    const horizon = this.newestEnd - this.keepMs;
    const groups = w.groups;
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!;
      const s = this.keys.getOrAdd(g.key, newSeries);
      s.forgetBefore(horizon);
      s.push(w, g);
    }
    // keys that stopped coming are looked at now and then
    if (this.keepMs !== Infinity && ++this.sinceSweep >= 64) this.forgetGoneKeys(horizon);
  }

  /** drops keys with no point in reach any more, so memory stays bounded by keys × look-back */
  private forgetGoneKeys(horizon: number): void {
    this.sinceSweep = 0;
    this.lastKey = undefined;
    this.keys.retain((s) => !s.forgetBefore(horizon));
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    const point = this.pointNow(q);
    if (!point) return undefined;
    const { key: _key, ...stored } = point;
    return stored as Record<string, Value>;
  }

  pointNow(q: HistoryQuery): Readonly<StoredPoint> | undefined {
    const at = this.closest(q);
    if (at < 0) return undefined;
    const s = this.lastSeries!;
    const w = s.windows[at]!;
    return (s.points[at] ??= Object.freeze(this.makePoint(w, s.groups[at]!, pointTime(w))));
  }

  /** the answer's aggregate row, as it was before stored (booleans as booleans), in the output's value order */
  rowNow(q: HistoryQuery): readonly Value[] | undefined {
    const at = this.closest(q);
    return at < 0 ? undefined : this.lastSeries!.groups[at]!.acc;
  }

  /** The ring index of the answer to `q` in its key's series (the series left in lastSeries), or −1. */
  private closest(q: HistoryQuery): number {
    // an analysis asks for several points of one record in a row: its key array is the same object
    // a key found absent is looked up again: a window observed since may have brought it
    if (q.key !== this.lastKey || this.lastSeries === undefined || q.key === null) {
      this.lastKey = q.key;
      this.lastSeries = this.keys.get(q.key);
    }
    const s = this.lastSeries;
    if (!s) return -1;
    const { ends, size } = s;
    const target = q.targetMs;
    // first point at or after the target: lookups reach a few windows back, so walk back from the
    // newest point, and search the rest by halves
    let lo = size;
    const stop = Math.max(0, size - 16);
    while (lo > stop && ends[s.at(lo - 1)]! >= target) lo--;
    if (lo === stop && lo > 0 && ends[s.at(lo - 1)]! >= target) {
      let hi = lo;
      lo = 0;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ends[s.at(mid)]! < target) lo = mid + 1;
        else hi = mid;
      }
    }
    const laterDistance = lo < size ? ends[s.at(lo)]! - target : Infinity;
    const earlierDistance = lo > 0 ? target - ends[s.at(lo - 1)]! : Infinity;
    // the closest point first, a tie goes to the later one
    if (laterDistance <= earlierDistance) return laterDistance <= q.toleranceMs ? s.at(lo) : -1;
    return earlierDistance <= q.toleranceMs ? s.at(lo - 1) : -1;
  }
}
