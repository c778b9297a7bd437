/**
 * `ts-engine export <config> <out-dir> --target flink`: the validated pipeline as
 * a self-contained PyFlink project (docs/flink.md). Everything is read from the
 * compiled PipelinePlan of `checkConfig`; the generated module holds the
 * config-specific code (row parser, transformations, grouping) and settings, the
 * rest of the job is the static package python/tsengine_job copied verbatim.
 *
 * Every change of meaning is listed with its JSON path: `blocker` (no Python form
 * exists: the export refuses), `lossy` (results or stored data differ: refused
 * unless allowed) and `note` (same results, different mechanics).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckOutcome } from '../../pipeline/plan.js';
import { configLookupFor } from '../../pipeline/plan.js';
import type { AlertSinkConfig, OutputConfig, PipelineConfig } from '../../config/model.js';
import type { InfluxConnection } from '../../connectors/influx/client.js';
import type { ExportChange } from '../../export/change.js';
import { DASHBOARD_FILE, grafanaDashboard } from '../../export/grafana.js';
import { envNameFor } from '../../export/reference.js';
import { EngineError } from '../../core/errors.js';
import { ensureDirectory } from '../../core/files.js';
import { aggregationSource, eventTimeSource, fieldContext, parserSource, pyStringLiteral, transformSource, type PythonTwins } from './python-codegen.js';

export type { ExportChange } from '../../export/change.js';

export interface FlinkExport {
  changes: ExportChange[];
  /** relative path → file content, or an absolute source path to copy */
  files: Map<string, { text: string } | { copyFrom: string }>;
  /** JSON path of each secret → the `${ENV}` variable the job reads it from */
  secrets: Record<string, string>;
}

/** Maven coordinates of the Kafka connector the job loads (Flink 2.x). */
export const KAFKA_CONNECTOR = { group: 'org.apache.flink', artifact: 'flink-connector-kafka', version: '5.0.0-2.2' };
export const KAFKA_CLIENTS = { group: 'org.apache.kafka', artifact: 'kafka-clients', version: '4.2.0' };
export const APACHE_FLINK_VERSION = '2.3.0';

/** The static Python package, found next to this module in the source tree or above the bundle in dist/. */
export function pythonSourceDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const cand of [path.join(dir, 'python'), path.join(dir, 'engine/targets/flink/python')]) {
      if (fs.existsSync(path.join(cand, 'tsengine_job', 'runtime.py'))) return cand;
    }
    dir = path.dirname(dir);
  }
  throw new Error('the Flink job template (engine/targets/flink/python) is missing from this installation');
}

type Secret = string | { env: string };

function secret(value: string | undefined, jsonPath: string, secrets: Map<string, string>): Secret | undefined {
  if (value === undefined) return undefined;
  const name = envNameFor(jsonPath);
  secrets.set(name, jsonPath);
  return { env: name };
}

function influxSettings(c: InfluxConnection, jsonPath: string, secrets: Map<string, string>): Record<string, unknown> {
  return {
    kind: c.kind,
    url: c.url,
    username: c.username,
    password: secret(c.password, `${jsonPath}.password`, secrets),
    database: c.database,
    retentionPolicy: c.retentionPolicy,
    token: secret(c.token, `${jsonPath}.token`, secrets),
    org: c.org,
    bucket: c.bucket,
    measurement: c.measurement,
  };
}

function kafkaAuth(
  o: { ssl?: boolean | Record<string, unknown>; sasl?: { mechanism: string; username: string; password: string } },
  jsonPath: string,
  secrets: Map<string, string>,
) {
  return {
    ssl: o.ssl === undefined ? undefined : !!o.ssl,
    sasl: o.sasl
      ? { mechanism: o.sasl.mechanism, username: o.sasl.username, password: secret(o.sasl.password, `${jsonPath}.sasl.password`, secrets) }
      : undefined,
  };
}

function outputPath(cfg: PipelineConfig, o: OutputConfig): string {
  return Array.isArray(cfg.raw.outputs) ? `outputs[${o.index}]` : 'outputs';
}

