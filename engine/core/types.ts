/**
 * Core value model.
 *
 * A value's run-time kind is fully determined by the static type of its column
 * (docs/semantics.md#declared-types), so values are plain JS primitives and the column type
 * carries the integer-vs-double distinction that Python output needs:
 *   integer kinds (Byte/Short/Integer/Long) → `number` when safe, `bigint` beyond ±2^53 (docs/semantics.md#exact-integers)
 *   Float/Double → `number`;  Boolean → `boolean`;  String → `string`.
 */
export type FieldType = 'BooleanType' | 'ByteType' | 'ShortType' | 'IntegerType' | 'LongType' | 'FloatType' | 'DoubleType' | 'StringType';

export type Value = number | bigint | boolean | string | null;

/** Numeric promotion order, narrowest first (docs/semantics.md#promotion). */
export const PROMOTION_ORDER: readonly FieldType[] = ['BooleanType', 'ByteType', 'ShortType', 'IntegerType', 'LongType', 'FloatType', 'DoubleType'];

export const ALL_TYPES: readonly FieldType[] = [...PROMOTION_ORDER, 'StringType'];

/** Types the row parser can convert (docs/semantics.md#data-structure). */
export const PARSEABLE_TYPES: readonly FieldType[] = ['StringType', 'IntegerType', 'LongType', 'FloatType', 'DoubleType', 'BooleanType'];

export function isIntegerType(t: FieldType): boolean {
  return t === 'ByteType' || t === 'ShortType' || t === 'IntegerType' || t === 'LongType';
}
export function isFloatingType(t: FieldType): boolean {
  return t === 'FloatType' || t === 'DoubleType';
}
export function isNumericType(t: FieldType): boolean {
  return isIntegerType(t) || isFloatingType(t);
}
/** Numeric or boolean: the types that take part in promotion. */
export function isPromotable(t: FieldType): boolean {
  return t !== 'StringType';
}

export interface Column {
  name: string;
  type: FieldType;
}

/** A field of the data-structure file. */
export interface InputField extends Column {
  /** zero-based column position in the separated line */
  index: number;
}

/** Where a row came from, for dead letters and error messages. */
export interface SourcePosition {
  /** file path, "-" for stdin, or "topic/partition" */
  source: string;
  /** 1-based line number for files */
  line?: number;
  partition?: number;
  offset?: string;
}

/** A row error as it is kept (docs/semantics.md#row-errors): where, why, and the row itself. */
export interface DeadLetter {
  position: SourcePosition;
  reason: string;
  message: string;
  /** the row as text (invalid UTF-8 shows as U+FFFD): for people */
  raw: string;
  /** the row's exact bytes when they are not valid UTF-8: what the stores keep */
  rawBytes?: Uint8Array;
}
