/**
 * Types of the engine's public facade (engine/index.ts). Plain data only, so
 * they can cross IPC / HTTP / worker boundaries unchanged: values that could be
 * bigint are rendered as JSON-safe `CellValue`s.
 */
import type { Diagnostic } from './core/errors.js';
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
  /** null for a no-data alert */
  value: CellValue;
  lowerBound: number;
  upperBound: number;
  /** the rule's name in the config */
  rule: string;
  /** docs/alerts.md#states */
  state: 'firing' | 'resolved' | 'nodata';
  /** rule + key + field + the window that opened the episode, hashed: the same on every run (docs/alerts.md#alert-id) */
  alertId: string;
  /** window end of the window that opened the episode, epoch ms */
  episodeStart: number;
  episodeKind: 'deviation' | 'nodata';
  /** false for a rule without lifecycle options (each alert is an episode of its own window) */
  lifecycle: boolean;
  /** the episode's value furthest outside its bounds so far, and the window end it was seen at */
  peakValue: CellValue;
  peakTime: number | null;
}

/**
 * One alert episode (docs/alerts.md#episodes): from the window where the deviation began (or the
 * key went missing) to the window it resolved in. A rule without lifecycle options has one
 * episode per alert, of one window.
 */
export interface AlertEpisode {
  alertId: string;
  rule: string;
  module: string;
  key: CellValue[] | null;
  keyFields: string[];
  field: string;
  kind: 'deviation' | 'nodata';
  /** window end of the window that opened it (pending from here when the rule has `for`), epoch ms */
  start: number;
  /** window end of its first firing (or no-data) event */
  firing: number;
  /** window end of the window it resolved in; null while it is still open */
  end: number | null;
  peakValue: CellValue;
  peakTime: number | null;
  /** bounds of its last event */
  lowerBound: number;
  upperBound: number;
  /** events received for it */
  events: number;
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
  state: 'starting' | 'running' | 'paused' | 'stopping' | 'finished' | 'failed';
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
  /** the alerts grouped into episodes (docs/alerts.md#episodes) */
  episodes: AlertEpisode[];
  /** true when more windows exist than were returned */
  truncated: boolean;
}

/** Connection settings found in the config (editable in the connection panel). */
export interface ConnectionDefaults {
  /** the config's input is Kafka: a live run reads `kafka.topic` */
  liveInput: boolean;
  kafka?: Omit<KafkaConnectionArgs, 'timeoutMs'> & { topic?: string; consumerGroup?: string; from: 'input' | 'alerts' };
  influx?: InfluxTestArgs & { measurement?: string; from: 'output' | 'history' };
  /** why nothing could be read (an invalid config) */
  note?: string;
}
