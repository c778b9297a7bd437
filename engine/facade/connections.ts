/**
 * The workbench's Connections panel, engine side: the connections a config names (read through
 * each component's descriptor), and the probes and tails of the connectors.
 */
import { alertSinkDescriptor, historyDescriptor, outputDescriptor, sourceDescriptor } from '../components/registry.js';
import type { ConnectionTarget, HealthReport } from '../components/descriptor.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { PipelineConfig } from '../config/model.js';
import type { ConnectionDefaults } from '../facade-types.js';

type Kafka = Extract<ConnectionTarget, { kind: 'kafka' }>;
type Influx = Extract<ConnectionTarget, { kind: 'influx' }>;
type Cassandra = Extract<ConnectionTarget, { kind: 'cassandra' }>;

const kafkaArgs = ({ kind: _, ...k }: Kafka) => ({ ...k, sasl: k.sasl as NonNullable<ConnectionDefaults['kafka']>['sasl'] });
const influxArgs = ({ kind: _, ...i }: Influx) => i;
const cassandraArgs = ({ kind: _, ...c }: Cassandra) => c;

/** The Kafka, InfluxDB and Cassandra connections of a config, to pre-fill the panel's forms. */
export function connectionDefaults(cfg: PipelineConfig | undefined): ConnectionDefaults {
  if (!cfg) return { liveInput: false, note: 'the config has errors: its connection settings could not be read' };
  const source = sourceDescriptor(cfg.input.source.type)!;
  const out: ConnectionDefaults = { liveInput: source.live };
  const input = source.connection?.(cfg.input.source);
  const alertKafka = cfg.analysis?.alerts.map((a) => alertSinkDescriptor(a.method)?.connection?.(a)).find((c) => c?.kind === 'kafka');
  if (input?.kind === 'kafka') out.kafka = { ...kafkaArgs(input), from: 'input' };
  else if (alertKafka?.kind === 'kafka') out.kafka = { ...kafkaArgs(alertKafka), from: 'alerts' };
  const outputs = cfg.outputs.map((o) => outputDescriptor(o.method)?.connection?.(o));
  const history = cfg.analysis?.history;
  const historyTarget = history ? historyDescriptor(history.method)?.connection?.(history) : undefined;
  const outputInflux = outputs.find((c) => c?.kind === 'influx');
  if (outputInflux?.kind === 'influx') out.influx = { ...influxArgs(outputInflux), from: 'output' };
  else if (historyTarget?.kind === 'influx') out.influx = { ...influxArgs(historyTarget), from: 'history' };
  const outputCassandra = outputs.find((c) => c?.kind === 'cassandra');
  if (outputCassandra?.kind === 'cassandra') out.cassandra = { ...cassandraArgs(outputCassandra), from: 'output' };
  else if (historyTarget?.kind === 'cassandra') out.cassandra = { ...cassandraArgs(historyTarget), from: 'history' };
  return out;
}

/** One component's connection check: where it sits in the config and what the check found. */
export interface ConnectionCheck {
  /** JSON path of the component (`input`, `outputs[1]`, `analysis.historical`, `analysis.alert`) */
  path: string;
  report: HealthReport;
}

/** Checks the connection of every component of a config that talks to a server, in config order. */
export async function checkConnections(cfg: PipelineConfig, opts: { timeoutMs?: number; clock?: Clock } = {}): Promise<ConnectionCheck[]> {
  const ctx = { timeoutMs: opts.timeoutMs ?? 6000, clock: opts.clock ?? systemClock };
  const checks: { path: string; run(): Promise<HealthReport> | undefined }[] = [];
  const source = sourceDescriptor(cfg.input.source.type)!;
  checks.push({ path: 'input', run: () => source.healthcheck?.(cfg.input.source, ctx) });
  cfg.outputs.forEach((o, i) => checks.push({ path: `outputs[${i}]`, run: () => outputDescriptor(o.method)?.healthcheck?.(o, ctx) }));
  const analysis = cfg.analysis;
  if (analysis) {
    checks.push({ path: 'analysis.historical', run: () => historyDescriptor(analysis.history.method)?.healthcheck?.(analysis.history, ctx) });
    analysis.alerts.forEach((a, i) =>
      checks.push({
        path: analysis.alerts.length > 1 ? `analysis.alert[${i}]` : 'analysis.alert',
        run: () => alertSinkDescriptor(a.method)?.healthcheck?.(a, ctx),
      }),
    );
  }
  const out: ConnectionCheck[] = [];
  for (const c of checks) {
    const report = await c.run();
    if (report) out.push({ path: c.path, report });
  }
  return out;
}
