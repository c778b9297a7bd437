// The evaluation state classes (renderer/src/state/evaluate.svelte.ts) through the real handlers served in-process, on a
// virtual clock: the Backtest panel's backtest and sweep on the sensors sample and its labels (the counts `ts-engine
// backtest` prints, docs/backtest.md), jumps to the chart, the config tests run on save (debounced, failures placed in the
// tests file), and the comparisons with the saved version and with another config.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TESTS_DEBOUNCE_MS } from '../../../../renderer/src/state/evaluate.svelte.js';
import { type TestApp, testApp } from '../helpers.js';

describe('evaluations in the workbench', () => {
  let t: TestApp;
  let dir: string;
  const open = async (trusted = true) => {
    t = testApp();
    dir = t.sample('sensors');
    await t.app.wb.init();
    await t.app.wb.openProject(dir);
    if (trusted) await t.app.wb.trust('folder');
    await t.transport.idle();
    return t.app;
  };
  afterEach(() => t.dispose());

  it('a backtest of the sample against its labels: the scores the CLI prints, the labels on the charts, jumps to a false positive', async () => {
    const { backtest, charts } = await open();
    expect(backtest.labelFiles()).toEqual(['data/labels.csv']);
    expect(backtest.labelsFile).toBe('data/labels.csv');
    await backtest.run();
    const r = backtest.result!;
    expect(backtest.error).toBeNull();
    expect(r.ok).toBe(true);
    expect(r).toMatchObject({ labels: 13, windows: 90, rowsRead: 18_000 });
    const simple = r.rules.find((x) => x.name === 'Simple1')!;
    const avg = r.rules.find((x) => x.name === 'Avg6')!;
    expect(simple).toMatchObject({ episodes: 18, tp: 12, fp: 5, fn: 1 });
    expect(avg).toMatchObject({ episodes: 17, tp: 13, fp: 4, fn: 0 });
    expect(avg.f1).toBeCloseTo(0.867, 3);
    expect(charts.labels).toHaveLength(13);
    expect(charts.labels[0]).toMatchObject({ start: 1700000060_000, end: 1700000100_000, label: 'rpm_surge' });
    const fp = simple.falsePositives[0]!;
    backtest.jump(fp);
    expect(charts.focus).toMatchObject({ start: fp.windowStart, end: fp.windowEnd, seq: 1 });
    backtest.jump(simple.falseNegatives[0]!);
    expect(charts.focus!.seq).toBe(2);
  });

  it('a sweep of one option: a point per value and the best F1', async () => {
    const { backtest } = await open();
    backtest.sweepRule = 'Avg6';
    backtest.sweepOption = 'num_average';
    backtest.sweepFrom = '2';
    backtest.sweepTo = '10';
    backtest.sweepStep = '4';
    expect(backtest.sweep).toBe('Avg6.num_average=2..10:4');
    await backtest.run();
    const s = backtest.result!.sweep!;
    expect(s.points.map((p) => [p.value, p.tp, p.fp, p.fn])).toEqual([
      [2, 12, 9, 1],
      [6, 13, 4, 0],
      [10, 13, 1, 0],
    ]);
    expect(s.best!.value).toBe(10);
    expect(s.best!.f1).toBeCloseTo(0.963, 3);
    // a sweep the engine cannot read is the result's error, not an exception
    backtest.sweepRule = 'NoSuchRule';
    await backtest.run();
    expect(backtest.result!.ok).toBe(false);
    expect(backtest.result!.failedAt).toBe('sweep');
  });

  it('restricted mode: no backtest, no tests, no comparison until the folder is trusted', async () => {
    const { backtest, configTests, compare } = await open(false);
    await backtest.run();
    expect(backtest.error).toMatch(/restricted mode/);
    await configTests.run();
    expect(configTests.result).toBeNull();
    await compare.withSaved();
    expect(compare.error).toMatch(/restricted mode/);
  });

  it('config tests run once the project is trusted, and after each save of the tests file, debounced; failures at their place', async () => {
    const { wb, configTests } = await open();
    await t.clock.advance(TESTS_DEBOUNCE_MS);
    await t.transport.idle();
    expect(configTests.result).toMatchObject({ ok: true, passed: 2, failed: 0 });
    expect(configTests.problems).toEqual([]);

    await wb.openFile('config.tests.json');
    const model = wb.model('config.tests.json')!;
    model.setValue(model.getValue().replace('"rpm_max": 7137.4', '"rpm_max": 7137.5'));
    await wb.save(['config.tests.json']);
    // debounced: nothing ran yet
    await t.clock.advance(TESTS_DEBOUNCE_MS - 1);
    await t.transport.idle();
    expect(configTests.result!.failed).toBe(0);
    await t.clock.advance(1);
    await t.transport.idle();
    expect(configTests.result).toMatchObject({ passed: 1, failed: 1 });
    const [p] = configTests.problems;
    expect(p).toMatchObject({ file: 'config.tests.json', caseName: expect.stringContaining('rpm surge'), expected: '7137.5', actual: '7137.4' });
    expect(p!.path).toMatch(/^tests\[0\]\.expect\.windows\[1\]\.rows\[0\]\.values\.rpm_max$/);
    const lines = model.getValue().split('\n');
    expect(lines[p!.line - 1]).toContain('7137.5');

    // a save of another file runs nothing
    await wb.openFile('data_structure.json');
    const ds = wb.model('data_structure.json')!;
    ds.setValue(`${ds.getValue()}\n`);
    await wb.save(['data_structure.json']);
    expect(await hasTimer(t, TESTS_DEBOUNCE_MS)).toBe(false);
  });

  it('a newer request overtakes the tests still running: the back end aborts them and only the newer result is shown', async () => {
    const { configTests } = await open();
    await t.clock.advance(TESTS_DEBOUNCE_MS);
    await t.transport.idle();
    const first = t.transport.handlers['configTests.run']({ dir });
    const second = configTests.run();
    const aborted = await first;
    expect(aborted!.cancelled).toBe(true);
    expect(aborted!.cases.length).toBeLessThan(2);
    await second;
    expect(configTests.result).toMatchObject({ passed: 2, failed: 0 });
    expect(configTests.result!.cancelled).toBeUndefined();
  });

  it('compare with the saved version and with another config: the alerts that differ', async () => {
    const { wb, compare } = await open();
    await compare.withSaved();
    expect(compare.result).toMatchObject({ ok: true, equal: true, windowsDiffering: 0 });

    const model = wb.model('config.json')!;
    wb.setAutosave(false);
    model.setValue(model.getValue().replace('"rpm_sum": 40', '"rpm_sum": 20'));
    await compare.withSaved();
    const r = compare.result!;
    expect(compare.against).toEqual({ kind: 'saved' });
    expect(r.ok).toBe(true);
    expect(r.equal).toBe(false);
    expect(r.windowsDiffering).toBe(0);
    expect(r.alertCounts.added).toBeGreaterThan(0);
    expect(r.alertCounts.removed).toBe(0);
    expect(r.alerts.added.every((a) => a.rule === 'Avg6' && a.field === 'rpm_sum')).toBe(true);
    // the disk still holds the saved text: comparing never saves
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toContain('"rpm_sum": 40');

    fs.writeFileSync(path.join(dir, 'other.json'), model.getValue().replace('"rpm_max": 50', '"rpm_max": 80'));
    await wb.refreshFiles();
    expect(compare.otherConfigs).toContain('other.json');
    expect(compare.otherConfigs).not.toContain('config.tests.json');
    await compare.withConfig('other.json');
    const o = compare.result!;
    expect(o.ok).toBe(true);
    // a = other.json (Simple1 at 80 and Avg6 at 20), b = the buffer (Simple1 at 50): b raises more Simple1 alerts
    expect(o.alerts.added.some((a) => a.rule === 'Simple1')).toBe(true);
    expect(o.alerts.added.concat(o.alerts.removed).every((a) => a.rule === 'Simple1')).toBe(true);
    compare.jump(o.alerts.added[0]!.windowEnd - 10_000, o.alerts.added[0]!.windowEnd);
    expect(t.app.charts.focus!.end).toBe(o.alerts.added[0]!.windowEnd);
  });

  it('a rule with a lifecycle: the run sends its episodes, each from firing to resolved, fewer than its alerts', async () => {
    const { wb, run } = await open();
    const model = wb.model('config.json')!;
    model.setValue(model.getValue().replace('"num_average": 6 }', '"num_average": 6 }, "for": 1, "keep_firing_for": 1'));
    await wb.save();
    const finished = t.next('run.finished');
    await run.start();
    await finished;
    await t.transport.idle();
    const avg = run.episodes.filter((e) => e.rule === 'Avg6');
    const simple = run.episodes.filter((e) => e.rule === 'Simple1');
    expect(avg.length).toBeGreaterThan(0);
    // `for: 1`: pending one window before firing; resolved later, or still open when the input ended
    expect(avg.every((e) => e.lifecycle && e.firing === e.start + 10_000 && (e.end === null || e.end > e.firing))).toBe(true);
    const stillOpen = avg.filter((e) => e.end === null).length;
    expect(avg.length - stillOpen).toBeGreaterThan(0);
    // transitions only: one firing and one resolved event per closed episode
    expect(run.alerts.filter((a) => a.rule === 'Avg6')).toHaveLength(2 * avg.length - stillOpen);
    // without lifecycle: one episode per alert, of its window
    expect(simple.every((e) => !e.lifecycle && e.end === e.start)).toBe(true);
    expect(simple).toHaveLength(run.alerts.filter((a) => a.rule === 'Simple1').length);
  });
});

/** whether a timer of the config tests is pending: advancing by its delay starts a run */
async function hasTimer(t: TestApp, ms: number): Promise<boolean> {
  const before = t.app.configTests.result;
  await t.clock.advance(ms);
  await t.transport.idle();
  return t.app.configTests.result !== before;
}
