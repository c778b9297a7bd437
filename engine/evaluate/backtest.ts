/**
 * `ts-engine backtest` (docs/backtest.md): replays a config's input with its outputs off, groups
 * each rule's alerts into episodes and scores them against labelled anomalies; a sweep scores one
 * rule at every value of a grid in the same pass over the input. The configured rules run as
 * the config runs them (one analysis); each alert is attributed to the rule whose module raised it,
 * whatever name the module gives itself. Each grid point is one more analysis of the swept rule.
 */
import type { ClosedWindow } from '../core/window.js';
import type { Alert, Source } from '../components/types.js';
import type { AnalysisConfig, AnalysisRuleConfig, ConfigIO } from '../config/model.js';
import type { AnalyzerStats } from '../analysis/analyzer.js';
import { keyString } from '../analysis/history-recent.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import { timeModeOf } from '../pipeline/processor.js';
import type { RunStats } from '../pipeline/runner.js';
import { EpisodeTracker, type Episode } from './episodes.js';
import { keyText, type Label } from './labels.js';
import { analysedReplay, csvFileSource, unboundedInput, type RaisedAlert } from './replay.js';
import { score, type Score } from './score.js';
import { sweepConfigs, type SweepSpec } from './sweep.js';

export interface BacktestOptions {
  labels: readonly Label[];
  sweep?: SweepSpec;
  /** a CSV file to replay instead of the config's input */
  data?: string;
  /** replaces the input entirely (tests) */
  source?: Source;
  io?: ConfigIO;
  signal?: AbortSignal;
  warn?(message: string): void;
  onProgress?(s: RunStats): void;
}

export interface RuleOutcome {
  rule: AnalysisRuleConfig;
  score: Score;
  /** alert events the rule raised */
  alerts: number;
}

export interface SweepPointOutcome {
  value: number;
  score?: Score;
  /** alert events at this value */
  alerts?: number;
  error?: string;
}

export interface BacktestReport {
  stats: RunStats;
  batchMs: number;
  labels: readonly Label[];
  /** first window start and last window end of the replay, epoch ms */
  range?: { startMs: number; endMs: number };
  rules: RuleOutcome[];
  /** the analysis of the configured rules: records, history lookups, alerts, module failures */
  analysis: AnalyzerStats;
  sweep?: { spec: SweepSpec; points: SweepPointOutcome[]; best?: { value: number; f1: number } };
  warnings: string[];
}

/** Why a config cannot be backtested, or undefined. */
export function backtestProblem(plan: PipelinePlan, opts: { data?: string; source?: Source }): string | undefined {
  if (!plan.config.analysis) return 'nothing to backtest: the config has no analysis section';
  if (timeModeOf(plan) !== 'event') {
    return 'a backtest compares alerts with labelled times, so it needs event time: set input.options.time_field (and batchDuration)';
  }
  if (opts.data === undefined && opts.source === undefined) return unboundedInput(plan);
  return undefined;
}

/**
 * The best point of a sweep: the highest F1; among equal ones the shortest mean delay, then the
 * first value of the grid.
 */
export function bestPoint(points: readonly SweepPointOutcome[]): { value: number; f1: number } | undefined {
  let best: SweepPointOutcome | undefined;
  for (const p of points) {
    const f1 = p.score?.f1;
    if (f1 === null || f1 === undefined) continue;
    const b = best?.score;
    if (!b || f1 > b.f1! || (f1 === b.f1 && (p.score!.meanDelayWindows ?? Infinity) < (b.meanDelayWindows ?? Infinity))) best = p;
  }
  return best ? { value: best.value, f1: best.score!.f1! } : undefined;
}

/** Runs the backtest; throws when the replay itself fails (an input that cannot be read). */
export async function backtest(plan: PipelinePlan, opts: BacktestOptions): Promise<BacktestReport> {
  const problem = backtestProblem(plan, opts);
  if (problem) throw new Error(problem);
  const analysis = plan.config.analysis!;
  const batchMs = Math.round(plan.config.input.batchDurationSec * 1000);
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    opts.warn?.(m);
  };

  const variants: AnalysisConfig[] = [analysis];
  let sweepPoints: { value: number; variant?: number; error?: string }[] | undefined;
  if (opts.sweep) {
    const configs = await sweepConfigs(plan, opts.sweep, opts.io);
    for (const w of configs.warnings) warn(w);
    sweepPoints = configs.points.map((p) => {
      if (!p.analysis) return { value: p.value, error: p.error };
      variants.push(p.analysis);
      return { value: p.value, variant: variants.length - 1 };
    });
  }

  const ruleTrackers = analysis.rules.map(() => new EpisodeTracker());
  const byRule: Alert[][] = analysis.rules.map(() => []);
  const sweepTrackers = variants.map(() => new EpisodeTracker());
  const labelKeys = new Set(opts.labels.map((l) => keyString(l.key)));
  const keysSeen = new Set<string>();
  let range: { startMs: number; endMs: number } | undefined;
  const stats = await analysedReplay(plan, {
    variants,
    source: opts.source ?? (opts.data !== undefined ? csvFileSource(plan, opts.data) : undefined),
    warn,
    signal: opts.signal,
    onProgress: opts.onProgress,
    onWindow: (w: ClosedWindow, alerts: readonly RaisedAlert[][]) => {
      if (!range) range = { startMs: w.startMs, endMs: w.endMs };
      else range.endMs = Math.max(range.endMs, w.endMs);
      if (keysSeen.size < labelKeys.size) {
        for (const g of w.groups) {
          const k = keyString(g.key);
          if (labelKeys.has(k)) keysSeen.add(k);
        }
      }
      for (const { alert, rule } of alerts[0]!) byRule[analysis.rules.indexOf(rule)]!.push(alert);
      ruleTrackers.forEach((t, i) => t.observe(w, byRule[i]!.splice(0)));
      for (let v = 1; v < alerts.length; v++) {
        sweepTrackers[v]!.observe(
          w,
          alerts[v]!.map((r) => r.alert),
        );
      }
    },
  });

  for (const l of opts.labels) {
    const where = `labels line ${l.line}`;
    if (!keysSeen.has(keyString(l.key)))
      warn(
        `${where}: key ${keyText(
          l.key,
          plan.aggregation.keys.map((k) => k.type),
        )} never appears in the replayed data`,
      );
    else if (range && (l.endMs < range.startMs || l.startMs >= range.endMs)) warn(`${where}: the interval lies outside the replayed data`);
  }

  const scoreOf = (episodes: Episode[]) => score(episodes, opts.labels, batchMs);
  const rules = analysis.rules.map((rule, i) => ({ rule, score: scoreOf(ruleTrackers[i]!.episodes()), alerts: ruleTrackers[i]!.alerts }));
  let sweep: BacktestReport['sweep'];
  if (opts.sweep && sweepPoints) {
    const points = sweepPoints.map((p) =>
      p.variant === undefined
        ? { value: p.value, error: p.error }
        : { value: p.value, score: scoreOf(sweepTrackers[p.variant]!.episodes()), alerts: sweepTrackers[p.variant]!.alerts },
    );
    sweep = { spec: opts.sweep, points, best: bestPoint(points) };
  }
  return { stats, batchMs, labels: opts.labels, range, rules, analysis: stats.variants[0]!, sweep, warnings };
}
