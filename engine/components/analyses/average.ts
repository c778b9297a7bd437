/** AverageAnalysis (docs/semantics.md#built-in-analyses): compares each value with the average of the last `num_average` windows. */
import type { HistoryPoint } from '../../extensions/types.js';
import { IndexedDeviationAnalysis, deviationDescriptor, numeric } from './deviation.js';

export class AverageAnalysis extends IndexedDeviationAnalysis {
  readonly reads: readonly number[];
  constructor(options: unknown, name: string) {
    super(options, name);
    const numAverage = (options as { num_average: number }).num_average;
    this.reads = Array.from({ length: numAverage }, (_, i) => i + 1);
  }
  baseOf(field: string, past: readonly HistoryPoint[]): number | undefined {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < past.length; i++) {
      const x = numeric(past[i]![field]);
      if (x === undefined) continue;
      sum += x;
      count++;
    }
    return count === 0 ? undefined : sum / count;
  }
}

export const averageAnalysis = deviationDescriptor<'AverageAnalysis', { deviation: Record<string, number>; num_average: number }>(
  'AverageAnalysis',
  'Alerts when a value deviates by more than the given percentage from the average of the same key’s last num_average windows.',
  { key: 'num_average', doc: 'Compare with the average of this many past windows.' },
  (o, name) => new AverageAnalysis(o, name),
);
