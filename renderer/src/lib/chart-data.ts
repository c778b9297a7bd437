/**
 * The charts' data as the back end summarised it (docs/workbench.md#charts-at-any-size): buckets
 * of min and max per shown key, the band of the other keys and the alert counts, kept whole and
 * updated by the deltas of a run. `aligned` turns a column into uPlot's arrays: one point per
 * bucket while a bucket holds one window, else its minimum and maximum, so a spike narrower than a
 * pixel still reaches its height.
 */
import type { ChartKeyStat, ChartView } from '../../../main/api/contract';

export interface AlertBin {
  /** seconds (bucket start) */
  x: number;
  count: number;
  top: number | null;
}

/** uPlot's series of one column: x (seconds), the band's lower and upper edge, then one per shown key. */
export type AlignedColumn = [number[], ...(number | null)[][]];

/** a series of buckets: NaN where a bucket has no value */
interface Buckets {
  min: Float64Array;
  max: Float64Array;
}

/**
 * One column's buckets, held in typed arrays: a run's 1 024 buckets of 20 series of 6 columns as
 * arrays of numbers and nulls were 3 to 4 MB of boxed doubles in the page's heap, a third of it.
 */
interface ColumnBuckets {
  keys: Buckets[];
  others: Buckets;
  alertCount: Float64Array;
  alertTop: Float64Array;
}

/** `capacity` buckets without a value */
const noValues = (capacity: number): Float64Array => new Float64Array(capacity).fill(Number.NaN);

const newBuckets = (capacity: number): Buckets => ({ min: noValues(capacity), max: noValues(capacity) });

/** a copy of `a` with room for `capacity` values (the new ones NaN) */
function grown(a: Float64Array, capacity: number): Float64Array {
  const out = noValues(capacity);
  out.set(a.subarray(0, Math.min(a.length, capacity)));
  return out;
}

/** writes `values` (null: none) into `into` from bucket `from` on */
function put(into: Float64Array, from: number, values: readonly (number | null)[]): void {
  for (let i = 0; i < values.length; i++) into[from + i] = values[i] ?? Number.NaN;
}

export class ChartData {
  generation = Number.NaN;
  origin = 0;
  bucketMs = 0;
  buckets = 0;
  columns: string[] = [];
  shown: ChartKeyStat[] = [];
  keyCount = 0;
  windows = 0;
  untrackedKeys = 0;
  private readonly perColumn = new Map<string, ColumnBuckets>();
  /** buckets each column's arrays have room for */
  private capacity = 0;
  private readonly cache = new Map<string, { data: AlignedColumn; pairs: boolean }>();

  get empty(): boolean {
    return this.buckets === 0;
  }

  clear(): void {
    this.generation = Number.NaN;
    this.buckets = 0;
    this.shown = [];
    this.keyCount = 0;
    this.windows = 0;
    this.untrackedKeys = 0;
    this.perColumn.clear();
    this.capacity = 0;
    this.cache.clear();
  }

