// What the charts draw over the series (renderer/src/lib/chart-overlays.ts): episode bands of lifecycle rules, markers of
// the others binned per pixel column, and the range a jump shows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertEpisode } from '../../../../main/api/contract.js';
import { binMarkers, episodeBands, focusRange } from '../../../../renderer/src/lib/chart-overlays.js';

const episode = (over: Partial<AlertEpisode>): AlertEpisode => ({
  alertId: 'a',
  rule: 'Avg6',
  module: 'AverageAnalysis',
  key: [1, 'x'],
  keyFields: ['id', 'type'],
  field: 'rpm_sum',
  kind: 'deviation',
  lifecycle: true,
  start: 10_000,
  firing: 20_000,
  end: 50_000,
  peakValue: 9,
  peakTime: 20_000,
  lowerBound: 0,
  upperBound: 1,
  events: 2,
  ...over,
});

describe('chart overlays', () => {
  it('a band per lifecycle episode of the field, from the window that opened it through firing to resolved; an open one to the last window', () => {
    const bands = episodeBands(
      [episode({}), episode({ alertId: 'b', end: null }), episode({ alertId: 'c', lifecycle: false, end: 10_000 }), episode({ alertId: 'd', field: 'other' })],
      'rpm_sum',
      90,
    );
    expect(bands).toEqual([
      { alertId: 'a', start: 10, firing: 20, end: 50, open: false, kind: 'deviation', key: [1, 'x'] },
      { alertId: 'b', start: 10, firing: 20, end: 90, open: true, kind: 'deviation', key: [1, 'x'] },
    ]);
  });

  it('a point that stands for several alerts (a bucket of the summary) counts them all', () => {
    expect(
      binMarkers(
        [
          { x: 10, y: 50, count: 7 },
          { x: 11, y: 20, count: 2 },
          { x: 40, y: 5 },
        ],
        6,
        0,
        600,
      ),
    ).toEqual([
      { x: 9, y: 20, count: 9 },
      { x: 39, y: 5, count: 1 },
    ]);
  });

  it('binning keeps every point inside the plot once, one marker per column at its topmost point', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: fc.integer({ min: -50, max: 650 }), y: fc.integer({ min: 0, max: 300 }) })),
        fc.integer({ min: 1, max: 12 }),
        (pts, w) => {
          const bins = binMarkers(pts, w, 0, 600);
          const inside = pts.filter((p) => p.x >= 0 && p.x <= 600);
          expect(bins.reduce((n, b) => n + b.count, 0)).toBe(inside.length);
          expect(new Set(bins.map((b) => Math.floor(b.x / w))).size).toBe(bins.length);
          for (const b of bins) expect(b.y).toBe(Math.min(...inside.filter((p) => Math.floor(p.x / w) === Math.floor(b.x / w)).map((p) => p.y)));
        },
      ),
    );
  });

  it('a jump shows the interval with at least four windows on each side', () => {
    expect(focusRange(100_000, 110_000, 10_000)).toEqual({ min: 60, max: 150 });
    expect(focusRange(100_000, 300_000, 10_000)).toEqual({ min: -100, max: 500 });
  });
});
