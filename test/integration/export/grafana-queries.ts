/**
 * Runs the panels of an exported Grafana dashboard (engine/export/grafana.ts) against a real influxd as Grafana
 * would: the InfluxQL macros ($timeFilter, $__interval) and the Flux ones (v.timeRangeStart, v.timeRangeStop,
 * v.windowPeriod) are replaced by text, as Grafana's InfluxDB datasource does, and the query goes to the server
 * the panel's datasource variable names. Each panel's answer becomes comparable points: series (its tags) × time.
 */
import { InfluxDB } from '@influxdata/influxdb-client';
import type { GrafanaDashboard, GrafanaPanel } from '../../../engine/export/grafana.js';

/** What a Grafana InfluxDB datasource holds: InfluxQL needs the database, Flux the organization and a token. */
export type Datasource = { language: 'influxql'; url: string; database: string } | { language: 'flux'; url: string; org: string; token: string };

/** one point of a panel: `tags` as `k=v,…` sorted by tag, time in ms since the epoch */
export interface PanelPoint {
  tags: string;
  timeMs: number;
  value: number | string | boolean;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
  /** Grafana's interval for the panel (never below the panel's minimum interval) */
  interval: string;
}

const tagsText = (tags: Record<string, string>) =>
  Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',');

async function influxql(ds: Extract<Datasource, { language: 'influxql' }>, query: string, range: TimeRange): Promise<PanelPoint[]> {
  const q = query.replaceAll('$timeFilter', `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`).replaceAll('$__interval', range.interval);
  const res = await fetch(`${ds.url}/query?${new URLSearchParams({ db: ds.database, q, epoch: 'ms' })}`);
  const body = (await res.json()) as {
    results: { error?: string; series?: { tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
    error?: string;
  };
  const error = body.error ?? body.results[0]?.error;
  if (!res.ok || error) throw new Error(`InfluxQL ${q}: ${error ?? res.status}`);
  return (body.results[0]?.series ?? []).flatMap((s) =>
    s.values.map((v) => ({ tags: tagsText(s.tags ?? {}), timeMs: v[0] as number, value: v[1] as PanelPoint['value'] })),
  );
}

async function flux(ds: Extract<Datasource, { language: 'flux' }>, query: string, range: TimeRange, keys: readonly string[]): Promise<PanelPoint[]> {
  const q = query
    .replaceAll('v.timeRangeStart', new Date(range.fromMs).toISOString())
    .replaceAll('v.timeRangeStop', new Date(range.toMs).toISOString())
    .replaceAll('v.windowPeriod', range.interval);
  const rows = await new InfluxDB({ url: ds.url, token: ds.token }).getQueryApi(ds.org).collectRows<Record<string, unknown>>(q);
  return rows.map((r) => ({
    tags: tagsText(Object.fromEntries(keys.filter((k) => r[k] !== undefined && r[k] !== '').map((k) => [k, String(r[k])]))),
    timeMs: Date.parse(r._time as string),
    value: r._value as PanelPoint['value'],
  }));
}

/** The points each panel of the dashboard shows, sorted by series, then time. */
export async function panelPoints(
  dashboard: GrafanaDashboard,
  datasources: Record<string, Datasource>,
  range: TimeRange,
  keys: readonly string[],
): Promise<{ panel: GrafanaPanel; datasource: string; points: PanelPoint[] }[]> {
  const out: { panel: GrafanaPanel; datasource: string; points: PanelPoint[] }[] = [];
  for (const p of dashboard.panels.filter((x): x is GrafanaPanel => x.type !== 'row')) {
    const variable = /^\$\{(\w+)\}$/.exec(p.datasource.uid)?.[1];
    const ds = variable === undefined ? undefined : datasources[variable];
    if (!ds) throw new Error(`panel ${p.title}: no datasource for ${p.datasource.uid}`);
    const points: PanelPoint[] = [];
    for (const t of p.targets) points.push(...(ds.language === 'influxql' ? await influxql(ds, t.query, range) : await flux(ds, t.query, range, keys)));
    points.sort((a, b) => (a.tags < b.tags ? -1 : a.tags > b.tags ? 1 : a.timeMs - b.timeMs));
    out.push({ panel: p, datasource: variable!, points });
  }
  return out;
}
