// The workbench's lists paged from the store (engine/facade/store-pages.ts), against what a real replay of the sensors
// sample leaves in SQLite: every page, filter and count is checked against the whole table read another way.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../engine/pipeline/plan.js';
import { Runner } from '../../../engine/pipeline/runner.js';
import type { PipelinePlan } from '../../../engine/pipeline/plan.js';
import { readHistory } from '../../../engine/facade/history.js';
import { alertEpisodes } from '../../../engine/facade/episodes.js';
import { storedAlertsPage, storedEpisodesPage, storedRowErrorsPage, storedWindowsPage } from '../../../engine/facade/store-pages.js';
import type { AlertEvent, ListPage, ListPageRequest } from '../../../engine/facade-types.js';
import { ROOT, useTmpDir } from '../helpers.js';

const tmp = useTmpDir('ts-store-pages-');

/** a copy of the sensors sample whose rules also alert with lifecycle (Avg6), with bad rows planted in its CSV */
async function replayedSensors(): Promise<{ dir: string; plan: PipelinePlan; runId: string }> {
  const dir = path.join(tmp(), 'sensors');
  fs.cpSync(path.join(ROOT, 'samples/sensors'), dir, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, fs.readFileSync(configFile, 'utf8').replace('"num_average": 6 }', '"num_average": 6 }, "for": 1, "keep_firing_for": 1'));
  const csv = path.join(dir, 'data/sensors.csv');
  const lines = fs.readFileSync(csv, 'utf8').split('\n');
  for (const at of [100, 2000, 9000]) lines.splice(at, 0, `${lines[at]!.split(',')[0]},not-a-number,seal.t1,1,2,3,4`);
  lines.splice(500, 0, `${lines[500]!.split(',')[0]},3`);
  fs.writeFileSync(csv, lines.join('\n'));
  const checked = await checkConfig(configFile);
  const plan = checked.plan!;
  const runner = new Runner(plan, { recordAlertsInStore: true, stdout: new Writable({ write: (_c, _e, cb) => cb() }) });
  await runner.run();
  return { dir, plan, runId: runner.runId };
}

/** every row, read page after page */
function allPages<T>(page: (req: ListPageRequest<never>) => ListPage<T>, req: Pick<ListPageRequest<never>, 'order'>, limit = 97): T[] {
  const out: T[] = [];
  for (let offset = 0; ; offset += limit) {
    const p = page({ ...req, offset, limit });
    out.push(...p.rows);
    if (p.rows.length < limit) {
      expect(out.length).toBe(p.total);
      return out;
    }
  }
}

