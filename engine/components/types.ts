/**
 * The ports every component implements: a source hands the runner batches of lines, an output
 * (sink) writes closed windows, an alert sink delivers alerts, a history store answers analysis
 * lookups. Pull-based and awaited, so a slow output pauses the input (back-pressure) instead of
 * buffering. Descriptors (descriptor.ts) say how each one is configured and created.
 */
import type { Clock } from '../core/clock.js';
import type { ConnectionStatus } from '../core/connection.js';
import type { DeadLetter, FieldType, SourcePosition, Value } from '../core/types.js';
import type { ClosedWindow, RowShape } from '../core/window.js';
import type { SqliteStores } from '../connectors/sqlite-store.js';

// ---- sources -----------------------------------------------------------------------

/**
 * A batch of input lines, either as strings (`lines`) or as byte ranges of one
 * buffer (`buf`, `starts`, `ends`: the CSV replay path never builds a string
 * per line). The batch is only valid until the next `next()` call.
 */
export interface LineBatch {
  count: number;
  lines?: string[];
  buf?: Uint8Array;
  starts?: Int32Array;
  ends?: Int32Array;
  /** the text of line i (dead letters, string parsing) */
  text(i: number): string;
  /** a copy of the exact bytes of line i, when the source reads bytes (dead letters keep them) */
  bytes?(i: number): Uint8Array;
  /** where line i came from (dead letters, error messages) */
  position(i: number): SourcePosition;
  /** committable sources: the partition of every line of the batch (`partitions` per line when they differ), and each line's offset */
  partition?: number;
  partitions?: Int32Array;
  offsets?: string[];
  /** lines read from a file: the bytes [start, end) of `path`, the first of them on line `firstLine` */
  fileRange?: { path: string; start: number; end: number; firstLine: number };
}

export function stringBatch(lines: string[], position: (i: number) => SourcePosition, extra: Partial<LineBatch> = {}): LineBatch {
  return { count: lines.length, lines, text: (i) => lines[i]!, position, ...extra };
}

export interface Source {
  readonly description: string;
  /** true when the source needs `commit` after outputs confirmed (Kafka) */
  readonly committable: boolean;
  open(): Promise<void>;
  /** next batch, or null at the end of a finite input; live sources wait for data (and return empty batches to let time advance) */
  next(): Promise<LineBatch | null>;
  /** fraction read, when the total is known */
  progress(): number | null;
  /**
   * commit positions that every output has confirmed: partition → next offset to read; under
   * event time with the watermark of that moment, which a restarted run resumes from
   */
  commit?(safe: Map<number, string>, meta?: { watermarkMs?: number }): Promise<void>;
  /** after open(): the event-time watermark stored with the last commit, if any */
  resumeWatermarkMs?(): number | undefined;
  /** stop fetching without losing position (workbench pause, back-pressure) */
  pause?(): void;
  resume?(): void;
  close(): Promise<void>;
  status?(): ConnectionStatus;
}

// ---- outputs -----------------------------------------------------------------------

export interface Sink {
  readonly description: string;
  open(): Promise<void>;
  /** Resolves once the window is durably written (offsets are committed only after every sink confirmed). */
  write(window: ClosedWindow): Promise<void>;
  close(): Promise<void>;
  status?(): ConnectionStatus;
}

export interface SinkContext {
  shape: RowShape;
  /** the operation: reduce has no key */
  keyed: boolean;
  /** where text outputs go (process.stdout by default) */
  stdout: NodeJS.WritableStream;
  /** shared SQLite handles of this pipeline */
  stores: SqliteStores;
  warn(message: string): void;
  /** true once the run is being stopped: a sink retrying a dead server gives up instead of holding up the stop */
  stopping?(): boolean;
  /** time of the run (retry waits, timestamps); the system clock when absent */
  clock?: Clock;
  /** an aggregate row this output cannot store (docs/semantics.md#row-errors): counted and dead-lettered like a bad input row */
  rowFailed?(d: DeadLetter): void;
}

// ---- alerts ------------------------------------------------------------------------

