/**
 * The ONE contract between the workbench UI and its back end (Electron main
 * process or the web-mode server). Plain data only: every type here crosses
 * IPC, HTTP and WebSocket unchanged. The renderer imports this file for types
 * (and the channel-name constants below), never engine code or Node modules.
 */
import type {
  AlertEpisode,
  AlertEvent,
  AlertFilters,
  AlertListPage,
  BacktestEpisode,
  BacktestLabel,
  BacktestMetrics,
  BacktestResult,
  BacktestRuleScore,
  BacktestSweep,
  ConfigTestsResult,
  DiffAlertItem,
  DiffResult,
  CassandraKeyspaceList,
  CassandraTestArgs,
  CassandraTestResult,
  CellValue,
  ChartColumnView,
  ChartKeyStat,
  ChartView,
  CheckResult,
  ColumnInfo,
  ConnectionDefaults,
  Diagnostic,
  ExportChange,
  ExportTargetInfo,
  ExportTargetName,
  HistoryResult,
  KeyRanking,
  KeySelection,
  InfluxTestArgs,
  InfluxTestResult,
  KafkaConnectionArgs,
  KafkaPartitionInfo,
  KafkaTestResult,
  KafkaTopicInfo,
  KafkaTopicList,
  ListPage,
  ListPageRequest,
  PipelineSummary,
  PreviewResult,
  RowErrorEvent,
  RowErrorFilters,
  RowErrorPage,
  RunProgress,
  StoredRowError,
  TailInfo,
  TailMessage,
  TailStartArgs,
  VerifyResult,
  WindowFilters,
  WindowResult,
  WindowRow,
} from '../../engine/index.js';

export type {
  AlertEpisode,
  AlertEvent,
  AlertFilters,
  AlertListPage,
  BacktestEpisode,
  BacktestLabel,
  BacktestMetrics,
  BacktestResult,
  BacktestRuleScore,
  BacktestSweep,
  ConfigTestsResult,
  DiffAlertItem,
  DiffResult,
  CassandraKeyspaceList,
  CassandraTestArgs,
  CassandraTestResult,
  CellValue,
  ChartColumnView,
  ChartKeyStat,
  ChartView,
  CheckResult,
  ColumnInfo,
  ConnectionDefaults,
  Diagnostic,
  ExportChange,
  ExportTargetInfo,
  ExportTargetName,
  HistoryResult,
  KeyRanking,
  KeySelection,
  InfluxTestArgs,
  InfluxTestResult,
  KafkaConnectionArgs,
  KafkaPartitionInfo,
  KafkaTestResult,
  KafkaTopicInfo,
  KafkaTopicList,
  ListPage,
  ListPageRequest,
  PipelineSummary,
  PreviewResult,
  RowErrorEvent,
  RowErrorFilters,
  RowErrorPage,
  RunProgress,
  StoredRowError,
  TailInfo,
  TailMessage,
  TailStartArgs,
  VerifyResult,
  WindowFilters,
  WindowResult,
  WindowRow,
};

/** A built-in or extension transformation function, for completion and hover. */
export interface FunctionInfo {
  name: string;
  arity: number;
  signature: string;
  doc: string;
}

export interface FunctionCatalog {
  transform: FunctionInfo[];
  aggregate: { name: string; doc: string; accepts: readonly string[] }[];
}

export type FileKind = 'config' | 'data-structure' | 'module' | 'data' | 'other';

export interface ProjectFile {
  /** path relative to the project folder, with forward slashes */
  path: string;
  kind: FileKind;
  size: number;
}

/** A folder whose code the user allowed to run (it and everything below it). */
export interface TrustedFolder {
  /** real path */
  path: string;
  /** ISO time the trust was given */
  since: string;
}

/** Workspace trust of a project: until it is trusted, nothing from its folder is loaded or run (restricted mode). */
export interface ProjectTrust {
  trusted: boolean;
  /** the trusted folder that covers the project (its own folder or a parent), when trusted */
  via?: string;
  /** the user modules the config names (extension and analysis modules, as written): what restricted mode does not load */
  userCode: string[];
}

export interface ProjectInfo {
  /** absolute folder */
  dir: string;
  name: string;
  /** relative path of the active config file (the one checked, previewed and run; config.json unless another was picked) */
  configFile: string;
  /** every config file of the project (JSON files with "input" and "processing"), the active one among them */
  configs: string[];
  /** relative path of the data-structure file named by the config, when it can be read */
  dataStructureFile?: string;
  /** CSV input file named by the config (relative), when it is a file */
  dataFile?: string;
  files: ProjectFile[];
  trust: ProjectTrust;
}

