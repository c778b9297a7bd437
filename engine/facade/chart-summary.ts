/**
 * What the workbench's charts draw of a run of any length (docs/workbench.md#charts-at-any-size):
 * per aggregated column, the minimum and maximum of each key in each time bucket, a min–max
 * envelope of the keys not drawn as lines, and the alerts counted per bucket. Buckets start one
 * window wide; whenever the run outgrows `maxBuckets`, adjacent pairs are merged and the width
 * doubles. Memory is therefore bounded by tracked keys × columns × maxBuckets whatever the input
 * size, and a chart as wide as the screen still gets a minimum and a maximum per pixel column.
 *
 * Keys beyond `maxTrackedKeys` keep their statistics (for the key picker) and feed the envelope,
 * but have no series of their own: the full data stays in the store.
 */
import type { CellValue } from '../facade-types.js';
import type { ClosedWindow } from '../core/window.js';
import type { Value } from '../core/types.js';
import { toCell } from './cells.js';

/** How the key picker ranks keys: by their peak of a column, or by their number of alerts. */
export type KeyRanking = { by: 'peak'; column: string } | { by: 'alerts' };

/** Which keys the charts draw as lines: the pinned ones and the top N of a ranking. */
export interface KeySelection {
  pinned: string[];
  top: number;
  rank: KeyRanking;
}

export interface ChartKeyStat {
  /** the key's values joined by " · " ("all" for a reduce config): the same text the UI shows */
  label: string;
  key: CellValue[] | null;
  /** first-seen order: a stable colour */
  index: number;
  windows: number;
  alerts: number;
  /** per column, its largest value (null: none numeric yet) */
  peak: (number | null)[];
  /** per column, the value of its latest window */
  last: (number | null)[];
}

export interface ChartColumnView {
  column: string;
  /** per shown key (same order as `ChartView.shown`), min and max per bucket from `from` */
  keys: { min: (number | null)[]; max: (number | null)[] }[];
  /** min and max over the keys not shown */
  others: { min: (number | null)[]; max: (number | null)[] };
  /** alerts per bucket on this column, and the largest alerting value of each bucket */
  alerts: { count: number[]; top: (number | null)[] };
}

/**
 * The charts' data, whole (`from` 0) or the buckets from `from` on (a delta: what changed since
 * the last view of the same `generation`; a new generation means the buckets were merged).
 */
export interface ChartView {
  generation: number;
  /** epoch ms where bucket 0 starts, and the width of a bucket */
  origin: number;
  bucketMs: number;
  /** buckets in use */
  buckets: number;
  from: number;
  columns: string[];
  shown: ChartKeyStat[];
  perColumn: ChartColumnView[];
  keyCount: number;
  windows: number;
  /** windows whose keys have no series of their own (beyond the tracked keys): the band holds them */
  untrackedKeys: number;
}

const DEFAULT_MAX_BUCKETS = 1024;
const DEFAULT_MAX_TRACKED_KEYS = 256;

/** one key field's level of ChartSummary.byRawKey: the next level, or (the last field) the key's track (an empty key: undefined) */
type RawKeyLevel = Map<Value | undefined, RawKeyLevel | KeyTrack>;

interface KeyTrack {
  stat: ChartKeyStat;
  /** [column × maxBuckets] min and max, NaN where the key has no value */
  min?: Float64Array;
  max?: Float64Array;
}

/** The label a key is known by, the same as the workbench's `keyLabel` (numbers to 12 significant digits). */
export function chartKeyLabel(key: readonly CellValue[] | null): string {
  if (key === null) return 'all';
  return key.map(cellLabel).join(' · ');
}

function cellLabel(v: CellValue): string {
  if (v === null) return '';
  if (typeof v === 'object') return v.big;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
  return String(v);
}

function numberOf(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number.NaN;
}

/**
 * 7 significant digits: more than a chart shows, and a third of the JSON of a double's 17. By
 * arithmetic, not `toPrecision` (a string per value was three quarters of a run's chart updates):
 * an integer times or divided by an exact power of ten is the nearest double to a 7-digit
 * decimal. It differs from `Number(v.toPrecision(7))` in the last digit for about 5 % of values
 * (near halves, and next to powers of ten), by less than 5e-7 of the value, and is 5 × faster.
 */
function forDisplay(v: number): number {
  if (Number.isInteger(v) || !Number.isFinite(v)) return v;
  const exponent = Math.floor(Math.log10(Math.abs(v)));
  if (exponent <= 6) {
    const scale = 10 ** (6 - exponent);
    return scale <= 1e22 ? Math.round(v * scale) / scale : Number(v.toPrecision(7));
  }
  const step = 10 ** (exponent - 6);
  return step <= 1e22 ? Math.round(v / step) * step : Number(v.toPrecision(7));
}

