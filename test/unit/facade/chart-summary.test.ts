import { describe, expect, it } from 'vitest';
import { ChartSummary, chartKeyLabel, type KeySelection } from '../../../engine/facade/chart-summary.js';
import type { ClosedWindow } from '../../../engine/core/window.js';

const WINDOW = 10_000;
const T0 = Date.UTC(2024, 0, 1);

/** window i of keys 0..keys-1, value of key k = k * 100 + i (so key keys-1 has the highest peak) */
function window(i: number, keys: number): ClosedWindow {
  return {
    startMs: T0 + i * WINDOW,
    endMs: T0 + (i + 1) * WINDOW,
    groups: Array.from({ length: keys }, (_, k) => ({ key: [`s${k}`], acc: [k * 100 + i, 1] })),
  };
}

const byPeak: KeySelection = { pinned: [], top: 2, rank: { by: 'peak', column: 'v' } };

describe('ChartSummary', () => {
  it('sends values to 7 significant digits, at any magnitude; integers as they are', () => {
    const s = new ChartSummary(['v']);
    const values = [1234.56789, -0.000123456789, 123456789.123, 98765432109, 2.5, 1e-30 * 1.23456789];
    values.forEach((v, i) => s.addWindow({ startMs: T0 + i * WINDOW, endMs: T0 + (i + 1) * WINDOW, groups: [{ key: ['k'], acc: [v] }] }));
    const sent = s.view({ pinned: ['k'], top: 0, rank: { by: 'alerts' } }).perColumn[0]!.keys[0]!.max;
    expect(sent).toEqual([1234.568, -0.0001234568, 123456800, 98765432109, 2.5, 1.234568e-30]);
  });

  it('a key is one line whatever its raw values: 20 and "20" of two key fields, in new arrays each window, are the same key', () => {
    const s = new ChartSummary(['v']);
    const at = (i: number, key: (string | number | bigint)[], v: number): ClosedWindow => ({
      startMs: T0 + i * WINDOW,
      endMs: T0 + (i + 1) * WINDOW,
      groups: [{ key, acc: [v] }],
    });
    s.addWindow(at(0, [20, 'gear'], 5));
    s.addWindow(at(1, ['20', 'gear'], 7));
    s.addWindow(at(2, [20n, 'gear'], 9));
    s.addWindow(at(3, [21, 'gear'], 1));
    const v = s.view({ pinned: [], top: 5, rank: { by: 'peak', column: 'v' } });
    expect(v.shown.map((k) => [k.label, k.windows, k.peak[0]])).toEqual([
      ['20 · gear', 3, 9],
      ['21 · gear', 1, 1],
    ]);
    expect(v.perColumn[0]!.keys[0]!.max.slice(0, 3)).toEqual([5, 7, 9]);
  });

  it('keeps one bucket per window until maxBuckets, then merges pairs: min and max survive, memory does not grow', () => {
    const s = new ChartSummary(['v', 'n'], { maxBuckets: 8 });
    for (let i = 0; i < 8; i++) s.addWindow(window(i, 3));
    let v = s.view(byPeak);
    expect(v.bucketMs).toBe(WINDOW);
    expect(v.buckets).toBe(8);
    expect(v.generation).toBe(0);
    for (let i = 8; i < 100; i++) s.addWindow(window(i, 3));
    v = s.view(byPeak);
    // 100 windows in ≤ 8 buckets: the width doubled until they fit
    expect(v.buckets).toBeLessThanOrEqual(8);
    expect(v.bucketMs * v.buckets).toBeGreaterThanOrEqual(100 * WINDOW);
    expect(v.generation).toBe(4);
    // shown: the 2 keys with the highest peak, s2 then s1
    expect(v.shown.map((k) => k.label)).toEqual(['s2', 's1']);
    const col = v.perColumn[0]!;
    expect(col.keys[0]!.min[0]).toBe(200);
    // every window's value is inside some bucket's [min, max], and the extremes are exact
    expect(Math.min(...(col.keys[0]!.min as number[]))).toBe(200);
    expect(Math.max(...(col.keys[0]!.max as number[]))).toBe(299);
    // the key not shown (s0) is the band
    expect(col.others.min[0]).toBe(0);
    expect(Math.max(...(col.others.max as number[]))).toBe(99);
    expect(v.windows).toBe(100);
    expect(v.keyCount).toBe(3);
  });

  it('pins keys before the top N, and ranks by alerts when asked', () => {
    const s = new ChartSummary(['v', 'n']);
    for (let i = 0; i < 5; i++) s.addWindow(window(i, 4));
    s.addAlert(T0 + WINDOW, ['s0'], 'v', 0);
    s.addAlert(T0 + 2 * WINDOW, ['s0'], 'v', 1);
    s.addAlert(T0 + 2 * WINDOW, ['s1'], 'v', 101);
    const v = s.view({ pinned: ['s3'], top: 2, rank: { by: 'alerts' } });
    expect(v.shown.map((k) => [k.label, k.alerts])).toEqual([
      ['s3', 0],
      ['s0', 2],
      ['s1', 1],
    ]);
    expect(v.perColumn[0]!.alerts.count.slice(0, 3)).toEqual([1, 2, 0]);
    expect(v.perColumn[0]!.alerts.top[1]).toBe(101);
    expect(v.perColumn[1]!.alerts.count.every((n) => n === 0)).toBe(true);
  });

  it('lists keys by search, ranked, with the number that matched', () => {
    const s = new ChartSummary(['v']);
    s.addWindow({ startMs: T0, endMs: T0 + WINDOW, groups: ['gear.t1', 'gear.t2', 'bearing.t1'].map((k, i) => ({ key: [k], acc: [i] })) });
    const r = s.listKeys({ search: 'GEAR', rank: { by: 'peak', column: 'v' }, limit: 1 });
    expect(r.total).toBe(2);
    expect(r.keys.map((k) => k.label)).toEqual(['gear.t2']);
  });

  it('sends as a delta only the buckets from the first one changed, and everything when the shown keys change', () => {
    const s = new ChartSummary(['v', 'n'], { maxBuckets: 64 });
    for (let i = 0; i < 10; i++) s.addWindow(window(i, 3));
    expect(s.delta(byPeak)!.from).toBe(0);
    expect(s.delta(byPeak)).toBeUndefined();
    s.addWindow(window(10, 3));
    const d = s.delta(byPeak)!;
    expect(d.from).toBe(9);
    expect(d.perColumn[0]!.keys[0]!.max).toEqual([209, 210]);
    s.addWindow(window(11, 3));
    expect(s.delta({ ...byPeak, top: 1 })!.from).toBe(0);
  });

  it('keeps statistics of keys beyond the tracked ones, and puts their values in the band', () => {
    const s = new ChartSummary(['v', 'n'], { maxTrackedKeys: 2 });
    s.addWindow(window(0, 4));
    const v = s.view({ pinned: [], top: 1, rank: { by: 'peak', column: 'v' } });
    expect(v.untrackedKeys).toBe(2);
    // s3 has the highest peak but no series of its own: shown, with empty lines (the store has them)
    expect(v.shown[0]!.label).toBe('s3');
    expect(v.perColumn[0]!.keys[0]!.max).toEqual([null]);
    expect(v.perColumn[0]!.others.max).toEqual([300]);
    expect(v.perColumn[0]!.others.min).toEqual([0]);
  });

  it('reads stored windows the same way as engine windows', () => {
    const a = new ChartSummary(['v', 'n']);
    const b = new ChartSummary(['v', 'n']);
    for (let i = 0; i < 30; i++) {
      const w = window(i, 2);
      a.addWindow(w);
      b.addStored(
        w.startMs,
        w.endMs,
        w.groups.map((g) => ({ key: g.key as string[], values: { v: g.acc[0] as number, n: g.acc[1] as number } })),
      );
    }
    expect(b.view(byPeak)).toEqual(a.view(byPeak));
  });

  it('labels keys as the workbench does', () => {
    expect(chartKeyLabel(null)).toBe('all');
    expect(chartKeyLabel([4, 'bearing.t2', 0.1 + 0.2, { big: '9007199254740993' }])).toBe('4 · bearing.t2 · 0.3 · 9007199254740993');
  });
});