/** What a new project starts from: a copy of a sample, an empty CSV project, or a Kafka project. */
export type ProjectTemplate = 'csv' | 'kafka' | `sample:${string}`;

/** What "New file" writes: a config over the project's data, a data structure inferred from a CSV, or a module from a template. */
export type NewFileKind = 'config' | 'data-structure' | 'analysis-module' | 'extension-module';

export interface AppInfo {
  version: string;
  mode: 'electron' | 'web';
  samples: { name: string; description: string }[];
  /** the templates of "New project" (samples first) */
  templates: { id: ProjectTemplate; title: string; description: string }[];
  recent: string[];
  /** project to open at start (web mode started on a folder) */
  initialProject?: string;
  /** where new projects made from samples go by default */
  projectsHome: string;
}

export interface FileText {
  text: string;
  mtimeMs: number;
}

/** Editor buffers not saved yet, by project-relative path: checks and previews see them instead of the disk. */
export type Overlay = Record<string, string>;

export interface NewFileResult {
  project: ProjectInfo;
  /** the file written, relative to the project */
  path: string;
  /** what the template guessed, for the user to look at (inferred types, the time field) */
  notes: string[];
}

export interface PreviewResponse {
  check: CheckResult;
  preview?: PreviewResult;
  /** trust of the project, with the user modules the (possibly unsaved) config names */
  trust: ProjectTrust;
  /** why no preview was run although the config has no errors (restricted mode and user code) */
  restricted?: string;
  /** the functions the config offers (built-ins and its extension modules as checked now), for completion */
  functions?: FunctionCatalog;
  /** total time in the back end, ms */
  elapsedMs: number;
}

export interface RunStartArgs {
  dir: string;
  /** event-time replay speed: 1, 10, … or 0 = as fast as possible */
  speed?: number;
  startPaused?: boolean;
  /** the keys the charts draw as lines (docs/workbench.md#charts-at-any-size); the last chosen, else the top 10 by alerts */
  chartKeys?: KeySelection;
  /** a live input is read up to the end offsets it has now, then the run finishes (docs/live.md#until-end); a file ends anyway */
  untilEnd?: boolean;
}

export interface RunInfo {
  runId: string;
  summary: PipelineSummary;
}

/** How a run ended: its input ended, the user stopped it, or it failed. */
export type RunEnd = 'finished' | 'stopped' | 'failed';

/** One past run of a project, as the run history lists it (newest first). */
export interface RunRecord {
  runId: string;
  /** the config that ran, relative to the project folder */
  configFile: string;
  /** ISO times */
  startedAt: string;
  endedAt: string;
  state: RunEnd;
  /** event-time replay speed asked for (0 = as fast as possible); live inputs are never paced */
  speed: number;
  rowsRead: number;
  rowErrors: number;
  lateRows: number;
  windowsClosed: number;
  alerts: number;
  elapsedMs: number;
  rowsPerSec: number;
  /** how far through the input file it got (null: a live input or stdin) */
  fraction: number | null;
  error?: string;
  /** the first warnings of the run */
  warnings: string[];
}

/** What an export target would change, listed before anything is written (docs/production.md#verifying-an-export). */
export interface ExportPlanResult {
  target: ExportTargetName;
  /** every change of meaning, one per JSON path: blocker (never written), lossy (written only with allowLossy), note */
  changes: ExportChange[];
  /** why writing would be refused without allowLossy; absent when it may be written */
  refusal?: { reason: 'blocker' | 'lossy'; message: string };
}

export interface ExportResult {
  /** absent: the reference export of the original dialog, written whatever it changes */
  target?: ExportTargetName;
  /** the change list of the target (empty for the original dialog's reference export: see warnings) */
  changes: ExportChange[];
  outDir: string;
  /** files written, relative to outDir */
  files: string[];
  /** human-readable warnings (dropped keys, kept keys without reference equivalent) */
  warnings: string[];
  /** JSON paths removed from the config */
  dropped: string[];
  /** secrets replaced: JSON path → placeholder */
  secrets: Record<string, string>;
}

/** The folders inside a folder, for the web folder picker (files are not listed). */
export interface DirListing {
  path: string;
  /** null at the top of what the picker may browse */
  parent: string | null;
  /** `project`: the folder holds a config.json */
  entries: { name: string; dir: true; project?: boolean }[];
}

/** The evaluations of a config the workbench runs in the back end, one job of each kind at a time (main/api/evaluate.ts). */
export type EvaluationKind = 'backtest' | 'tests' | 'diff';

