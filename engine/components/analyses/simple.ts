/** SimpleAnalysis (docs/semantics.md#built-in-analyses): compares each value with the one `batch_number` windows back. */
import type { AlertSender, HistoryAccessor } from '../../extensions/types.js';
import { DeviationAnalysis, deviationDescriptor, pointAt } from './deviation.js';

export class SimpleAnalysis extends DeviationAnalysis {
  private readonly batchNumber: number;
  constructor(options: unknown, name: string) {
    super(options, name);
    this.batchNumber = (options as { batch_number: number }).batch_number;
  }
  analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> | undefined {
    const got = pointAt(history, this.batchNumber);
    if (got instanceof Promise) return got.then((past) => this.compareWith(past, history, alerts));
    return this.compareWith(got, history, alerts);
  }
}

export const simpleAnalysis = deviationDescriptor<'SimpleAnalysis', { deviation: Record<string, number>; batch_number: number }>(
  'SimpleAnalysis',
  'Alerts when a value deviates by more than the given percentage from the same key’s value batch_number windows back.',
  { key: 'batch_number', doc: 'Compare with the window this many windows back.' },
  (o, name) => new SimpleAnalysis(o, name),
);
