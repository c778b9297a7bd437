/**
 * Assembly of a run from its plan: the outputs, the dead-letter store, the analysis with its
 * history and alert sinks, and the source, each created through its descriptor
 * (components/registry.ts). What it opens it records in `into` at once, so a failure halfway
 * leaves the runner able to close what was opened.
 */
import type { Clock } from '../core/clock.js';
import { withPlace } from '../core/errors.js';
import type { DeadLetter } from '../core/types.js';
import { selectStore, type StoreRef } from '../core/store.js';
import type { SqliteStores } from '../connectors/sqlite-store.js';
import { alertSinkDescriptor, analysisDescriptor as analysisOf, historyDescriptor, outputDescriptor, sourceDescriptor } from '../components/registry.js';
import type { Alert, AlertSink, HistorySource, Sink, SinkContext, Source } from '../components/types.js';
import type { AnalysisConfig, OutputConfig, PipelineConfig } from '../config/model.js';
import { Analyzer } from '../analysis/analyzer.js';
import { AlertDelivery } from '../analysis/delivery.js';
import { LifecycleStateStore } from '../analysis/lifecycle-state.js';
import { RecentWindowsHistory } from '../analysis/history-recent.js';
import { rowShape } from '../components/outputs/format.js';
import { JsonlDeadLetters, SqliteDeadLetters, type DeadLetterStore } from './dead-letters.js';
import type { PipelinePlan } from './plan.js';

export interface AssemblyEnv {
  stores: SqliteStores;
  clock: Clock;
  stdout: NodeJS.WritableStream;
  warn(message: string): void;
  /** true once the run is being stopped */
  stopping(): boolean;
  runId: string;
  /** JSONL dead-letter file when the config has no store */
  deadLetterPath?: string;
  /** also keep alerts in the store's `alerts` table when no sqlite alert sink is configured (the workbench) */
  recordAlertsInStore?: boolean;
  onAlert(a: Alert): void;
  /** window length, ms */
  batchMs: number;
  /** an aggregate row an output cannot store: a row error like a bad input row */
  rowFailed(d: DeadLetter): void;
}

export interface Assembly {
  sinks: Sink[];
  deadLetters?: DeadLetterStore;
  analyzer?: Analyzer;
  /** recent windows of the output analysis reads history from */
  recent?: RecentWindowsHistory;
  /** a live run's alert lifecycle state, saved before each offsets' commit (docs/alerts.md#restart) */
  lifecycleState?: LifecycleStateStore;
}

/** The store of a config (docs/architecture.md#the-store): the main sqlite output, else the first one. */
export function storeOf(config: Pick<PipelineConfig, 'outputs'>): StoreRef | undefined {
  return selectStore(config.outputs, (o) => outputDescriptor(o.method)?.store?.(o));
}

/** Opens every output, the dead-letter store and the analysis, in config order. */
export async function openOutputs(plan: PipelinePlan, env: AssemblyEnv, into: Assembly): Promise<void> {
  const cfg = plan.config;
  const ctx: SinkContext = {
    shape: rowShape(plan.aggregation),
    keyed: plan.aggregation.operation === 'reduceByKey',
    stdout: env.stdout,
    stores: env.stores,
    warn: env.warn,
    stopping: env.stopping,
    clock: env.clock,
    rowFailed: env.rowFailed,
  };
  for (const out of cfg.outputs) {
    const sink = await outputDescriptor(out.method)!.create(out, ctx);
    try {
      await sink.open();
    } catch (e) {
      // one line naming the output (docs/bad-input.md)
      throw withPlace(e, sink.description, 'OutputError');
    }
    into.sinks.push(sink);
  }
  const store = storeOf(cfg);
  if (env.deadLetterPath) into.deadLetters = new JsonlDeadLetters(env.deadLetterPath);
  else if (store) into.deadLetters = new SqliteDeadLetters(env.stores, env.stores.acquire(store.path), store.path, env.runId, () => env.clock.now());
  await into.deadLetters?.open?.();
  if (cfg.analysis) await openAnalysis(plan, cfg.analysis, store, env, into);
}