export interface BacktestArgs {
  dir: string;
  /** the labels CSV, relative to the project folder */
  labels: string;
  /** one option of one rule over a grid: "<rule>.<option>=<from>..<to>:<step>" */
  sweep?: string;
  /** unit of epoch numbers in the labels file (default s) */
  labelTimeUnit?: 's' | 'ms' | 'us' | 'ns';
  /** unsaved editor buffers (the config, the labels file, …) */
  overlay?: Overlay;
}

/** How far a backtest's replay got (sent at most a few times a second). */
export interface BacktestProgress {
  rowsRead: number;
  windowsClosed: number;
  /** 0..1 of the input file */
  fraction: number | null;
}

// ---- connections (Kafka, InfluxDB, Cassandra): test, list topics and keyspaces, tail ---------------------------------

export interface Handlers {
  'app.info': (a: Record<string, never>) => Promise<AppInfo>;
  'schema.get': (a: Record<string, never>) => Promise<{ config: object; dataStructure: object }>;
  /** built-in functions, plus the extension functions of the project's config (its unsaved buffer and module buffers in `overlay`) */
  'functions.list': (a: { dir?: string; overlay?: Overlay }) => Promise<FunctionCatalog>;
  /** the web folder picker: folders inside the home and projects folders (and open, recent or picked projects) */
  'fs.listDir': (a: { path?: string }) => Promise<DirListing>;
  /** Electron: the native folder dialog; the folder picked may then be used (web mode has no native dialog) */
  'dialog.pickFolder': (a: { title?: string; defaultPath?: string }) => Promise<{ path: string | null }>;
  'project.open': (a: { dir: string }) => Promise<ProjectInfo>;
  'project.fromSample': (a: { sample: string; dir: string }) => Promise<ProjectInfo>;
  'project.recent': (a: Record<string, never>) => Promise<string[]>;
  /** a new project from a template in `dir` (absent or empty); trusted, since the app wrote every file of it */
  'project.create': (a: { template: ProjectTemplate; dir: string }) => Promise<ProjectInfo>;
  /** makes another config of the project the active one (remembered for the project) */
  'project.setConfig': (a: { dir: string; configFile: string }) => Promise<ProjectInfo>;
  /** trust an open project's folder (or its parent folder), or end the trust that covers it */
  'trust.set': (a: { dir: string; trusted: boolean; scope?: 'folder' | 'parent' }) => Promise<ProjectTrust>;
  'trust.list': (a: Record<string, never>) => Promise<TrustedFolder[]>;
  /** remove one trusted folder of the list */
  'trust.forget': (a: { path: string }) => Promise<TrustedFolder[]>;
  'file.read': (a: { dir: string; path: string }) => Promise<FileText>;
  'file.write': (a: { dir: string; path: string; text: string }) => Promise<{ mtimeMs: number }>;
  /** writes a new file from a template (never over an existing one); `csv`: the CSV a data structure or config is inferred from */
  'file.create': (a: { dir: string; path: string; kind: NewFileKind; csv?: string }) => Promise<NewFileResult>;
  /** renames (moves) a file inside the project; the target must not exist */
  'file.rename': (a: { dir: string; from: string; to: string }) => Promise<ProjectInfo>;
  /** deletes a file of the project (not the only config) */
  'file.delete': (a: { dir: string; path: string }) => Promise<ProjectInfo>;
  'config.check': (a: { dir: string; overlay?: Overlay }) => Promise<CheckResult>;
  'config.preview': (a: { dir: string; overlay?: Overlay; maxRows?: number }) => Promise<PreviewResponse>;
  'run.start': (a: RunStartArgs) => Promise<RunInfo>;
  'run.pause': (a: Record<string, never>) => Promise<void>;
  'run.resume': (a: Record<string, never>) => Promise<void>;
  'run.step': (a: Record<string, never>) => Promise<void>;
  'run.stop': (a: Record<string, never>) => Promise<void>;
  'run.setSpeed': (a: { speed: number }) => Promise<void>;
  'run.status': (a: Record<string, never>) => Promise<(RunProgress & { runId: string }) | null>;
  /** the project's past runs, newest first (kept in the state folder) */
  'run.history': (a: { dir: string }) => Promise<RunRecord[]>;
  'history.load': (a: { dir: string; maxWindows?: number }) => Promise<HistoryResult>;
  /** a page of the alert events of the project's store, filtered (docs/workbench.md#lists); no `source` when the config has no store */
  'store.alerts': (a: { dir: string } & ListPageRequest<AlertFilters>) => Promise<AlertListPage<AlertEvent>>;
  /** a page of the alert episodes of the project's store, grouped by alert id */
  'store.episodes': (a: { dir: string } & ListPageRequest<AlertFilters>) => Promise<AlertListPage<AlertEpisode>>;
  /** a page of the rows of the windows of the config's store output */
  'store.windows': (a: { dir: string } & ListPageRequest<WindowFilters>) => Promise<ListPage<WindowRow>>;
  /** a page of the row errors (dead letters) the runs kept in the store */
  'store.rowErrors': (a: { dir: string } & ListPageRequest<RowErrorFilters>) => Promise<RowErrorPage>;
  /**
   * The charts' summary of the project's run (the active or last one, else its stored history):
   * whole, with the keys `selection` picks as lines; later `run.chart` deltas follow it.
   * Null when there is nothing to draw (docs/workbench.md#charts-at-any-size).
   */
  'chart.view': (a: { dir: string; selection: KeySelection }) => Promise<ChartView | null>;
  /** the keys of that summary whose label contains `search`, best ranked first */
  'chart.keys': (a: { dir: string; search?: string; rank: KeyRanking; limit: number }) => Promise<{ total: number; keys: ChartKeyStat[] }>;
  /** a zoomed-in range read from the store, at most `buckets` buckets; null without a store */
  'chart.range': (a: { dir: string; from: number; to: number; buckets: number; shown: ChartKeyStat[] }) => Promise<ChartView | null>;
  /** the export targets with one-line descriptions (ts-engine first: the default) */
  'export.targets': (a: Record<string, never>) => Promise<ExportTargetInfo[]>;
  /** the changes a target would make to the config on disk, and whether writing would be refused */
  'export.plan': (a: { dir: string; target: ExportTargetName }) => Promise<ExportPlanResult>;
  /** with a target: refused (error naming the refusal) when the plan is; without one: the reference export, as the first dialog did */
  'export.write': (a: { dir: string; outDir: string; target?: ExportTargetName; allowLossy?: boolean }) => Promise<ExportResult>;
  /** runs a Flink export on the project's CSV (or `csv`) beside ts-engine: identical, different (first lines), or why it cannot */
  'export.verify': (a: { dir: string; exportDir: string; csv?: string }) => Promise<VerifyResult>;
  /** replays the config with its outputs off and scores its rules against the labels (docs/backtest.md); needs a trusted folder */
  'backtest.run': (a: BacktestArgs) => Promise<BacktestResult>;
  /** runs the tests beside the config (`<config>.tests.json`, docs/config-tests.md); null when it has none */
  'configTests.run': (a: { dir: string; overlay?: Overlay }) => Promise<ConfigTestsResult | null>;
  /**
   * the config as edited (its unsaved text) against the saved version, or against another config of the project
   * (`against`, relative), both replayed on the same data (docs/backtest.md#diff)
   */
  'diff.run': (a: { dir: string; against?: string; overlay?: Overlay }) => Promise<DiffResult>;
  /** aborts the running evaluation of a kind (its request answers with what it had: `stopped` / `cancelled`) */
  'evaluation.cancel': (a: { kind: EvaluationKind }) => Promise<{ cancelled: boolean }>;
  'connection.defaults': (a: { dir: string; overlay?: Overlay }) => Promise<ConnectionDefaults>;
  'connection.testKafka': (a: KafkaConnectionArgs) => Promise<KafkaTestResult>;
  'connection.listTopics': (a: KafkaConnectionArgs & { internal?: boolean }) => Promise<KafkaTopicList>;
  'connection.tailStart': (a: TailStartArgs) => Promise<TailInfo>;
  'connection.tailStop': (a: { tailId: string }) => Promise<void>;
  /** the UI still shows the tail (call every few seconds); false when it has ended */
  'connection.tailKeepAlive': (a: { tailId: string }) => Promise<{ alive: boolean }>;
  'connection.testInflux': (a: InfluxTestArgs) => Promise<InfluxTestResult>;
  /** reachable, credentials, datacenter; the release and nodes; whether the keyspace and table exist */
  'connection.testCassandra': (a: CassandraTestArgs) => Promise<CassandraTestResult>;
  /** every keyspace with its replication and tables (the user's first) */
  'connection.listKeyspaces': (a: Omit<CassandraTestArgs, 'keyspace' | 'table'>) => Promise<CassandraKeyspaceList>;
}

