/**
 * The engine's public facade: what the CLI, the workbench's API handlers and
 * tests use. Everything returned here is plain data (see facade-types.ts).
 */
import fs from 'node:fs';
import { keyCells, toCell } from './facade/cells.js';
import type { Value } from './core/types.js';
import type { CheckResult, PipelineSummary, PreviewResult, RowErrorEvent, WindowResult, AlertEvent } from './facade-types.js';
import { checkConfig, nodeIO, type CheckOptions, type PipelinePlan } from './pipeline/plan.js';
import type { LoadedExtensions } from './extensions/load.js';
import { previewInSandbox } from './sandbox/remote-processor.js';
import type { ConfigIO } from './config/validate.js';
import { Processor, timeModeOf } from './pipeline/processor.js';
import type { ClosedWindow } from './core/window.js';
import { sortedGroups } from './components/outputs/format.js';
import { BUILTINS } from './expr/functions.js';
import { outputDescriptor, sourceDescriptor } from './components/registry.js';
import { BUILTIN_AGGREGATES } from './aggregate/functions.js';
import type { Alert } from './components/types.js';
import type { DeadLetter } from './pipeline/dead-letters.js';

export * from './facade-types.js';
export type { Diagnostic } from './core/errors.js';
export { formatDiagnostic } from './core/errors.js';
export { configJsonSchema, dataStructureJsonSchema } from './config/schema.js';
export { inferStructure, structureFileText, type InferredStructure, type InferredField } from './config/infer-structure.js';
export { checkConfig, nodeIO, type CheckOptions, type PipelinePlan } from './pipeline/plan.js';
export type { ConfigIO } from './config/validate.js';
export type { PipelineConfig } from './config/model.js';
export { Runner, type RunStats, type RunnerOptions } from './pipeline/runner.js';
export type { ClosedWindow } from './core/window.js';
export type { Alert } from './components/types.js';
export type { DeadLetter } from './pipeline/dead-letters.js';
export { VirtualClock, systemClock, type Clock } from './core/clock.js';
export { isLive, storeOf } from './pipeline/assembly.js';
export { exportProject, type ExportedProject } from './export/reference.js';
export { checkForExport, EXPORT_TARGETS, isExportTarget, planExport, type ExportTargetInfo, type ExportTargetName } from './export/targets.js';
export { formatChange, refusalOf, type ExportChange, type Refusal } from './export/change.js';
export { verifyFlinkExport, type VerifyResult } from './export/verify.js';
export { readHistory, alertsTableOf } from './facade/history.js';
export { alertEpisodes, EpisodeTracker } from './facade/episodes.js';
export { storedAlertsPage, storedEpisodesPage, storedRowErrorsPage, storedWindowsPage, MAX_PAGE_ROWS } from './facade/store-pages.js';
export {
  ChartSummary,
  chartKeyLabel,
  type ChartColumnView,
  type ChartKeyStat,
  type ChartView,
  type KeyRanking,
  type KeySelection,
} from './facade/chart-summary.js';
export { readChartRange, summarizeStore, type ChartRangeQuery } from './facade/chart-store.js';
export { runBacktest, type BacktestRunOptions } from './facade/backtest.js';
export { runDiff } from './facade/diff.js';
export { runConfigTests } from './facade/config-tests.js';
export { testsFileJsonSchema, testsFileOf } from './evaluate/config-tests.js';
export { checkConnections, connectionDefaults, type ConnectionCheck } from './facade/connections.js';
export type { HealthReport } from './components/descriptor.js';
export { kafkaProblem, listTopics, testKafka } from './connectors/kafka-admin.js';
export type { KafkaConnectionArgs, KafkaPartitionInfo, KafkaTestResult, KafkaTopicInfo, KafkaTopicList } from './connectors/kafka-admin.js';
export { MAX_PER_SECOND, Tails, tailMessage, type TailEmit, type TailInfo, type TailMessage, type TailStartArgs } from './connectors/kafka-tail.js';
export { testInflux, type InfluxTestArgs, type InfluxTestResult } from './connectors/influx/probe.js';
export { listKeyspaces, testCassandra } from './connectors/cassandra/probe.js';
export type {
  CassandraConnectionArgs,
  CassandraHostInfo,
  CassandraKeyspaceInfo,
  CassandraKeyspaceList,
  CassandraTestArgs,
  CassandraTestResult,
} from './connectors/cassandra/probe.js';

export { toCell } from './facade/cells.js';

export function summarize(plan: PipelinePlan): PipelineSummary {
  const cfg = plan.config;
  return {
    inputFields: cfg.input.fields.map((f) => ({ name: f.name, type: f.type, index: f.index })),
    transformed: plan.transform.columns.map((c) => ({ name: c.name, type: c.type })),
    operation: plan.aggregation.operation,
    keyFields: plan.aggregation.keys.map((k) => k.name),
    aggregated: plan.aggregation.values.map((v) => ({ name: v.name, type: v.type, fn: v.fn.name })),
    batchDurationSec: cfg.input.batchDurationSec,
    timeMode: (() => {
      const m = timeModeOf(plan);
      return m === 'whole' ? 'whole-file' : m;
    })(),
    outputs: cfg.outputs.map((o) => ({ method: o.method, main: o.main, description: outputDescriptor(o.method)!.describe(o) })),
    analyses: cfg.analysis?.rules.map((r) => ({ module: r.module, name: r.name })) ?? [],
  };
}

/**
 * `ts-engine check` as data: diagnostics for editor markers, and a summary for
 * completion. `options.userModules: 'skip'` for a folder the user has not
 * trusted (nothing of it runs, docs/sandbox.md).
 */
