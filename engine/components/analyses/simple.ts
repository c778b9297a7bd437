/** SimpleAnalysis (docs/semantics.md#built-in-analyses): compares each value with the one `batch_number` windows back. */
import type { AlertSender, HistoryAccessor, UserAnalysis } from '../../extensions/types.js';
import { int, obj } from '../../options/spec.js';
import type { AnalysisDescriptor } from '../descriptor.js';
import { checkDeviation, checkDeviationColumns, countMessage, deviationSpec, numeric } from './deviation.js';

interface SimpleOptions {
  deviation: Record<string, number>;
  batch_number: number;
}

export class SimpleAnalysis implements UserAnalysis {
  private readonly deviation: [string, number][];
  private readonly batchNumber: number;
  constructor(
    options: unknown,
    readonly name: string,
  ) {
    const o = options as SimpleOptions;
    this.deviation = Object.entries(o.deviation);
    this.batchNumber = o.batch_number;
  }
  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    for (const [field, pct] of this.deviation) {
      const h = await history.get(this.batchNumber);
      const base = numeric(h[field]);
      if (base === undefined) continue;
      await checkDeviation(this.name, history, alerts, field, base, pct);
    }
  }
}

const count = countMessage('SimpleAnalysis', 'batch_number');
const options = obj({
  deviation: deviationSpec('SimpleAnalysis'),
  batch_number: int({ min: 1 })
    .required()
    .describe('Compare with the window this many windows back.')
    .messages({ missing: () => count(undefined), invalid: count }),
});

export const simpleAnalysis: AnalysisDescriptor<'SimpleAnalysis', SimpleOptions> = {
  kind: 'analysis',
  name: 'SimpleAnalysis',
  doc: 'Alerts when a value deviates by more than the given percentage from the same key’s value batch_number windows back.',
  options,
  check(raw, ctx) {
    options.parseAt(raw, { path: ctx.optionsPath, parent: '', key: '' }, { sink: ctx.sink, resolve: (p) => p, exists: () => true });
    checkDeviationColumns((raw as { deviation?: unknown } | undefined)?.deviation, ctx);
  },
  create: (o, name) => new SimpleAnalysis(o, name),
  lookbackWindows: (o) => Number((o as Partial<SimpleOptions>).batch_number) || 1,
};
