/** AverageAnalysis (docs/semantics.md#built-in-analyses): compares each value with the average of the last `num_average` windows. */
import type { AlertSender, HistoryAccessor, HistoryPoint } from '../../extensions/types.js';
import { DeviationAnalysis, checkDeviation, deviationDescriptor, inOrder, numeric, pointAt } from './deviation.js';

export class AverageAnalysis extends DeviationAnalysis {
  private readonly numAverage: number;
  constructor(options: unknown, name: string) {
    super(options, name);
    this.numAverage = (options as { num_average: number }).num_average;
  }
  analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> | undefined {
    const past: HistoryPoint[] = [];
    for (let n = 1; n <= this.numAverage; n++) {
      const got = pointAt(history, n);
      if (got instanceof Promise) return this.lookUpFrom(n, got, past, history, alerts);
      past.push(got);
    }
    return this.compare(past, history, alerts);
  }

  /** the rest of the look-ups from history[n] on, one after the other, when the history has to be asked */
  private async lookUpFrom(n: number, pending: Promise<HistoryPoint>, past: HistoryPoint[], history: HistoryAccessor, alerts: AlertSender) {
    past.push(await pending);
    for (let m = n + 1; m <= this.numAverage; m++) {
      const got = pointAt(history, m);
      past.push(got instanceof Promise ? await got : got);
    }
    await this.compare(past, history, alerts);
  }

  private compare(past: readonly HistoryPoint[], history: HistoryAccessor, alerts: AlertSender): Promise<void> | undefined {
    return inOrder(this.deviation, ([field, pct]) => {
      let sum = 0;
      let count = 0;
      for (const h of past) {
        const x = numeric(h[field]);
        if (x === undefined) continue;
        sum += x;
        count++;
      }
      return count === 0 ? undefined : checkDeviation(this.name, history, alerts, field, sum / count, pct);
    });
  }
}

export const averageAnalysis = deviationDescriptor<'AverageAnalysis', { deviation: Record<string, number>; num_average: number }>(
  'AverageAnalysis',
  'Alerts when a value deviates by more than the given percentage from the average of the same key’s last num_average windows.',
  { key: 'num_average', doc: 'Compare with the average of this many past windows.' },
  (o, name) => new AverageAnalysis(o, name),
);