/** Live results of a run, batched (at "max" speed thousands of windows a second close). */
export interface Events {
  'run.progress': RunProgress & { runId: string };
  /** the latest windows closed since the last event (at most 30: the charts get `run.chart`), and how many closed in all */
  'run.windows': { runId: string; windows: WindowResult[]; total: number };
  /** what changed in the charts' summary, at most 5 times a second (ChartView: a delta from its `from` bucket) */
  'run.chart': { runId: string; view: ChartView };
  /** the latest alerts since the last event (at most 250: the lists page all from the store), and how many the run raised */
  'run.alerts': { runId: string; alerts: AlertEvent[]; total: number };
  /** the episodes the batch's alerts opened or changed (docs/alerts.md#alert-id), each whole: replace by alertId */
  'run.episodes': { runId: string; episodes: AlertEpisode[] };
  'run.rowErrors': { runId: string; errors: RowErrorEvent[] };
  /** text the config's `stdout` outputs printed (and alert sinks to stdout), in order; `dropped`: bytes not sent beyond the run's cap */
  'run.output': { runId: string; text: string; dropped: number };
  /** runtime failures so far: user code (functions, analyses) and outputs (deliveries); `latest`: new messages since the last event */
  'run.problems': { runId: string; userCode: number; outputs: number; latest: { kind: 'user-code' | 'output'; message: string }[] };
  'run.finished': { runId: string; state: RunEnd; error?: string; progress: RunProgress; warnings: string[]; record: RunRecord };
  /** raw messages of a tail, batched (at most TailInfo.maxPerSecond a second; `skipped` were received but not sent) */
  'backtest.progress': BacktestProgress;
  'connection.tail': { tailId: string; messages: TailMessage[]; skipped: number; received: number };
  'connection.tailEnded': { tailId: string; reason: 'stopped' | 'limit' | 'idle' | 'error'; error?: string; received: number; sent: number };
}

