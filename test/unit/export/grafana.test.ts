/**
 * The Grafana dashboard of the production bundles (engine/export/grafana.ts), against Grafana's published
 * dashboard types (@grafana/schema): the generator's output type must be assignable to `Dashboard` (checked by
 * tsc, which type-checks this file), and the JSON written must hold the fields Grafana requires. The queries
 * themselves run against real InfluxDB servers in test/integration/export/grafana.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dashboard, DataSourceRef, Panel, RowPanel, VariableModel } from '@grafana/schema';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DASHBOARD_FILE,
  type GrafanaDashboard,
  type GrafanaPanel,
  type GrafanaRow,
  type GrafanaVariable,
  grafanaDashboard,
  shownUrl,
  windowInterval,
} from '../../../engine/export/grafana.js';
import { checkForExport, planExport } from '../../../engine/export/targets.js';

// ---- type level: a compile error here is a generator that Grafana's schema rejects ---------------------
const asDashboard = (d: GrafanaDashboard): Dashboard => d;
const asPanel = (p: GrafanaPanel): Panel => p;
const asRow = (r: GrafanaRow): RowPanel => r;
const asVariable = (v: GrafanaVariable): VariableModel => v;
const asDataSource = (d: GrafanaPanel['datasource']): DataSourceRef => d;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-grafana-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const STRUCTURE = { ts: { index: 0, type: 'LongType' }, host: { index: 1, type: 'StringType' }, x: { index: 2, type: 'DoubleType' } };
const V1 = { method: 'influx', options: { influx: { host: '127.0.0.1', port: 8086, database: 'metrics', measurement: 'cpu' } } };
const V2 = { method: 'influx', options: { influx: { url: 'http://127.0.0.1:8087', token: 'secret-token', org: 'acme', bucket: 'b1', measurement: 'cpu2' } } };

function project(name: string, cfg: Record<string, unknown>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'structure.json'), JSON.stringify(STRUCTURE));
  fs.writeFileSync(path.join(dir, 'data.csv'), '1700000000,a,1.5\n');
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 1));
  return path.join(dir, 'config.json');
}

const COLUMNS: Record<string, string> = { host: 'host', n: 'n: one(ts)', x: 'x', x2: 'x2: x', up: 'up: gt(x, 1)' };

/** a config aggregating by `rules`, with the transformations the rules use (every transformed column must be) */
function config(outputs: unknown[], rules = ['key: host', 'sum(n)', 'max(x)', 'mul(x2)'], operation = 'reduceByKey'): Record<string, unknown> {
  const transformation = Object.entries(COLUMNS)
    .filter(([name]) => rules.some((r) => new RegExp(`\\b${name}\\b`).test(r)))
    .map(([, t]) => t);
  return {
    input: { input_type: 'csv', data_structure: 'structure.json', options: { path: 'data.csv', batchDuration: 10, time_field: 'ts', time_unit: 's' } },
    outputs,
    processing: { transformation, aggregations: { operation_type: operation, rule: rules } },
    databases: {},
  };
}

