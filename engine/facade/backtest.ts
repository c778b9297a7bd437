/**
 * The backtest as plain data (facade-types.ts#BacktestResult), for `ts-engine backtest` and the
 * workbench's Backtest panel: the config is checked, the labels file read (both positioned), the
 * sweep parsed, then the replay scored (docs/backtest.md).
 */
import path from 'node:path';
import type { FieldType } from '../core/types.js';
import { windowStart } from '../core/time.js';
import type { ConfigIO } from '../config/model.js';
import { checkConfig, nodeIO, type PipelinePlan } from '../pipeline/plan.js';
import type { RunStats } from '../pipeline/runner.js';
import { backtest, backtestProblem, type RuleOutcome } from '../evaluate/backtest.js';
import type { Episode } from '../evaluate/episodes.js';
import { keyText, parseLabels, type Label } from '../evaluate/labels.js';
import type { Score } from '../evaluate/score.js';
import { parseSweep, type SweepSpec } from '../evaluate/sweep.js';
import type { BacktestEpisode, BacktestLabel, BacktestRequest, BacktestResult, BacktestRuleScore } from '../facade-types.js';
import { keyCells } from './cells.js';

export interface BacktestRunOptions {
  /** the config's unsaved text */
  configText?: string;
  io?: ConfigIO;
  signal?: AbortSignal;
  onProgress?(s: RunStats): void;
  /** each warning as it happens (the result lists them too) */
  warn?(message: string): void;
  /** how file names appear in messages */
  display?(file: string): string;
}

/** At most this many warnings are kept; the rest are counted in one last line. */
const MAX_WARNINGS = 50;

function failed(fields: Partial<BacktestResult>): BacktestResult {
  return {
    ok: false,
    diagnostics: [],
    rowsRead: 0,
    rowErrors: 0,
    windows: 0,
    batchDurationSec: 0,
    labels: 0,
    rules: [],
    warnings: [],
    elapsedMs: 0,
    ...fields,
  };
}

/** Checks, reads, replays and scores; never throws for a problem of the user's files (see `ok`). */
export async function runBacktest(configPath: string, request: BacktestRequest, opts: BacktestRunOptions = {}): Promise<BacktestResult> {
  const started = performance.now();
  const io = opts.io ?? nodeIO;
  const display = opts.display ?? ((f: string) => f);
  const checked = await checkConfig(configPath, opts.configText, io);
  const plan = checked.plan;
  if (!plan) return failed({ failedAt: 'config', diagnostics: checked.diagnostics });
  const dir = plan.config.configDir;
  const labelsFile = path.resolve(dir, request.labels);
  const labelsText = request.labelsText ?? io.readFile(labelsFile);
  if (labelsText instanceof Error) return failed({ failedAt: 'labels', error: `cannot read the labels file ${display(labelsFile)}: ${labelsText.message}` });
  const keys = plan.aggregation.keys.map((k) => ({ name: k.name, type: k.type }));
  const parsed = parseLabels(display(labelsFile), labelsText, keys, request.labelTimeUnit ?? 's');
  if (parsed.diagnostics.length > 0) return failed({ failedAt: 'labels', diagnostics: parsed.diagnostics });
  const data = request.data !== undefined ? path.resolve(dir, request.data) : undefined;
  const problem = backtestProblem(plan, { data });
  if (problem) return failed({ failedAt: 'config', error: problem });
  let sweep: SweepSpec | undefined;
  if (request.sweep !== undefined) {
    const parsedSweep = parseSweep(
      request.sweep,
      plan.config.analysis!.rules.map((r) => r.name),
    );
    if (typeof parsedSweep === 'string') return failed({ failedAt: 'sweep', error: parsedSweep });
    sweep = parsedSweep;
  }

  let kept = 0;
  let dropped = 0;
  const warnings: string[] = [];
  try {
    const report = await backtest(plan, {
      labels: parsed.labels,
      sweep,
      data,
      io,
      signal: opts.signal,
      onProgress: opts.onProgress,
      warn: (m) => {
        if (kept++ < MAX_WARNINGS) {
          warnings.push(m);
          opts.warn?.(m);
        } else dropped++;
      },
    });
    if (dropped > 0) warnings.push(`… and ${dropped} more warnings`);
    const view = new ScoreView(plan, report.batchMs);
    const src = plan.config.input.source as { path?: string; topic?: string };
    return {
      ok: true,
      diagnostics: checked.diagnostics,
      input: display(data ?? src.path ?? src.topic ?? ''),
      labelsFile: display(labelsFile),
      stopped: opts.signal?.aborted === true,
      rowsRead: report.stats.rowsRead,
      rowErrors: report.stats.rowErrors,
      windows: report.stats.windowsClosed,
      batchDurationSec: plan.config.input.batchDurationSec,
      labels: report.labels.length,
      range: report.range && { start: report.range.startMs, end: report.range.endMs },
      rules: report.rules.map((r) => view.rule(r)),
      analysis: { ...report.analysis },
      sweep: report.sweep && {
        ...report.sweep.spec,
        best: report.sweep.best,
        points: report.sweep.points.map((p) => {
          if (!p.score) return { value: p.value, error: p.error };
          const rule = report.rules.find((r) => r.rule.name === report.sweep!.spec.rule)!;
          const full = view.rule({ rule: rule.rule, score: p.score, alerts: p.alerts ?? 0 });
          return { value: p.value, ...view.metrics(p.score), score: full };
        }),
      },
      warnings,
      elapsedMs: performance.now() - started,
    };
  } catch (e) {
    return failed({ failedAt: 'replay', diagnostics: checked.diagnostics, error: (e as Error).message, warnings, elapsedMs: performance.now() - started });
  }
}