/**
 * What an alert event says of its episode (docs/alerts.md#states): `firing` (it fired, or, with
 * notify "every", still fires), `resolved` (the episode ended), `nodata` (a no-data episode began,
 * or still goes on).
 */
export type AlertState = 'firing' | 'resolved' | 'nodata';

export interface Alert {
  module: string;
  /** window end, epoch ms (docs/semantics.md#one-timestamp-per-window) */
  timeMs: number;
  key: Value[] | null;
  keyFields: string[];
  keyTypes: FieldType[];
  field: string;
  /** null when there is no value (a no-data alert, an episode resolved by a missing key) */
  value: Value;
  valueType: FieldType | undefined;
  /** the bounds of this evaluation (a no-data alert: those of the last one) */
  lowerBound: number;
  upperBound: number;
  /** the rule's name in the config */
  rule: string;
  state: AlertState;
  /** rule + key + field + the window that opened the episode, hashed (docs/alerts.md#alert-id) */
  alertId: string;
  /** window end of the window that opened the episode, epoch ms */
  episodeStartMs: number;
  /** a deviation episode or a no-data one */
  episodeKind: 'deviation' | 'nodata';
  /**
   * false for a rule without lifecycle options: one alert per deviating record, and the sinks
   * keep the reference formats exactly (docs/alerts.md#without-lifecycle)
   */
  lifecycle: boolean;
  /** the value of the episode furthest outside its bounds so far, and the window end it was seen at */
  peakValue: Value;
  peakTimeMs: number | null;
}

export interface AlertSink {
  readonly description: string;
  /** what a failure and the summary name: the sink and its server (`kafka topic alerts @ 127.0.0.1:9092`) */
  readonly target: string;
  open(): Promise<void>;
  /**
   * Delivers the alerts of one window, in order. Resolves once every one of them is durably
   * delivered; rejects when one was not, and is then called again with the same alerts (so a
   * sink writes idempotently or carries the alert ids for consumers to drop duplicates).
   */
  deliver(alerts: readonly Alert[]): Promise<void>;
  /** false when trying again cannot help (a message too large, a topic not authorised); every failure is worth retrying otherwise */
  retriable?(e: unknown): boolean;
  close(): Promise<void>;
  status?(): ConnectionStatus;
}

// ---- history -----------------------------------------------------------------------

export interface HistoryQuery {
  keyFields: string[];
  key: Value[] | null;
  targetMs: number;
  toleranceMs: number;
}

export interface HistorySource {
  readonly description: string;
  open(): Promise<void>;
  /** the stored point closest to targetMs within ± toleranceMs for this key, or undefined */
  lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined>;
  /**
   * A source held in memory may answer at once with the complete point (its `key` included, frozen:
   * callers share it), which spares a backtest two promises and a copy per lookup (docs/backtest.md#speed).
   */
  pointNow?(q: HistoryQuery): Readonly<Record<string, Value | Value[] | null>> | undefined;
  /**
   * A source that holds some points in memory (the run's recent windows) may give one at once when
   * it is surely the answer, complete and frozen as from pointNow; undefined means only lookup() can tell.
   * Both read `q` during the call only: a caller may reuse it for its next question.
   */
  knownNow?(q: HistoryQuery): Readonly<Record<string, Value | Value[] | null>> | undefined;
  /**
   * Every window the analysis is given was observed here before it, and a lookup at exactly such a window's end, for a
   * key that window holds, answers that window's row (as storedPointMaker makes it): the sandbox may then answer such
   * lookups of user modules from the windows it was given (docs/sandbox.md#analyses).
   */
  readonly answersAnalysedWindows?: boolean;
  /** What lookup() resolves to, given at once by a source that reads synchronously (SQLite). */
  lookupNow?(q: HistoryQuery): Record<string, Value> | undefined;
  /**
   * When knownNow would give a point of the run's own windows: that aggregate row's accumulators instead, in the
   * output's value order, as they were before stored (booleans as booleans). Read by index, they cost nothing per
   * lookup: a point's fields read by name come out as newly allocated numbers (engine/analysis/immediate.ts).
   */
  rowNow?(q: HistoryQuery): readonly Value[] | undefined;
  close(): Promise<void>;
}
