// The charts' data in the renderer (renderer/src/lib/chart-data.ts): whole views and deltas of the back end's summary,
// and the series uPlot draws, merged to the chart's width.
import { describe, expect, it } from 'vitest';
import type { ChartView } from '../../../../main/api/contract.js';
import { ChartData } from '../../../../renderer/src/lib/chart-data.js';

const stat = (label: string, index: number) => ({ label, key: [label], index, windows: 1, alerts: 0, peak: [1], last: [1] });

function view(over: Partial<ChartView> & { values: number[] }): ChartView {
  const n = over.values.length;
  return {
    generation: 0,
    origin: 10_000,
    bucketMs: 10_000,
    buckets: (over.from ?? 0) + n,
    from: 0,
    columns: ['v'],
    shown: [stat('a', 0)],
    perColumn: [
      {
        column: 'v',
        keys: [{ min: over.values, max: over.values.map((v) => v + 1) }],
        others: { min: over.values.map((v) => v - 5), max: over.values.map((v) => v + 5) },
        alerts: { count: over.values.map(() => 0), top: over.values.map(() => null) },
      },
    ],
    keyCount: 2,
    windows: n,
    untrackedKeys: 0,
    ...over,
  };
}

describe('ChartData', () => {
  it('a delta replaces the buckets from its first one on; a delta of another generation or other keys is refused', () => {
    const d = new ChartData();
    expect(d.apply(view({ values: [1, 2, 3] }))).toBe(true);
    expect(d.apply(view({ from: 2, values: [30, 40] }))).toBe(true);
    expect(d.buckets).toBe(4);
    expect(d.aligned('v', 10_000).data[3]).toEqual([2, 3, 31, 41]);
    expect(d.apply(view({ from: 1, generation: 1, values: [5] }))).toBe(false);
    expect(d.apply(view({ from: 1, shown: [stat('b', 1)], values: [5] }))).toBe(false);
    expect(d.apply(view({ from: 9, values: [5] }))).toBe(false);
    expect(d.buckets).toBe(4);
  });

  it('one point per bucket of one window; several windows per bucket give its minimum then its maximum', () => {
    const d = new ChartData();
    d.apply(view({ values: [1, 2] }));
    expect(d.aligned('v', 10_000)).toEqual({
      data: [
        [10, 20],
        [-4, -3],
        [6, 7],
        [2, 3],
      ],
      pairs: false,
    });
    d.apply(view({ bucketMs: 20_000, values: [1, 2] }));
    const a = d.aligned('v', 10_000);
    expect(a.pairs).toBe(true);
    expect(a.data[0]).toEqual([10, 20, 30, 40]);
    expect(a.data[3]).toEqual([1, 2, 2, 3]);
  });

  it('merges adjacent buckets to the width asked for, keeping every minimum and maximum', () => {
    const d = new ChartData();
    const values = Array.from({ length: 10 }, (_, i) => (i === 7 ? 100 : i));
    d.apply(view({ values }));
    const a = d.aligned('v', 10_000, 4);
    // 10 buckets in groups of 3: 4 points pairs, x every 30 s
    expect(a.pairs).toBe(true);
    expect(a.data[0]).toEqual([10, 25, 40, 55, 70, 85, 100, 115]);
    expect(a.data[3]).toEqual([0, 3, 3, 6, 6, 101, 9, 10]);
    expect(Math.max(...(a.data[2] as number[]))).toBe(105);
  });
});