const nullable = (a: Float64Array, from: number, to: number): (number | null)[] => {
  const out = new Array<number | null>(to - from);
  for (let i = from; i < to; i++) out[i - from] = Number.isNaN(a[i]!) ? null : forDisplay(a[i]!);
  return out;
};

export class ChartSummary {
  readonly maxBuckets: number;
  readonly maxTrackedKeys: number;
  private origin = Number.NaN;
  private bucketMs = 0;
  private used = 0;
  private generation = 0;
  private windows = 0;
  private readonly keys = new Map<string, KeyTrack>();
  /** the same tracks by the engine's raw key values, one level per key field (trackRaw) */
  private readonly byRawKey: RawKeyLevel = new Map();
  /** one group's values, in the order of `columns` */
  private readonly scratch: Float64Array;
  private readonly order: KeyTrack[] = [];
  private readonly untracked: { min: Float64Array; max: Float64Array };
  private readonly alertCount: Uint32Array;
  private readonly alertTop: Float64Array;
  /** the first bucket changed since the last delta */
  private dirtyFrom = 0;
  /** anything added since the last view */
  private changed = false;
  private lastShown = '';
  private lastPinned = '';
  private lastGeneration = -1;

  constructor(
    readonly columns: string[],
    opts: { maxBuckets?: number; maxTrackedKeys?: number } = {},
  ) {
    this.maxBuckets = Math.max(2, (opts.maxBuckets ?? DEFAULT_MAX_BUCKETS) & ~1);
    this.maxTrackedKeys = opts.maxTrackedKeys ?? DEFAULT_MAX_TRACKED_KEYS;
    this.untracked = { min: this.nanArray(), max: this.nanArray() };
    this.alertCount = new Uint32Array(columns.length * this.maxBuckets);
    this.alertTop = this.nanArray();
    this.scratch = new Float64Array(columns.length);
  }

  private nanArray(): Float64Array {
    return new Float64Array(this.columns.length * this.maxBuckets).fill(Number.NaN);
  }

  /** bumped at every merge of the buckets (a view after one is whole) */
  get mergeCount(): number {
    return this.generation;
  }

  get keyCount(): number {
    return this.order.length;
  }

  /** The bucket a time (epoch ms) falls in, merging buckets until it fits. */
  private bucketOf(timeMs: number, widthMs: number): number {
    if (Number.isNaN(this.origin)) {
      this.origin = timeMs;
      this.bucketMs = Math.max(1, widthMs);
    }
    let b = Math.max(0, Math.floor((timeMs - this.origin) / this.bucketMs));
    while (b >= this.maxBuckets) {
      this.mergePairs();
      b = Math.max(0, Math.floor((timeMs - this.origin) / this.bucketMs));
    }
    if (b + 1 > this.used) this.used = b + 1;
    if (b < this.dirtyFrom) this.dirtyFrom = b;
    this.changed = true;
    return b;
  }

  private mergePairs(): void {
    const merge = (a: Float64Array, pick: (x: number, y: number) => number) => {
      for (let c = 0; c < this.columns.length; c++) {
        const base = c * this.maxBuckets;
        for (let i = 0; i < this.maxBuckets / 2; i++) {
          const x = a[base + 2 * i]!;
          const y = a[base + 2 * i + 1]!;
          a[base + i] = Number.isNaN(x) ? y : Number.isNaN(y) ? x : pick(x, y);
        }
        a.fill(Number.NaN, base + this.maxBuckets / 2, base + this.maxBuckets);
      }
    };
    for (const t of this.order) {
      if (!t.min || !t.max) continue;
      merge(t.min, Math.min);
      merge(t.max, Math.max);
    }
    merge(this.untracked.min, Math.min);
    merge(this.untracked.max, Math.max);
    merge(this.alertTop, Math.max);
    for (let c = 0; c < this.columns.length; c++) {
      const base = c * this.maxBuckets;
      for (let i = 0; i < this.maxBuckets / 2; i++) this.alertCount[base + i] = this.alertCount[base + 2 * i]! + this.alertCount[base + 2 * i + 1]!;
      this.alertCount.fill(0, base + this.maxBuckets / 2, base + this.maxBuckets);
    }
    this.bucketMs *= 2;
    this.used = Math.ceil(this.used / 2);
    this.generation++;
    this.dirtyFrom = 0;
  }

  private track(key: CellValue[] | null): KeyTrack {
    const label = chartKeyLabel(key);
    let t = this.keys.get(label);
    if (t) return t;
    const n = this.columns.length;
    t = {
      stat: { label, key, index: this.order.length, windows: 0, alerts: 0, peak: new Array(n).fill(null), last: new Array(n).fill(null) },
    };
    if (this.order.length < this.maxTrackedKeys) {
      t.min = this.nanArray();
      t.max = this.nanArray();
    }
    this.keys.set(label, t);
    this.order.push(t);
    return t;
  }

