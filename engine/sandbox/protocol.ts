/** Messages between the engine and its sandbox process (docs/sandbox.md). */
import type { Column, FieldType, InputField, Value } from '../core/types.js';
import type { TimeUnit } from '../core/time.js';
import type { FlatWindowData } from '../core/flat-window.js';
import type { TimeMode } from '../pipeline/processor.js';

/** The global a module bundle assigns its exports to (see bundle.ts). */
export const BUNDLE_GLOBAL = '__tsEngineModuleExports';

export interface SandboxLimits {
  /** per row (all user calls of one row together), per analysis call */
  timeoutMs: number;
  /** module load, metadata, analysis constructors */
  startupTimeoutMs: number;
  /** resident memory of the sandbox process, heap and buffers together */
  memoryMb: number;
  /** how long a segment runs before it returns between two rows (tests make it short) */
  sliceMs?: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { timeoutMs: 1000, startupTimeoutMs: 5000, memoryMb: 512 };

export interface ModuleBundle {
  /** absolute path, for messages */
  file: string;
  /** one script (IIFE) that assigns the module's exports to globalThis[BUNDLE_GLOBAL] */
  code: string;
}

/** A user function the generated code calls as x[i]: the i-th entry of a module's transformFunctions / aggregateFunctions. */
export interface ImplRef {
  module: number;
  index: number;
  name: string;
  arity: number;
}

/** What the sandbox needs to build the same Processor the engine would (engine/pipeline/processor.ts). */
export interface SandboxProcessorSpec {
  input: {
    fields: InputField[];
    sep: string;
    batchDurationSec: number;
    allowedLatenessSec: number;
    timeUnit: TimeUnit;
    timeField?: string;
    rate?: number;
    sourceType: 'csv' | 'kafka';
  };
  parseSlots: number[];
  timeSlot?: number;
  columns: Column[];
  transformSource: string;
  transformConsts: unknown[];
  groupsSource: string;
  nKeys: number;
  nValues: number;
  transformImpls: ImplRef[];
  aggregateImpls: ImplRef[];
  options: { initialWatermarkMs?: number; keepRows?: boolean; mode?: TimeMode };
}

export interface AnalysisModuleSpec {
  ruleIndex: number;
  /** whether the rule reads evaluations within bounds (alerts.observe); a rule without lifecycle reads deviations only */
  observations: boolean;
  /** index into the loaded bundles */
  module: number;
  from: 'export' | 'analyses';
  exportName: string;
  name: string;
  options: unknown;
}

/** What the sandbox needs to know of the aggregate rows analysed, and of the history behind them. */
export interface AnalysisRowShape {
  valueNames: string[];
  keyFields: string[];
  batchMs: number;
  /** the history source answers a lookup at exactly an analysed window's end from that window (HistorySource.answersAnalysedWindows) */
  remember: boolean;
}

/** What became of one analysis call, sent only for calls that alerted or failed. */
export interface AnalysisOutcome {
  call: number;
  alerts: AlertEventMessage[];
  error?: { kind: FailureKind; message: string };
}

export type AlertEventMessage = { module: string; timestamp: number; param: Record<string, unknown>; observed?: boolean };

export interface AnalysisWindowResult {
  /** calls before this are done (all of them) */
  next: number;
  /** history lookups the sandbox answered itself */
  localLookups: number;
  /** the last slice's outcomes (those before came as progress events) */
  outcomes: AnalysisOutcome[];
}

export type SegmentRows =
  | { buf: Uint8Array; starts: Int32Array; ends: Int32Array }
  | { lines: string[] }
  /** rows the sandbox reads from a file itself (a CSV replay): saves sending the bytes */
  | { file: { path: string; start: number; end: number; firstLine: number }; count: number };

export interface SegmentWant {
  /** window start of every row (committable sources track offsets per window) */
  windowStarts?: boolean;
  /** largest event time after every row (event-time pacing) */
  eventTimes?: boolean;
}

export interface ProcessorCounters {
  rowsOk: number;
  failed: number;
  lateRows: number;
  watermarkMs: number;
  maxEventMs: number;
  lastWindowStart: number;
}

export interface ClosedAfter {
  /** index (in the segment) of the row whose processing closed the window; -1 before the first row */
  after: number;
  window: FlatWindowData;
}

export interface SegmentResult {
  /** rows done from the start of the segment (fewer than sent only after a stop) */
  processed: number;
  /** rows read from a file come with their text and line */
  /** rows the sandbox read from the file itself carry their text and line (and their bytes when not UTF-8) */
  failures: { row: number; reason: string; message: string; raw?: string; rawBase64?: string; line?: number }[];
  windowStarts?: Float64Array;
  eventTimes?: Float64Array;
  closed: ClosedAfter[];
  kept?: Value[][];
  counters: ProcessorCounters;
  /** times the time limit cut the segment's loop short (each time, the interrupted row was retried or dead-lettered) */
  interruptions: number;
}

export interface WindowsResult {
  closed: ClosedAfter[];
  counters: ProcessorCounters;
}

/** Shape of a module as the realm sees it: plain data, validated by the engine (extensions/load.ts). */
export interface ModuleShape {
  transform: ({ problem: string } | RawTransform)[];
  transformError?: string;
  aggregate: ({ problem: string } | RawAggregate)[];
  aggregateError?: string;
  /** own exports → is it an analysis class */
  exports: Record<string, boolean>;
  /** entries of an `analyses` export → is it an analysis class */
  analyses: Record<string, boolean>;
}

export interface RawTransform {
  name?: string;
  arity?: number;
  params?: string[] | 'invalid';
  returns?: string;
  doc?: string;
  hasResultType: boolean;
  hasApply: boolean;
}

export interface RawAggregate {
  name?: string;
  accepts?: string[];
  doc?: string;
  hasCombine: boolean;
  resultTypes?: Record<string, { type: string } | { error: string }>;
}

export type LoadResult = { modules: ({ shape: ModuleShape } | { error: string })[] };

export type Request =
  | { op: 'load'; bundles: ModuleBundle[]; files: Record<string, string> }
  | { op: 'resultType'; module: number; index: number; types: FieldType[] }
  | { op: 'processor.open'; spec: SandboxProcessorSpec }
  | { op: 'segment'; rows: SegmentRows; now: number; want: SegmentWant }
  | { op: 'startAt'; now: number }
  | { op: 'advanceTo'; now: number }
  | { op: 'finish'; runStartMs: number; nowMs: number }
  | { op: 'analysis.open'; modules: AnalysisModuleSpec[]; rows: AnalysisRowShape }
  /**
   * Runs every module on every row of each window, in order (docs/sandbox.md#analyses): calls are numbered across the
   * windows, each window's row × modules + module, and run from `from`. `windows` is tagged JSON of their rows
   * ({@link AnalysisWindow}[]). Progress comes as `analysis.progress` events; the answer is
   * {@link AnalysisWindowResult}. `oneCall`: progress after every call.
   */
  | { op: 'analysis.windows'; windows: string; from: number; oneCall: boolean }
  | { op: 'history-result'; request: number; value: Record<string, unknown> }
  /** the points a history-many event asked for, in its order: null where the lookup failed */
  | { op: 'history-many-result'; request: number; values: (Record<string, unknown> | null)[] }
  /**
   * The engine holds a history request until it analyses the request's window (the sandbox runs ahead of it), so that
   * the store is as it would be then: the time until the answer does not count against the call's limit.
   */
  | { op: 'history-held'; request: number }
  /** the run stops: no answer; the segment running ends at its next slice, queued ones at once */
  | { op: 'stop' };

/** Why a request failed: user code ran out of time, user code failed, or anything else. */
export type FailureKind = 'timeout' | 'user' | 'internal';

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; kind: FailureKind; message: string };

export type SandboxEvent =
  | { event: 'history'; call: number; request: number; n: number }
  /** history[n] of several rows at once, before their calls run: `wants` is [row, n, row, n, …], rows of the window of `call` */
  | { event: 'history-many'; call: number; request: number; wants: number[] }
  /** calls before `next` are done; the outcomes of those that alerted or failed */
  | { event: 'analysis.progress'; next: number; outcomes: AnalysisOutcome[]; localLookups: number };