/** as the export checks a config: placeholders whose variables are not set are kept */
async function dashboardOf(cfg: string) {
  const outcome = await checkForExport(cfg);
  expect(outcome.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return grafanaDashboard(outcome.plan!.config, outcome.plan!.aggregation);
}

const panelsOf = (d: GrafanaDashboard) => d.panels.filter((p): p is GrafanaPanel => p.type !== 'row');

/**
 * What Grafana requires of an imported dashboard JSON (the non-optional members of @grafana/schema's Dashboard,
 * Panel, RowPanel, GridPos, VariableModel and FieldConfigSource), plus what makes it load: unique panel ids and
 * query refIds per panel, datasources that are the dashboard's own variables.
 */
function requiredFieldProblems(json: unknown): string[] {
  const problems: string[] = [];
  const d = json as Record<string, any>;
  if (typeof d.schemaVersion !== 'number') problems.push('schemaVersion');
  if (typeof d.title !== 'string' || d.title === '') problems.push('title');
  if (typeof d.uid !== 'string' || d.uid.length > 40) problems.push('uid (at most 40 characters)');
  const variables = new Set<string>();
  for (const v of d.templating?.list ?? []) {
    if (typeof v.name !== 'string' || typeof v.type !== 'string') problems.push(`templating variable ${JSON.stringify(v)}`);
    variables.add(v.name);
  }
  const ids = new Set<number>();
  for (const p of d.panels ?? []) {
    const where = `panel ${p.id}`;
    if (typeof p.type !== 'string') problems.push(`${where}: type`);
    if (typeof p.id !== 'number' || ids.has(p.id)) problems.push(`${where}: id missing or repeated`);
    ids.add(p.id);
    for (const k of ['x', 'y', 'w', 'h']) if (typeof p.gridPos?.[k] !== 'number') problems.push(`${where}: gridPos.${k}`);
    if (p.gridPos && p.gridPos.x + p.gridPos.w > 24) problems.push(`${where}: wider than the 24-column grid`);
    if (p.type === 'row') {
      if (!Array.isArray(p.panels)) problems.push(`${where}: row panels`);
      continue;
    }
    if (typeof p.fieldConfig?.defaults !== 'object' || !Array.isArray(p.fieldConfig?.overrides)) problems.push(`${where}: fieldConfig`);
    const refIds = new Set<string>();
    for (const t of p.targets ?? []) {
      if (typeof t.refId !== 'string' || refIds.has(t.refId)) problems.push(`${where}: refId`);
      refIds.add(t.refId);
      if (typeof t.query !== 'string' || t.query === '') problems.push(`${where}: query`);
    }
    for (const ds of [p.datasource, ...(p.targets ?? []).map((t: any) => t.datasource)]) {
      const m = /^\$\{(\w+)\}$/.exec(ds?.uid ?? '');
      if (ds?.type !== 'influxdb' || !m || !variables.has(m[1]!)) problems.push(`${where}: datasource ${JSON.stringify(ds)} is not a dashboard variable`);
    }
  }
  return problems;
}

describe('grafanaDashboard', () => {
  it('gives one panel per aggregated column and one InfluxQL series per key for a v1 output, rolled up by the column’s monoid', async () => {
    const g = (await dashboardOf(project('v1', config([V1]))))!;
    expect(asDashboard(g.dashboard).schemaVersion).toBeGreaterThan(0);
    const panels = panelsOf(g.dashboard);
    expect(panels.map((p) => asPanel(p).title)).toEqual(['n', 'x', 'x2']);
    expect(panels.map((p) => p.targets[0]!.query)).toEqual([
      'SELECT SUM("n") AS "n" FROM "cpu" WHERE $timeFilter GROUP BY time($__interval), "host" fill(none)',
      'SELECT MAX("x") AS "x" FROM "cpu" WHERE $timeFilter GROUP BY time($__interval), "host" fill(none)',
      // a product has no InfluxQL counterpart: every written point
      'SELECT "x2" FROM "cpu" WHERE $timeFilter GROUP BY "host"',
    ]);
    expect(panels.every((p) => p.interval === '10s' && p.targets[0]!.rawQuery === true)).toBe(true);
    expect(panels[0]!.fieldConfig.defaults.displayName).toBe('${__field.labels.host}');
    expect(g.dashboard.templating.list.map((v) => [asVariable(v).name, v.type, v.query])).toEqual([['datasource', 'datasource', 'influxdb']]);
    expect(asDataSource(panels[0]!.datasource)).toEqual({ type: 'influxdb', uid: '${datasource}' });
    expect(requiredFieldProblems(JSON.parse(JSON.stringify(g.dashboard)))).toEqual([]);
    expect(g.readme.join('\n')).toContain('query language **InfluxQL**, URL `http://127.0.0.1:8086`, database `metrics`');
  });

  it('writes Flux for a v2 output, without the token, and a row per output when there are several', async () => {
    const g = (await dashboardOf(project('v1v2', config([V1, V2, { method: 'stdout' }]))))!;
    const json = JSON.stringify(g.dashboard);
    expect(json).not.toContain('secret-token');
    const rows = g.dashboard.panels.filter((p): p is GrafanaRow => p.type === 'row');
    expect(rows.map((r) => asRow(r).title)).toEqual(['outputs[0]: cpu', 'outputs[1]: cpu2']);
    const flux = panelsOf(g.dashboard).filter((p) => p.datasource.uid === '${datasource_2}');
    expect(flux.map((p) => p.title)).toEqual(['n', 'x', 'x2']);
    expect(flux[0]!.targets[0]!.query).toBe(
      [
        'from(bucket: "b1")',
        '  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)',
        '  |> filter(fn: (r) => r._measurement == "cpu2" and r._field == "n")',
        '  |> group(columns: ["host"])',
        '  |> aggregateWindow(every: v.windowPeriod, fn: sum, createEmpty: false, timeSrc: "_start")',
        '  |> yield(name: "n")',
      ].join('\n'),
    );
    expect(flux[2]!.targets[0]!.query).toContain('|> keep(columns: ["_time", "_value", "host"])');
    expect(g.dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'datasource_2']);
    expect(requiredFieldProblems(JSON.parse(json))).toEqual([]);
    // panels of the second output start below the first's
    const firstFlux = flux[0]!.gridPos.y;
    expect(
      Math.max(
        ...panelsOf(g.dashboard)
          .filter((p) => p.datasource.uid === '${datasource}')
          .map((p) => p.gridPos.y),
      ),
    ).toBeLessThan(firstFlux);
  });

  it('shows non-numeric columns as state timelines of the written points, and one series without a key', async () => {
    const g = (await dashboardOf(project('reduce', config([V1], ['max(up)', 'sum(n)'], 'reduce'))))!;
    const panels = panelsOf(g.dashboard);
    // in transformation order
    expect(panels.map((p) => [p.title, p.type])).toEqual([
      ['n', 'timeseries'],
      ['up', 'state-timeline'],
    ]);
    expect(panels[0]!.targets[0]!.query).toBe('SELECT SUM("n") AS "n" FROM "cpu" WHERE $timeFilter GROUP BY time($__interval) fill(none)');
    expect(panels[0]!.fieldConfig.defaults.displayName).toBe('n');
    expect(panels[1]!.targets[0]!.query).toBe('SELECT "up" FROM "cpu" WHERE $timeFilter');
  });

  it('quotes identifiers and turns placeholders left in names into text variables', async () => {
    const out = { method: 'influx', options: { influx: { host: 'h', port: 1, database: '${DB}', retention_policy: 'a"b', measurement: 'm ${SITE}' } } };
    const g = (await dashboardOf(project('quoted', config([out], ['key: host', 'sum(n)']))))!;
    expect(panelsOf(g.dashboard)[0]!.targets[0]!.query).toBe(
      'SELECT SUM("n") AS "n" FROM "a\\"b"."m ${SITE}" WHERE $timeFilter GROUP BY time($__interval), "host" fill(none)',
    );
    expect(g.dashboard.templating.list.filter((v) => v.type === 'textbox').map((v) => v.name)).toEqual(['DB', 'SITE']);
    expect(requiredFieldProblems(JSON.parse(JSON.stringify(g.dashboard)))).toEqual([]);
  });

  it('is left out without an InfluxDB output', async () => {
    expect(await dashboardOf(project('none', config([{ method: 'stdout' }])))).toBeUndefined();
  });

  it('shows server URLs without the credentials they may hold, in the dashboard and in the README', async () => {
    const withCredentials = {
      method: 'influx',
      options: { influx: { url: 'http://admin:pw-in-url@127.0.0.1:8087/influx?token=q-tok', token: 't', org: 'o', bucket: 'b', measurement: 'm' } },
    };
    const g = (await dashboardOf(project('credentials', config([withCredentials], ['key: host', 'sum(n)']))))!;
    const text = JSON.stringify(g.dashboard) + g.readme.join('\n');
    expect(text).not.toMatch(/pw-in-url|q-tok|admin/);
    expect(g.readme.join('\n')).toContain('URL `http://127.0.0.1:8087/influx`');
    expect(shownUrl('not a url')).toBe('(the configured URL)');
  });

  it('names the window length as a Grafana interval', () => {
    expect([windowInterval(10), windowInterval(0.5), windowInterval(0), windowInterval(90)]).toEqual(['10s', '500ms', undefined, '90s']);
  });
});