  /**
   * The key of the engine's raw key values, found through one Map per key field as the engine
   * groups them: a max-speed replay adds every group of every window here, and making its label
   * each time cost a quarter of the replay's own time.
   */
  private trackRaw(key: readonly Value[]): KeyTrack {
    let level = this.byRawKey;
    const lastField = key.length - 1;
    for (let i = 0; i < lastField; i++) {
      let next = level.get(key[i]) as RawKeyLevel | undefined;
      if (!next) {
        next = new Map();
        level.set(key[i], next);
      }
      level = next;
    }
    let t = level.get(key[lastField]) as KeyTrack | undefined;
    if (!t) {
      t = this.track(key.map(toCell));
      level.set(key[lastField], t);
    }
    return t;
  }

  /** A closed window of the engine: `acc` holds the values in the order of `columns`. */
  addWindow(w: ClosedWindow): void {
    const b = this.bucketOf(w.endMs, w.endMs - w.startMs);
    this.windows++;
    const values = this.scratch;
    for (const g of w.groups) {
      for (let c = 0; c < values.length; c++) values[c] = numberOf(g.acc[c]!);
      this.addValues(b, g.key === null ? this.track(null) : this.trackRaw(g.key), values);
    }
  }

  /** A window as stored or as the facade has it (values by column name). */
  addStored(startMs: number, endMs: number, rows: readonly { key: CellValue[] | null; values: Record<string, CellValue> }[]): void {
    const b = this.bucketOf(endMs, endMs - startMs);
    this.windows++;
    const values = this.scratch;
    for (const r of rows) {
      for (let c = 0; c < values.length; c++) {
        const v = r.values[this.columns[c]!];
        values[c] = v === undefined || v === null || typeof v === 'string' ? Number.NaN : typeof v === 'object' ? Number(v.big) : Number(v);
      }
      this.addValues(b, this.track(r.key), values);
    }
  }

  private addValues(b: number, t: KeyTrack, values: Float64Array): void {
    const s = t.stat;
    s.windows++;
    for (let c = 0; c < this.columns.length; c++) {
      const v = values[c]!;
      if (Number.isNaN(v)) {
        s.last[c] = null;
        continue;
      }
      s.last[c] = v;
      if (s.peak[c] === null || v > s.peak[c]!) s.peak[c] = v;
      const i = c * this.maxBuckets + b;
      const min = t.min ?? this.untracked.min;
      const max = t.max ?? this.untracked.max;
      if (!(min[i]! <= v)) min[i] = v;
      if (!(max[i]! >= v)) max[i] = v;
    }
  }

  /**
   * An alert on `field` of `key` at `timeMs` (its window end), with the value that deviated: it
   * counts for its key; as a marker only when its rule has no lifecycle (the charts draw those
   * episodes as bands instead).
   */
  addAlert(timeMs: number, key: CellValue[] | null, field: string, value: CellValue, marker = true): void {
    const c = this.columns.indexOf(field);
    const t = this.keys.get(chartKeyLabel(key));
    if (t) {
      t.stat.alerts++;
      this.changed = true;
    }
    if (!marker || c < 0 || Number.isNaN(this.origin)) return;
    const b = this.bucketOf(timeMs, this.bucketMs);
    const i = c * this.maxBuckets + b;
    this.alertCount[i]!++;
    const v = typeof value === 'number' ? value : typeof value === 'object' && value !== null ? Number(value.big) : Number.NaN;
    if (!Number.isNaN(v) && !(this.alertTop[i]! >= v)) this.alertTop[i] = v;
  }

  private rankValue(rank: KeyRanking): (s: ChartKeyStat) => number {
    if (rank.by === 'alerts') return (s) => s.alerts;
    const c = this.columns.indexOf(rank.column);
    return (s) => (c < 0 ? 0 : (s.peak[c] ?? Number.NEGATIVE_INFINITY));
  }

  /** Keys whose label contains `search` (case-insensitive), best ranked first, at most `limit`; and how many matched. */
  listKeys(q: { search?: string; rank: KeyRanking; limit: number }): { total: number; keys: ChartKeyStat[] } {
    const needle = q.search?.trim().toLowerCase() ?? '';
    const matching = needle ? this.order.filter((t) => t.stat.label.toLowerCase().includes(needle)) : this.order;
    return { total: matching.length, keys: this.topOf(matching, q.rank, q.limit) };
  }

