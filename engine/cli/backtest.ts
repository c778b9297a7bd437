/**
 * `ts-engine backtest <config.json> --labels <labels.csv> [--sweep <rule>.<option>=<from>..<to>:<step>]
 * [--data <file.csv>] [--time-unit s|ms|us|ns] [--format text|json] [--details]` (docs/backtest.md).
 * The scores go to stdout (a table, or one JSON object), warnings and the replay's summary to stderr.
 * Exit codes follow `run` (docs/semantics.md#cli): 0 scored, 1 usage or replay failure, 2 an invalid
 * config or labels file (positioned diagnostics on stderr) or a config that cannot be backtested,
 * 130 interrupted (what was read is still scored and printed).
 */
import path from 'node:path';
import { runBacktest } from '../facade/backtest.js';
import type { BacktestEpisode, BacktestLabel, BacktestMetrics, BacktestResult, BacktestRuleScore } from '../facade-types.js';
import { parseArgs, UsageError } from './args.js';
import { displayPath, grouped, interruptible, printDiagnostics } from './report.js';

const TIME_UNITS = ['s', 'ms', 'us', 'ns'] as const;
/** FP and FN lines listed per rule with --details before the rest are counted */
const MAX_DETAIL_LINES = 50;

export async function backtestCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['labels', 'sweep', 'data', 'format', 'time-unit'], ['details']);
  if (positionals.length !== 1) throw new UsageError('backtest takes exactly one argument: the config file');
  const labels = options.get('labels');
  if (typeof labels !== 'string') throw new UsageError('backtest needs --labels <labels.csv>');
  const format = (options.get('format') as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got '${format}'`);
  const unit = (options.get('time-unit') as string | undefined) ?? 's';
  if (!(TIME_UNITS as readonly string[]).includes(unit)) throw new UsageError(`--time-unit must be one of ${TIME_UNITS.join(', ')}, got '${unit}'`);

  const err = process.stderr;
  // labels and data name files as the user typed them: relative to the working directory
  const { result, interrupted } = await interruptible('Scoring the windows read so far', (signal) =>
    runBacktest(
      positionals[0]!,
      {
        labels: path.resolve(labels),
        sweep: options.get('sweep') as string | undefined,
        data: typeof options.get('data') === 'string' ? path.resolve(options.get('data') as string) : undefined,
        labelTimeUnit: unit as (typeof TIME_UNITS)[number],
      },
      { signal, warn: (m) => err.write(`warning: ${m}\n`), display: displayPath },
    ),
  );

  printDiagnostics(result.diagnostics);
  if (!result.ok) {
    if (result.failedAt === 'sweep') throw new UsageError(`backtest: ${result.error}`);
    if (result.error) err.write(`${result.failedAt === 'replay' ? 'error' : 'backtest'}: ${result.error}\n`);
    return result.failedAt === 'replay' ? 1 : 2;
  }
  process.stdout.write(format === 'json' ? `${JSON.stringify(backtestJson(result), null, 2)}\n` : backtestText(result, options.has('details')));
  err.write(
    `${result.stopped ? 'stopped' : 'finished'}: ${grouped(result.rowsRead)} rows, ${grouped(result.windows)} windows of ${result.batchDurationSec} s, ${grouped(result.rowErrors)} row errors, ${result.labels} labels, in ${(result.elapsedMs / 1000).toFixed(2)} s\n`,
  );
  return interrupted ? 130 : 0;
}

const ratio = (x: number | null) => (x === null ? '-' : x.toFixed(3));
const delay = (x: number | null) => (x === null ? '-' : x.toFixed(2));

/** Columns left-aligned for text, right-aligned for numbers. */
function table(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const METRIC_HEADER = ['episodes', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1', 'delay (windows)'];
const metricCells = (m: Partial<BacktestMetrics>) => [
  String(m.episodes ?? '-'),
  String(m.tp ?? '-'),
  String(m.fp ?? '-'),
  String(m.fn ?? '-'),
  ratio(m.precision ?? null),
  ratio(m.recall ?? null),
  ratio(m.f1 ?? null),
  delay(m.meanDelayWindows ?? null),
];

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const labelLine = (l: BacktestLabel) => `${l.keyText} ${iso(l.start)}..${iso(l.end)}${l.label ? ` ${l.label}` : ''} (labels line ${l.line})`;
const episodeLine = (e: BacktestEpisode) => `${e.keyText} ${e.field} ${iso(e.windowStart)}..${iso(e.windowEnd)} (${e.windows} windows, ${e.alerts} alerts)`;

function details(rule: BacktestRuleScore): string {
  const out: string[] = [];
  const list = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push(`${rule.name} ${title}:`);
    for (const l of lines.slice(0, MAX_DETAIL_LINES)) out.push(`  ${l}`);
    if (lines.length > MAX_DETAIL_LINES) out.push(`  … and ${lines.length - MAX_DETAIL_LINES} more`);
  };
  list('false negatives (labels no episode overlaps)', rule.falseNegatives.map(labelLine));
  list('false positives (episodes overlapping no label)', rule.falsePositives.map(episodeLine));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** The report `--format text` prints. */
export function backtestText(r: BacktestResult, withDetails = false): string {
  const parts: string[] = [];
  parts.push(`backtest of ${r.input} against ${r.labelsFile} (${r.labels} labels, ${r.windows} windows of ${r.batchDurationSec} s)\n`);
  parts.push(
    table(
      ['rule', 'module', ...METRIC_HEADER],
      r.rules.map((rule) => [rule.name, rule.module, ...metricCells(rule)]),
      2,
    ),
  );
  if (withDetails) for (const rule of r.rules) parts.push(details(rule));
  if (r.sweep) {
    const s = r.sweep;
    parts.push(`\nsweep ${s.rule}.${s.option} = ${s.from}..${s.to}:${s.step}\n`);
    parts.push(
      table(
        [s.option, ...METRIC_HEADER],
        s.points.filter((p) => p.error === undefined).map((p) => [String(p.value), ...metricCells(p)]),
        0,
      ),
    );
    for (const p of s.points) if (p.error !== undefined) parts.push(`${s.option} = ${p.value} refused: ${p.error}\n`);
    parts.push(
      s.best ? `best F1 ${ratio(s.best.f1)} at ${s.option} = ${s.best.value}\n` : 'best F1: none (no value raised an episode and there are no labels)\n',
    );
  }
  return parts.join('');
}

const metricsJson = (m: Partial<BacktestMetrics>) => ({
  precision: m.precision ?? null,
  recall: m.recall ?? null,
  f1: m.f1 ?? null,
  tp: m.tp ?? null,
  fp: m.fp ?? null,
  fn: m.fn ?? null,
  mean_delay_windows: m.meanDelayWindows ?? null,
  episodes: m.episodes ?? null,
});

const labelJson = (l: BacktestLabel) => ({ key: l.keyText, start: iso(l.start), end: iso(l.end), label: l.label ?? null, line: l.line });
const episodeJson = (e: BacktestEpisode) => ({
  id: e.id,
  key: e.keyText,
  field: e.field,
  window_start: iso(e.windowStart),
  window_end: iso(e.windowEnd),
  windows: e.windows,
  alerts: e.alerts,
});

/** The object `--format json` prints: the documented keys first, lists of TP/FP/FN per rule after them. */
export function backtestJson(r: BacktestResult) {
  return {
    rules: r.rules.map((rule) => ({
      name: rule.name,
      ...metricsJson(rule),
      module: rule.module,
      true_positives: rule.truePositives.map((t) => ({ ...labelJson(t.label), episodes: t.episodes, delay_windows: t.delayWindows })),
      false_positives: rule.falsePositives.map(episodeJson),
      false_negatives: rule.falseNegatives.map(labelJson),
    })),
    sweep: r.sweep
      ? {
          rule: r.sweep.rule,
          option: r.sweep.option,
          from: r.sweep.from,
          to: r.sweep.to,
          step: r.sweep.step,
          points: r.sweep.points.map((p) => (p.error !== undefined ? { value: p.value, error: p.error } : { value: p.value, ...metricsJson(p) })),
          best: r.sweep.best ?? null,
        }
      : null,
    input: r.input,
    labels_file: r.labelsFile,
    labels: r.labels,
    rows: r.rowsRead,
    row_errors: r.rowErrors,
    windows: r.windows,
    batch_duration_sec: r.batchDurationSec,
    stopped: r.stopped ?? false,
    warnings: r.warnings,
  };
}
