/**
 * The validated, normalised config that the rest of the engine consumes. The shapes of sources,
 * outputs, alert sinks and history stores come from their descriptors (components/registry.ts).
 */
import type { AlertSinkConfig, HistoryConfig, OutputConfig, SourceConfig } from '../components/registry.js';
import type { TimeUnit } from '../core/time.js';
import type { InputField } from '../core/types.js';
import type { LifecycleOptions } from '../components/analyses/lifecycle-options.js';

export type { AlertSinkConfig, HistoryConfig, OutputConfig, SourceConfig };

export interface InputConfig {
  source: SourceConfig;
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
  /** the alert lifecycle (docs/alerts.md); absent: one alert per deviating record, as the reference */
  lifecycle?: LifecycleOptions;
}

export interface AnalysisConfig {
  history: HistoryConfig;
  alerts: AlertSinkConfig[];
  accuracySec: number;
  rules: AnalysisRuleConfig[];
  timeoutMs: number;
  /** SQLite file keeping the alert lifecycle state of live runs (docs/alerts.md#restart); default: the store */
  statePath?: string;
}

/** Limits and grants of the sandbox user code runs in (docs/sandbox.md). */
export interface SandboxConfig {
  /** per row of transformation/aggregate calls, per analysis call (analysis.timeout_ms overrides it for analyses) */
  timeoutMs: number;
  /** module load, metadata and analysis constructors */
  startupTimeoutMs: number;
  /** resident memory of the sandbox process */
  memoryMb: number;
  /** project files user code may read with tsEngine.readFile(name): name as written in the config, absolute path */
  files: { name: string; path: string }[];
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
  sandbox: SandboxConfig;
  /** Python twin of each extension module (absolute path), for the Flink export; parallel to `extensions` */
  extensionTwins: (string | undefined)[];
  /** dead-letter JSONL file (CLI --dead-letter) when no SQLite store exists */
  deadLetterPath?: string;
}

/** How validation reads the files a config names (the workbench passes unsaved editor buffers first). */
export interface ConfigIO {
  /** file contents, or an Error explaining why it cannot be read */
  readFile(absPath: string): string | Error;
  exists(absPath: string): boolean;
  /** the environment `${NAME}` placeholders are filled from (config/env-placeholders.ts); default: process.env */
  env?(name: string): string | undefined;
}
