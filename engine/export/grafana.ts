/**
 * The Grafana dashboard both production targets ship beside a config with an InfluxDB output
 * (docs/production.md#grafana): one panel per aggregated column, one series per key, queried in
 * the output's own form — InfluxQL for the v1 form, Flux for the v2 form — so it reads exactly the
 * points ts-engine (or the exported Flink job) writes: one point per key and window, stamped with
 * the window end, key fields as tags.
 *
 * The panels roll windows up when Grafana's interval is wider than a window (a 7-day view of 10 s
 * windows): sums add, minima and maxima stay minima and maxima, so a zoomed-out point is the
 * aggregate of the windows it covers. At the panel's minimum interval (the window length) every
 * bucket holds exactly one window and the series are the written points. Columns whose aggregate
 * has no InfluxQL/Flux counterpart (mul, user aggregates) and non-numeric columns are shown as
 * written, point by point.
 *
 * The dashboard picks its datasource through a `datasource` variable (one per InfluxDB output), so
 * the same file imports through the UI and through provisioning. A `${NAME}` placeholder left in the
 * database, bucket or measurement becomes a textbox variable of the same name, filled in Grafana.
 * Alerts: no ts-engine alert sink stores alerts in InfluxDB (stdout, Kafka, SQLite), so the
 * dashboard carries only Grafana's built-in annotations.
 */
import path from 'node:path';
import type { AggregationPlan } from '../aggregate/rules.js';
import type { InfluxConnection } from '../connectors/influx/client.js';
import type { FieldType } from '../core/types.js';
import type { PipelineConfig } from '../config/model.js';

/** The Grafana dashboard model's version this generator writes; Grafana migrates older versions forward on import. */
export const GRAFANA_SCHEMA_VERSION = 39;

export interface GrafanaDataSourceRef {
  type: string;
  uid: string;
}

/** a type, not an interface: Grafana's Panel takes targets as `Record<string, unknown>`, which an interface does not satisfy */
export type GrafanaTarget = {
  refId: string;
  datasource: GrafanaDataSourceRef;
  query: string;
  /** InfluxQL: the query is written as text, not built with the query editor */
  rawQuery?: boolean;
  resultFormat?: 'time_series';
};

export interface GrafanaGridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GrafanaPanel {
  id: number;
  type: 'timeseries' | 'state-timeline';
  title: string;
  description: string;
  datasource: GrafanaDataSourceRef;
  gridPos: GrafanaGridPos;
  /** the minimum interval: one window, so Grafana never asks for buckets shorter than a window */
  interval?: string;
  targets: GrafanaTarget[];
  fieldConfig: { defaults: { displayName?: string; custom: Record<string, unknown> }; overrides: never[] };
  options: Record<string, unknown>;
}

export interface GrafanaRow {
  id: number;
  type: 'row';
  title: string;
  collapsed: boolean;
  gridPos: GrafanaGridPos;
  panels: never[];
}

export interface GrafanaVariable {
  name: string;
  label: string;
  description: string;
  type: 'datasource' | 'textbox';
  query: string;
  hide: number;
  refresh?: number;
  regex?: string;
  options: never[];
}

export interface GrafanaAnnotation {
  builtIn: number;
  datasource: GrafanaDataSourceRef;
  enable: boolean;
  hide: boolean;
  iconColor: string;
  name: string;
  type: 'dashboard';
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'utc';
  editable: boolean;
  graphTooltip: number;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  refresh: string;
  annotations: { list: GrafanaAnnotation[] };
  templating: { list: GrafanaVariable[] };
  panels: (GrafanaPanel | GrafanaRow)[];
}

/** What one InfluxDB output's panels need: where the points are and which datasource reads them. */
export interface GrafanaSource {
  /** JSON path of the output, for the README */
  path: string;
  connection: InfluxConnection;
  /** the dashboard variable selecting this output's datasource */
  variable: string;
}

export interface GrafanaExport {
  dashboard: GrafanaDashboard;
  sources: GrafanaSource[];
  /** Markdown lines for a bundle README: how to import the file and the datasource it expects */
  readme: string[];
}

export const DASHBOARD_FILE = 'grafana/dashboard.json';

const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

