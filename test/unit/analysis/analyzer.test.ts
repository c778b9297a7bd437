// The analyzer runs each rule's evaluations through the alert lifecycle (docs/alerts.md) and delivers a window's events to every
// sink: a whole run over a CSV, a user module reporting with alerts.send/alerts.observe, episodes read back from the store.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Runner } from '../../../engine/pipeline/runner.js';
import type { PipelinePlan } from '../../../engine/pipeline/plan.js';
import { readHistory } from '../../../engine/facade/history.js';
import { summary } from '../../../engine/cli/report.js';
import { Collect, useTmpDir, rpmAnalysisPlan } from '../helpers.js';

const tmp = useTmpDir();
const T0 = 1523800000;

// fixed bounds [900, 1100]: a deviation is sent, every other evaluation observed (the recovery band needs them)
const FIXED = `
export default class Fixed {
  constructor(options, name) { this.name = name; }
  async analysis(history, alerts) {
    const cur = history.current();
    const m = { module: this.name, timestamp: 0, param: { key: cur.key, field: 'rpm_max', lower_bound: 900, upper_bound: 1100, value: cur.rpm_max } };
    if (cur.rpm_max < 900 || cur.rpm_max > 1100) await alerts.send(m); else await alerts.observe(m);
  }
}`;

/** key 1 per window: 1000, 1200, 1200, 1000, 1000, missing for three windows, then 1000; key 2 always 1000 */
const KEY1 = [1000, 1200, 1200, 1000, 1000, null, null, null, 1000];
const rows = KEY1.flatMap((rpm, i) => [...(rpm === null ? [] : [`${T0 + 10 * i},1,a,0,0,${rpm},0`]), `${T0 + 10 * i + 1},2,a,0,0,1000,0`]);
const end = (i: number) => (T0 + 10 * i + 10) * 1000;

async function setup(rule: Record<string, unknown>[], alert: Record<string, unknown> = { method: 'stdout', format: 'jsonl' }): Promise<PipelinePlan> {
  return rpmAnalysisPlan(tmp(), { files: { 'Fixed.mjs': FIXED }, rows, analysis: { alert, accuracy: 1, rule } });
}

async function run(plan: PipelinePlan) {
  const stdout = new Collect();
  const warnings: string[] = [];
  const stats = await new Runner(plan, { stdout, warn: (m) => warnings.push(m), recordAlertsInStore: true }).run();
  expect(warnings).toEqual([]);
  return {
    stats,
    lines: stdout.text
      .trim()
      .split('\n')
      .filter((l) => l !== ''),
  };
}

describe('alert lifecycle in a run', () => {
  it('pending, firing, resolved and no-data episodes with stable ids: JSON lines, the store, the summary', async () => {
    const plan = await setup([{ module: './Fixed.mjs', name: 'F', for: 1, no_data: 2 }]);
    const first = await run(plan);
    const events = first.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => [e.state, e.episode_kind, e.time, e.key])).toEqual([
      ['firing', 'deviation', new Date(end(2)).toISOString(), [1]],
      ['resolved', 'deviation', new Date(end(3)).toISOString(), [1]],
      ['nodata', 'nodata', new Date(end(6)).toISOString(), [1]],
      ['resolved', 'nodata', new Date(end(8)).toISOString(), [1]],
    ]);
    expect(events[0]).toMatchObject({
      module: 'F',
      rule: 'F',
      field: 'rpm_max',
      value: 1200,
      lower_bound: 900,
      upper_bound: 1100,
      episode_start: new Date(end(1)).toISOString(),
      peak_value: 1200,
    });
    expect(events[1]!.alert_id).toBe(events[0]!.alert_id);
    expect(events[3]!.alert_id).toBe(events[2]!.alert_id);
    expect(events[2]!.alert_id).not.toBe(events[0]!.alert_id);
    expect(first.stats.analysis?.byState).toEqual({ firing: 1, resolved: 2, nodata: 1 });
    const store = (plan.config.outputs[0] as { path: string }).path;
    expect(summary(first.stats)).toContain(`alerts to stdout: 4 delivered\nalerts to sqlite table alerts of ${store}: 4 delivered\n`);

    // a re-run of the same input gives the same events, ids included, and the store keeps one row per event
    const again = await run(plan);
    expect(again.lines).toEqual(first.lines);
    const db = new Database(store, { readonly: true });
    const stored = db.prepare('SELECT state, alert_id, episode_start, lifecycle FROM alerts ORDER BY window_end, state').all();
    db.close();
    expect(stored).toEqual(events.map((e) => ({ state: e.state, alert_id: e.alert_id, episode_start: Date.parse(String(e.episode_start)), lifecycle: 1 })));

    // episodes, as the workbench and backtests read them
    const h = await readHistory(plan);
    expect(h.episodes.map((e) => [e.kind, e.start, e.firing, e.end, e.peakValue, e.events])).toEqual([
      ['deviation', end(1), end(2), end(3), 1200, 2],
      ['nodata', end(6), end(6), end(8), null, 2],
    ]);
  });

  it('a rule without lifecycle options: the reference lines, one per deviating record, their rows still carry ids and states', async () => {
    const plan = await setup([{ module: './Fixed.mjs', name: 'F' }], { method: 'stdout' });
    const { lines, stats } = await run(plan);
    expect(lines).toEqual([
      "F: Time: 2018-04-15 13:47:00. Parameter 'rpm_max' for key=(1,) out of range [900.0,1100.0] and equal 1200.0",
      "F: Time: 2018-04-15 13:47:10. Parameter 'rpm_max' for key=(1,) out of range [900.0,1100.0] and equal 1200.0",
    ]);
    expect(summary(stats)).toMatch(/alerts to stdout: 2 delivered\n/);
    const h = await readHistory(plan);
    expect(h.alerts.map((a) => [a.state, a.lifecycle, a.episodeStart, a.time])).toEqual([
      ['firing', false, end(1), end(1)],
      ['firing', false, end(2), end(2)],
    ]);
    expect(h.episodes.map((e) => [e.start, e.end])).toEqual([
      [end(1), end(1)],
      [end(2), end(2)],
    ]);
  });
});
