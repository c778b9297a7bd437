/** AverageAnalysis (docs/semantics.md#built-in-analyses): compares each value with the average of the last `num_average` windows. */
import type { AlertSender, HistoryAccessor, HistoryPoint, UserAnalysis } from '../../extensions/types.js';
import { int, obj } from '../../options/spec.js';
import type { AnalysisDescriptor } from '../descriptor.js';
import { checkDeviation, checkDeviationColumns, countMessage, deviationSpec, numeric } from './deviation.js';

interface AverageOptions {
  deviation: Record<string, number>;
  num_average: number;
}

export class AverageAnalysis implements UserAnalysis {
  private readonly deviation: [string, number][];
  private readonly numAverage: number;
  constructor(
    options: unknown,
    readonly name: string,
  ) {
    const o = options as AverageOptions;
    this.deviation = Object.entries(o.deviation);
    this.numAverage = o.num_average;
  }
  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    const past: HistoryPoint[] = [];
    for (let n = 1; n <= this.numAverage; n++) past.push(await history.get(n));
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
      await checkDeviation(this.name, history, alerts, field, sum / count, pct);
    }
  }
}

const count = countMessage('AverageAnalysis', 'num_average');
const options = obj({
  deviation: deviationSpec('AverageAnalysis'),
  num_average: int({ min: 1 })
    .required()
    .describe('Compare with the average of this many past windows.')
    .messages({ missing: () => count(undefined), invalid: count }),
});

export const averageAnalysis: AnalysisDescriptor<'AverageAnalysis', AverageOptions> = {
  kind: 'analysis',
  name: 'AverageAnalysis',
  doc: 'Alerts when a value deviates by more than the given percentage from the average of the same key’s last num_average windows.',
  options,
  check(raw, ctx) {
    options.parseAt(raw, { path: ctx.optionsPath, parent: '', key: '' }, { sink: ctx.sink, resolve: (p) => p, exists: () => true });
    checkDeviationColumns((raw as { deviation?: unknown } | undefined)?.deviation, ctx);
  },
  create: (o, name) => new AverageAnalysis(o, name),
  lookbackWindows: (o) => Number((o as Partial<AverageOptions>).num_average) || 1,
};
