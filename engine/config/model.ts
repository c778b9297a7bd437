/** The validated, normalised config that the rest of the engine consumes. */
import type { InputField } from '../types.js';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

export interface CsvInputConfig {
  type: 'csv';
  /** absolute path, or "-" for standard input */
  path: string;
  header: boolean;
}

export interface KafkaInputConfig {
  type: 'kafka';
  brokers: string[];
  topic: string;
  consumerGroup: string;
  fromBeginning: boolean;
  clientId: string;
  ssl?: boolean | Record<string, unknown>;
  sasl?: { mechanism: string; username: string; password: string };
}

export interface InputConfig {
  source: CsvInputConfig | KafkaInputConfig;
  dataStructurePath: string;
  /** data-structure fields in index order (stable for equal indexes) */
  fields: InputField[];
  sep: string;
  /** window length in seconds; 0 = one window for the whole input (csv only) */
  batchDurationSec: number;
  timeField?: string;
  timeUnit: TimeUnit;
  allowedLatenessSec: number;
  /** csv pacing in rows per second (processing time) */
  rate?: number;
  /** event-time replay speed: 0 = as fast as possible */
  speed: number;
  maxErrorRate?: number;
  /** every key of input.options, for config('input.options.x') and exports */
  rawOptions: Record<string, unknown>;
}

export interface InfluxConnection {
  /** v1 form (reference options) or v2 form (url + token + org + bucket) */
  kind: 'v1' | 'v2';
  url: string;
  username?: string;
  password?: string;
  database?: string;
  token?: string;
  org?: string;
  bucket?: string;
  measurement: string;
  retentionPolicy?: string;
}

export type OutputConfig =
  | { method: 'stdout'; main: boolean; format: 'reference' | 'jsonl'; index: number }
  | { method: 'sqlite'; main: boolean; path: string; table: string; index: number }
  | {
      method: 'influx';
      main: boolean;
      connection: InfluxConnection;
      batchSize: number;
      maxRetries: number;
      index: number;
    };

export type HistoryConfig = { method: 'sqlite'; path: string; table: string } | { method: 'influx'; connection: InfluxConnection };

export type AlertSinkConfig =
  | { method: 'stdout'; format: 'reference' | 'jsonl'; timezone: 'utc' | 'local' }
  | { method: 'sqlite'; path: string; table: string }
  | {
      method: 'kafka';
      brokers: string[];
      topic: string;
      clientId: string;
      ssl?: boolean | Record<string, unknown>;
      sasl?: { mechanism: string; username: string; password: string };
    };

export interface AnalysisRuleConfig {
  /** built-in name (SimpleAnalysis, AverageAnalysis, Analysis for time_delta) or a resolved module path */
  module: string;
  builtin: boolean;
  /** the class to take from a user module (defaults to the file's base name) */
  exportName?: string;
  name: string;
  options: Record<string, unknown>;
  index: number;
  /** a Python twin of a module-path analysis (absolute path, optional #Class), for the Flink export */
  python?: string;
}

export interface AnalysisConfig {
  history: HistoryConfig;
  alerts: AlertSinkConfig[];
  accuracySec: number;
  rules: AnalysisRuleConfig[];
  timeoutMs: number;
}

export interface PipelineConfig {
  configPath: string;
  configDir: string;
  /** the config text that was validated (workers recompile from it) */
  text: string;
  raw: Record<string, unknown>;
  input: InputConfig;
  outputs: OutputConfig[];
  transformation: string[];
  operation: 'reduce' | 'reduceByKey';
  rules: string[];
  onError: 'skip' | 'fail';
  databases: Record<string, string>;
  analysis?: AnalysisConfig;
  extensions: string[];
  /** Python twin of each extension module (absolute path), for the Flink export; parallel to `extensions` */
  extensionTwins: (string | undefined)[];
  /** dead-letter JSONL file (CLI --dead-letter) when no SQLite store exists */
  deadLetterPath?: string;
}
