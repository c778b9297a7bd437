/** Alert sinks (10.6): one implementation per file (stdout, sqlite, kafka). */
import type { FieldType, Value } from '../types.js';

export interface Alert {
  module: string;
  /** window end, epoch ms (D-28) */
  timeMs: number;
  key: Value[] | null;
  keyFields: string[];
  keyTypes: FieldType[];
  field: string;
  value: Value;
  valueType: FieldType | undefined;
  lowerBound: number;
  upperBound: number;
}

export interface AlertSink {
  readonly description: string;
  open(): Promise<void>;
  send(alert: Alert): Promise<void>;
  close(): Promise<void>;
}