async function openAnalysis(plan: PipelinePlan, analysis: AnalysisConfig, store: StoreRef | undefined, env: AssemblyEnv, into: Assembly): Promise<void> {
  const componentEnv = { stores: env.stores, clock: env.clock, warn: env.warn, stdout: env.stdout };
  const historyD = historyDescriptor(analysis.history.method)!;
  let history: HistorySource = await historyD.create(analysis.history, componentEnv);
  // history read from an output this run writes: the recent windows are answered from memory
  if (plan.config.outputs.some((o) => historyD.readsOutput(analysis.history, o as OutputConfig & Record<string, unknown>))) {
    into.recent = new RecentWindowsHistory(
      history,
      plan.aggregation.keys.map((k) => k.name),
      plan.aggregation.values.map((v) => v.name),
      Math.max(maxLookbackMs(analysis, env.batchMs), env.batchMs),
      env.batchMs,
    );
    history = into.recent;
  }
  const alertSinks: AlertSink[] = [];
  for (const a of analysis.alerts) alertSinks.push(await alertSinkDescriptor(a.method)!.create(a, componentEnv));
  if (env.recordAlertsInStore && store && !analysis.alerts.some((a) => a.method === 'sqlite')) {
    alertSinks.push(await alertSinkDescriptor('sqlite')!.create({ path: store.path, table: 'alerts' }, componentEnv));
  }
  const delivery = new AlertDelivery(alertSinks, { clock: env.clock, warn: env.warn, stopping: env.stopping });
  into.analyzer = new Analyzer(plan.aggregation, plan.userCode, analysis, history, delivery, env.batchMs, { warn: env.warn, onAlert: env.onAlert });
  await into.analyzer.open();
  // a live run goes on with the episodes its last commit saw; a replay starts from normal and, under
  // event time, gives the same events every time (docs/alerts.md#restart)
  const statePath = analysis.statePath ?? store?.path;
  if (into.analyzer.lifecycle.stateful && isLive(plan.config) && statePath !== undefined) {
    const source = plan.config.input.source;
    const scope = sourceDescriptor(source.type)!.describe(source as never);
    into.lifecycleState = new LifecycleStateStore(env.stores, statePath, scope, () => env.clock.now());
    const snap = await into.lifecycleState.open();
    if (snap) into.analyzer.lifecycle.restore(snap);
  }
}

/**
 * How far back (ms before a window's end) the configured analyses look. A user module may ask
 * for any index: `userModuleMs` stands for it (a generous default where a store answers the rest,
 * Infinity where nothing else holds history).
 */
export function maxLookbackMs(a: AnalysisConfig, batchMs: number, userModuleMs = 32 * batchMs): number {
  let ms = 0;
  for (const r of a.rules) {
    const d = r.builtin ? analysisOf(r.module) : undefined;
    ms = Math.max(ms, d ? d.lookbackMs(r.options, batchMs) : userModuleMs);
  }
  return ms;
}

/** The configured source (live ones poll every `pollMs` so processing-time windows close on time). */
export async function createSource(
  plan: PipelinePlan,
  env: { clock: Clock; warn(m: string): void; pollMs?: number; stopping?(): boolean; untilEnd?: boolean },
): Promise<Source> {
  const input = plan.config.input;
  return sourceDescriptor(input.source.type)!.create(input.source, {
    input: { fields: input.fields, sep: input.sep, timeField: input.timeField, timeUnit: input.timeUnit },
    clock: env.clock,
    warn: env.warn,
    pollMs: env.pollMs ?? 200,
    stopping: env.stopping,
    untilEnd: env.untilEnd,
  });
}

/** True when the plan's input is live (a topic, not a file): processing time unless time_field is set, never paced. */
export function isLive(config: Pick<PipelineConfig, 'input'>): boolean {
  return sourceDescriptor(config.input.source.type)?.live === true;
}
