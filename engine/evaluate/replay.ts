/**
 * The replay every measurement of a config is built on (backtest, config tests, diff): the
 * config's input — or rows handed in — goes through the runner's transformations and windows with
 * every output off, and each closed window is analysed by one or more variants of the analysis
 * section, with history answered from the replay's own windows (no store is read or written).
 * Windows do not depend on analysis options, so a sweep parses the input once and analyses each
 * window once per grid point (docs/backtest.md).
 */
import { systemClock, type Clock } from '../core/clock.js';
import { groupCount, type ClosedWindow } from '../core/window.js';
import type { Alert, Source } from '../components/types.js';
import { CsvSource } from '../components/sources/csv.js';
import type { AnalysisConfig, AnalysisRuleConfig } from '../config/model.js';
import { Analyzer, type AnalyzerStats } from '../analysis/analyzer.js';
import { AlertDelivery } from '../analysis/delivery.js';
import { WindowMemoryHistory } from '../analysis/history-memory.js';
import { maxLookbackMs, isLive } from '../pipeline/assembly.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import type { TimeMode } from '../pipeline/processor.js';
import { Runner, type RunStats } from '../pipeline/runner.js';
import type { DeadLetter } from '../pipeline/dead-letters.js';

export interface AnalysedReplayOptions {
  /** analysis sections to run on every window (none: windows only) */
  variants: readonly AnalysisConfig[];
  /** replaces the configured input (rows of a config test, a CSV file given on the command line) */
  source?: Source;
  /** every row into one window instead of the config's time mode (config tests of live configs) */
  mode?: TimeMode;
  clock?: Clock;
  warn?(message: string): void;
  /** each closed window with the alerts every variant raised on it (in variant order), each with its rule */
  onWindow?(w: ClosedWindow, alerts: readonly RaisedAlert[][]): void | Promise<void>;
  onRowError?(d: DeadLetter): void;
  onProgress?(s: RunStats): void;
  /** stops the replay at the next row (the windows flushed so far are analysed) */
  signal?: AbortSignal;
}

export interface RaisedAlert {
  alert: Alert;
  /** the rule of the variant that raised it */
  rule: AnalysisRuleConfig;
}

export interface AnalysedReplayStats extends RunStats {
  /** per variant */
  variants: AnalyzerStats[];
}

/** Replays `plan` with its outputs off, analysing every window with each variant (see the module comment). */
export async function analysedReplay(plan: PipelinePlan, opts: AnalysedReplayOptions): Promise<AnalysedReplayStats> {
  const batchMs = Math.round(plan.config.input.batchDurationSec * 1000);
  const keyNames = plan.aggregation.keys.map((k) => k.name);
  const valueNames = plan.aggregation.values.map((v) => v.name);
  let keepMs = batchMs;
  for (const v of opts.variants) keepMs = Math.max(keepMs, maxLookbackMs(v, batchMs, Infinity) + Math.round(v.accuracySec * 1000) + batchMs);
  const history = new WindowMemoryHistory(keyNames, valueNames, keepMs);
  const raised: RaisedAlert[][] = opts.variants.map(() => []);
  const warn = opts.warn ?? (() => {});
  const clock = opts.clock ?? systemClock;
  // no sinks: the alerts are the measurement (each variant's lifecycle state is its own)
  const analyzers = opts.variants.map(
    (v, i) =>
      new Analyzer(plan.aggregation, plan.userCode, v, history, new AlertDelivery([], { clock, warn, stopping: () => false }), batchMs, {
        warn,
        onAlert: (alert, rule) => raised[i]!.push({ alert, rule }),
      }),
  );
  const opened: Analyzer[] = [];
  const runner = new Runner(plan, {
    outputs: false,
    speed: 0,
    source: opts.source,
    mode: opts.mode,
    clock: opts.clock,
    warn,
    onRowError: opts.onRowError,
    onProgress: opts.onProgress,
    consumeWindow: async (w) => {
      history.observe(w);
      // a window without records still matters to a rule watching for no data (docs/alerts.md)
      for (const a of analyzers) if (groupCount(w) > 0 || a.watchesEmptyWindows) await a.analyze(w, batchMs);
      const alerts = raised.map((list) => list.splice(0));
      await opts.onWindow?.(w, alerts);
    },
  });
  const stop = () => runner.stop();
  opts.signal?.addEventListener('abort', stop);
  try {
    for (const a of analyzers) {
      await a.open();
      opened.push(a);
    }
    if (opts.signal?.aborted) runner.stop();
    const stats = await runner.run();
    return { ...stats, alerts: analyzers.reduce((n, a) => n + a.stats.alerts, 0), variants: analyzers.map((a) => ({ ...a.stats })) };
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    for (const a of opened) await a.close();
  }
}

/** A CSV file read with the config's separator and header setting (`--data` of backtest and diff). */
export function csvFileSource(plan: PipelinePlan, file: string): Source {
  const src = plan.config.input.source;
  return new CsvSource({ path: file, header: src.type === 'csv' ? src.header : false });
}

/** Why the config's own input cannot be replayed to its end (a topic never ends), or undefined. */
export function unboundedInput(plan: PipelinePlan): string | undefined {
  if (!isLive(plan.config)) return undefined;
  const src = plan.config.input.source as { type: string; topic?: string };
  return `the config reads ${src.type}${src.topic ? ` topic ${src.topic}` : ''}, which has no end; give the rows to replay with --data <file.csv>`;
}
