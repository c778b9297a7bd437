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
