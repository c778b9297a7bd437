/**
 * What the built-in analyses share (docs/semantics.md#built-in-analyses): the deviation band
 * around a base value, the alert when the current value leaves it, and the check of the
 * `deviation` option against the aggregated columns.
 */
import type { Value } from '../../core/types.js';
import type { AlertSender, HistoryAccessor, HistoryPoint, UserAnalysis } from '../../extensions/types.js';
import { int, num, obj, record } from '../../options/spec.js';
import { toDouble } from '../../values/numeric.js';
import type { AnalysisCheckContext, AnalysisDescriptor } from '../descriptor.js';

/** History that can also be asked for the point an arbitrary time before the window end (the legacy time_delta form). */
export interface TimedHistoryAccessor extends HistoryAccessor {
  at(offsetMs: number): Promise<HistoryPoint>;
}

/** History that answers at once when its points are in memory (a backtest: docs/backtest.md#speed). */
export interface ImmediateHistoryAccessor extends HistoryAccessor {
  getNow(n: number): HistoryPoint | undefined;
}

/**
 * A sender that takes an evaluation at once (the analyzer's, for the built-ins): no promise and no message object per
 * evaluation, since most evaluations are within bounds and a rule without lifecycle drops those.
 */
export interface ImmediateAlertSender extends AlertSender {
  reportNow(module: string, key: Value[] | null, field: string, value: Value, lower: number, upper: number, deviating: boolean): void;
}

/** history[n]: the point itself when the history has it at hand (no promise to wait for), else the lookup to await */
export function pointAt(history: HistoryAccessor, n: number): HistoryPoint | Promise<HistoryPoint> {
  return (history as Partial<ImmediateHistoryAccessor>).getNow?.(n) ?? history.get(n);
}

/**
 * Runs `step` on each item in order; a step that returns a promise is awaited before the next one.
 * Undefined when every step finished at once: the built-ins then make no promise at all (docs/backtest.md#speed).
 */
export function inOrder<T>(items: readonly T[], step: (item: T) => Promise<void> | undefined, from = 0): Promise<void> | undefined {
  for (let i = from; i < items.length; i++) {
    const pending = step(items[i]!);
    if (pending) return pending.then(() => inOrder(items, step, i + 1));
  }
  return undefined;
}

/** A history or current value that has a number (toDouble gives it); missing, null, strings and lists have none. */
export function hasNumber(v: Value | Value[] | undefined): v is number | bigint | boolean {
  return v !== null && v !== undefined && typeof v !== 'string' && !Array.isArray(v);
}

/** A history or current value as a double; missing, null, strings and lists mean "no value". */
export function numeric(v: Value | Value[] | undefined): number | undefined {
  return hasNumber(v) ? toDouble(v) : undefined;
}

/** The lower end of [base − pct %, base + pct %], ordered even for a negative base (docs/semantics.md#deviation-bounds). */
export function bandLower(base: number, pct: number): number {
  const a = base * (1 - pct / 100);
  const b = base * (1 + pct / 100);
  // biome-ignore lint/complexity/useMathMinMax: Math.min differs from the reference's swap on NaN and on −0 against +0 (both print)
  return a <= b ? a : b;
}

/** The upper end of the band (see bandLower): two numbers, not a pair, so a row's check allocates nothing. */
export function bandUpper(base: number, pct: number): number {
  const a = base * (1 - pct / 100);
  const b = base * (1 + pct / 100);
  // biome-ignore lint/complexity/useMathMinMax: as in bandLower
  return a <= b ? b : a;
}

/**
 * Alerts when the current value of `field` is outside the band around `base`; otherwise reports
 * the evaluation as observed, so the alert lifecycle sees every one (docs/alerts.md#observe). The
 * sending to await, or undefined when there is no value to compare.
 */
export function checkDeviation(
  name: string,
  history: HistoryAccessor,
  alerts: AlertSender,
  field: string,
  base: number,
  pct: number,
): Promise<void> | undefined {
  const current = history.current();
  const v = current[field];
  const x = numeric(v);
  if (x === undefined) return undefined;
  const lower = bandLower(base, pct);
  const upper = bandUpper(base, pct);
  const deviating = x < lower || x > upper;
  const immediate = alerts as Partial<ImmediateAlertSender>;
  if (immediate.reportNow) {
    immediate.reportNow(name, current.key, field, v as Value, lower, upper, deviating);
    return undefined;
  }
  const message = { module: name, timestamp: 0, param: { key: current.key, field, lower_bound: lower, upper_bound: upper, value: v as Value } };
  return deviating ? alerts.send(message) : alerts.observe(message);
}

/** `deviation: {"<aggregated column>": <percent>, …}` of SimpleAnalysis and AverageAnalysis */
export function deviationSpec(module: string) {
  const needs = `${module} needs options.deviation: an object {"<aggregated column>": <percent>, …}`;
  return record(num({ min: 0 }).messages({ invalid: (v, at) => `deviation for '${at.key}' must be a non-negative percentage, got ${JSON.stringify(v)}` }), {
    minProperties: 1,
  })
    .required()
    .describe('Aggregated column → allowed deviation in percent.')
    .messages({ missing: () => needs, invalid: () => needs });
}

