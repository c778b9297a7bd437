// The run state (renderer/src/state/run.svelte.ts) through the real handlers served in-process, on a virtual
// clock: a replay's progress, windows and alerts, the controls, how a run ended and the run history, and
// events that overtake run.start's reply.
import { afterEach, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../helpers.js';

/** the sensors sample: 18 000 rows, 90 windows, 73 alerts */
const ROWS = 18_000;

describe('RunState', () => {
  let t: TestApp;
  const open = async (settings?: Record<string, string>) => {
    t = testApp({ settings });
    const dir = t.sample('sensors');
    await t.app.wb.init();
    await t.app.wb.openProject(dir);
    await t.app.wb.trust('folder');
    await t.transport.idle();
    return t.app;
  };
  afterEach(() => t.dispose());

  it('a replay at full speed: windows, alerts, series and progress arrive; it ends finished and enters the history', async () => {
    const { run } = await open();
    expect(run.speed).toBe(0);
    const finished = t.next('run.finished');
    await run.start();
    expect(run.runId).not.toBeNull();
    expect(run.source).toBe('run');
    await finished;
    expect(run.progress).toMatchObject({ state: 'finished', rowsRead: ROWS, windowsClosed: 90, fraction: 1 });
    expect(run.active).toBe(false);
    expect(run.windowsShown).toBe(90);
    expect(run.latest).toHaveLength(30);
    expect(run.alerts).toHaveLength(73);
    expect(run.summary?.aggregated.map((a) => a.name)).toContain('counter');
    // the charts redraw a while after the data changed, not at each batch
    const version = run.chart.version;
    await t.clock.advance(200);
    expect(run.chart.version).toBe(version + 1);
    expect(run.chart.data.windows).toBe(90);
    expect(run.history).toHaveLength(1);
    expect(run.history[0]).toMatchObject({ state: 'finished', rowsRead: ROWS, windowsClosed: 90, alerts: 73, configFile: 'config.json' });
  });

  it('step from idle at 1x runs exactly one window, then one more; stop ends it as stopped, not finished', async () => {
    const { run } = await open({ 'ts-engine-speed': '1' });
    expect(run.speed).toBe(1);
    const stepped = t.next('run.progress', (p) => p.state === 'paused' && p.windowsClosed === 1);
    await run.step();
    await stepped;
    expect(run.paused).toBe(true);
    expect(run.active).toBe(true);
    expect(run.windowsShown).toBe(1);
    expect(run.progress!.rowsRead).toBeLessThan(ROWS / 10);
    const again = t.next('run.progress', (p) => p.state === 'paused' && p.windowsClosed === 2);
    await run.step();
    await again;
    expect(run.windowsShown).toBe(2);
    await run.stop();
    expect(run.progress).toMatchObject({ state: 'stopped' });
    expect(run.progress!.rowsRead).toBeLessThan(ROWS);
    expect(run.progress!.fraction).toBeLessThan(1);
    expect(run.active).toBe(false);
    expect(run.history[0]).toMatchObject({ state: 'stopped', speed: 1 });
  });

  it('pause and resume go through the back end; the speed is remembered and applies to the run', async () => {
    const { run } = await open();
    await run.setSpeed(10);
    const paused = t.next('run.progress', (p) => p.state === 'paused');
    await run.start({ startPaused: true });
    await paused;
    expect(run.paused).toBe(true);
    const running = t.next('run.progress', (p) => p.state === 'running');
    await run.resume();
    await t.clock.advance(1000);
    await running;
    expect(run.paused).toBe(false);
    const pausedAgain = t.next('run.progress', (p) => p.state === 'paused');
    await run.pause();
    await t.clock.advance(1000);
    await pausedAgain;
    expect(run.paused).toBe(true);
    await run.stop();
    expect(run.history[0]).toMatchObject({ state: 'stopped', speed: 10 });
    const again = testApp({ settings: { 'ts-engine-speed': '10' } });
    expect(again.app.run.speed).toBe(10);
    await again.dispose();
  });

  it("events that overtake run.start's reply are kept (a fast run can end before its start is answered)", async () => {
    const { run } = await open();
    const held = t.transport.hold('run.start');
    const finished = t.next('run.finished');
    const starting = run.start();
    await held.answered;
    await finished;
    // every event of the run went out before the reply
    expect(run.runId).toBeNull();
    held.release();
    await starting;
    expect(run.progress).toMatchObject({ state: 'finished', rowsRead: ROWS });
    expect(run.windowsShown).toBe(90);
    expect(run.alerts).toHaveLength(73);
    expect(run.history[0]?.state).toBe('finished');
  });

  it('a run refused by the back end is a notice, not a run', async () => {
    t = testApp();
    const dir = t.sample('sensors');
    await t.app.wb.init();
    await t.app.wb.openProject(dir);
    await t.app.run.start();
    expect(t.app.run.runId).toBeNull();
    expect(t.app.wb.toast?.text).toMatch(/restricted mode/);
  });
});
