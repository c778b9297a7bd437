/**
 * Error classes (docs/semantics.md#error-classes). Every error keeps the reference's class name as
 * `name` and its distinguishing phrase in `message`; location data (file, line,
 * column, JSON path, offset inside an expression) is carried separately so
 * callers can render `<file>:<line>:<col>: <ErrorClass>: <message>`.
 */
export type ErrorClass =
  | 'FieldNotExists'
  | 'OperationNotSupportedError'
  | 'IncorrectArgumentsAmountForOperationError'
  | 'IncorrectArgumentTypeForOperationError'
  | 'IncorrectExpression'
  | 'NotValidAggregationExpression'
  | 'InputError'
  | 'KafkaConnectError'
  | 'ExecutorError'
  | 'UnsupportedOutputFormat'
  | 'UnsupportedAnalysisFormat'
  | 'ImportError'
  | 'ConfigError'
  | 'RowError'
  | 'InfluxConnectError'
  | 'OutputError'
  | 'AlertDeliveryError';

export class EngineError extends Error {
  /** offset range inside the expression/rule string this error is about, if any */
  from?: number;
  to?: number;
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    span?: { from: number; to: number },
  ) {
    super(message);
    this.name = errorClass;
    if (span) {
      this.from = span.from;
      this.to = span.to;
    }
  }
}

/** A per-row failure (docs/semantics.md#row-errors): counted and dead-lettered, never fatal by itself. */
export class RowError extends Error {
  override name = 'RowError';
  constructor(
    /** short, stable reason used for counting (e.g. "bad LongType", "division by zero") */
    readonly reason: string,
    message: string,
    /** data-structure field the error is about, if any */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A validation problem with its place in the config files. */
export interface Diagnostic {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  /** 1-based end position (exclusive), for editor markers */
  endLine: number;
  endColumn: number;
  /** JSON path such as `processing.transformation[3]` */
  path: string;
  errorClass: ErrorClass;
  message: string;
  severity: 'error' | 'warning';
}

export function formatDiagnostic(d: Diagnostic): string {
  if (d.severity === 'warning') return `warning: ${d.file}:${d.line}:${d.column}: ${d.message}`;
  return `${d.file}:${d.line}:${d.column}: ${d.errorClass}: ${d.message}`;
}

/**
 * An error as one line for a person: `<ErrorClass>: <message>` for engine errors (the class names
 * of docs/semantics.md#error-classes), the message alone for other errors that already say where and why.
 */
export function errorText(e: unknown): string {
  if (e instanceof EngineError) return `${e.errorClass}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Gives an error from a component (a source, an output, a store) the component's name, so the one
 * line a user sees says where it happened: `sqlite data/x.db (table points): database is locked`.
 * Engine errors already name their place and are kept; the original stays the cause (--debug).
 */
export function withPlace(e: unknown, place: string, errorClass: ErrorClass): Error {
  if (e instanceof EngineError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (message.includes(place)) return e instanceof Error ? e : new Error(message);
  const placed = new EngineError(errorClass, `${place}: ${message}`);
  placed.cause = e;
  if (e instanceof Error && e.stack) placed.stack = `${placed.name}: ${placed.message}\n${e.stack}`;
  return placed;
}