function alertPath(cfg: PipelineConfig, i: number): string {
  const a = (cfg.raw.analysis as Record<string, unknown> | undefined)?.alert;
  return Array.isArray(a) ? `analysis.alert[${i}]` : 'analysis.alert';
}

function sameInflux(a: InfluxConnection, b: InfluxConnection): boolean {
  return a.url === b.url && a.measurement === b.measurement && (a.database ?? a.bucket) === (b.database ?? b.bucket);
}

const jsonText = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));

/** Plans the export: settings, generated code, files, and every change of meaning. */
export function planFlinkExport(outcome: CheckOutcome): FlinkExport {
  const plan = outcome.plan;
  if (!plan) throw new Error('planFlinkExport needs a valid config');
  const cfg = plan.config;
  const changes: ExportChange[] = [];
  const files: FlinkExport['files'] = new Map();
  const secrets = new Map<string, string>();
  const change = (kind: ExportChange['kind'], p: string, message: string) => changes.push({ kind, path: p, message });
  const notes: string[] = [];

  // ---- input and time -------------------------------------------------------------------------
  const inp = cfg.input;
  const mode = inp.timeField !== undefined ? 'event' : inp.source.type === 'kafka' || inp.rate !== undefined ? 'processing' : 'whole';
  if (mode === 'processing') {
    const msg = 'processing-time windows become event-time windows over ingestion timestamps (the time the job reads each row)';
    change('note', 'input.options.batchDuration', msg);
    notes.push(msg);
  }
  if (mode === 'whole') change('note', 'input.options.batchDuration', 'one window for the whole file, from the start of the job to the end of the input');
  if (inp.rate !== undefined) change('note', 'input.options.rate', 'the job does not pace a replay (rows are read as fast as Flink takes them)');
  if (inp.speed > 0) change('note', 'input.options.speed', 'the job does not pace a replay; under event time this does not change results');
  if (inp.maxErrorRate !== undefined) change('lossy', 'input.options.max_error_rate', 'not enforced by the Flink job: it counts row errors and goes on');
  if (inp.source.type === 'csv') change('note', 'input.options.path', `the csv input is read with --replay <file> (default: ${inp.source.path})`);
  const src = inp.source;
  const input =
    src.type === 'kafka'
      ? {
          topic: src.topic,
          brokers: src.brokers,
          consumerGroup: src.consumerGroup,
          fromBeginning: src.fromBeginning,
          clientId: src.clientId,
          ...kafkaAuth(src, 'input.options', secrets),
        }
      : null;

  // ---- outputs ------------------------------------------------------------------------------------
  const outputs: Record<string, unknown>[] = [];
  for (const o of cfg.outputs) {
    const p = outputPath(cfg, o);
    if (o.method === 'stdout') outputs.push({ method: 'stdout', format: o.format, path: '-' });
    else if (o.method === 'influx') {
      outputs.push({
        method: 'influx',
        connection: influxSettings(o.connection, `${p}.options.influx`, secrets),
        batchSize: o.batchSize,
        maxRetries: o.maxRetries,
      });
    } else if (o.method === 'cassandra') {
      change(
        'lossy',
        p,
        `the cassandra output ${o.connection.keyspace}.${o.connection.table} is not exported (the Flink job has no Cassandra sink yet): use an influx output`,
      );
    } else {
      change(
        'lossy',
        p,
        `the sqlite output ${o.path} is not exported (a Flink job has no embedded store): use an influx output, or --sink jsonl:<file>/kafka:<brokers>/<topic>`,
      );
    }
  }

  // ---- analysis -------------------------------------------------------------------------------------
  let analysis: Record<string, unknown> | null = null;
  const alerts: Record<string, unknown>[] = [];
  const twinFiles = new Map<string, string>(); // source path → relative path in the export
  const placeTwin = (abs: string): string => {
    let rel = twinFiles.get(abs);
    if (!rel) {
      rel = `twins/t${twinFiles.size}_${path.basename(abs)}`;
      twinFiles.set(abs, rel);
      files.set(rel, { copyFrom: abs });
    }
    return rel;
  };
  const extTwin = (moduleIndex: number): string | undefined => {
    const t = cfg.extensionTwins[moduleIndex];
    return t === undefined ? undefined : placeTwin(t.split('#')[0]!);
  };

  if (cfg.analysis) {
    const an = cfg.analysis;
    const h = an.history;
    let history: Record<string, unknown>;
    if (h.method === 'influx') {
      const own = cfg.outputs.some((o) => o.method === 'influx' && sameInflux(o.connection, h.connection));
      history = { method: 'influx', own, connection: influxSettings(h.connection, 'analysis.historical.influx_options', secrets) };
    } else if (h.method === 'cassandra') {
      history = { method: 'own' };
      change(
        'lossy',
        'analysis.historical',
        `the cassandra history ${h.connection.keyspace}.${h.connection.table} is not read by a Flink job: history comes from the job's own windows (keyed state)`,
      );
    } else {
      const own = cfg.outputs.some((o) => o.method === 'sqlite' && o.path === h.path && o.table === h.table);
      history = { method: 'own' };
      change(
        'lossy',
        'analysis.historical',
        own
          ? `history comes from the job's own windows (keyed state), not from the sqlite store ${h.path}: points stored by earlier runs are not consulted`
          : `the sqlite history ${h.path} cannot be read by a Flink job: history comes from the job's own windows (keyed state)`,
      );
    }
    an.alerts.forEach((a: AlertSinkConfig, i) => {
      const p = alertPath(cfg, i);
      if (a.method === 'stdout') {
        alerts.push({ method: 'stdout', format: a.format, path: '-' });
        if (a.timezone === 'local') change('note', `${p}.timezone`, 'alert times are printed in UTC by the Flink job');
      } else if (a.method === 'kafka') {
        alerts.push({ method: 'kafka', brokers: a.brokers, topic: a.topic, ...kafkaAuth(a, `${p}.option`, secrets) });
        change('note', p, 'alert messages carry no Kafka message key (ts-engine keys them by the aggregation key); the values are identical');
      } else change('lossy', p, `alerts to the sqlite table ${a.table} of ${a.path} are not exported: use --alerts jsonl:<file> or a kafka alert sink`);
    });
    if (an.timeoutMs !== 1000 || an.rules.some((r) => !r.builtin))
      change('note', 'analysis.timeout_ms', 'Python analysis twins run without a time limit in the Flink job');
    let maxBack = 1;
    const rules = an.rules.map((r) => {
      const o = r.options as Record<string, unknown>;
      if (r.lifecycle) {
        const l = r.lifecycle;
        const set = `for ${l.for}, keep_firing_for ${l.keepFiringFor}, recovery_band ${l.recoveryBand}${l.noData !== undefined ? `, no_data ${l.noData}` : ''}, notify ${l.notify}`;
        change(
          'lossy',
          `analysis.rule[${r.index}]`,
          `the alert lifecycle (${set}) is not exported: the Flink job alerts once per deviating window, with no states, no_data or alert_id`,
        );
      }
      const base = { index: r.index, module: r.module, name: r.name, builtin: r.builtin };
      if (r.builtin) {
        if (r.module === 'SimpleAnalysis') maxBack = Math.max(maxBack, Number(o.batch_number));
        if (r.module === 'AverageAnalysis') maxBack = Math.max(maxBack, Number(o.num_average));
        const offsetMs = r.module === 'Analysis' ? Math.round(Number(o.time_delta) * 1000) : undefined;
        if (offsetMs !== undefined) maxBack = Math.max(maxBack, Math.ceil(offsetMs / Math.max(1, Math.round(inp.batchDurationSec * 1000))));
        return { ...base, options: { deviation: o.deviation, batch_number: o.batch_number, num_average: o.num_average, offsetMs } };
      }
      maxBack = Math.max(maxBack, 32);
      const p = `analysis.rule[${r.index}]`;
      const fromExtension = plan.extensions.origins.analyses.get(r.module);
      if (fromExtension !== undefined) {
        const twin = extTwin(fromExtension);
        if (!twin) {
          change(
            'blocker',
            `extensions[${fromExtension}]`,
            `analysis ${r.module} (used by ${p}) is JavaScript: name a Python twin with {"module": …, "python": "<file>.py"}`,
          );
          return { ...base, options: o };
        }
        return { ...base, options: o, python: twin, className: r.module, fromModule: true };
      }
      if (!r.python) {
        change('blocker', `${p}.module`, `analysis module ${r.module} is JavaScript: name a Python twin with "python": "<file>.py[#Class]" beside "module"`);
        return { ...base, options: o };
      }
      const [file, cls] = r.python.split('#');
      return { ...base, options: o, python: placeTwin(file!), className: cls ?? r.exportName ?? path.basename(r.module).replace(/\.[^.]+$/, '') };
    });
    const durMs = Math.round(inp.batchDurationSec * 1000);
    const accuracyMs = Math.round(an.accuracySec * 1000);
    analysis = { accuracyMs, keepMs: maxBack * durMs + accuracyMs + durMs, history, rules };
  }

  // ---- code ------------------------------------------------------------------------------------------
  const lookup = configLookupFor(outcome.validation.configDoc, cfg.raw);
  const twinTransforms = new Set<string>();
  const twinAggregates = new Set<string>();
  const twinImports: string[] = [];
  const twinModules = new Map<number, string>();
  const moduleVar = (moduleIndex: number): string | undefined => {
    const rel = extTwin(moduleIndex);
    if (!rel) return undefined;
    if (!twinModules.has(moduleIndex)) {
      const v = `_twin${moduleIndex}`;
      twinModules.set(moduleIndex, v);
      twinImports.push(`${v} = load_python_module(os.path.join(_JOB_DIR, ${pyStringLiteral(rel)}), ${pyStringLiteral(`tsengine_twin_${moduleIndex}`)})`);
    }
    return twinModules.get(moduleIndex);
  };
  plan.transform.entries.forEach((e, i) => {
    const stack = [e.body];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.kind !== 'call') continue;
      stack.push(...n.args);
      const origin = plan.extensions.origins.functions.get(n.name);
      if (origin === undefined || twinTransforms.has(n.name)) continue;
      const v = moduleVar(origin);
      if (!v) {
        change(
          'blocker',
          `extensions[${origin}]`,
          `extension function ${n.name} (used by processing.transformation[${i}]) is JavaScript: name a Python twin with {"module": …, "python": "<file>.py"}`,
        );
        continue;
      }
      twinTransforms.add(n.name);
      twinImports.push(`U_${n.name} = ${v}.transform_functions[${pyStringLiteral(n.name)}]`);
    }
  });
  plan.aggregation.values.forEach((v) => {
    const origin = plan.extensions.origins.aggregates.get(v.fn.name);
    if (origin === undefined || twinAggregates.has(v.fn.name)) return;
    const mv = moduleVar(origin);
    if (!mv) {
      change(
        'blocker',
        `extensions[${origin}]`,
        `aggregate function ${v.fn.name} (aggregating ${v.name}) is JavaScript: name a Python twin with {"module": …, "python": "<file>.py"}`,
      );
      return;
    }
    twinAggregates.add(v.fn.name);
    twinImports.push(`A_${v.fn.name} = ${mv}.aggregate_functions[${pyStringLiteral(v.fn.name)}]`);
  });

  const blocked = changes.some((c) => c.kind === 'blocker');
  const twins: PythonTwins = { transforms: twinTransforms, aggregates: twinAggregates };
  let generated = '';
  if (!blocked) {
    const ctx = fieldContext(inp.fields, plan.extensions.functions, lookup, twins);
    let transform: { source: string };
    try {
      transform = transformSource(
        plan.transform.entries.map((e) => e.body),
        ctx,
      );
    } catch (e) {
      if (e instanceof EngineError) throw new Error(`export: ${e.message}`);
      throw e;
    }
    const agg = plan.aggregation;
    const settings = {
      configName: path.basename(cfg.configPath),
      mode,
      durMs: Math.round(inp.batchDurationSec * 1000),
      latenessMs: Math.round(inp.allowedLatenessSec * 1000),
      onError: cfg.onError,
      input,
      defaultReplay: src.type === 'csv' && src.path !== '-' ? src.path : null,
      replayHeader: src.type === 'csv' ? src.header : false,
      outputs,
      alerts,
      analysis,
      notes,
    };
    generated = [
      `"""Generated by ts-engine export --target flink from ${path.basename(cfg.configPath)}: the config-specific code of the job.`,
      'Regenerate instead of editing (ts-engine export <config> <out-dir> --target flink)."""',
      'import json',
      'import os',
      '',
      'from .core import load_python_module',
      'from .runtime import (INF, NAN, RowError, bad_cell, call_twin, fmod, ffloordiv, float_div, float_to_int, ifloordiv, imod, norm_float_key,',
      '                      norm_result, parse_bool, parse_float, parse_int, str_to_float, str_to_int, to_float, too_few, truediv)',
      '',
      '_JOB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))',
      `SETTINGS = json.loads(${pyStringLiteral(jsonText(settings))})`,
      `KEY_NAMES = json.loads(${pyStringLiteral(JSON.stringify(agg.keys.map((k) => k.name)))})`,
      `KEY_TYPES = json.loads(${pyStringLiteral(JSON.stringify(agg.keys.map((k) => k.type)))})`,
      `VALUE_NAMES = json.loads(${pyStringLiteral(JSON.stringify(agg.values.map((v) => v.name)))})`,
      `VALUE_TYPES = json.loads(${pyStringLiteral(JSON.stringify(agg.values.map((v) => v.type)))})`,
      ...twinImports,
      '',
      '',
      parserSource(inp.fields, plan.parseSlots, inp.sep),
      '',
      eventTimeSource(plan.timeSlot, inp.timeUnit),
      '',
      transform.source,
      '',
      aggregationSource(agg, twins),
      '',
      '# referenced so linters keep the imports the generated code may need',
      '_RUNTIME = (INF, NAN, RowError, bad_cell, call_twin, fmod, ffloordiv, float_div, float_to_int, ifloordiv, imod, norm_float_key,',
      '            norm_result, parse_bool, parse_float, parse_int, str_to_float, str_to_int, to_float, too_few, truediv)',
      '',
    ].join('\n');
  }

  // ---- files -------------------------------------------------------------------------------------------
  const srcDir = pythonSourceDir();
  for (const f of [
    'job.py',
    'tsengine_job/__init__.py',
    'tsengine_job/runtime.py',
    'tsengine_job/core.py',
    'tsengine_job/sinks.py',
    'tsengine_job/flink_ops.py',
  ]) {
    files.set(f, { copyFrom: path.join(srcDir, f) });
  }
  files.set('tsengine_job/generated.py', { text: generated });
  files.set('requirements.txt', { text: `apache-flink==${APACHE_FLINK_VERSION}\n` });
  files.set('pom.xml', { text: jarsPom() });
  // the job writes the same points as ts-engine, so the same dashboard reads them
  const grafana = grafanaDashboard(cfg, plan.aggregation);
  if (grafana) files.set(DASHBOARD_FILE, { text: `${JSON.stringify(grafana.dashboard, null, 2)}\n` });
  files.set('README.md', { text: readme(cfg, changes, secrets, mode, input !== null, grafana?.readme ?? []) });
  return { changes, files, secrets: Object.fromEntries([...secrets].map(([env, p]) => [p, '${' + env + '}'])) };
}

