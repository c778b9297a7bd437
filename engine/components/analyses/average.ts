/** AverageAnalysis (docs/semantics.md#built-in-analyses): compares each value with the average of the last `num_average` windows. */
import { IndexedDeviationAnalysis, deviationDescriptor } from './deviation.js';

export class AverageAnalysis extends IndexedDeviationAnalysis {
  readonly reads: readonly number[];
  constructor(options: unknown, name: string) {
    super(options, name);
    const numAverage = (options as { num_average: number }).num_average;
    this.reads = Array.from({ length: numAverage }, (_, i) => i + 1);
  }
  baseOf(numbers: Float64Array, count: number): number {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += numbers[i]!;
    return sum / count;
  }
}

export const averageAnalysis = deviationDescriptor<'AverageAnalysis', { deviation: Record<string, number>; num_average: number }>(
  'AverageAnalysis',
  'Alerts when a value deviates by more than the given percentage from the average of the same key’s last num_average windows.',
  { key: 'num_average', doc: 'Compare with the average of this many past windows.' },
  (o, name) => new AverageAnalysis(o, name),
);
