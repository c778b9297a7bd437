// The charts' state (renderer/src/state/chart.svelte.ts) through the real handlers served in-process, on a virtual
// clock: the summary a run sends, the key picker (top N, ranking, pins, search), a zoom read from the store, and a
// reopened project's history.
import { afterEach, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../helpers.js';

describe('ChartState', () => {
  let t: TestApp;
  const open = async () => {
    t = testApp();
    const dir = t.sample('sensors');
    await t.app.wb.init();
    await t.app.wb.openProject(dir);
    await t.app.wb.trust('folder');
    await t.transport.idle();
    return { ...t.app, dir };
  };
  const replay = async () => {
    const finished = t.next('run.finished');
    await t.app.run.start();
    await finished;
    await t.clock.advance(200);
  };
  afterEach(() => t.dispose());

  it('a run sends a summary: every window in a bucket of its own, the keys with the most alerts as lines, the rest as a band', async () => {
    const { run } = await open();
    await replay();
    const d = run.chart.data;
    expect(d.windows).toBe(90);
    expect(d.buckets).toBe(90);
    expect(d.bucketMs).toBe(10_000);
    expect(d.keyCount).toBeGreaterThan(10);
    expect(d.shown).toHaveLength(10);
    const alerts = d.shown.map((s) => s.alerts);
    expect(alerts).toEqual([...alerts].sort((a, b) => b - a));
    // the alerts of the run, each counted once for its key
    expect(d.shown.reduce((n, s) => n + s.alerts, 0)).toBeLessThanOrEqual(run.alerts.length);
    expect(alerts[0]).toBeGreaterThan(0);
    const [xs, lower, upper, first] = d.aligned('rpm_max', 10_000).data;
    expect(xs).toHaveLength(90);
    expect(first!.some((v) => v !== null)).toBe(true);
    for (let i = 0; i < 90; i++) if (lower![i] !== null) expect(lower![i]!).toBeLessThanOrEqual(upper![i]!);
  });

  it('top N, ranking by a peak, pins and search go to the back end, and the next deltas follow them', async () => {
    const { run } = await open();
    await replay();
    const chart = run.chart;
    await chart.select({ top: 3, rank: { by: 'peak', column: 'rpm_max' } });
    expect(chart.data.shown).toHaveLength(3);
    const peaks = chart.data.shown.map((s) => s.peak[chart.data.columns.indexOf('rpm_max')]!);
    expect(peaks).toEqual([...peaks].sort((a, b) => b - a));
    await chart.find('gear');
    expect(chart.found.total).toBeGreaterThan(0);
    expect(chart.found.keys.every((k) => k.label.toLowerCase().includes('gear'))).toBe(true);
    const gear = chart.found.keys.at(-1)!.label;
    await chart.togglePin(gear);
    expect(chart.data.shown[0]!.label).toBe(gear);
    expect(chart.data.shown).toHaveLength(4);
    // remembered for the next run: its first view draws the same keys
    await replay();
    expect(chart.data.shown.map((s) => s.label)[0]).toBe(gear);
    expect(chart.data.shown).toHaveLength(4);
    await chart.togglePin(gear);
    expect(chart.data.shown.map((s) => s.label)).not.toContain(gear);
  });

  it('a zoom reads its range from the store: one bucket per window, the same values as the summary', async () => {
    const { run } = await open();
    await replay();
    const chart = run.chart;
    const [x0, x1] = chart.data.extent()!;
    chart.zoomTo(x0 + 100, x0 + 300, 800);
    expect(chart.zoom?.data).toBeNull();
    await t.clock.advance(150);
    await t.transport.idle();
    const z = chart.zoom!.data!;
    expect(z.bucketMs).toBe(10_000);
    expect(z.buckets).toBe(21);
    const whole = chart.data.aligned('rpm_max', 10_000).data;
    const zoomed = z.aligned('rpm_max', 10_000).data;
    const at = whole[0].indexOf(zoomed[0][0]!);
    expect(at).toBeGreaterThan(0);
    for (let k = 3; k < whole.length; k++) expect(zoomed[k]).toEqual(whole[k]!.slice(at, at + 21));
    chart.resetZoom();
    expect(chart.zoom).toBeNull();
    expect(x1).toBeGreaterThan(x0);
  });

  it("a reopened project's charts come from its store", async () => {
    const { run, wb, dir } = await open();
    await replay();
    const shown = run.chart.data.shown.map((s) => s.label);
    await wb.openProject(dir);
    await t.transport.idle();
    expect(run.source).toBe('history');
    expect(run.chart.data.windows).toBe(90);
    expect(run.windowsShown).toBe(90);
    expect(run.chart.data.shown.map((s) => s.label)).toEqual(shown);
  });
});
