/**
 * The built-in analyses: SimpleAnalysis (10.4), AverageAnalysis (10.5) and the
 * legacy time_delta form (10.7, D-35), with the D-25 fixes: bounds ordered,
 * an average of 0 is checked, missing/null history values mean "no history".
 */
import type { Value } from '../../core/types.js';
import type { AlertSender, HistoryAccessor, HistoryPoint, UserAnalysis } from '../../extensions/types.js';
import { toDouble } from '../../values/numeric.js';
import type { RecordHistory } from '../../analysis/history.js';

function num(v: Value | Value[] | undefined): number | undefined {
  if (v === null || v === undefined || typeof v === 'string' || Array.isArray(v)) return undefined;
  return toDouble(v as number | bigint | boolean);
}

function bounds(base: number, pct: number): [number, number] {
  const a = base * (1 - pct / 100);
  const b = base * (1 + pct / 100);
  return a <= b ? [a, b] : [b, a];
}

interface DeviationOptions {
  deviation: Record<string, number>;
}

async function check(name: string, history: HistoryAccessor, alerts: AlertSender, field: string, base: number, pct: number): Promise<void> {
  const current = history.current();
  const v = current[field];
  const x = num(v);
  if (x === undefined) return;
  const [lower, upper] = bounds(base, pct);
  if (x < lower || x > upper) {
    await alerts.send({ module: name, timestamp: 0, param: { key: current.key, field, lower_bound: lower, upper_bound: upper, value: v as Value } });
  }
}

export class SimpleAnalysis implements UserAnalysis {
  private readonly deviation: [string, number][];
  private readonly batchNumber: number;
  constructor(
    options: unknown,
    readonly name: string,
  ) {
    const o = options as DeviationOptions & { batch_number: number };
    this.deviation = Object.entries(o.deviation);
    this.batchNumber = o.batch_number;
  }
  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    for (const [field, pct] of this.deviation) {
      const h = await history.get(this.batchNumber);
      const base = num(h[field]);
      if (base === undefined) continue;
      await check(this.name, history, alerts, field, base, pct);
    }
  }
}

export class AverageAnalysis implements UserAnalysis {
  private readonly deviation: [string, number][];
  private readonly numAverage: number;
  constructor(
    options: unknown,
    readonly name: string,
  ) {
    const o = options as DeviationOptions & { num_average: number };
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
        const x = num(h[field]);
        if (x === undefined) continue;
        sum += x;
        count++;
      }
      if (count === 0) continue;
      await check(this.name, history, alerts, field, sum / count, pct);
    }
  }
}

/** 10.7: compares with the point `time_delta` seconds before the window end; reports as module "Analysis". */
export class TimeDeltaAnalysis implements UserAnalysis {
  private readonly deviation: [string, number][];
  private readonly offsetMs: number;
  constructor(
    options: unknown,
    readonly name: string,
  ) {
    const o = options as DeviationOptions & { time_delta: number };
    this.deviation = Object.entries(o.deviation);
    this.offsetMs = Math.round(o.time_delta * 1000);
  }
  async analysis(history: HistoryAccessor, alerts: AlertSender): Promise<void> {
    const h = await (history as RecordHistory).at(this.offsetMs);
    for (const [field, pct] of this.deviation) {
      const base = num(h[field]);
      if (base === undefined) continue;
      await check('Analysis', history, alerts, field, base, pct);
    }
  }
}

export const BUILTIN_ANALYSIS_CLASSES: Record<string, new (o: unknown, n: string) => UserAnalysis> = {
  SimpleAnalysis,
  AverageAnalysis,
  Analysis: TimeDeltaAnalysis,
};
