/**
 * Parity of `export --target flink` with `ts-engine run`, in real Flink local mode
 * (apache-flink 2.3, Java 17): the exported job replaying a file and ts-engine
 * running a copy of the config with `stdout` `jsonl` outputs give the same windows,
 * keys, aggregates, late rows (dead letters) and alerts, the same lines in the same
 * order. Several cases share one Flink job to pay the JVM start once; a second job
 * reads a real unkeyed Kafka topic at parallelism 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka, type KafkaServer } from '../../servers/kafka.js';
import { startInflux } from '../../servers/influx.js';
import { influxClient } from '../../../../engine/connectors/influx/index.js';
import type { InfluxConnection } from '../../../../engine/connectors/influx/index.js';
import { DASHBOARD_FILE, type GrafanaDashboard } from '../../../../engine/export/grafana.js';
import { type Datasource, panelPoints } from '../../export/grafana-queries.js';
import { cli, combineExports, connectorJars, exportFlink, firstDifference, flinkVenv, readLines, REPO, runFlink, tsRun, type TsRun } from './flink-helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-engine-flink-'));
// KEEP_FLINK_TMP=1 keeps the exports, inputs and outputs for a look after a failure
afterAll(() => {
  if (process.env.KEEP_FLINK_TMP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};

/** A copy of a config for `ts-engine run`: absolute paths, JSON-lines stdout outputs and alerts. */
function runCopy(name: string, cfg: Record<string, any>, sourceDir: string): string {
  const c = structuredClone(cfg);
  c.input.data_structure = path.resolve(sourceDir, c.input.data_structure);
  if (c.input.options.path) c.input.options.path = path.resolve(sourceDir, c.input.options.path);
  c.outputs = (c.outputs as Record<string, any>[]).map((o) =>
    o.method === 'sqlite'
      ? { ...o, options: { ...o.options, path: path.join(tmp, `${name}.db`) } }
      : o.method === 'stdout'
        ? { method: 'stdout', options: { format: 'jsonl' } }
        : o,
  );
  if (!c.outputs.some((o: Record<string, any>) => o.method === 'stdout')) c.outputs.push({ method: 'stdout', options: { format: 'jsonl' } });
  if (c.analysis) c.analysis.alert = { method: 'stdout', format: 'jsonl' };
  const abs = (p: string) => path.resolve(sourceDir, p);
  if (c.extensions) c.extensions = c.extensions.map((e: any) => (typeof e === 'string' ? abs(e) : { module: abs(e.module), python: abs(e.python) }));
  for (const r of c.analysis?.rule ?? []) if (r.module.startsWith('.')) Object.assign(r, { module: abs(r.module), python: r.python && abs(r.python) });
  return write(path.join(tmp, `${name}.run.json`), JSON.stringify(c, null, 1));
}

interface Case {
  name: string;
  /** the config to export (its own folder) */
  config: string;
  replay: string;
  parallelism: number;
  expected: TsRun;
  deadExpected: string[];
}

function prepare(name: string, config: string, replay: string, parallelism: number, runConfig?: string): Case & { module?: string; exportDir: string } {
  const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
  const dead = path.join(tmp, `${name}.ts-dead.jsonl`);
  const expected = tsRun(runConfig ?? runCopy(name, cfg, path.dirname(config)), dead);
  const exportDir = path.join(tmp, `${name}-export`);
  exportFlink(config, exportDir);
  return { name, config, replay, parallelism, expected, deadExpected: readLines(dead), exportDir };
}

// ---- generated inputs -------------------------------------------------------------------------------

const KEYS = ['hot', 'hot', 'hot', 'hot', 'hot', 'b', 'Z', 'é', '\u{1F600}', 'a b'];

/**
 * Rows over a few minutes: a skewed key, integers beyond 2^53, rows out of order within
 * and beyond allowed_lateness (sums beyond 2^53 that a SQLite store still holds), gaps (windows without rows), malformed rows and rows whose
 * transformation fails (division by zero).
 */
