/**
 * A component descriptor is everything the engine knows about one kind of source, output, alert
 * sink, history store or built-in analysis, in one module: its name and documentation, the spec of
 * its options (which gives both the JSON Schema and the positioned parse), how to create it, how to
 * check its connection (`ts-engine check --connect`, the workbench's Connections panel), and what
 * an export needs. registry.ts lists them; validation, the schema, the runner, the summary, export
 * and the Connections panel read that list and nothing else.
 */
import type { Clock } from '../core/clock.js';
import type { StoreRef } from '../core/store.js';
import type { CassandraTestArgs } from '../connectors/cassandra/probe.js';
import type { InfluxTestArgs } from '../connectors/influx/probe.js';
import type { KafkaConnectionArgs } from '../connectors/kafka-admin.js';
import type { FieldType } from '../core/types.js';
import type { TimeUnit } from '../core/time.js';
import type { InputField } from '../core/types.js';
import type { SqliteStores } from '../connectors/sqlite-store.js';
import type { RowShape, StoredWindow } from '../core/window.js';
import type { Obj, Place, Spec } from '../options/spec.js';
import type { DiagnosticSink } from '../options/diagnostics.js';
import type { AlertSink, HistorySource, Sink, SinkContext, Source } from './types.js';
import type { UserAnalysis } from '../extensions/types.js';

/** A connection to test, as the Connections panel's forms hold it (the connectors' probe arguments). */
export type ConnectionTarget =
  | ({ kind: 'kafka'; sasl?: { mechanism: string; username: string; password: string }; topic?: string; consumerGroup?: string } & Omit<
      KafkaConnectionArgs,
      'sasl' | 'timeoutMs'
    >)
  | ({ kind: 'influx'; url: string; measurement?: string } & Omit<InfluxTestArgs, 'timeoutMs' | 'host' | 'port' | 'ssl'>)
  | ({ kind: 'cassandra' } & Omit<CassandraTestArgs, 'timeoutMs'>);

export interface HealthContext {
  /** time allowed for the whole check */
  timeoutMs: number;
  clock: Clock;
}

/** The outcome of a connection check: one line to show, plus warnings. */
export interface HealthReport {
  ok: boolean;
  /** what was checked: `kafka 127.0.0.1:9092`, `influx http://…` */
  target: string;
  /** ok: what was found (`3 brokers, topic sensors has 3 partitions`); failed: the one-line reason */
  detail: string;
  warnings: string[];
  elapsedMs: number;
}

/** What the reference format (docs/semantics.md#the-reference-format) makes of a component; other export targets add their own mapping beside it. */
export interface ReferenceMapping {
  /** the component has no reference equivalent: it is dropped, with this reason */
  unsupported?: string;
  /** option keys the reference does not read: dropped, each with the reason; `sameResults` when dropping it changes no result (delivery tuning) */
  dropKeys?: { key: string; why: string; sameResults?: boolean }[];
  /** what a person should know about the options as exported (`path`: where they sit) */
  notes?(options: Obj, path: string): string[];
}

export interface ExportHooks {
  reference?: ReferenceMapping;
}

interface Common<Name extends string, Parsed> {
  readonly name: Name;
  readonly doc: string;
  /** the component's options: JSON Schema and positioned parse from one spec */
  readonly options: Spec<Parsed>;
  /** one line for the run summary and the workbench (`sqlite store.db (points)`) */
  describe(o: Parsed): string;
  /** the connection to test, for components that talk to a server */
  connection?(o: Parsed): ConnectionTarget | undefined;
  /** checks that connection: reachable, credentials accepted, the topic or database there (`check --connect`) */
  healthcheck?(o: Parsed, ctx: HealthContext): Promise<HealthReport>;
  readonly export?: ExportHooks;
}

// ---- sources -----------------------------------------------------------------------------

/** What a source needs to know of the input section (event-time merging reads the time field). */
export interface InputShape {
  fields: InputField[];
  sep: string;
  timeField?: string;
  timeUnit: TimeUnit;
}

export interface SourceContext {
  input: InputShape;
  clock: Clock;
  warn(message: string): void;
  /** live sources: how long `next()` may wait before returning an empty batch so processing-time windows close on time */
  pollMs: number;
  /** true once the run is being stopped (a source waiting for its topic gives up) */
  stopping?(): boolean;
  /** live sources: a bounded read, ending at the end offsets of the moment the run starts (docs/live.md#until-end) */
  untilEnd?: boolean;
}

