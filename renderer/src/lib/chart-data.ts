/**
 * The charts' data as the back end summarised it (docs/workbench.md#charts-at-any-size): buckets
 * of min and max per shown key, the band of the other keys and the alert counts, kept whole and
 * updated by the deltas of a run. `aligned` turns a column into uPlot's arrays: one point per
 * bucket while a bucket holds one window, else its minimum and maximum, so a spike narrower than a
 * pixel still reaches its height.
 */
import type { ChartColumnView, ChartKeyStat, ChartView } from '../../../main/api/contract';

export interface AlertBin {
  /** seconds (bucket start) */
  x: number;
  count: number;
  top: number | null;
}

/** uPlot's series of one column: x (seconds), the band's lower and upper edge, then one per shown key. */
export type AlignedColumn = [number[], ...(number | null)[][]];

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
  private readonly perColumn = new Map<string, ChartColumnView>();
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
    for (const c of v.perColumn) {
      const held = this.perColumn.get(c.column);
      if (v.from === 0 || !held) this.perColumn.set(c.column, c);
      else {
        const splice = (into: unknown[], from: readonly unknown[]) => {
          into.length = v.from;
          for (const x of from) into.push(x);
        };
        c.keys.forEach((k, i) => {
          splice(held.keys[i]!.min, k.min);
          splice(held.keys[i]!.max, k.max);
        });
        splice(held.others.min, c.others.min);
        splice(held.others.max, c.others.max);
        splice(held.alerts.count, c.alerts.count);
        splice(held.alerts.top, c.alerts.top);
      }
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
    const extreme = (values: (number | null)[] | undefined, i: number, pick: (a: number, b: number) => number): number | null => {
      let out: number | null = null;
      const end = Math.min(this.buckets, (i + 1) * group);
      for (let b = i * group; b < end; b++) {
        const v = values?.[b] ?? null;
        if (v !== null) out = out === null ? v : pick(out, v);
      }
      return out;
    };
    const series = (s: { min: (number | null)[]; max: (number | null)[] } | undefined, as: 'line' | 'lower' | 'upper'): (number | null)[] => {
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
    c.alerts.count.forEach((count, i) => {
      if (count > 0) out.push({ x: (this.origin + i * this.bucketMs) / 1000, count, top: c.alerts.top[i] ?? null });
    });
    return out;
  }

  /** [first, last] x of the data, seconds */
  extent(): [number, number] | undefined {
    if (this.buckets === 0) return undefined;
    return [this.origin / 1000, (this.origin + (this.buckets - 1) * this.bucketMs) / 1000];
  }
}