function generatedRows(inOrder: boolean): string[] {
  const row = fc.record({
    step: fc.constantFrom(0, 0, 0, 1, 1, 2, 40),
    back: inOrder ? fc.constant(0) : fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2, 3, 7, 20),
    key: fc.constantFrom(...KEYS),
    id: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 55n }), fc.constant(0)),
    value: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, 1.5, 100)),
    flag: fc.constantFrom('true', 'false', 'yes', '0'),
    broken: fc.constantFrom(null, null, null, null, null, null, null, null, null, null, null, null, null, null, 'bad-int', 'too-few', 'bad-bool'),
  });
  let t = 1_700_000_000;
  return fc.sample(row, 900).map((r) => {
    t += r.step;
    const ts = t - r.back;
    const value = Object.is(r.value, -0) ? '-0' : String(r.value);
    if (r.broken === 'bad-int') return `${ts},${r.key},x${r.id},${value},${r.flag}`;
    if (r.broken === 'too-few') return `${ts},${r.key}`;
    if (r.broken === 'bad-bool') return `${ts},${r.key},${r.id},${value},maybe`;
    return `${ts},${r.key},${r.id},${value},${r.flag}`;
  });
}

const TWIN_FILES: Record<string, string> = {
  'ext.mjs': `export const transformFunctions = [{ name: 'clamp', arity: 3, params: ['numeric', 'numeric', 'numeric'], returns: 'DoubleType',
  apply: (x, lo, hi) => Math.min(Math.max(x, lo), hi) }];\n`,
  'ext.py': `transform_functions = {'clamp': lambda x, lo, hi: float(min(max(x, lo), hi))}\n`,
  'threshold.mjs': `export default class Threshold {
  constructor(options, name) { this.name = name; this.limit = options.limit; }
  async analysis(history, alerts) {
    const cur = history.current();
    const prev = await history.get(1);
    if (cur.vmax > this.limit && prev.vmax !== undefined) {
      await alerts.send({ module: this.name, timestamp: 0, param: { key: cur.key, field: 'vmax', lower_bound: prev.vmax, upper_bound: this.limit, value: cur.vmax } });
    }
  }
}\n`,
  'threshold.py': `class Threshold:
    def __init__(self, options, name):
        self.name = name
        self.limit = options['limit']

    def analysis(self, history, alerts):
        cur = history.current()
        prev = history.get(1)
        if cur['vmax'] > self.limit and prev.get('vmax') is not None:
            alerts.send({'module': self.name, 'timestamp': 0, 'param': {'key': cur['key'], 'field': 'vmax', 'lower_bound': prev['vmax'], 'upper_bound': self.limit, 'value': cur['vmax']}})
`,
};

/** The generated project; with `twins`, a JavaScript extension function and analysis module with their Python twins. */
function generatedProject(name: string, inOrder: boolean, twins = false): { config: string; data: string } {
  const dir = path.join(tmp, name);
  if (twins) for (const [f, text] of Object.entries(TWIN_FILES)) write(path.join(dir, f), text);
  write(
    path.join(dir, 'structure.json'),
    JSON.stringify({
      ts: { index: 0, type: 'LongType' },
      key: { index: 1, type: 'StringType' },
      id: { index: 2, type: 'LongType' },
      value: { index: 3, type: 'DoubleType' },
      flag: { index: 4, type: 'BooleanType' },
    }),
  );
  const data = write(path.join(dir, 'data.csv'), `${generatedRows(inOrder).join('\n')}\n`);
  const config = write(
    path.join(dir, 'config.json'),
    JSON.stringify(
      {
        input: {
          input_type: 'csv',
          data_structure: 'structure.json',
          options: { path: 'data.csv', batchDuration: 5, time_field: 'ts', time_unit: 's', allowed_lateness: 3 },
        },
        outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db' } }],
        processing: {
          transformation: [
            'n: one(ts)',
            'key',
            'total: id',
            'ratio: pydiv(value, id)',
            twins ? 'vmax: clamp(value, -1000, 5000)' : 'vmax: value',
            'vmin: value',
            'flags: flag',
          ],
          aggregations: {
            operation_type: 'reduceByKey',
            rule: ['key: key', 'sum(n)', 'sum(total)', 'sum(ratio)', 'max(vmax)', 'min(vmin)', 'sum(flags)'],
          },
        },
        databases: {},
        analysis: {
          alert: { method: 'stdout' },
          accuracy: 1,
          rule: [
            { module: 'SimpleAnalysis', name: 'Jump', options: { deviation: { vmax: 10, n: 50 }, batch_number: 1 } },
            { module: 'AverageAnalysis', name: 'Avg3', options: { deviation: { total: 20 }, num_average: 3 } },
            ...(twins ? [{ module: './threshold.mjs', python: './threshold.py#Threshold', name: 'High', options: { limit: 1000 } }] : []),
          ],
        },
        ...(twins ? { extensions: [{ module: './ext.mjs', python: './ext.py' }] } : {}),
      },
      null,
      1,
    ),
  );
  return { config, data };
}

