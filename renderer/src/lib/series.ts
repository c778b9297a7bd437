/**
 * Column-oriented store of window results for the charts: one x array (window
 * end, seconds) and, per aggregated column, one y array per key. Appending a
 * window is O(keys × columns); uPlot draws straight from these arrays.
 */
import type { AlertEpisode, AlertEvent, CellValue, WindowResult } from '../../../main/api/contract';

export function cellNumber(v: CellValue | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'object') return Number(v.big);
  return null;
}

export function cellText(v: CellValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return v.big;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
  return String(v);
}

export function keyLabel(key: Record<string, CellValue> | CellValue[] | null): string {
  if (key === null) return 'all';
  const vals = Array.isArray(key) ? key : Object.values(key);
  return vals.map(cellText).join(' · ');
}

export class SeriesStore {
  times: number[] = [];
  /** key label → position in every column's series list */
  readonly keys: string[] = [];
  private readonly keyIndex = new Map<string, number>();
  /** column → series per key (same order as keys) */
  readonly data = new Map<string, (number | null)[][]>();
  columns: string[] = [];
  alerts: AlertEvent[] = [];
  episodes: AlertEpisode[] = [];

  reset(columns: string[]): void {
    this.times = [];
    this.keys.length = 0;
    this.keyIndex.clear();
    this.data.clear();
    this.columns = columns;
    this.alerts = [];
    this.episodes = [];
    for (const c of columns) this.data.set(c, []);
  }

  add(w: WindowResult): void {
    const n = this.times.length;
    this.times.push(w.windowEnd / 1000);
    for (const series of this.data.values()) for (const s of series) s.push(null);
    for (const row of w.rows) {
      const label = keyLabel(row.key);
      let k = this.keyIndex.get(label);
      if (k === undefined) {
        k = this.keys.length;
        this.keys.push(label);
        this.keyIndex.set(label, k);
        for (const series of this.data.values()) {
          const s: (number | null)[] = new Array(n + 1).fill(null);
          series.push(s);
        }
      }
      for (const c of this.columns) {
        const s = this.data.get(c)![k]!;
        s[n] = cellNumber(row.values[c]);
      }
    }
  }
}