/** Engine scores as facade data. */
class ScoreView {
  private readonly keyNames: string[];
  private readonly keyTypes: FieldType[];
  constructor(
    plan: PipelinePlan,
    private readonly batchMs: number,
  ) {
    this.keyNames = plan.aggregation.keys.map((k) => k.name);
    this.keyTypes = plan.aggregation.keys.map((k) => k.type);
  }

  metrics(s: Score) {
    return { tp: s.tp, fp: s.fp, fn: s.fn, precision: s.precision, recall: s.recall, f1: s.f1, meanDelayWindows: s.meanDelayWindows, episodes: s.episodes };
  }

  label(l: Label): BacktestLabel {
    const d = this.batchMs;
    return {
      key: keyCells(l.key, this.keyNames),
      keyText: keyText(l.key, this.keyTypes),
      start: l.startMs,
      end: l.endMs,
      ...(l.label !== undefined ? { label: l.label } : {}),
      line: l.line,
      windowStart: windowStart(l.startMs, d),
      windowEnd: l.endMs > l.startMs ? Math.ceil(l.endMs / d) * d : windowStart(l.startMs, d) + d,
    };
  }

  episode(e: Episode): BacktestEpisode {
    return {
      id: e.id,
      key: keyCells(e.key, this.keyNames),
      keyText: keyText(e.key, this.keyTypes),
      field: e.field,
      windowStart: e.startMs,
      windowEnd: e.endMs,
      firedAt: e.firedAtMs,
      windows: Math.round((e.endMs - e.startMs) / this.batchMs),
      alerts: e.alerts,
    };
  }

  rule(r: RuleOutcome): BacktestRuleScore {
    const s = r.score;
    return {
      name: r.rule.name,
      module: r.rule.module,
      ...this.metrics(s),
      truePositives: s.hits.map((h) => ({ label: this.label(h.label), episodes: h.episodes.map((e) => e.id), delayWindows: h.delayWindows })),
      falsePositives: s.falsePositives.map((e) => this.episode(e)),
      falseNegatives: s.falseNegatives.map((l) => this.label(l)),
      alerts: r.alerts,
    };
  }
}
