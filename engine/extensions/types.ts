/** The extension contract for user JS/TS modules (docs/semantics.md#user-code). */
import type { FieldType, Value } from '../core/types.js';

export interface TransformFunction {
  name: string;
  arity: number;
  params?: (FieldType | 'numeric' | 'any')[];
  returns?: FieldType | 'promote' | 'arg0';
  resultType?(argTypes: FieldType[]): FieldType;
  apply(...args: Value[]): Value;
  doc?: string;
}

export interface AggregateFunction {
  name: string;
  accepts: FieldType[];
  resultType?(input: FieldType): FieldType;
  combine(a: Value, b: Value): Value;
  doc?: string;
}

/** A history point: column values plus `key` (and `time` in epoch ns for stored points). */
export type HistoryPoint = { [field: string]: Value | Value[] | null };

export interface HistoryAccessor {
  current(): HistoryPoint & { key: Value[] | null };
  /** n ≥ 1: the stored point n windows back for the same key, or {} */
  get(n: number): Promise<HistoryPoint>;
}

export interface AlertMessage {
  module: string;
  timestamp: number;
  param: { key: Value[] | null; field: string; lower_bound: number; upper_bound: number; value: Value };
}

export interface AlertSender {
  /** a deviation: the value is outside the bounds */
  send(message: AlertMessage): Promise<void>;
  /**
   * An evaluation that did not deviate, with the value and the bounds it was checked against
   * (docs/alerts.md#observe). Optional for a module to call: the alert lifecycle uses it for the
   * recovery band, and a field a module neither sends nor observes counts as back to normal.
   */
  observe(message: AlertMessage): Promise<void>;
}

export interface UserAnalysis {
  analysis(history: HistoryAccessor, alerts: AlertSender): void | Promise<void>;
}

export type AnalysisClass = new (options: unknown, name: string) => UserAnalysis;

export interface ExtensionModule {
  transformFunctions?: TransformFunction[];
  aggregateFunctions?: AggregateFunction[];
  analyses?: Record<string, AnalysisClass>;
}
