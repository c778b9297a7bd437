// The built-in deviation rules run straight on aggregate rows (engine/analysis/immediate.ts, docs/performance.md#analysis)
// report exactly what the same rules report through a RecordHistory, with the same lookups.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowMemoryHistory } from '../../../engine/analysis/history-memory.js';
import { RecentWindowsHistory } from '../../../engine/analysis/history-recent.js';
import { RecordHistory } from '../../../engine/analysis/history.js';
import { ImmediateRules } from '../../../engine/analysis/immediate.js';
import { AverageAnalysis } from '../../../engine/components/analyses/average.js';
import type { ImmediateAlertSender } from '../../../engine/components/analyses/deviation.js';
import { SimpleAnalysis } from '../../../engine/components/analyses/simple.js';
import { TimeDeltaAnalysis } from '../../../engine/components/analyses/time-delta.js';
import type { HistoryQuery, HistorySource } from '../../../engine/components/types.js';
import type { Value } from '../../../engine/core/types.js';

const BATCH = 10_000;
const ACCURACY = 2_000;
const KEY_FIELDS = ['sid', 'stype'];
const NAMES = ['a', 'b', 'c'];
const KEYS: Value[][] = [
  [1, 'x'],
  [2, 'y'],
  [3, 'x'],
];

/** A store with points of earlier runs, answered at once (as SQLite history is). */
class EarlierRuns implements HistorySource {
  readonly description = 'earlier runs';
  constructor(private readonly points: Map<string, Record<string, Value>>) {}
  async open() {}
  async close() {}
  async lookup(q: HistoryQuery) {
    return this.lookupNow(q);
  }
  lookupNow(q: HistoryQuery) {
    return this.points.get(`${JSON.stringify(q.key)}@${q.targetMs}`);
  }
}

type Report = [string, Value[] | null, string, Value, number, number, boolean];

function recorder(): { sender: ImmediateAlertSender; reports: Report[] } {
  const reports: Report[] = [];
  const sender: ImmediateAlertSender = {
    send: async () => undefined,
    observe: async () => undefined,
    reportNow: (module, key, field, value, lower, upper, deviating) => void reports.push([module, key, field, value, lower, upper, deviating]),
  };
  return { sender, reports };
}

