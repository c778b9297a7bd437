/**
 * The built-in deviation rules run straight on an aggregate row and the history points at hand
 * (docs/performance.md#analysis). What SimpleAnalysis and AverageAnalysis do through a history accessor, this does
 * with no accessor, values object, query, closure or promise per row: every aggregate row of every window is
 * analysed, and those objects were most of what the analysis cost. The analyses' own `baseOf` and
 * `judgeDeviation` decide, so the evaluations are the ones the accessor path gives, lookups counted alike.
 *
 * It applies when every rule is one of those built-ins and the history answers at once (`pointNow`: the run's
 * recent windows with SQLite behind them, a backtest's windows in memory); otherwise the analyzer goes through
 * RecordHistory.
 */
import type { Value } from '../core/types.js';
import type { HistoryPoint, UserAnalysis } from '../extensions/types.js';
import type { HistoryQuery, HistorySource } from '../components/types.js';
import { IndexedDeviationAnalysis, judgeDeviation, numeric, type ImmediateAlertSender } from '../components/analyses/deviation.js';

/** a rule's column: its name, allowed deviation, and where the row's accumulators hold it */
interface CheckedColumn {
  field: string;
  pct: number;
  valueIndex: number;
}

interface ImmediateRule {
  analysis: IndexedDeviationAnalysis;
  columns: CheckedColumn[];
  /** history[reads[i]] of the current row, filled before `baseOf` runs */
  past: HistoryPoint[];
}

const NO_POINT: HistoryPoint = Object.freeze({});

export class ImmediateRules {
  /** history lookups since the last `row` (as RecordHistory counts them: one per index per row) */
  lookups = 0;
  private acc: readonly Value[] = [];
  private key: Value[] | null = null;
  private windowEndMs = 0;
  /** this row's points by history index; `pointsOf` tells which entries belong to this row */
  private readonly points: HistoryPoint[] = [];
  private readonly pointsOf: number[] = [];
  private row = 0;
  private readonly query: HistoryQuery;

  private constructor(
    private readonly rules: ImmediateRule[],
    private readonly pointNow: NonNullable<HistorySource['pointNow']>,
    private readonly source: HistorySource,
    keyFields: string[],
    private readonly batchMs: number,
    accuracyMs: number,
  ) {
    // targetMs starts as a double: the field then holds every later target in place, with no number allocated per lookup
    this.query = { keyFields, key: null, targetMs: Number.NaN, toleranceMs: accuracyMs };
  }

  /** The evaluator of `rules` (by position), or undefined when some rule or the history needs the accessor path. */
  static of(
    rules: readonly (UserAnalysis | undefined)[],
    history: HistorySource,
    valueNames: readonly string[],
    keyFields: string[],
    batchMs: number,
    accuracyMs: number,
  ): ImmediateRules | undefined {
    const pointNow = history.pointNow;
    if (!pointNow) return undefined;
    const immediate: ImmediateRule[] = [];
    for (const analysis of rules) {
      if (!(analysis instanceof IndexedDeviationAnalysis)) return undefined;
      const columns: CheckedColumn[] = [];
      for (const [field, pct] of analysis.deviation) {
        // history[0] has the row's key as `key` (a column of that name is hidden by it) and no prototype entries
        if (field === 'key' || field === '__proto__') return undefined;
        const valueIndex = valueNames.lastIndexOf(field);
        if (valueIndex < 0) return undefined;
        columns.push({ field, pct, valueIndex });
      }
      immediate.push({ analysis, columns, past: new Array(analysis.reads.length) });
    }
    return new ImmediateRules(immediate, pointNow, history, keyFields, batchMs, accuracyMs);
  }

  /** Starts on the aggregate row `acc` of `key` in the window ending `windowEndMs`. */
  startRow(acc: readonly Value[], key: Value[] | null, windowEndMs: number): void {
    this.acc = acc;
    this.key = key;
    this.windowEndMs = windowEndMs;
    this.query.key = key;
    this.lookups = 0;
    this.row++;
  }

  /** history[n] of the current row, looked up once per row */
  private pointAt(n: number): HistoryPoint {
    if (this.pointsOf[n] === this.row) return this.points[n]!;
    this.query.targetMs = this.windowEndMs - n * this.batchMs;
    const point = this.pointNow.call(this.source, this.query) ?? NO_POINT;
    this.lookups++;
    this.points[n] = point;
    this.pointsOf[n] = this.row;
    return point;
  }

  /** Runs rule `ruleIndex` on the current row, reporting each evaluation to `sender`. */
  evaluate(ruleIndex: number, sender: ImmediateAlertSender): void {
    const rule = this.rules[ruleIndex]!;
    const { analysis, past } = rule;
    const reads = analysis.reads;
    for (let i = 0; i < reads.length; i++) past[i] = this.pointAt(reads[i]!);
    for (const c of rule.columns) {
      const base = analysis.baseOf(c.field, past);
      if (base === undefined) continue;
      const value = this.acc[c.valueIndex]!;
      const x = numeric(value);
      if (x !== undefined) judgeDeviation(analysis.name, this.key, c.field, value, x, base, c.pct, sender);
    }
  }
}
