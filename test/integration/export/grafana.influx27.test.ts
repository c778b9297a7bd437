/**
 * The exported Grafana dashboard (engine/export/grafana.ts) against real servers: ts-engine writes the sensor
 * sample's windows to InfluxDB 1.8 (v1 form, InfluxQL panels) and 2.7 (v2 form, Flux panels), the bundle's
 * grafana/dashboard.json is read back, and every panel's query, run as Grafana runs it, must return exactly the
 * points of ts-engine's JSONL output — one series per key, one point per window — and, zoomed out to a
 * one-minute interval, the roll-up of those windows by the column's aggregate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_FILE, type GrafanaDashboard } from '../../../engine/export/grafana.js';
import { type InfluxServer, startInflux } from '../servers/influx.js';
import { cli, REPO } from '../targets/flink/flink-helpers.js';
import { type Datasource, type PanelPoint, panelPoints } from './grafana-queries.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-grafana-it-'));
let influx1: InfluxServer;
let influx2: InfluxServer;

beforeAll(async () => {
  [influx1, influx2] = await Promise.all([startInflux({ version: '1.8' }), startInflux({ version: '2.7' })]);
}, 120_000);
afterAll(async () => {
  await Promise.all([influx1?.stop(), influx2?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const KEYS = ['sensor_id', 'sensor_type'];

interface Window {
  tags: string;
  endMs: number;
  values: Record<string, number>;
}

/** The windows of ts-engine's JSONL output, keyed as InfluxDB tags them (key values as text). */
function windowsOf(jsonl: string): Window[] {
  return jsonl
    .split('\n')
    .filter((l) => l.startsWith('{"window_start"'))
    .map((l) => {
      const w = JSON.parse(l) as { window_end: string; key: Record<string, unknown>; values: Record<string, number> };
      const tags = KEYS.map((k) => `${k}=${String(w.key[k])}`).join(',');
      return { tags, endMs: Date.parse(w.window_end), values: w.values };
    });
}

/** What a panel should show: every window's value, or at `bucketMs` the roll-up of the windows each bucket holds. */
function expectedPoints(windows: Window[], column: string, fn?: string, bucketMs?: number): PanelPoint[] {
  const byBucket = new Map<string, PanelPoint>();
  for (const w of windows) {
    const timeMs = bucketMs ? Math.floor(w.endMs / bucketMs) * bucketMs : w.endMs;
    const id = `${w.tags}@${timeMs}`;
    const v = w.values[column]!;
    const prev = byBucket.get(id);
    if (!prev) byBucket.set(id, { tags: w.tags, timeMs, value: v });
    else prev.value = fn === 'sum' ? (prev.value as number) + v : fn === 'min' ? Math.min(prev.value as number, v) : Math.max(prev.value as number, v);
  }
  return [...byBucket.values()].sort((a, b) => (a.tags < b.tags ? -1 : a.tags > b.tags ? 1 : a.timeMs - b.timeMs));
}

/** Same series and times, integers exact, doubles within 1e-9 relative (a roll-up adds in the server's order). */
function firstMismatch(expected: PanelPoint[], actual: PanelPoint[]): string | undefined {
  if (expected.length !== actual.length) return `${actual.length} points, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    const same =
      e.tags === a.tags &&
      e.timeMs === a.timeMs &&
      typeof a.value === 'number' &&
      Math.abs((a.value as number) - (e.value as number)) <= 1e-9 * Math.max(1, Math.abs(e.value as number));
    if (!same) return `point ${i}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`;
  }
  return undefined;
}

describe('the Grafana dashboard of an export', () => {
  it('shows, through every panel’s InfluxQL (1.8) and Flux (2.7) query, the points ts-engine wrote', async () => {
    const sample = JSON.parse(fs.readFileSync(path.join(REPO, 'samples/sensors/config.json'), 'utf8'));
    const project = path.join(tmp, 'sensors');
    fs.mkdirSync(project);
    sample.input.data_structure = path.join(REPO, 'samples/sensors', sample.input.data_structure);
    sample.input.options.path = path.join(REPO, 'samples/sensors', sample.input.options.path);
    delete sample.analysis;
    sample.outputs = [
      { method: 'influx', options: { influx: { host: '127.0.0.1', port: influx1.port, database: 'sensors', measurement: 'points' } } },
      {
        method: 'influx',
        options: { influx: { url: influx2.url, token: influx2.token, org: influx2.org, bucket: influx2.bucket, measurement: 'points' } },
      },
      { method: 'stdout', options: { format: 'jsonl' } },
    ];
    const config = path.join(project, 'config.json');
    fs.writeFileSync(config, JSON.stringify(sample, null, 1));

    const run = cli(['run', config, '--no-progress']);
    expect(run.status, run.stderr).toBe(0);
    const windows = windowsOf(run.stdout);
    expect(windows.length).toBe(1800);

    const bundle = path.join(tmp, 'bundle');
    const exported = cli(['export', config, bundle]);
    expect(exported.status, exported.stderr).toBe(0);
    const dashboard = JSON.parse(fs.readFileSync(path.join(bundle, DASHBOARD_FILE), 'utf8')) as GrafanaDashboard;

    const datasources: Record<string, Datasource> = {
      datasource: { language: 'influxql', url: influx1.url, database: 'sensors' },
      datasource_2: { language: 'flux', url: influx2.url, org: influx2.org, token: influx2.token },
    };
    const rules = (sample.processing.aggregations.rule as string[]).flatMap((r) => {
      const m = /^(\w+)\((\w+)\)$/.exec(r);
      return m ? [{ fn: m[1]!, column: m[2]! }] : [];
    });
    const all = { fromMs: 0, toMs: Date.parse('2100-01-01T00:00:00Z') };
    const atWindow = await panelPoints(dashboard, datasources, { ...all, interval: '10s' }, KEYS);
    const zoomedOut = await panelPoints(dashboard, datasources, { ...all, interval: '60s' }, KEYS);
    // one panel per aggregated column and output
    expect(atWindow.map((p) => `${p.datasource}: ${p.panel.title}`)).toEqual(
      ['datasource', 'datasource_2'].flatMap((ds) => rules.map((r) => `${ds}: ${r.column}`)),
    );
    for (const [i, { panel, datasource, points }] of atWindow.entries()) {
      const { fn } = rules.find((r) => r.column === panel.title)!;
      const where = `${datasource}: ${panel.title}`;
      // at the window length, every point ts-engine wrote: exact
      expect(points.length, where).toBe(1800);
      expect(points, where).toEqual(expectedPoints(windows, panel.title));
      // zoomed out, the roll-up of the six windows of each minute
      expect(firstMismatch(expectedPoints(windows, panel.title, fn, 60_000), zoomedOut[i]!.points), `${where} at 60s`).toBeUndefined();
    }
  }, 300_000);
});