function jarsPom(): string {
  const dep = (d: { group: string; artifact: string; version: string }) =>
    `    <dependency><groupId>${d.group}</groupId><artifactId>${d.artifact}</artifactId><version>${d.version}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- The Kafka connector jars the job needs (not a build): mvn -q -f pom.xml dependency:copy-dependencies -DoutputDirectory=jars -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ts-engine.export</groupId>
  <artifactId>flink-job-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dep(KAFKA_CONNECTOR)}
${dep(KAFKA_CLIENTS)}
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
`;
}

function readme(cfg: PipelineConfig, changes: ExportChange[], secrets: Map<string, string>, mode: string, kafkaInput: boolean, grafana: string[]): string {
  const name = path.basename(cfg.configPath);
  const coord = (d: { group: string; artifact: string; version: string }) => `${d.group}:${d.artifact}:${d.version}`;
  const lines = [
    `# ${name} as an Apache Flink job`,
    '',
    `Generated by \`ts-engine export ${name} <out-dir> --target flink\` (PyFlink DataStream API, apache-flink ${APACHE_FLINK_VERSION}, Java 17).`,
    'It computes what `ts-engine run` computes: the same windows, keys, aggregates, late rows and alerts.',
    '',
    '## Set up',
    '',
    '```sh',
    'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt    # about 850 MB',
    'mvn -q -f pom.xml dependency:copy-dependencies -DoutputDirectory=jars  # only for Kafka input or sinks',
    '```',
    '',
    `Kafka needs two jars from Maven Central (Flink 2.x connector): \`${coord(KAFKA_CONNECTOR)}\` and \`${coord(KAFKA_CLIENTS)}\`;`,
    'the pom.xml above fetches exactly these (and the compression codecs kafka-clients uses) into `jars/`.',
    '',
    '## Run',
    '',
    '```sh',
    kafkaInput
      ? '.venv/bin/python job.py                          # local mode, on the configured Kafka topic'
      : '.venv/bin/python job.py                          # local mode, on the configured csv file',
    '.venv/bin/python job.py --replay recorded.csv --sink jsonl:out.jsonl --alerts jsonl:alerts.jsonl --dead-letters jsonl:dead.jsonl',
    'flink run -py job.py -pyexec /path/to/venv/bin/python --jarfile jars/flink-connector-kafka-*.jar -- --cluster   # on a cluster',
    '```',
    '',
    'Options: `--replay <csv>` reads a recorded file (bounded) instead of the configured input; `--sink` and `--alerts`',
    '(`jsonl:<file>`, `jsonl:-`, `kafka:<host:port,…>/<topic>`, repeatable) replace the configured outputs and alert sinks;',
    '`--dead-letters jsonl:<file>|kafka:…` keeps row errors and late rows with their source position; `--parallelism <n>`;',
    '`--until-end` stops a Kafka input at the end offsets it had when the job started; `--checkpoint-interval <ms>`.',
    '`--sink jsonl:<file>` writes exactly what a `stdout` output with `"format": "jsonl"` prints in ts-engine.',
    '',
    "Run the job with the virtual environment's python (or its `bin` first on PATH): Flink starts Python workers with it.",
    '',
    '## How it runs',
    '',
    '- One task reads the rows in arrival order: parse, late check, transformations, pre-aggregation. It keeps',
    "  ts-engine's watermark (largest event time seen minus `allowed_lateness`, raised per row), so windows close and",
    '  rows are late exactly as in ts-engine; late rows and row errors go to the dead letters.',
    '- Partial aggregates are keyed by the aggregation key (`key_by`), merged, kept as history (keyed state of the last',
    "  windows of each key) and analysed there, at the job's parallelism; results are correct whatever the topic's keying.",
    '- One task writes windows in time order, groups in key order, then the alerts, as ts-engine does.',
    mode === 'processing' ? '- This config uses processing time: the job uses event time over ingestion timestamps (the time a row is read).' : '',
    '',
  ];
  lines.push(...grafana);
  if (secrets.size > 0) {
    lines.push('## Secrets', '', 'The export stores no secret; set these environment variables before starting the job:', '');
    for (const [env, p] of secrets) lines.push(`- \`${env}\`: ${p}`);
    lines.push('');
  }
  if (changes.length > 0) {
    lines.push('## Differences from ts-engine', '');
    for (const c of changes) lines.push(`- \`${c.path}\` (${c.kind}): ${c.message}`);
    lines.push('');
  }
  return lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n');
}

/** Writes the planned files into outDir (created if needed); returns their relative paths. */
export function writeFlinkExport(exp: FlinkExport, outDir: string): string[] {
  const written: string[] = [];
  for (const [rel, f] of exp.files) {
    const dest = path.join(outDir, rel);
    ensureDirectory(path.dirname(dest));
    if ('text' in f) fs.writeFileSync(dest, f.text);
    else fs.copyFileSync(f.copyFrom, dest);
    written.push(rel);
  }
  return written;
}