/** InfluxQL identifier: double-quoted, `"` and `\` escaped. */
const influxqlIdent = (name: string) => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** Flux string literal. */
const fluxString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${')}"`;

const NUMERIC_RESULTS: ReadonlySet<FieldType> = new Set(['ByteType', 'ShortType', 'IntegerType', 'LongType', 'FloatType', 'DoubleType']);
/** Built-in monoids whose roll-up over several windows is the same function again. */
const ROLL_UPS: Readonly<Record<string, { influxql: string; flux: string }>> = {
  sum: { influxql: 'SUM', flux: 'sum' },
  min: { influxql: 'MIN', flux: 'min' },
  max: { influxql: 'MAX', flux: 'max' },
};

/** The window length as a Grafana interval (`10s`, `500ms`); undefined for one window over the whole input. */
export function windowInterval(batchDurationSec: number): string | undefined {
  if (!(batchDurationSec > 0)) return undefined;
  const ms = Math.round(batchDurationSec * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `${NAME}` placeholders in a string (the export keeps those whose variables are not set). */
const placeholders = (s: string | undefined): string[] => [...(s ?? '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);

type Column = AggregationPlan['values'][number];

/** A server URL as the dashboard and README may show it: without credentials, query or fragment (secrets never leave in clear). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(the configured URL)';
  }
}

function influxqlQuery(c: InfluxConnection, column: Column, keys: readonly string[]): string {
  const from = c.retentionPolicy ? `${influxqlIdent(c.retentionPolicy)}.${influxqlIdent(c.measurement)}` : influxqlIdent(c.measurement);
  const field = influxqlIdent(column.name);
  const rollUp = ROLL_UPS[column.fn.name];
  const tags = keys.map(influxqlIdent);
  if (rollUp && !column.fn.user && NUMERIC_RESULTS.has(column.type)) {
    return `SELECT ${rollUp.influxql}(${field}) AS ${field} FROM ${from} WHERE $timeFilter GROUP BY ${['time($__interval)', ...tags].join(', ')} fill(none)`;
  }
  return `SELECT ${field} FROM ${from} WHERE $timeFilter${tags.length > 0 ? ` GROUP BY ${tags.join(', ')}` : ''}`;
}

function fluxQuery(c: InfluxConnection, column: Column, keys: readonly string[]): string {
  const rollUp = ROLL_UPS[column.fn.name];
  const lines = [
    `from(bucket: ${fluxString(c.bucket ?? '')})`,
    '  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)',
    `  |> filter(fn: (r) => r._measurement == ${fluxString(c.measurement)} and r._field == ${fluxString(column.name)})`,
    // one table per key: the series of the panel, named by the key tags
    `  |> group(columns: [${keys.map(fluxString).join(', ')}])`,
  ];
  if (rollUp && !column.fn.user && NUMERIC_RESULTS.has(column.type)) {
    // stamped with the bucket's start, as InfluxQL's GROUP BY time: a one-window bucket keeps the window end's time
    lines.push(`  |> aggregateWindow(every: v.windowPeriod, fn: ${rollUp.flux}, createEmpty: false, timeSrc: "_start")`);
  } else lines.push(`  |> keep(columns: [${['_time', '_value', ...keys].map(fluxString).join(', ')}])`);
  lines.push(`  |> yield(name: ${fluxString(column.name)})`);
  return lines.join('\n');
}

function describeColumn(column: Column, keys: readonly string[], interval: string | undefined): string {
  const per = interval ? `per ${interval} window` : 'over the whole input';
  const series = keys.length > 0 ? `one series per key (${keys.join(', ')})` : 'one series';
  const rolled = ROLL_UPS[column.fn.name] && !column.fn.user && NUMERIC_RESULTS.has(column.type);
  const zoom = rolled
    ? `; zoomed out, the ${column.fn.name} of the windows each point covers`
    : interval
      ? '; every written point (no roll-up for this aggregate)'
      : '';
  return `${column.fn.name}(${column.name}) ${per}, ${series}${zoom}. Stamped with the window end.`;
}

function datasourceVariable(source: GrafanaSource, many: boolean): GrafanaVariable {
  const c = source.connection;
  const where =
    c.kind === 'v1'
      ? `InfluxQL, database ${c.database ?? '?'}${c.retentionPolicy ? `, retention policy ${c.retentionPolicy}` : ''}`
      : `Flux, organization ${c.org ?? '?'}, bucket ${c.bucket ?? '?'}`;
  return {
    name: source.variable,
    label: many ? `InfluxDB of ${source.path}` : 'InfluxDB',
    description: `An InfluxDB datasource with query language ${where} (${shownUrl(c.url)}), where ${source.path} writes ${c.measurement}.`,
    type: 'datasource',
    query: 'influxdb',
    hide: 0,
    refresh: 1,
    regex: '',
    options: [],
  };
}

/** The dashboard of a validated pipeline, or undefined when it has no InfluxDB output. */
export function grafanaDashboard(config: PipelineConfig, aggregation: AggregationPlan): GrafanaExport | undefined {
  const influxOutputs = config.outputs.flatMap((o) => (o.method === 'influx' ? [o] : []));
  if (influxOutputs.length === 0) return undefined;
  const many = influxOutputs.length > 1;
  const outputsAreList = Array.isArray(config.raw.outputs);
  const sources: GrafanaSource[] = influxOutputs.map((o, i) => ({
    path: outputsAreList ? `outputs[${o.index}]` : 'outputs',
    connection: o.connection,
    variable: i === 0 ? 'datasource' : `datasource_${i + 1}`,
  }));
  const keys = aggregation.keys.map((k) => k.name);
  const interval = windowInterval(config.input.batchDurationSec);
  const displayName = keys.length > 0 ? keys.map((k) => `\${__field.labels.${k}}`).join(' ') : undefined;

  const panels: (GrafanaPanel | GrafanaRow)[] = [];
  let id = 1;
  let y = 0;
  for (const source of sources) {
    const c = source.connection;
    if (many) {
      panels.push({ id: id++, type: 'row', title: `${source.path}: ${c.measurement}`, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
      y += 1;
    }
    const datasource = { type: 'influxdb', uid: `\${${source.variable}}` };
    aggregation.values.forEach((column, i) => {
      const numeric = NUMERIC_RESULTS.has(column.type);
      panels.push({
        id: id++,
        type: numeric ? 'timeseries' : 'state-timeline',
        // several outputs: each has its row, named by the output's JSON path and measurement
        title: column.name,
        description: describeColumn(column, keys, interval),
        datasource,
        gridPos: { x: (i % 2) * PANEL_WIDTH, y: y + Math.floor(i / 2) * PANEL_HEIGHT, w: PANEL_WIDTH, h: PANEL_HEIGHT },
        ...(interval ? { interval } : {}),
        targets: [
          c.kind === 'v1'
            ? { refId: 'A', datasource, query: influxqlQuery(c, column, keys), rawQuery: true, resultFormat: 'time_series' }
            : { refId: 'A', datasource, query: fluxQuery(c, column, keys) },
        ],
        fieldConfig: {
          defaults: {
            ...(displayName ? { displayName } : { displayName: column.name }),
            custom: numeric ? { drawStyle: 'line', lineWidth: 1, showPoints: 'auto', pointSize: 4, spanNulls: false } : {},
          },
          overrides: [],
        },
        options: {
          legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
          tooltip: { mode: 'multi', sort: 'none' },
        },
      });
    });
    y += Math.ceil(aggregation.values.length / 2) * PANEL_HEIGHT;
  }

  const textVariables = [
    ...new Set(
      sources.flatMap((s) => [s.connection.database, s.connection.bucket, s.connection.measurement, s.connection.retentionPolicy]).flatMap(placeholders),
    ),
  ];
  const configName = path.basename(config.configPath);
  const project = path.basename(config.configDir);
  const slug = `${project}-${configName.replace(/\.json$/i, '')}`.replace(/[^A-Za-z0-9-]+/g, '-');
  const dashboard: GrafanaDashboard = {
    uid: `ts-engine-${slug}`.slice(0, 40),
    title: `ts-engine: ${project}/${configName}`,
    description: `Windows of ${configName}, as ts-engine writes them to InfluxDB (one point per key and window, stamped with the window end).`,
    tags: ['ts-engine'],
    timezone: 'utc',
    editable: true,
    graphTooltip: 1,
    schemaVersion: GRAFANA_SCHEMA_VERSION,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: interval && config.input.batchDurationSec >= 5 ? interval : '5s',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        ...sources.map((s) => datasourceVariable(s, many)),
        ...textVariables.map(
          (name): GrafanaVariable => ({
            name,
            label: name,
            description: `The value of the config's placeholder \${${name}} (the export keeps placeholders whose variables are not set).`,
            type: 'textbox',
            query: '',
            hide: 0,
            options: [],
          }),
        ),
      ],
    },
    panels,
  };
  return { dashboard, sources, readme: readmeLines(sources, textVariables) };
}

function readmeLines(sources: GrafanaSource[], textVariables: string[]): string[] {
  const lines = [
    '## Grafana',
    '',
    `\`${DASHBOARD_FILE}\` shows every aggregated column, one series per key. Import it in Grafana (Dashboards → New → Import → Upload`,
    'dashboard JSON file), then choose its datasource:',
    '',
  ];
  for (const s of sources) {
    const c = s.connection;
    lines.push(
      c.kind === 'v1'
        ? `- \`${s.variable}\` (${s.path}): an InfluxDB datasource with query language **InfluxQL**, URL \`${shownUrl(c.url)}\`, database \`${c.database ?? ''}\`.`
        : `- \`${s.variable}\` (${s.path}): an InfluxDB datasource with query language **Flux**, URL \`${shownUrl(c.url)}\`, organization \`${c.org ?? ''}\`, a token that reads bucket \`${c.bucket ?? ''}\`.`,
    );
  }
  if (textVariables.length > 0) lines.push(`- ${textVariables.map((v) => `\`${v}\``).join(', ')}: the values of these placeholders (text variables).`);
  lines.push('', 'Alerts are not stored in InfluxDB by any ts-engine alert sink, so the dashboard has no alert annotations.', '');
  return lines;
}