const value = fc.oneof(
  fc.double({ min: -1e6, max: 1e6 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('text', ''),
);
const deviation = fc.dictionary(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 120 }), { minKeys: 1 });
const rule = fc.oneof(
  fc.record({ kind: fc.constant('simple' as const), deviation, n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('average' as const), deviation, n: fc.integer({ min: 1, max: 5 }) }),
);
/** windows in time order, some skipped, each with some of the keys */
const windows = fc.array(
  fc.record({
    gap: fc.integer({ min: 1, max: 2 }),
    shift: fc.constantFrom(0, 0, -1_000, 2_000, 2_500),
    rows: fc.subarray([0, 1, 2], { minLength: 1 }),
    values: fc.array(fc.array(value, { minLength: 3, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
  }),
  { minLength: 1, maxLength: 10 },
);
/** points of earlier runs: (key, windows before the first one) → values */
const earlier = fc.array(
  fc.record({ key: fc.integer({ min: 0, max: 2 }), back: fc.integer({ min: 0, max: 5 }), values: fc.array(value, { minLength: 3, maxLength: 3 }) }),
  {
    maxLength: 6,
  },
);

describe('ImmediateRules', () => {
  it('reports what the built-ins report through a RecordHistory (deviations only, unless observations are kept), with the same lookups', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 3 }),
        windows,
        earlier,
        fc.boolean(),
        fc.boolean(),
        (rules, ws, past, keepsObservations, inMemory) => {
          const firstEnd = 100 * BATCH;
          const points = new Map<string, Record<string, Value>>();
          for (const p of past) {
            const end = firstEnd - p.back * BATCH;
            points.set(`${JSON.stringify(KEYS[p.key])}@${end}`, Object.fromEntries(NAMES.map((n, i) => [n, p.values[i]!])));
          }
          const analyses = rules.map((r, i) =>
            r.kind === 'simple'
              ? new SimpleAnalysis({ deviation: r.deviation, batch_number: r.n }, `S${i}`)
              : new AverageAnalysis({ deviation: r.deviation, num_average: r.n }, `A${i}`),
          );
          const keepMs = Math.max(...rules.map((r) => r.n)) * BATCH + ACCURACY;
          // the run's recent windows before a store, or a backtest's windows in memory (closest point within ± accuracy)
          const history = inMemory
            ? new WindowMemoryHistory(KEY_FIELDS, NAMES, keepMs + BATCH)
            : new RecentWindowsHistory(new EarlierRuns(points), KEY_FIELDS, NAMES, keepMs, BATCH);
          const immediate = ImmediateRules.of(analyses, history, NAMES, KEY_FIELDS, BATCH, ACCURACY);
          expect(immediate).toBeDefined();
          let end = firstEnd - BATCH;
          for (const w of ws) {
            end += w.gap * BATCH;
            // windows off the batch grid: lookups land between them, within the accuracy or not
            end += w.shift;
            const groups = w.rows.map((k) => ({ key: [...KEYS[k]!], acc: w.values[k]! }));
            history.observe({ startMs: end - BATCH, endMs: end, groups });
            for (const g of groups) {
              const viaAccessor = recorder();
              const direct = recorder();
              const values = { ...Object.fromEntries(NAMES.map((n, i) => [n, g.acc[i]!])), key: g.key } as unknown as Record<string, Value>;
              const record = new RecordHistory(values, g.key, KEY_FIELDS, history, end, BATCH, ACCURACY);
              immediate!.startWindow(end);
              immediate!.startRow(g.acc, g.key);
              for (let ri = 0; ri < analyses.length; ri++) {
                expect(analyses[ri]!.analysis(record, viaAccessor.sender)).toBeUndefined();
                immediate!.evaluate(ri, direct.sender, keepsObservations);
              }
              // a rule without lifecycle keeps its deviations only (the analyzer's sender drops the rest)
              expect(direct.reports).toEqual(keepsObservations ? viaAccessor.reports : viaAccessor.reports.filter((r) => r[6]));
              expect(immediate!.lookups).toBe(record.lookups);
            }
          }
        },
      ),
    );
  });

  it('is not used when a rule or the history needs the accessor', () => {
    const store = new EarlierRuns(new Map());
    const recent = new RecentWindowsHistory(store, KEY_FIELDS, NAMES, 60_000, BATCH);
    const simple = new SimpleAnalysis({ deviation: { a: 10 }, batch_number: 1 }, 'S');
    expect(ImmediateRules.of([simple], recent, NAMES, KEY_FIELDS, BATCH, ACCURACY)).toBeDefined();
    // a user module, the legacy time_delta form (arbitrary offsets)
    expect(ImmediateRules.of([simple, undefined], recent, NAMES, KEY_FIELDS, BATCH, ACCURACY)).toBeUndefined();
    const legacy = new TimeDeltaAnalysis({ deviation: { a: 10 }, time_delta: 25 }, 'Analysis');
    expect(ImmediateRules.of([legacy], recent, NAMES, KEY_FIELDS, BATCH, ACCURACY)).toBeUndefined();
    // a history that has to be awaited (InfluxDB, Cassandra)
    const awaited: HistorySource = { description: 'influx', open: async () => {}, close: async () => {}, lookup: async () => undefined };
    expect(ImmediateRules.of([simple], awaited, NAMES, KEY_FIELDS, BATCH, ACCURACY)).toBeUndefined();
    // history[0].key is the row's key, whatever a column of that name holds
    const onKey = new SimpleAnalysis({ deviation: { key: 10 }, batch_number: 1 }, 'S');
    expect(ImmediateRules.of([onKey], recent, [...NAMES, 'key'], KEY_FIELDS, BATCH, ACCURACY)).toBeUndefined();
    // a point's `time` is the window end in ns, whatever a column of that name holds
    const onTime = new SimpleAnalysis({ deviation: { time: 10 }, batch_number: 1 }, 'S');
    expect(ImmediateRules.of([onTime], recent, [...NAMES, 'time'], KEY_FIELDS, BATCH, ACCURACY)).toBeUndefined();
  });
});