describe('the bundles hold the dashboard', () => {
  it.each(['ts-engine', 'flink'] as const)('target %s writes %s and says how to import it', async (target) => {
    const cfg = project(`bundle-${target}`, config([V2], ['key: host', 'sum(n)', 'max(x)']));
    const outcome = await checkForExport(cfg);
    const planned = await planExport(target, cfg, outcome);
    const out = path.join(tmp, `out-${target}`);
    expect(planned.write(out)).toContain(DASHBOARD_FILE);
    const json = JSON.parse(fs.readFileSync(path.join(out, DASHBOARD_FILE), 'utf8'));
    expect(requiredFieldProblems(json)).toEqual([]);
    expect(json.panels.map((p: GrafanaPanel) => p.title)).toEqual(['n', 'x']);
    expect(fs.readFileSync(path.join(out, DASHBOARD_FILE), 'utf8')).not.toContain('secret-token');
    const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    expect(readme).toContain('## Grafana');
    expect(readme).toContain('query language **Flux**, URL `http://127.0.0.1:8087`, organization `acme`, a token that reads bucket `b1`');
  });

  it('without an InfluxDB output, neither bundle has one', async () => {
    const cfg = project('bundle-none', config([{ method: 'stdout' }]));
    for (const target of ['ts-engine', 'flink'] as const) {
      const planned = await planExport(target, cfg, await checkForExport(cfg));
      expect(planned.write(path.join(tmp, `none-${target}`))).not.toContain(DASHBOARD_FILE);
    }
  });
});
