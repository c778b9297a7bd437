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
import type { Metrics } from './evaluate/score.js';

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
 * One alert episode (docs/alerts.md#alert-id): from the window where the deviation began (or the
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
  /** false for a rule without lifecycle options: an episode of one alert in one window (the workbench draws a marker, not a band) */
  lifecycle: boolean;
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
  /** the alerts grouped into episodes (docs/alerts.md#alert-id) */
  episodes: AlertEpisode[];
  /** true when more windows exist than were returned */
  truncated: boolean;
}

/**
 * A page of one of the lists a run leaves in the store (docs/workbench.md#lists): rows
 * `offset`..`offset + limit` of those the filters keep, newest first unless `order` says otherwise.
 */
export interface ListPageRequest<F> {
  offset: number;
  limit: number;
  filters?: F;
  order?: 'newest' | 'oldest';
}

export interface ListPage<T> {
  /** rows the filters keep (all of them, not only this page's) */
  total: number;
  rows: T[];
  /** the store read, e.g. "data/sensors.db (alerts)"; absent when the config keeps no such list in an embedded store */
  source?: string;
}

/** Alerts (events or episodes) of a rule, whose key text (`20 · gear.t3`) contains `key`, on a field, in a state. */
export interface AlertFilters {
  rule?: string;
  key?: string;
  field?: string;
  state?: AlertEvent['state'];
}

export interface AlertListPage<T> extends ListPage<T> {
  /** rows in each state under the other filters (the state buttons' counts) */
  counts: Record<AlertEvent['state'], number>;
  /** rows without any filter */
  all: number;
}

/** Aggregate rows whose key text contains `key`, of windows that overlap `from`..`to` (epoch ms). */
export interface WindowFilters {
  key?: string;
  from?: number;
  to?: number;
}

/** One aggregate row of a stored window. */
export interface WindowRow extends AggregateRow {
  windowStart: number;
  windowEnd: number;
}

/** Row errors of a reason, from a source whose name contains `source`, of one run. */
export interface RowErrorFilters {
  reason?: string;
  source?: string;
  runId?: string;
}

/** A row error as the store's dead-letter table keeps it. */
export interface StoredRowError extends RowErrorEvent {
  runId: string;
  /** epoch ms */
  recordedAt: number;
}

