/** SimpleAnalysis (docs/semantics.md#built-in-analyses): compares each value with the one `batch_number` windows back. */
import type { AlertSender, HistoryAccessor } from '../../extensions/types.js';
import { DeviationAnalysis, checkDeviation, deviationDescriptor, numeric, pointAt } from './deviation.js';

export class SimpleAnalysis extends DeviationAnalysis {
  private readonly batchNumber: number;
  constructor(options: unknown, name: string) {
    super(options, name);
    this.batchNumber = (options as { batch_number: number }).batch_number;
  }
  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    for (const [field, pct] of this.deviation) {
      const got = pointAt(history, this.batchNumber);
      const h = got instanceof Promise ? await got : got;
      const base = numeric(h[field]);
      if (base === undefined) continue;
      const sent = checkDeviation(this.name, history, alerts, field, base, pct);
      if (sent) await sent;
    }
  }
}

export const simpleAnalysis = deviationDescriptor<'SimpleAnalysis', { deviation: Record<string, number>; batch_number: number }>(
  'SimpleAnalysis',
  'Alerts when a value deviates by more than the given percentage from the same key’s value batch_number windows back.',
  { key: 'batch_number', doc: 'Compare with the window this many windows back.' },
  (o, name) => new SimpleAnalysis(o, name),
);