export interface SourceDescriptor<Name extends string = string, Parsed extends { type: Name } = { type: Name }> extends Common<Name, Parsed> {
  readonly kind: 'source';
  /** an unbounded input read in processing time unless time_field is set: needs batchDuration > 0, never paced */
  readonly live: boolean;
  create(o: Parsed, ctx: SourceContext): Promise<Source>;
  /** input.options keys the input section reads for this source (csv: rate) */
  readonly inputKeys?: readonly string[];
  /** where rows come from, for row-error positions of previews */
  position(o: Parsed): string;
  /** the file a preview reads its first rows from, when the source is a file */
  previewFile?(o: Parsed): string | undefined;
}

// ---- outputs -----------------------------------------------------------------------------

export interface OutputDescriptor<Name extends string = string, Parsed = unknown> extends Common<Name, Parsed> {
  readonly kind: 'output';
  create(o: Parsed, ctx: SinkContext): Promise<Sink>;
  /** an output marked "main" is the default history source (docs/semantics.md#main-output): the history config it stands for */
  asHistory?(o: Parsed): { method: string; [option: string]: unknown } | undefined;
  /** an embedded store (SQLite) that also keeps dead letters and alerts (docs/architecture.md#the-store) */
  store?(o: Parsed): StoreRef | undefined;
  /** a server store: the last `maxWindows` windows it holds, oldest first, for a project opened without an embedded store */
  readStored?(o: Parsed, shape: RowShape, maxWindows: number): Promise<{ windows: StoredWindow[]; truncated: boolean }>;
}

// ---- alert sinks -------------------------------------------------------------------------

export interface AlertContext {
  stdout: NodeJS.WritableStream;
  stores: SqliteStores;
  clock: Clock;
  warn(message: string): void;
}

export interface AlertParseContext {
  /** the store of the config (the main sqlite output, else the first one), if any */
  store: StoreRef | undefined;
  sink: DiagnosticSink;
  /** JSON path of the options object (`analysis.alert.option`) */
  optionsPath: string;
}

export interface AlertSinkDescriptor<Name extends string = string, Parsed = unknown> extends Common<Name, Parsed> {
  readonly kind: 'alert';
  /** keys beside "method" (stdout: format, timezone); the rest of the options live in "option"/"options" */
  readonly settings?: Spec<Obj>;
  /** fills in what depends on the rest of the config (a sqlite sink shares the store by default) */
  complete?(o: Parsed, ctx: AlertParseContext): Parsed | undefined;
  create(o: Parsed, ctx: AlertContext): Promise<AlertSink>;
}

// ---- history stores ----------------------------------------------------------------------

export interface HistoryContext {
  stores: SqliteStores;
  clock: Clock;
  warn(message: string): void;
}

export interface HistoryDescriptor<Name extends string = string, Parsed = unknown> extends Common<Name, Parsed> {
  readonly kind: 'history';
  /** the reference's spelling of the options key (`influx_options`); `options` is accepted too */
  readonly optionsKey: string;
  create(o: Parsed, ctx: HistoryContext): Promise<HistorySource>;
  /** true when this history reads what `output` writes (then recent windows are answered from memory) */
  readsOutput(o: Parsed, output: { method: string } & Obj): boolean;
}

// ---- built-in analyses -------------------------------------------------------------------

export interface AnalysisCheckContext {
  sink: DiagnosticSink;
  /** JSON path of the rule's options (`analysis.rule[0].options`) */
  optionsPath: string;
  /** aggregated (non-key) columns and key columns of the plan */
  columns: ReadonlySet<string>;
  keys: ReadonlySet<string>;
  columnTypes: ReadonlyMap<string, FieldType>;
}

export interface AnalysisDescriptor<Name extends string = string, Parsed = unknown> {
  readonly kind: 'analysis';
  readonly name: Name;
  readonly doc: string;
  /** the options of a rule using it: JSON Schema and parse (columns are checked in `check`) */
  readonly options: Spec<Parsed>;
  /** checks the options against the compiled plan (column names); reports through ctx.sink */
  check(raw: unknown, ctx: AnalysisCheckContext): void;
  create(options: unknown, name: string): UserAnalysis;
  /** how far back before the window end it reads, in ms (runs keep that much in memory) */
  lookbackMs(options: unknown, batchMs: number): number;
}

/** Where an option sits, for messages of hand-written checks. */
export type { Place };
