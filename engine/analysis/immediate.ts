/**
 * The built-in deviation rules run straight on an aggregate row and the history at hand (docs/performance.md#analysis).
 * What SimpleAnalysis and AverageAnalysis do through a history accessor, this does with no accessor, values object,
 * query, closure or promise per row, and reads the run's recent windows as their aggregate rows, by index, not as
 * points by name: every aggregate row of every window is analysed, and those objects and numbers were most of what
 * the analysis cost. The analyses' own `baseOf` and band (bandLower, bandUpper) decide, so the evaluations are the
 * ones the accessor path gives, lookups counted alike.
 *
 * It applies when every rule is one of those built-ins and the history answers at once (`pointNow`: the run's
 * recent windows with SQLite behind them, a backtest's windows in memory); otherwise the analyzer goes through
 * RecordHistory.
 */
import type { Value } from '../core/types.js';
import type { HistoryPoint, UserAnalysis } from '../extensions/types.js';
import type { HistoryQuery, HistorySource } from '../components/types.js';
import { IndexedDeviationAnalysis, bandLower, bandUpper, hasNumber, type ImmediateAlertSender } from '../components/analyses/deviation.js';
import { toDouble } from '../values/numeric.js';

/** a rule's column: its name, allowed deviation, and where the row's accumulators hold it */
interface CheckedColumn {
  field: string;
  pct: number;
  valueIndex: number;
}

interface ImmediateRule {
  analysis: IndexedDeviationAnalysis;
  columns: CheckedColumn[];
}

const NO_POINT: HistoryPoint = Object.freeze({});

export class ImmediateRules {
  /** history lookups since the last `startRow` (as RecordHistory counts them: one per index per row) */
  lookups = 0;
  private acc: readonly Value[] = [];
  private key: Value[] | null = null;
  private windowEndMs = Number.NaN;
  /**
   * this row's history by index: the aggregate row of one of the run's windows (read by index), or else the point the
   * store gave (read by name); `lookedUpIn` tells which entries belong to this row
   */
  private readonly rows: (readonly Value[] | undefined)[] = [];
  private readonly points: HistoryPoint[] = [];
  private readonly lookedUpIn: number[] = [];
  private row = 0;
  private readonly query: HistoryQuery;
  /** the numbers a column's base is made of (IndexedDeviationAnalysis.baseOf) */
  private readonly numbers: Float64Array;

  private constructor(
    private readonly rules: ImmediateRule[],
    private readonly source: HistorySource,
    keyFields: string[],
    private readonly batchMs: number,
    accuracyMs: number,
  ) {
    // targetMs starts as a double: the field then holds every later target in place, with no number allocated per lookup
    this.query = { keyFields, key: null, targetMs: Number.NaN, toleranceMs: accuracyMs };
    this.numbers = new Float64Array(Math.max(1, ...rules.map((r) => r.analysis.reads.length)));
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
    if (!history.pointNow) return undefined;
    const immediate: ImmediateRule[] = [];
    for (const analysis of rules) {
      if (!(analysis instanceof IndexedDeviationAnalysis)) return undefined;
      const columns: CheckedColumn[] = [];
      for (const [field, pct] of analysis.deviation) {
        // names a point or history[0] gives something else for: the row's key, the point's time, prototype entries
        if (field === 'key' || field === 'time' || field === '__proto__') return undefined;
        const valueIndex = valueNames.lastIndexOf(field);
        if (valueIndex < 0) return undefined;
        columns.push({ field, pct, valueIndex });
      }
      immediate.push({ analysis, columns });
    }
    return new ImmediateRules(immediate, history, keyFields, batchMs, accuracyMs);
  }

  /** Starts on the window ending `windowEndMs` (its rows follow). */
  startWindow(windowEndMs: number): void {
    this.windowEndMs = windowEndMs;
  }

  /** Starts on the aggregate row `acc` of `key`. */
  startRow(acc: readonly Value[], key: Value[] | null): void {
    this.acc = acc;
    this.key = key;
    this.query.key = key;
    this.lookups = 0;
    this.row++;
  }

  /** looks up history[n] of the current row, once per row */
  private lookUp(n: number): void {
    if (this.lookedUpIn[n] === this.row) return;
    this.lookedUpIn[n] = this.row;
    this.lookups++;
    const q = this.query;
    q.targetMs = this.windowEndMs - n * this.batchMs;
    const row = this.source.rowNow?.(q);
    this.rows[n] = row;
    if (row === undefined) this.points[n] = this.source.pointNow!(q) ?? NO_POINT;
  }

  /**
   * Runs rule `ruleIndex` on the current row, reporting to `sender` its deviations, and its evaluations within bounds
   * too when `keepsObservations` (a rule with lifecycle: docs/alerts.md#observe).
   */
  evaluate(ruleIndex: number, sender: ImmediateAlertSender, keepsObservations: boolean): void {
    const { analysis, columns } = this.rules[ruleIndex]!;
    const reads = analysis.reads;
    for (let i = 0; i < reads.length; i++) this.lookUp(reads[i]!);
    const numbers = this.numbers;
    for (let c = 0; c < columns.length; c++) {
      const { field, pct, valueIndex } = columns[c]!;
      // hasNumber, then toDouble: a number-or-undefined result would be boxed for every value read
      let count = 0;
      for (let i = 0; i < reads.length; i++) {
        const n = reads[i]!;
        const row = this.rows[n];
        const v = row !== undefined ? row[valueIndex] : this.points[n]![field];
        if (hasNumber(v)) numbers[count++] = toDouble(v);
      }
      if (count === 0) continue;
      const base = analysis.baseOf(numbers, count);
      const value = this.acc[valueIndex]!;
      if (!hasNumber(value)) continue;
      const x = toDouble(value);
      // checkDeviation's decision, made here: an evaluation that will not be kept costs no call with its numbers
      const lower = bandLower(base, pct);
      const upper = bandUpper(base, pct);
      const deviating = x < lower || x > upper;
      if (deviating || keepsObservations) sender.reportNow(analysis.name, this.key, field, value, lower, upper, deviating);
    }
  }
}
