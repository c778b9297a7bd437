/**
 * Every component the engine has, by kind. Validation, the config's JSON Schema, creation, the
 * run summary, export and the workbench's Connections panel read these lists and nothing else:
 * adding an output is adding its module and one line here.
 */
import type { AlertSinkDescriptor, AnalysisDescriptor, HistoryDescriptor, OutputDescriptor, SourceDescriptor } from './descriptor.js';
import { averageAnalysis } from './analyses/average.js';
import { simpleAnalysis } from './analyses/simple.js';
import { timeDeltaAnalysis } from './analyses/time-delta.js';
import { kafkaAlerts } from './alerts/kafka.js';
import { sqliteAlerts } from './alerts/sqlite.js';
import { stdoutAlerts } from './alerts/stdout.js';
import { cassandraHistory } from './history/cassandra.js';
import { influxHistory } from './history/influx.js';
import { sqliteHistory } from './history/sqlite.js';
import { cassandraOutput } from './outputs/cassandra.js';
import { fileOutput } from './outputs/file.js';
import { influxOutput } from './outputs/influx.js';
import { sqliteOutput } from './outputs/sqlite.js';
import { stdoutOutput } from './outputs/stdout.js';
import { csvSource } from './sources/csv.js';
import { kafkaSource } from './sources/kafka/index.js';

export const SOURCES = [csvSource, kafkaSource] as const;
export const OUTPUTS = [stdoutOutput, sqliteOutput, influxOutput, cassandraOutput, fileOutput] as const;
export const ALERT_SINKS = [stdoutAlerts, sqliteAlerts, kafkaAlerts] as const;
export const HISTORY_STORES = [sqliteHistory, influxHistory, cassandraHistory] as const;
/** analyses a rule names as `module`; the legacy time_delta form is built by the analysis section */
export const ANALYSES = [simpleAnalysis, averageAnalysis] as const;
export const LEGACY_ANALYSIS = timeDeltaAnalysis;

type SourceOf<D> = D extends SourceDescriptor<string, infer P> ? P : never;
type OutputOf<D> = D extends OutputDescriptor<infer N, infer P> ? { method: N; main: boolean; index: number } & P : never;
type AlertSinkOf<D> = D extends AlertSinkDescriptor<infer N, infer P> ? { method: N } & P : never;
type HistoryOf<D> = D extends HistoryDescriptor<infer N, infer P> ? { method: N } & P : never;

/** A parsed source: its options with `type`, one member per source. */
export type SourceConfig = SourceOf<(typeof SOURCES)[number]>;
/** A parsed output: `{method, main, index}` and its options, one member per output. */
export type OutputConfig = OutputOf<(typeof OUTPUTS)[number]>;
/** A parsed alert sink: `{method}` and its options. */
export type AlertSinkConfig = AlertSinkOf<(typeof ALERT_SINKS)[number]>;
/** A parsed history store: `{method}` and its options. */
export type HistoryConfig = HistoryOf<(typeof HISTORY_STORES)[number]>;

const byName = <D extends { name: string }>(list: readonly D[]) => new Map<string, D>(list.map((d) => [d.name, d]));

const sources = byName<SourceDescriptor<string, never>>(SOURCES as never);
const outputs = byName<OutputDescriptor<string, never>>(OUTPUTS as never);
const alertSinks = byName<AlertSinkDescriptor<string, never>>(ALERT_SINKS as never);
const historyStores = byName<HistoryDescriptor<string, never>>(HISTORY_STORES as never);
const analyses = byName<AnalysisDescriptor<string, never>>([...ANALYSES, LEGACY_ANALYSIS] as never);

// A lookup hands out the descriptor of a name typed for any options: what it takes is a parsed config of that name.
// biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
type AnyOptions = any;

export const sourceDescriptor = (name: string) => sources.get(name) as SourceDescriptor<string, AnyOptions> | undefined;
export const outputDescriptor = (name: string) => outputs.get(name) as OutputDescriptor<string, AnyOptions> | undefined;
export const alertSinkDescriptor = (name: string) => alertSinks.get(name) as AlertSinkDescriptor<string, AnyOptions> | undefined;
export const historyDescriptor = (name: string) => historyStores.get(name) as HistoryDescriptor<string, AnyOptions> | undefined;
export const analysisDescriptor = (name: string) => analyses.get(name) as AnalysisDescriptor<string, AnyOptions> | undefined;

/** `"stdout", "sqlite" or "influx"`: the names of a kind, for messages */
export function namesOf(list: readonly { name: string }[]): string {
  const q = list.map((d) => `"${d.name}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}