export interface RowErrorPage extends ListPage<StoredRowError> {
  /** rows of each reason under the other filters, most first */
  reasons: { reason: string; count: number }[];
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

// ---- backtest (docs/backtest.md) ------------------------------------------------------------

export interface BacktestRequest {
  /** the labels CSV (absolute, or relative to the config's folder) */
  labels: string;
  /** its unsaved text in the editor, read instead of the file */
  labelsText?: string;
  /** unit of epoch numbers in the labels file (ISO times need none); default "s" */
  labelTimeUnit?: 's' | 'ms' | 'us' | 'ns';
  /** one option of one rule over a grid: "<rule>.<option>=<from>..<to>:<step>" */
  sweep?: string;
  /** a CSV file replayed instead of the config's input (absolute, or relative to the config's folder) */
  data?: string;
}

/** A labelled anomaly, with the windows it covers (where a chart jumps to). */
export interface BacktestLabel {
  key: Record<string, CellValue> | null;
  /** the key as Python prints it, `(4, 'bearing.t2')` */
  keyText: string;
  /** epoch ms; `end` is exclusive and equals `start` for an instant */
  start: number;
  end: number;
  label?: string;
  /** 1-based line in the labels file (a Problems entry points there) */
  line: number;
  /** start of the first and end of the last window the interval touches, epoch ms */
  windowStart: number;
  windowEnd: number;
}

/** An alert episode of one (rule, key, field): its windows in deviation. */
export interface BacktestEpisode {
  id: string;
  key: Record<string, CellValue> | null;
  keyText: string;
  field: string;
  /** start of its first window and end of its last, epoch ms: where a chart jumps to */
  windowStart: number;
  windowEnd: number;
  /** end of the window whose alert was the first notification */
  firedAt: number;
  windows: number;
  alerts: number;
}

/** precision, recall, F1, TP/FP/FN, mean delay and episodes of a rule (evaluate/score.ts) */
export type BacktestMetrics = Metrics;

export interface BacktestRuleScore extends BacktestMetrics {
  /** the rule's name, as in the config */
  name: string;
  module: string;
  /** labels some episode matched, with the episodes (ids) and the delay */
  truePositives: { label: BacktestLabel; episodes: string[]; delayWindows: number }[];
  /** episodes no label matched */
  falsePositives: BacktestEpisode[];
  /** labels no episode matched */
  falseNegatives: BacktestLabel[];
  /** alert events the rule raised (an episode holds one or more) */
  alerts: number;
}

export interface BacktestSweepPoint extends Partial<BacktestMetrics> {
  value: number;
  /** the full score at this value (its lists too), absent when the value was refused */
  score?: BacktestRuleScore;
  /** why the config refuses this value */
  error?: string;
}

export interface BacktestSweep {
  rule: string;
  option: string;
  from: number;
  to: number;
  step: number;
  points: BacktestSweepPoint[];
  /** highest F1 (ties: shorter mean delay, then the first value) */
  best?: { value: number; f1: number };
}

export interface BacktestResult {
  /** false: nothing was scored; see diagnostics and error */
  ok: boolean;
  /** problems of the config and of the labels file, positioned */
  diagnostics: Diagnostic[];
  /** any other reason it did not run (a sweep it cannot read, an input that never ends, a failed read) */
  error?: string;
  /** what failed when `ok` is false: the config (or it cannot be backtested), the labels file, the sweep text, the replay */
  failedAt?: 'config' | 'labels' | 'sweep' | 'replay';
  /** the replay was stopped before the end of its input (the scores cover what was read) */
  stopped?: boolean;
  /** what was replayed and against what */
  input?: string;
  labelsFile?: string;
  rowsRead: number;
  rowErrors: number;
  windows: number;
  batchDurationSec: number;
  labels: number;
  /** first window start and last window end of the replay, epoch ms */
  range?: { start: number; end: number };
  rules: BacktestRuleScore[];
  /** the analysis of the configured rules: records analysed, history lookups, alerts, module failures */
  analysis?: { records: number; lookups: number; alerts: number; failures: number };
  sweep?: BacktestSweep;
  warnings: string[];
  elapsedMs: number;
}

// ---- diff of two configs on the same data (docs/backtest.md#diff) --------------------------

export interface DiffRequest {
  /** a CSV file both configs replay instead of a's input (absolute, or relative to a's folder) */
  data?: string;
  /** unsaved texts of the configs in the editor */
  textA?: string;
  textB?: string;
}

export interface DiffRowItem {
  key: Record<string, CellValue> | null;
  keyText: string;
  values: Record<string, CellValue>;
}

export interface DiffAlertItem {
  rule: string;
  key: Record<string, CellValue> | null;
  keyText: string;
  field: string;
  /** epoch ms */
  windowEnd: number;
  value: CellValue;
  lowerBound: number;
  upperBound: number;
}

export interface DiffWindow {
  /** epoch ms, [start, end) */
  start: number;
  end: number;
  /** the window exists only in a or only in b */
  only?: 'a' | 'b';
  /** rows whose key only b has */
  added: DiffRowItem[];
  /** rows whose key only a has */
  removed: DiffRowItem[];
  /** rows of both with differing values: each column with a's and b's value (absent: not a column of that side) */
  changed: { key: Record<string, CellValue> | null; keyText: string; columns: { name: string; a?: CellValue; b?: CellValue }[] }[];
}

export interface DiffResult {
  /** false: nothing was compared; see diagnostics and error */
  ok: boolean;
  equal: boolean;
  /** of both configs, positioned */
  diagnostics: Diagnostic[];
  error?: string;
  failedAt?: 'config' | 'replay';
  /** the data both replayed */
  input?: string;
  rowsA?: number;
  rowsB?: number;
  windowsA: number;
  windowsB: number;
  windowsDiffering: number;
  /** the first 1000 differing windows, in time order */
  windows: DiffWindow[];
  /** the first 1000 of each kind: alerts only b raised, only a raised, raised by both with other values or bounds */
  alerts: { added: DiffAlertItem[]; removed: DiffAlertItem[]; changed: { a: DiffAlertItem; b: DiffAlertItem }[] };
  alertCounts: { added: number; removed: number; changed: number };
  stopped?: boolean;
  warnings: string[];
  elapsedMs: number;
}

// ---- tests in the config (docs/config-tests.md) --------------------------------------------

export interface ConfigTestDifference {
  /** JSON path in the tests file of the expectation not met, `tests[0].expect.windows[1].rows[0].values.rpm_max` */
  path: string;
  /** where that is in the tests file (a Problems entry points there) */
  line: number;
  column: number;
  message: string;
  expected?: unknown;
  actual?: unknown;
}

export interface ConfigTestCaseResult {
  name: string;
  passed: boolean;
  /** the case in the tests file */
  line: number;
  column: number;
  differences: ConfigTestDifference[];
  /** why the case could not run */
  error?: string;
  windows: number;
  alerts: number;
  rowErrors: number;
}

export interface ConfigTestsResult {
  /** false: nothing ran; see diagnostics (of the config and of the tests file) and error */
  ok: boolean;
  diagnostics: Diagnostic[];
  error?: string;
  testsFile: string;
  cases: ConfigTestCaseResult[];
  passed: number;
  failed: number;
  /** aborted before every case ran (the cases listed did run) */
  cancelled?: boolean;
  elapsedMs: number;
}
