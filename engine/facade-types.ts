/**
 * Types of the engine's public facade (engine/index.ts). Plain data only, so
 * they can cross IPC / HTTP / worker boundaries unchanged: values that could be
 * bigint are rendered as JSON-safe `CellValue`s.
 */
import type { Diagnostic } from './core/errors.js';
import type { CassandraTestArgs } from './connectors/cassandra/probe.js';
import type { InfluxTestArgs } from './connectors/influx/probe.js';
import type { KafkaConnectionArgs } from './connectors/kafka-admin.js';
import type { FieldType } from './core/types.js';

/** A value as it crosses a process boundary: integers beyond 2^53 become decimal strings tagged `big`. */
export type CellValue = number | boolean | string | null | { big: string };

export interface ColumnInfo {
  name: string;
  type: FieldType;
}

export interface CheckResult {
  ok: boolean;
  /** errors and warnings across the config, the data-structure file and modules */
  diagnostics: Diagnostic[];
  /** present when the config compiled: what completion and previews need */
  summary?: PipelineSummary;
}

export interface PipelineSummary {
  inputFields: (ColumnInfo & { index: number })[];
  transformed: ColumnInfo[];
  operation: 'reduce' | 'reduceByKey';
  keyFields: string[];
  /** aggregated (non-key) columns in output order, with their result types */
  aggregated: (ColumnInfo & { fn: string })[];
  batchDurationSec: number;
  timeMode: 'event' | 'processing' | 'whole-file';
  outputs: { method: string; main: boolean; description: string }[];
  analyses: { module: string; name: string }[];
}

export interface WindowResult {
  /** epoch ms */
  windowStart: number;
  windowEnd: number;
  rows: AggregateRow[];
}

export interface AggregateRow {
  key: Record<string, CellValue> | null;
  values: Record<string, CellValue>;
}

export interface AlertEvent {
  module: string;
  /** window end, epoch ms */
  time: number;
  key: CellValue[] | null;
  keyFields: string[];
  field: string;
  value: CellValue;
  lowerBound: number;
  upperBound: number;
}

export interface RowErrorEvent {
  source: string;
  line?: number;
  partition?: number;
  offset?: string;
  reason: string;
  message: string;
  raw: string;
}

export interface PreviewResult {
  columns: ColumnInfo[];
  /** transformed rows, in input order (rows that failed are listed in rowErrors instead) */
  rows: CellValue[][];
  windows: WindowResult[];
  rowErrors: RowErrorEvent[];
  rowsRead: number;
  elapsedMs: number;
}

export interface RunProgress {
  /** `stopped`: ended by a stop before its input ended; `finished`: the input ended */
  state: 'starting' | 'running' | 'paused' | 'stopping' | 'finished' | 'stopped' | 'failed';
  rowsRead: number;
  rowsPerSec: number;
  windowsClosed: number;
  rowErrors: number;
  lateRows: number;
  /** 0..1 for file inputs, null when unknown (stdin, Kafka) */
  fraction: number | null;
  /** per-connection status, for live inputs and outputs */
  connections: { name: string; status: 'connecting' | 'ok' | 'retrying' | 'down'; detail?: string }[];
  error?: string;
}

export interface HistoryResult {
  /** the store read, e.g. "data/sensors.db (points)"; absent when the config has no sqlite output */
  source?: string;
  summary?: PipelineSummary;
  windows: WindowResult[];
  alerts: AlertEvent[];
  /** true when more windows exist than were returned */
  truncated: boolean;
}

/** Connection settings found in the config (editable in the connection panel). */
export interface ConnectionDefaults {
  /** the config's input is Kafka: a live run reads `kafka.topic` */
  liveInput: boolean;
  kafka?: Omit<KafkaConnectionArgs, 'timeoutMs'> & { topic?: string; consumerGroup?: string; from: 'input' | 'alerts' };
  influx?: InfluxTestArgs & { measurement?: string; from: 'output' | 'history' };
  cassandra?: Omit<CassandraTestArgs, 'timeoutMs'> & { from: 'output' | 'history' };
  /** why nothing could be read (an invalid config) */
  note?: string;
}