/** A `{module} needs options.{key}: an integer ≥ 1` count (batch_number, num_average). */
export function countMessage(module: string, key: string) {
  return (v: unknown) => `${module} needs options.${key}: an integer ≥ 1, got ${JSON.stringify(v)}`;
}

/** Deviation columns that are not aggregated columns: UnsupportedAnalysisFormat at each. */
export function checkDeviationColumns(deviation: unknown, ctx: AnalysisCheckContext): void {
  if (typeof deviation !== 'object' || deviation === null || Array.isArray(deviation)) return;
  for (const col of Object.keys(deviation)) {
    if (ctx.columns.has(col)) continue;
    ctx.sink.report(
      `${ctx.optionsPath}.deviation.${col}`,
      'UnsupportedAnalysisFormat',
      `An error in the analysis rule. The field {'${col}'} is not contained in set of fields after aggregation operation${ctx.keys.has(col) ? ' (it is a key field)' : ''} (aggregated: ${[...ctx.columns].join(', ')})`,
    );
  }
}

/** What the deviation analyses share: the columns they check with their percentages, and the rule's name. */
export abstract class DeviationAnalysis implements UserAnalysis {
  readonly deviation: [string, number][];
  constructor(
    options: unknown,
    readonly name: string,
  ) {
    this.deviation = Object.entries((options as { deviation: Record<string, number> }).deviation);
  }
  abstract analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> | undefined;

  /** Checks each column against its value in one earlier point, reporting under `module`. */
  protected compareWith(past: HistoryPoint, history: HistoryAccessor, alerts: AlertSender, module = this.name): Promise<void> | undefined {
    return inOrder(this.deviation, ([field, pct]) => {
      const base = numeric(past[field]);
      return base === undefined ? undefined : checkDeviation(module, history, alerts, field, base, pct);
    });
  }
}

/**
 * A deviation analysis whose base values come from fixed history indices (SimpleAnalysis, AverageAnalysis): the
 * points of `reads` are looked up in that order, once each, then every column is compared. The analyzer also runs
 * `baseOf` itself, on numbers it reads straight from the run's recent windows (engine/analysis/immediate.ts).
 */
export abstract class IndexedDeviationAnalysis extends DeviationAnalysis {
  /** the history indices the base values are made of, in lookup order */
  abstract readonly reads: readonly number[];
  /**
   * A column's base value from `count` ≥ 1 numbers: those the points of `reads` have for it, in that order, a point
   * without one (missing, null, a string) left out. With no number there is no base, and no comparison. A number,
   * never undefined: a result that may be either is boxed on every call in optimized code (docs/performance.md#analysis).
   */
  abstract baseOf(numbers: Float64Array, count: number): number;
  private scratch: Float64Array | undefined;

  analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> | undefined {
    const past: HistoryPoint[] = [];
    for (let i = 0; i < this.reads.length; i++) {
      const got = pointAt(history, this.reads[i]!);
      if (got instanceof Promise) return this.lookUpFrom(i, got, past, history, alerts);
      past.push(got);
    }
    return this.compare(past, history, alerts);
  }

  /** the rest of the look-ups from reads[i] on, one after the other, when the history has to be asked */
  private async lookUpFrom(i: number, pending: Promise<HistoryPoint>, past: HistoryPoint[], history: HistoryAccessor, alerts: AlertSender) {
    past.push(await pending);
    for (let j = i + 1; j < this.reads.length; j++) {
      const got = pointAt(history, this.reads[j]!);
      past.push(got instanceof Promise ? await got : got);
    }
    await this.compare(past, history, alerts);
  }

  private compare(past: readonly HistoryPoint[], history: HistoryAccessor, alerts: AlertSender): Promise<void> | undefined {
    return inOrder(this.deviation, ([field, pct]) => {
      // read and used at once: one array for every column (a comparison may await only after it)
      const numbers = (this.scratch ??= new Float64Array(this.reads.length));
      let count = 0;
      for (const point of past) {
        const v = point[field];
        if (hasNumber(v)) numbers[count++] = toDouble(v);
      }
      return count === 0 ? undefined : checkDeviation(this.name, history, alerts, field, this.baseOf(numbers, count), pct);
    });
  }
}

/** The descriptor of a deviation analysis: `deviation` plus one window count (`batch_number`, `num_average`). */
export function deviationDescriptor<N extends string, O>(
  name: N,
  doc: string,
  count: { key: string; doc: string },
  create: (options: unknown, name: string) => UserAnalysis,
): AnalysisDescriptor<N, O> {
  const message = countMessage(name, count.key);
  const options = obj({
    deviation: deviationSpec(name),
    [count.key]: int({ min: 1 })
      .required()
      .describe(count.doc)
      .messages({ missing: () => message(undefined), invalid: message }),
  });
  return {
    kind: 'analysis',
    name,
    doc,
    options: options as never,
    check(raw, ctx) {
      options.parseAt(raw, { path: ctx.optionsPath, parent: '', key: '' }, { sink: ctx.sink, resolve: (p) => p, exists: () => true });
      checkDeviationColumns((raw as { deviation?: unknown } | undefined)?.deviation, ctx);
    },
    create,
    lookbackMs: (o, batchMs) => (Number((o as Record<string, unknown>)[count.key]) || 1) * batchMs,
  };
}
