/** AverageAnalysis (docs/semantics.md#built-in-analyses): compares each value with the average of the last `num_average` windows. */
import type { AlertSender, HistoryAccessor, HistoryPoint } from '../../extensions/types.js';
import { DeviationAnalysis, checkDeviation, deviationDescriptor, numeric, pointAt } from './deviation.js';

export class AverageAnalysis extends DeviationAnalysis {
  private readonly numAverage: number;
  constructor(options: unknown, name: string) {
    super(options, name);
    this.numAverage = (options as { num_average: number }).num_average;
  }
  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    const past: HistoryPoint[] = [];
    for (let n = 1; n <= this.numAverage; n++) {
      const got = pointAt(history, n);
      past.push(got instanceof Promise ? await got : got);
    }
    for (const [field, pct] of this.deviation) {
      let sum = 0;
      let count = 0;
      for (const h of past) {
        const x = numeric(h[field]);
        if (x === undefined) continue;
        sum += x;
        count++;
      }
      if (count === 0) continue;
      const sent = checkDeviation(this.name, history, alerts, field, sum / count, pct);
      if (sent) await sent;
    }
  }
}

export const averageAnalysis = deviationDescriptor<'AverageAnalysis', { deviation: Record<string, number>; num_average: number }>(
  'AverageAnalysis',
  'Alerts when a value deviates by more than the given percentage from the average of the same key’s last num_average windows.',
  { key: 'num_average', doc: 'Compare with the average of this many past windows.' },
  (o, name) => new AverageAnalysis(o, name),
);