  /**
   * A whole view replaces the data; a delta replaces its buckets from `from` on. False when a
   * delta does not follow the data held (another generation or other keys): the caller asks for
   * the whole view again.
   */
  apply(v: ChartView): boolean {
    if (v.from > 0) {
      const fits =
        v.generation === this.generation &&
        v.from <= this.buckets &&
        v.shown.length === this.shown.length &&
        v.shown.every((s, i) => s.label === this.shown[i]!.label);
      if (!fits) return false;
    }
    this.generation = v.generation;
    this.origin = v.origin;
    this.bucketMs = v.bucketMs;
    this.buckets = v.buckets;
    this.columns = v.columns;
    this.shown = v.shown;
    this.keyCount = v.keyCount;
    this.windows = v.windows;
    this.untrackedKeys = v.untrackedKeys;
    if (v.from === 0) {
      this.perColumn.clear();
      this.capacity = Math.max(64, v.buckets);
    } else if (v.buckets > this.capacity) {
      this.capacity = Math.max(v.buckets, 2 * this.capacity);
      for (const held of this.perColumn.values()) {
        const grow = (b: Buckets) => {
          b.min = grown(b.min, this.capacity);
          b.max = grown(b.max, this.capacity);
        };
        held.keys.forEach(grow);
        grow(held.others);
        held.alertCount = grown(held.alertCount, this.capacity);
        held.alertTop = grown(held.alertTop, this.capacity);
      }
    }
    for (const c of v.perColumn) {
      let held = this.perColumn.get(c.column);
      if (!held) {
        held = {
          keys: c.keys.map(() => newBuckets(this.capacity)),
          others: newBuckets(this.capacity),
          alertCount: noValues(this.capacity),
          alertTop: noValues(this.capacity),
        };
        this.perColumn.set(c.column, held);
      }
      c.keys.forEach((k, i) => {
        put(held.keys[i]!.min, v.from, k.min);
        put(held.keys[i]!.max, v.from, k.max);
      });
      put(held.others.min, v.from, c.others.min);
      put(held.others.max, v.from, c.others.max);
      put(held.alertCount, v.from, c.alerts.count);
      put(held.alertTop, v.from, c.alerts.top);
    }
    this.cache.clear();
    return true;
  }

  /**
   * The column's series for uPlot (cached until the next update), at most `maxBuckets` buckets:
   * adjacent ones merged (min of their minima, max of their maxima) to fit the chart's pixels.
   * `pairs`: two points per bucket, its minimum then its maximum.
   */
  aligned(column: string, windowMs: number, maxBuckets = Number.POSITIVE_INFINITY): { data: AlignedColumn; pairs: boolean } {
    const group = Math.max(1, Math.ceil(this.buckets / Math.max(1, maxBuckets)));
    const cacheKey = `${column}\n${group}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const c = this.perColumn.get(column);
    const n = Math.ceil(this.buckets / group);
    const width = this.bucketMs * group;
    const pairs = width > windowMs;
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = (this.origin + i * width) / 1000;
      xs.push(x);
      if (pairs) xs.push(x + width / 2000);
    }
    const extreme = (values: Float64Array | undefined, i: number, pick: (a: number, b: number) => number): number | null => {
      if (!values) return null;
      let out = Number.NaN;
      const end = Math.min(this.buckets, (i + 1) * group);
      for (let b = i * group; b < end; b++) {
        const v = values[b]!;
        if (!Number.isNaN(v)) out = Number.isNaN(out) ? v : pick(out, v);
      }
      return Number.isNaN(out) ? null : out;
    };
    const series = (s: Buckets | undefined, as: 'line' | 'lower' | 'upper'): (number | null)[] => {
      const out: (number | null)[] = [];
      for (let i = 0; i < n; i++) {
        const lo = extreme(s?.min, i, Math.min);
        const hi = extreme(s?.max, i, Math.max);
        if (!pairs) out.push(as === 'lower' ? lo : hi);
        else if (as === 'line') out.push(lo, hi);
        else out.push(as === 'lower' ? lo : hi, as === 'lower' ? lo : hi);
      }
      return out;
    };
    const data: AlignedColumn = [xs, series(c?.others, 'lower'), series(c?.others, 'upper'), ...this.shown.map((_s, k) => series(c?.keys[k], 'line'))];
    const out = { data, pairs };
    this.cache.set(cacheKey, out);
    return out;
  }

  /** The buckets with alerts on the column (rules without lifecycle), as markers to draw. */
  alertBins(column: string): AlertBin[] {
    const c = this.perColumn.get(column);
    if (!c) return [];
    const out: AlertBin[] = [];
    for (let i = 0; i < this.buckets; i++) {
      const count = c.alertCount[i]!;
      if (count > 0) {
        const top = c.alertTop[i]!;
        out.push({ x: (this.origin + i * this.bucketMs) / 1000, count, top: Number.isNaN(top) ? null : top });
      }
    }
    return out;
  }

  /** [first, last] x of the data, seconds */
  extent(): [number, number] | undefined {
    if (this.buckets === 0) return undefined;
    return [this.origin / 1000, (this.origin + (this.buckets - 1) * this.bucketMs) / 1000];
  }
}