export async function check(
  configPath: string,
  configText?: string,
  io: ConfigIO = nodeIO,
  options: CheckOptions = {},
): Promise<CheckResult & { plan?: PipelinePlan; extensions?: LoadedExtensions }> {
  const outcome = await checkConfig(configPath, configText, io, options);
  const ok = !outcome.diagnostics.some((d) => d.severity === 'error');
  return {
    ok,
    diagnostics: outcome.diagnostics,
    summary: outcome.plan ? summarize(outcome.plan) : undefined,
    plan: outcome.plan,
    extensions: outcome.extensions,
  };
}

export function toWindowResult(w: ClosedWindow, plan: PipelinePlan): WindowResult {
  const keys = plan.aggregation.keys.map((k) => k.name);
  const names = plan.aggregation.values.map((v) => v.name);
  return {
    windowStart: w.startMs,
    windowEnd: w.endMs,
    rows: sortedGroups(w.groups).map((g) => ({
      key: keyCells(g.key, keys),
      values: Object.fromEntries(names.map((n, i) => [n, toCell(g.acc[i]!)])),
    })),
  };
}

export function toAlertEvent(a: Alert): AlertEvent {
  return {
    module: a.module,
    time: a.timeMs,
    key: a.key === null ? null : a.key.map(toCell),
    keyFields: a.keyFields,
    field: a.field,
    value: toCell(a.value),
    lowerBound: a.lowerBound,
    upperBound: a.upperBound,
    rule: a.rule,
    state: a.state,
    alertId: a.alertId,
    episodeStart: a.episodeStartMs,
    episodeKind: a.episodeKind,
    lifecycle: a.lifecycle,
    peakValue: toCell(a.peakValue),
    peakTime: a.peakTimeMs,
  };
}

export function toRowErrorEvent(d: DeadLetter): RowErrorEvent {
  return { ...d.position, reason: d.reason, message: d.message, raw: d.raw };
}

/** First `maxRows` non-empty lines of a file (header skipped when asked), read without loading the whole file. */
export function readHeadLines(file: string, maxRows: number, header = false): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    let text = '';
    const lines: string[] = [];
    let pos = 0;
    let skipped = !header;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      pos += n;
      text += buf.toString('utf8', 0, n);
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0 || (n === 0 && text.length > 0)) {
        const end = nl >= 0 ? nl : text.length;
        const line = text.slice(0, end).replace(/\r$/, '');
        text = nl >= 0 ? text.slice(nl + 1) : '';
        if (!skipped) skipped = true;
        else if (line.length > 0) lines.push(line);
        if (lines.length >= maxRows) return lines;
      }
      if (n === 0) return lines;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Runs the first rows of the input through a compiled plan with every output
 * off (Arroyo/Vector playground style): transformed rows, windows, row errors.
 * A plan that calls user functions runs them in a sandbox (docs/sandbox.md).
 */
export async function preview(plan: PipelinePlan, opts: { lines?: string[]; maxRows?: number } = {}): Promise<PreviewResult> {
  const started = performance.now();
  const maxRows = opts.maxRows ?? 1000;
  const input = plan.config.input;
  let lines = opts.lines;
  const source = sourceDescriptor(input.source.type)!;
  if (!lines) {
    const file = source.previewFile?.(input.source);
    lines = file !== undefined && fs.existsSync(file) ? readHeadLines(file, maxRows, 'header' in input.source && input.source.header) : [];
  }
  lines = lines.slice(0, maxRows);
  const mode = timeModeOf(plan) === 'event' ? 'event' : 'whole';
  const rowErrors: RowErrorEvent[] = [];
  const position = source.position(input.source);
  const failed = (i: number, f: { reason: string; message: string }) =>
    rowErrors.push({ source: position, line: i + 1, reason: f.reason, message: f.message, raw: lines[i]! });
  let kept: Value[][];
  let closed: ClosedWindow[];
  if (plan.untrusted === 'rows') throw new Error('this config calls user functions of a folder that is not trusted; trust the folder to preview it');
  if (plan.userCode?.rows) {
    const { view, windows } = await previewInSandbox(plan, lines, mode);
    for (const f of view.failures) failed(f.row, f);
    kept = view.kept ?? [];
    closed = windows;
  } else {
    const p = new Processor(plan, { keepRows: true, mode });
    for (let i = 0; i < lines.length; i++) if (!p.processRow(lines[i]!)) failed(i, p.lastFailure!);
    p.finish(0, 0);
    kept = p.keptRows!;
    closed = p.drain();
  }
  return {
    columns: plan.transform.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: kept.map((r) => r.map(toCell)),
    windows: closed.map((w) => toWindowResult(w, plan)),
    rowErrors,
    rowsRead: lines.length,
    elapsedMs: performance.now() - started,
  };
}

export interface FunctionInfo {
  name: string;
  arity: number;
  signature: string;
  doc: string;
}

/**
 * Built-in (and, given a plan or the extensions of a check, extension) functions
 * for completion and hover docs; an untrusted folder's come from parsing its modules.
 */
export function listFunctions(from?: PipelinePlan | LoadedExtensions): {
  transform: FunctionInfo[];
  aggregate: { name: string; doc: string; accepts: readonly string[] }[];
} {
  const ext = from === undefined ? undefined : 'extensions' in from ? from.extensions : from;
  const transform = [...(ext ? ext.functions.values() : BUILTINS)]
    .filter((f) => f.name !== '_')
    .map((f) => ({ name: f.name, arity: f.arity, signature: f.signature, doc: f.doc }));
  const aggregate = [...(ext ? ext.aggregates.values() : BUILTIN_AGGREGATES)].map((a) => ({ name: a.name, doc: a.doc, accepts: a.accepts }));
  return { transform, aggregate };
}
