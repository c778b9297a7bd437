/** SimpleAnalysis (docs/semantics.md#built-in-analyses): compares each value with the one `batch_number` windows back. */
import { IndexedDeviationAnalysis, deviationDescriptor } from './deviation.js';

export class SimpleAnalysis extends IndexedDeviationAnalysis {
  readonly reads: readonly number[];
  constructor(options: unknown, name: string) {
    super(options, name);
    this.reads = [(options as { batch_number: number }).batch_number];
  }
  baseOf(numbers: Float64Array, _count: number): number {
    return numbers[0]!;
  }
}

export const simpleAnalysis = deviationDescriptor<'SimpleAnalysis', { deviation: Record<string, number>; batch_number: number }>(
  'SimpleAnalysis',
  'Alerts when a value deviates by more than the given percentage from the same key’s value batch_number windows back.',
  { key: 'batch_number', doc: 'Compare with the window this many windows back.' },
  (o, name) => new SimpleAnalysis(o, name),
);