  /** The `n` best-ranked of `tracks` (ties: first seen first), without sorting them all. */
  private topOf(tracks: readonly KeyTrack[], rank: KeyRanking, n: number): ChartKeyStat[] {
    const value = this.rankValue(rank);
    const best: { v: number; s: ChartKeyStat }[] = [];
    for (const t of tracks) {
      const v = value(t.stat);
      if (best.length === n && !(v > best[n - 1]!.v)) continue;
      let at = best.length;
      while (at > 0 && v > best[at - 1]!.v) at--;
      best.splice(at, 0, { v, s: t.stat });
      if (best.length > n) best.pop();
    }
    return best.map((b) => b.s);
  }

  /** The keys drawn as lines: the pinned ones (those known), then the top of the ranking. */
  shownKeys(sel: KeySelection): ChartKeyStat[] {
    const pinned = sel.pinned.flatMap((l) => {
      const t = this.keys.get(l);
      return t ? [t.stat] : [];
    });
    const pinnedLabels = new Set(pinned.map((s) => s.label));
    const top = this.topOf(
      this.order.filter((t) => !pinnedLabels.has(t.stat.label)),
      sel.rank,
      Math.max(0, sel.top),
    );
    return [...pinned, ...top];
  }

  /** Everything, from bucket 0. */
  view(sel: KeySelection): ChartView {
    return this.viewFrom(sel, 0);
  }

  /**
   * What changed since the last delta: the buckets from the first one touched (all of them after
   * a merge or when the shown keys changed); undefined when nothing did. The shown keys are ranked
   * again only when `rerank` (a run ranks about once a second: ranks that change at every window
   * would send every bucket again each time).
   */
  delta(sel: KeySelection, rerank = true): ChartView | undefined {
    const kept = rerank ? undefined : this.lastShownStats(sel);
    const shown = kept ?? this.shownKeys(sel);
    const shownId = shown.map((s) => s.label).join('\n');
    const full = shownId !== this.lastShown || this.generation !== this.lastGeneration;
    if (!full && !this.changed) return undefined;
    return this.viewFrom(sel, full ? 0 : this.dirtyFrom, shown);
  }

  /** the keys of the last view, while the selection's pins are the same (undefined: rank again) */
  private lastShownStats(sel: KeySelection): ChartKeyStat[] | undefined {
    if (this.lastShown === '' || sel.pinned.join('\n') !== this.lastPinned) return undefined;
    const stats = this.lastShown.split('\n').map((l) => this.keys.get(l)?.stat);
    return stats.every((s) => s !== undefined) && stats.length >= Math.min(sel.top + sel.pinned.length, this.order.length)
      ? (stats as ChartKeyStat[])
      : undefined;
  }

  private viewFrom(sel: KeySelection, from: number, shown = this.shownKeys(sel)): ChartView {
    const used = this.used;
    const shownTracks = shown.map((s) => this.keys.get(s.label)!);
    const shownSet = new Set(shownTracks);
    const others = this.order.filter((t) => !shownSet.has(t) && t.min);
    const perColumn = this.columns.map((column, c): ChartColumnView => {
      const base = c * this.maxBuckets;
      const lo = base + from;
      const hi = base + used;
      const otherMin = this.untracked.min.slice(lo, hi);
      const otherMax = this.untracked.max.slice(lo, hi);
      for (const t of others) {
        for (let i = lo; i < hi; i++) {
          const a = t.min![i]!;
          const z = t.max![i]!;
          if (!(otherMin[i - lo]! <= a)) otherMin[i - lo] = a;
          if (!(otherMax[i - lo]! >= z)) otherMax[i - lo] = z;
        }
      }
      return {
        column,
        // a shown key beyond the tracked ones has no series here: its lines come from the store
        keys: shownTracks.map((t) =>
          t.min && t.max
            ? { min: nullable(t.min, lo, hi), max: nullable(t.max, lo, hi) }
            : { min: new Array(hi - lo).fill(null), max: new Array(hi - lo).fill(null) },
        ),
        others: { min: nullable(otherMin, 0, hi - lo), max: nullable(otherMax, 0, hi - lo) },
        alerts: { count: Array.from(this.alertCount.subarray(lo, hi)), top: nullable(this.alertTop, lo, hi) },
      };
    });
    this.lastShown = shown.map((s) => s.label).join('\n');
    this.lastPinned = sel.pinned.join('\n');
    this.lastGeneration = this.generation;
    this.changed = false;
    // the last bucket stays dirty: its window may not be the last one to fall in it
    this.dirtyFrom = Math.max(0, used - 1);
    return {
      generation: this.generation,
      origin: Number.isNaN(this.origin) ? 0 : this.origin,
      bucketMs: this.bucketMs,
      buckets: used,
      from,
      columns: this.columns,
      shown: shown.map((s) => ({ ...s, peak: [...s.peak], last: [...s.last] })),
      perColumn,
      keyCount: this.order.length,
      windows: this.windows,
      untrackedKeys: Math.max(0, this.order.length - this.maxTrackedKeys),
    };
  }
}