type Influx = Awaited<ReturnType<typeof startInflux>>;

/** Every point of a measurement, in a fixed order, as comparable text (integers exact). */
async function influxPoints(conn: InfluxConnection): Promise<string[]> {
  const rows = await influxClient(conn).history({ measurement: conn.measurement, fromNs: 0n, toNs: 2n ** 62n, tags: [] });
  return rows.map((r) => JSON.stringify(Object.entries(r).sort(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).sort();
}

/** The sensor sample writing to InfluxDB in both forms; `who` names the database/measurement so ts-engine and the job write apart. */
function influxConfig(who: string, influx1: Influx, influx2: Influx): Record<string, any> {
  const cfg = JSON.parse(fs.readFileSync(path.join(REPO, 'samples/sensors/config.json'), 'utf8'));
  const dir = path.join(REPO, 'samples/sensors');
  cfg.input.data_structure = path.join(dir, cfg.input.data_structure);
  cfg.input.options.path = path.join(dir, cfg.input.options.path);
  delete cfg.analysis;
  cfg.outputs = [
    { method: 'influx', options: { influx: { host: '127.0.0.1', port: influx1.port, database: `${who}_db`, measurement: 'points' } } },
    {
      method: 'influx',
      options: { influx: { url: influx2.url, token: influx2.token, org: influx2.org, bucket: influx2.bucket, measurement: `points_${who}` } },
    },
  ];
  return cfg;
}

async function replayCases(influx1: Influx, influx2: Influx): Promise<void> {
  const lateProject = generatedProject('generated-late', false);
  const orderedProject = generatedProject('generated-ordered', true);
  const twinProject = generatedProject('generated-twins', false, true);
  const cases = [
    prepare('sensors', path.join(REPO, 'samples/sensors/config.json'), path.join(REPO, 'samples/sensors/data/sensors.csv'), 1),
    prepare('netflow', path.join(REPO, 'samples/netflow/config.json'), path.join(REPO, 'samples/netflow/data/flows.csv'), 1),
    prepare('generated-late', lateProject.config, lateProject.data, 1),
    prepare('generated-ordered-p1', orderedProject.config, orderedProject.data, 1),
    prepare('generated-ordered-p2', orderedProject.config, orderedProject.data, 2),
    prepare('generated-twins', twinProject.config, twinProject.data, 1),
  ];
  expect(cases[5]!.expected.alerts.filter((l) => l.startsWith('{"module": "High"')).length).toBeGreaterThan(0);
  // the generated inputs must really exercise late rows, row errors and empty windows
  const late = cases[2]!.deadExpected;
  expect(late.filter((l) => l.includes('"reason":"late"')).length).toBeGreaterThan(5);
  expect(late.filter((l) => l.includes('"reason":"division by zero"')).length).toBeGreaterThan(0);
  expect(late.filter((l) => l.includes('"reason":"bad LongType"')).length).toBeGreaterThan(0);
  expect(cases[3]!.deadExpected.filter((l) => l.includes('"reason":"late"'))).toEqual([]);
  expect(cases[2]!.expected.alerts.length).toBeGreaterThan(0);
  expect(cases[2]!.expected.windows.some((l) => /"total": \d{17,}/.test(l))).toBe(true);

  // the sensor sample into InfluxDB (v1 and v2 forms): ts-engine and the job write to their own database/measurements
  const tsInflux = write(path.join(tmp, 'influx-ts.json'), JSON.stringify(influxConfig('ts', influx1, influx2)));
  const tsInfluxRun = tsRun(tsInflux, path.join(tmp, 'influx-ts-dead.jsonl'));
  expect(tsInfluxRun.windows).toEqual([]);
  const flinkInflux = write(path.join(tmp, 'influx-flink', 'config.json'), JSON.stringify(influxConfig('flink', influx1, influx2)));
  const influxExport = path.join(tmp, 'influx-flink-export');
  exportFlink(flinkInflux, influxExport);
  expect(fs.readFileSync(path.join(influxExport, 'tsengine_job/generated.py'), 'utf8')).not.toContain(influx2.token);

  const jobDir = path.join(tmp, 'replay-job');
  const modules = combineExports([...cases.map((c) => c.exportDir), influxExport], jobDir);
  const out = (c: Case, what: string) => path.join(tmp, `${c.name}.flink-${what}.jsonl`);
  const started = Date.now();
  runFlink(
    jobDir,
    cases
      .map((c, i) => ({
        module: modules[i]!,
        args: [
          '--replay',
          c.replay,
          '--sink',
          `jsonl:${out(c, 'windows')}`,
          '--alerts',
          `jsonl:${out(c, 'alerts')}`,
          '--dead-letters',
          `jsonl:${out(c, 'dead')}`,
          '--parallelism',
          String(c.parallelism),
        ],
      }))
      .concat([{ module: modules[cases.length]!, args: ['--replay', path.join(REPO, 'samples/sensors/data/sensors.csv'), '--parallelism', '2'] }]),
    undefined,
    { TS_ENGINE_OUTPUTS_1_INFLUX_TOKEN: influx2.token },
  );
  process.stderr.write(`flink replay job (${cases.length + 1} pipelines): ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const c of cases) {
    expect(c.expected.windows.length, c.name).toBeGreaterThan(0);
    expect(firstDifference(c.expected.windows, readLines(out(c, 'windows'))), `${c.name}: windows`).toBeUndefined();
    expect(firstDifference(c.expected.alerts, readLines(out(c, 'alerts'))), `${c.name}: alerts`).toBeUndefined();
    expect(firstDifference(c.deadExpected, readLines(out(c, 'dead'))), `${c.name}: dead letters`).toBeUndefined();
  }
  const v1 = (db: string): InfluxConnection => ({ kind: 'v1', url: influx1.url, database: db, measurement: 'points' });
  const v2 = (m: string): InfluxConnection => ({
    kind: 'v2',
    url: influx2.url,
    token: influx2.token,
    org: influx2.org,
    bucket: influx2.bucket,
    measurement: m,
  });
  const [ts1, fl1, ts2, fl2] = await Promise.all([
    influxPoints(v1('ts_db')),
    influxPoints(v1('flink_db')),
    influxPoints(v2('points_ts')),
    influxPoints(v2('points_flink')),
  ]);
  expect(ts1.length).toBe(1800);
  expect(fl1).toEqual(ts1);
  expect(ts2.length).toBe(1800);
  expect(fl2).toEqual(ts2);

  // the Grafana dashboards of both exports show the same points: the job's through its own, ts-engine's through the bundle's
  const tsBundle = path.join(tmp, 'influx-ts-bundle');
  const bundled = cli(['export', tsInflux, tsBundle]);
  expect(bundled.status, bundled.stderr).toBe(0);
  const dashboardOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, DASHBOARD_FILE), 'utf8')) as GrafanaDashboard;
  const datasources = (db: string): Record<string, Datasource> => ({
    datasource: { language: 'influxql', url: influx1.url, database: db },
    datasource_2: { language: 'flux', url: influx2.url, org: influx2.org, token: influx2.token },
  });
  const range = { fromMs: 0, toMs: Date.parse('2100-01-01T00:00:00Z'), interval: '10s' };
  const keys = ['sensor_id', 'sensor_type'];
  const tsPanels = await panelPoints(dashboardOf(tsBundle), datasources('ts_db'), range, keys);
  const flinkPanels = await panelPoints(dashboardOf(influxExport), datasources('flink_db'), range, keys);
  expect(tsPanels.length).toBe(12);
  expect(flinkPanels.map((p) => [p.datasource, p.panel.title])).toEqual(tsPanels.map((p) => [p.datasource, p.panel.title]));
  tsPanels.forEach((ts, i) => {
    expect(ts.points.length, ts.panel.title).toBe(1800);
    expect(flinkPanels[i]!.points, `${ts.datasource}: ${ts.panel.title}`).toEqual(ts.points);
  });
}

// ---- the replay job -----------------------------------------------------------------------------------

describe('export --target flink: the exported job computes what ts-engine computes', () => {
  let venvOk = false;
  beforeAll(() => {
    flinkVenv();
    venvOk = true;
  });

  it('replays the sensors and netflow samples and generated inputs identically, Python twins and InfluxDB v1/v2 outputs included (one Flink job, parallelism 1 and 2)', async () => {
    expect(venvOk).toBe(true);
    const influx1 = await startInflux({ version: '1.8' });
    const influx2 = await startInflux({ version: '2.7' });
    try {
      await replayCases(influx1, influx2);
    } finally {
      await influx1.stop();
      await influx2.stop();
    }
  });

  describe('a real unkeyed Kafka topic, read by the job at parallelism 2', () => {
    let kafka: KafkaServer;
    beforeAll(async () => {
      kafka = await startKafka();
    });
    afterAll(async () => {
      await kafka?.stop();
    });

    it('gives the windows, alerts and row errors ts-engine computes from the same rows', async () => {
      const project = generatedProject('kafka', true);
      const rows = fs.readFileSync(project.data, 'utf8').trim().split('\n');
      const topic = 'flink-parity';
      const client = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING });
      const admin = client.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = client.producer();
      await producer.connect();
      // unkeyed: rows spread over the partitions, so no partition holds a key's rows alone
      for (let i = 0; i < rows.length; i += 50) {
        await producer.send({ topic, messages: rows.slice(i, i + 50).map((value, k) => ({ value, partition: (i + k) % 3 })) });
      }
      await producer.disconnect();

      const cfg = JSON.parse(fs.readFileSync(project.config, 'utf8'));
      const kafkaCfg = structuredClone(cfg);
      kafkaCfg.input = {
        input_type: 'kafka',
        data_structure: 'structure.json',
        options: {
          brokers: kafka.brokers,
          topic,
          consumer_group: 'flink-parity',
          from_beginning: true,
          batchDuration: 5,
          time_field: 'ts',
          allowed_lateness: 1e6,
        },
      };
      // partitions are read side by side, so rows arrive out of order: a lateness no row exceeds makes the result order-free
      cfg.input.options.allowed_lateness = 1e6;
      const kafkaConfig = write(path.join(path.dirname(project.config), 'kafka-config.json'), JSON.stringify(kafkaCfg));
      const dead = path.join(tmp, 'kafka.ts-dead.jsonl');
      const expected = tsRun(runCopy('kafka', cfg, path.dirname(project.config)), dead);
      const exportDir = path.join(tmp, 'kafka-export');
      exportFlink(kafkaConfig, exportDir);
      const jars = connectorJars(exportDir);
      const jobDir = path.join(tmp, 'kafka-job');
      const [module] = combineExports([exportDir], jobDir);
      const windows = path.join(tmp, 'kafka.flink-windows.jsonl');
      const alerts = path.join(tmp, 'kafka.flink-alerts.jsonl');
      const flinkDead = path.join(tmp, 'kafka.flink-dead.jsonl');
      const started = Date.now();
      runFlink(
        jobDir,
        [
          {
            module: module!,
            args: ['--until-end', '--parallelism', '2', '--sink', `jsonl:${windows}`, '--alerts', `jsonl:${alerts}`, '--dead-letters', `jsonl:${flinkDead}`],
          },
        ],
        jars,
      );
      process.stderr.write(`flink kafka job: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      expect(firstDifference(expected.windows, readLines(windows))).toBeUndefined();
      // analysis runs per window in the order keys first appear, which across partitions read side by side is
      // the arrival order: alerts are compared window by window, in a fixed order within the window
      const windowOf = (l: string) => /"time": "([^"]+)"/.exec(l)![1]! + l;
      const byWindow = (lines: string[]) => [...lines].sort((a, b) => (windowOf(a) < windowOf(b) ? -1 : 1));
      expect(readLines(alerts).length).toBe(expected.alerts.length);
      expect(firstDifference(byWindow(expected.alerts), byWindow(readLines(alerts)))).toBeUndefined();
      // positions differ (file line vs topic/partition/offset); the rows, reasons and messages do not
      const strip = (l: string) => {
        const d = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify([d.reason, d.message, d.raw]);
      };
      const flinkDeadLines = readLines(flinkDead);
      expect(flinkDeadLines.map(strip).sort()).toEqual(readLines(dead).map(strip).sort());
      expect(flinkDeadLines.every((l) => /"source":"flink-parity","partition":[0-2],"offset":"\d+"/.test(l))).toBe(true);
    });
  });
});
