/**
 * The legacy analysis form (docs/semantics.md#legacy-time-delta): `time_delta` seconds plus
 * `rule: {column: percent}` compares with the point time_delta before the window end and reports
 * as module "Analysis".
 */
import type { AlertSender, HistoryAccessor } from '../../extensions/types.js';
import { anything } from '../../options/spec.js';
import type { AnalysisDescriptor } from '../descriptor.js';
import { DeviationAnalysis, type TimedHistoryAccessor } from './deviation.js';

interface TimeDeltaOptions {
  deviation: Record<string, number>;
  time_delta: number;
}

export class TimeDeltaAnalysis extends DeviationAnalysis {
  private readonly offsetMs: number;
  constructor(options: unknown, name: string) {
    super(options, name);
    this.offsetMs = Math.round((options as TimeDeltaOptions).time_delta * 1000);
  }
  analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    return (history as TimedHistoryAccessor).at(this.offsetMs).then((past) => this.compareWith(past, history, alerts, 'Analysis'));
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
  lookbackMs: (o) => Math.round((o as TimeDeltaOptions).time_delta * 1000),
};
