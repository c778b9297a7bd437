/**
 * The legacy analysis form (docs/semantics.md#legacy-time-delta): `time_delta` seconds plus
 * `rule: {column: percent}` compares with the point time_delta before the window end and reports
 * as module "Analysis".
 */
import type { AlertSender, HistoryAccessor, UserAnalysis } from '../../extensions/types.js';
import { anything } from '../../options/spec.js';
import type { AnalysisDescriptor } from '../descriptor.js';
import { checkDeviation, numeric, type TimedHistoryAccessor } from './deviation.js';

interface TimeDeltaOptions {
  deviation: Record<string, number>;
  time_delta: number;
}

export class TimeDeltaAnalysis implements UserAnalysis {
  private readonly deviation: [string, number][];
  private readonly offsetMs: number;
  constructor(
    options: unknown,
    readonly name: string,
  ) {
    const o = options as TimeDeltaOptions;
    this.deviation = Object.entries(o.deviation);
    this.offsetMs = Math.round(o.time_delta * 1000);
  }
  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    const h = await (history as TimedHistoryAccessor).at(this.offsetMs);
    for (const [field, pct] of this.deviation) {
      const base = numeric(h[field]);
      if (base === undefined) continue;
      await checkDeviation('Analysis', history, alerts, field, base, pct);
    }
  }
}

export const timeDeltaAnalysis: AnalysisDescriptor<'Analysis', TimeDeltaOptions> = {
  kind: 'analysis',
  name: 'Analysis',
  doc: 'The legacy form: compares with the point time_delta seconds before the window end.',
  // built by the analysis section from `time_delta` and `rule`, never written as options
  options: anything() as never,
  check(raw, ctx) {
    const dev = (raw as TimeDeltaOptions).deviation;
    const bad = Object.keys(dev).filter((c) => !ctx.columns.has(c));
    if (bad.length > 0) {
      ctx.sink.report(
        'analysis.rule',
        'UnsupportedAnalysisFormat',
        `An error in the analysis rule. The field {${bad.map((b) => `'${b}'`).join(', ')}} is not contained in set of fields after aggregation operation`,
      );
    }
  },
  create: (o, name) => new TimeDeltaAnalysis(o, name),
  lookbackWindows: () => 1,
};