export type HandlerName = keyof Handlers;
export type EventName = keyof Events;
export type ArgsOf<K extends HandlerName> = Parameters<Handlers[K]>[0];
export type ResultOf<K extends HandlerName> = Awaited<ReturnType<Handlers[K]>>;

/** Every handler name, for registering IPC handlers and HTTP routes (checked against Handlers below). */
export const HANDLER_NAMES = [
  'app.info',
  'schema.get',
  'functions.list',
  'fs.listDir',
  'dialog.pickFolder',
  'project.open',
  'project.fromSample',
  'project.recent',
  'project.create',
  'project.setConfig',
  'trust.set',
  'trust.list',
  'trust.forget',
  'file.read',
  'file.write',
  'file.create',
  'file.rename',
  'file.delete',
  'config.check',
  'config.preview',
  'run.start',
  'run.pause',
  'run.resume',
  'run.step',
  'run.stop',
  'run.setSpeed',
  'run.status',
  'run.history',
  'history.load',
  'store.alerts',
  'store.episodes',
  'store.windows',
  'store.rowErrors',
  'chart.view',
  'chart.keys',
  'chart.range',
  'export.targets',
  'export.plan',
  'export.write',
  'export.verify',
  'backtest.run',
  'configTests.run',
  'diff.run',
  'evaluation.cancel',
  'connection.defaults',
  'connection.testKafka',
  'connection.listTopics',
  'connection.tailStart',
  'connection.tailStop',
  'connection.tailKeepAlive',
  'connection.testInflux',
  'connection.testCassandra',
  'connection.listKeyspaces',
] as const satisfies readonly HandlerName[];

export const EVENT_NAMES = [
  'run.progress',
  'run.windows',
  'run.chart',
  'run.alerts',
  'run.episodes',
  'run.rowErrors',
  'run.output',
  'run.problems',
  'run.finished',
  'backtest.progress',
  'connection.tail',
  'connection.tailEnded',
] as const satisfies readonly EventName[];

// compile-time: the name lists cover the interfaces exactly
type Missing<A, B> = Exclude<A, B>;
const _handlersComplete: [Missing<HandlerName, (typeof HANDLER_NAMES)[number]>] extends [never] ? true : never = true;
const _eventsComplete: [Missing<EventName, (typeof EVENT_NAMES)[number]>] extends [never] ? true : never = true;
void _handlersComplete;
void _eventsComplete;

/** IPC channel names shared by main/index.ts and main/preload.ts (Electron): one per handler, one for events. */
export const IPC = {
  handler: (name: HandlerName) => `api:${name}`,
  event: 'ts-engine:event',
} as const;

/** What every transport carries back: a handler's result, or its error message (same shape over IPC and HTTP). */
export type Reply<T> = { result: T } | { error: string };

/** What `window.tsEngine` (preload) and the web transport both offer. */
export interface Transport {
  invoke<K extends HandlerName>(name: K, args: ArgsOf<K>): Promise<ResultOf<K>>;
  on<E extends EventName>(event: E, cb: (payload: Events[E]) => void): () => void;
}