describe('lists paged from the store', () => {
  let dir: string;
  let plan: PipelinePlan;
  let runId: string;
  let alerts: AlertEvent[];
  beforeAll(async () => {
    ({ dir, plan, runId } = await replayedSensors());
    alerts = (await readHistory(plan)).alerts;
    expect(alerts.length).toBeGreaterThan(30);
  }, 60_000);

  it('alert events: the pages together are the table, newest first; oldest first is the order history reads', () => {
    const oldest = allPages((r) => storedAlertsPage(plan, r), { order: 'oldest' });
    const byIdentity = (xs: AlertEvent[]) => [...xs].sort((a, b) => a.time - b.time || a.alertId.localeCompare(b.alertId) || a.state.localeCompare(b.state));
    expect(byIdentity(oldest)).toEqual(byIdentity(alerts));
    expect(oldest.map((a) => a.time)).toEqual(alerts.map((a) => a.time));
    const newest = allPages((r) => storedAlertsPage(plan, r), {});
    expect(newest.map((a) => a.time)).toEqual(alerts.map((a) => a.time).reverse());
    const first = storedAlertsPage(plan, { offset: 0, limit: 5 }, (f) => path.relative(dir, f));
    expect(first.source).toBe('data/sensors.db (alerts)');
    expect(first.all).toBe(alerts.length);
    expect(first.total).toBe(alerts.length);
  });

  it('alert events: rule, field, key text and state filters narrow the total, and the state counts follow the other filters', () => {
    const avg = alerts.filter((a) => a.rule === 'Avg6');
    const p = storedAlertsPage(plan, { offset: 0, limit: 1000, filters: { rule: 'Avg6' } });
    expect(p.total).toBe(avg.length);
    expect(p.all).toBe(alerts.length);
    expect(p.counts).toEqual({
      firing: avg.filter((a) => a.state === 'firing').length,
      resolved: avg.filter((a) => a.state === 'resolved').length,
      nodata: avg.filter((a) => a.state === 'nodata').length,
    });
    const resolved = storedAlertsPage(plan, { offset: 0, limit: 1000, filters: { rule: 'Avg6', state: 'resolved' } });
    expect(resolved.total).toBe(p.counts.resolved);
    expect(resolved.rows.every((a) => a.state === 'resolved' && a.rule === 'Avg6')).toBe(true);
    expect(storedAlertsPage(plan, { offset: 0, limit: 10, filters: { field: 'rpm_max' } }).total).toBe(alerts.filter((a) => a.field === 'rpm_max').length);
    // the key as the workbench shows it: "20 · gear.t3"
    const one = alerts[0]!;
    const keyText = `${one.key![0]} · ${one.key![1]}`;
    const byKey = storedAlertsPage(plan, { offset: 0, limit: 1000, filters: { key: keyText.toUpperCase() } });
    expect(byKey.total).toBe(alerts.filter((a) => `${a.key![0]} · ${a.key![1]}` === keyText).length);
    expect(storedAlertsPage(plan, { offset: 0, limit: 10, filters: { key: "x' OR 1=1 --" } }).total).toBe(0);
  });

  it('episodes: grouped by alert id in SQLite, each whole as a run groups its events, filtered by their state', () => {
    const expected = alertEpisodes(alerts);
    const got = allPages((r) => storedEpisodesPage(plan, r), {}, 7);
    expect(got.length).toBe(expected.length);
    expect([...got].sort((a, b) => a.alertId.localeCompare(b.alertId))).toEqual([...expected].sort((a, b) => a.alertId.localeCompare(b.alertId)));
    const starts = got.map((e) => e.start);
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    const resolved = storedEpisodesPage(plan, { offset: 0, limit: 1000, filters: { state: 'resolved' } });
    expect(resolved.total).toBe(expected.filter((e) => e.lifecycle && e.end !== null).length);
    expect(resolved.total).toBeGreaterThan(0);
    expect(resolved.counts.firing + resolved.counts.resolved + resolved.counts.nodata).toBe(expected.length);
    expect(storedEpisodesPage(plan, { offset: 0, limit: 1, filters: { rule: 'Simple1' } }).total).toBe(expected.filter((e) => e.rule === 'Simple1').length);
  });

  it('windows: every stored row, newest window first, filtered by key text and time', async () => {
    const db = new Database(path.join(dir, 'data/sensors.db'), { readonly: true });
    const stored = (db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
    const ends = db.prepare('SELECT DISTINCT window_end AS e FROM points ORDER BY e').all() as { e: number }[];
    const seal = (db.prepare("SELECT COUNT(*) AS n FROM points WHERE sensor_type LIKE '%seal.t1%'").get() as { n: number }).n;
    db.close();
    expect(stored).toBeGreaterThan(1000);
    const rows = allPages((r) => storedWindowsPage(plan, r), {}, 500);
    expect(rows.length).toBe(stored);
    expect(rows[0]!.windowEnd).toBe(ends.at(-1)!.e);
    expect(rows.at(-1)!.windowEnd).toBe(ends[0]!.e);
    expect(Object.keys(rows[0]!.key!)).toEqual(['sensor_id', 'sensor_type']);
    expect(Object.keys(rows[0]!.values)).toEqual(['counter', 'rpm_min', 'rpm_max', 'rpm_sum', 'speed_lt', 'speed_gt']);
    // the rows history reads for the last window are the first page's
    const last = (await readHistory(plan, 1)).windows[0]!;
    expect(rows.slice(0, last.rows.length).map((r) => ({ key: r.key, values: r.values }))).toEqual(last.rows);
    expect(storedWindowsPage(plan, { offset: 0, limit: 1, filters: { key: 'SEAL.T1' } }).total).toBe(seal);
    const mid = ends[10]!.e;
    const span = storedWindowsPage(plan, { offset: 0, limit: 1000, filters: { from: mid, to: mid - 1 } });
    expect(span.rows.every((r) => r.windowEnd === mid)).toBe(true);
    expect(span.total).toBe(rows.filter((r) => r.windowEnd === mid).length);
  });

  it('bad rows: the dead letters of the run, by reason and source, newest first', () => {
    const p = storedRowErrorsPage(plan, { offset: 0, limit: 100 }, (f) => path.relative(dir, f));
    expect(p.source).toBe('data/sensors.db (dead_letters)');
    expect(p.total).toBe(4);
    expect(p.rows.filter((r) => r.raw.includes('not-a-number')).length).toBe(3);
    expect(p.reasons).toEqual([
      { reason: 'bad LongType', count: 3 },
      { reason: 'too few columns', count: 1 },
    ]);
    expect(p.rows.every((r) => r.runId === runId)).toBe(true);
    expect(p.rows.map((r) => r.line)).toEqual([...p.rows.map((r) => r.line!)].sort((a, b) => b - a));
    expect(p.reasons.reduce((a, r) => a + r.count, 0)).toBe(4);
    const reason = p.rows.find((r) => r.raw.includes('not-a-number'))!.reason;
    const narrowed = storedRowErrorsPage(plan, { offset: 0, limit: 100, filters: { reason } });
    expect(narrowed.total).toBe(3);
    expect(narrowed.reasons).toEqual(p.reasons);
    expect(storedRowErrorsPage(plan, { offset: 0, limit: 100, filters: { runId: 'another-run' } }).total).toBe(0);
    expect(storedRowErrorsPage(plan, { offset: 0, limit: 100, filters: { source: 'SENSORS.csv' } }).total).toBe(4);
    expect(storedRowErrorsPage(plan, { offset: 0, limit: 100, filters: { source: 'other.csv' } }).total).toBe(0);
  });

  it('a store no run wrote yet: empty pages naming it; a page asks for at most 1000 rows', async () => {
    const fresh = path.join(tmp(), 'fresh');
    fs.cpSync(path.join(ROOT, 'samples/sensors'), fresh, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
    const p = (await checkConfig(path.join(fresh, 'config.json'))).plan!;
    expect(storedAlertsPage(p, { offset: 0, limit: 10 })).toMatchObject({ total: 0, rows: [], all: 0 });
    expect(storedWindowsPage(p, { offset: 0, limit: 10 }).total).toBe(0);
    expect(storedRowErrorsPage(p, { offset: 0, limit: 10 }).total).toBe(0);
    expect(storedWindowsPage(plan, { offset: 0, limit: 5000 }).rows.length).toBe(1000);
  });
});
