// SimpleAnalysis (docs/semantics.md#built-in-analyses), AverageAnalysis (docs/semantics.md#built-in-analyses), the legacy time_delta form (docs/semantics.md#legacy-time-delta) with docs/semantics.md#history-lookups and docs/semantics.md#deviation-bounds.
import { describe, expect, it } from 'vitest';
import type { Value } from '../../../../engine/core/types.js';
import { AverageAnalysis } from '../../../../engine/components/analyses/average.js';
import { SimpleAnalysis } from '../../../../engine/components/analyses/simple.js';
import { TimeDeltaAnalysis } from '../../../../engine/components/analyses/time-delta.js';
import { RecordHistory } from '../../../../engine/analysis/history.js';
import { WindowMemoryHistory } from '../../../../engine/analysis/history-memory.js';
import type { ImmediateAlertSender } from '../../../../engine/components/analyses/deviation.js';
import type { HistoryQuery, HistorySource } from '../../../../engine/components/types.js';
import type { AlertMessage } from '../../../../engine/extensions/types.js';

/** A history source answering from a table target ms → point, recording every query. */
class FakeHistory implements HistorySource {
  readonly description = 'fake';
  readonly queries: HistoryQuery[] = [];
  constructor(private readonly points: Record<number, Record<string, Value>>) {}
  async open(): Promise<void> {}
  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    this.queries.push(q);
    return this.points[q.targetMs];
  }
  async close(): Promise<void> {}
}

const END = 1_000_000; // window end, ms
const BATCH = 10_000;
const ACC = 2_000;

function record(values: Record<string, Value>, history: FakeHistory, key: Value[] | null = [1, 't1']) {
  return new RecordHistory(values, key, key ? ['sid', 'stype'] : [], history, END, BATCH, ACC);
}

async function alertsOf(analysis: { analysis: SimpleAnalysis['analysis'] }, rec: RecordHistory): Promise<AlertMessage[]> {
  const sent: AlertMessage[] = [];
  await analysis.analysis(rec, { send: async (m) => void sent.push(m), observe: async () => undefined });
  return sent;
}

const ago = (n: number) => END - n * BATCH;

describe('SimpleAnalysis (10.4)', () => {
  it('observed example: history 1000.0, pct 10, current 1300.0 → bounds [900.0, 1100.0] → alert', async () => {
    const h = new FakeHistory({ [ago(1)]: { rsum: 1000 } });
    const sent = await alertsOf(new SimpleAnalysis({ deviation: { rsum: 10 }, batch_number: 1 }, 'Simple1'), record({ rsum: 1300 }, h));
    expect(sent).toEqual([{ module: 'Simple1', timestamp: 0, param: { key: [1, 't1'], field: 'rsum', lower_bound: 900, upper_bound: 1100, value: 1300 } }]);
  });
  it('inside the bounds (inclusive) there is no alert', async () => {
    const h = new FakeHistory({ [ago(1)]: { rsum: 1000 } });
    for (const v of [900, 1000, 1100])
      expect(await alertsOf(new SimpleAnalysis({ deviation: { rsum: 10 }, batch_number: 1 }, 'S'), record({ rsum: v }, h))).toEqual([]);
    expect(await alertsOf(new SimpleAnalysis({ deviation: { rsum: 10 }, batch_number: 1 }, 'S'), record({ rsum: 899.9 }, h))).toHaveLength(1);
  });
  it('batch_number n targets window_end − n × batchDuration ± accuracy, for the record key (D-28)', async () => {
    const h = new FakeHistory({ [ago(3)]: { rsum: 10 } });
    const sent = await alertsOf(new SimpleAnalysis({ deviation: { rsum: 50 }, batch_number: 3 }, 'S'), record({ rsum: 100 }, h));
    expect(h.queries).toEqual([{ keyFields: ['sid', 'stype'], key: [1, 't1'], targetMs: END - 30_000, toleranceMs: ACC }]);
    expect(sent.map((m) => [m.param.lower_bound, m.param.upper_bound])).toEqual([[5, 15]]);
  });
  it('no history point: the field is skipped', async () => {
    expect(await alertsOf(new SimpleAnalysis({ deviation: { rsum: 10 }, batch_number: 1 }, 'S'), record({ rsum: 1e9 }, new FakeHistory({})))).toEqual([]);
  });
  it('one query per (record, n), not per deviation field (D-24)', async () => {
    const h = new FakeHistory({ [ago(1)]: { a: 10, b: 10, c: 10 } });
    const rec = record({ a: 100, b: 10, c: 0 }, h);
    const sent = await alertsOf(new SimpleAnalysis({ deviation: { a: 10, b: 10, c: 10 }, batch_number: 1 }, 'S'), rec);
    expect(sent.map((m) => m.param.field)).toEqual(['a', 'c']);
    expect(h.queries).toHaveLength(1);
    expect(rec.lookups).toBe(1);
  });
  it('negative history values give ordered bounds (D-25)', async () => {
    const h = new FakeHistory({ [ago(1)]: { t: -1000 } });
    const an = new SimpleAnalysis({ deviation: { t: 10 }, batch_number: 1 }, 'S');
    expect(await alertsOf(an, record({ t: -1000 }, h))).toEqual([]);
    const sent = await alertsOf(an, record({ t: -1200 }, h));
    expect(sent.map((m) => [m.param.lower_bound, m.param.upper_bound, m.param.value])).toEqual([[-1100, -900, -1200]]);
  });
  it('a missing or null column in the history point means "no history for that field" (D-25)', async () => {
    const h = new FakeHistory({ [ago(1)]: { a: null, c: 5 } });
    const sent = await alertsOf(new SimpleAnalysis({ deviation: { a: 10, b: 10, c: 10 }, batch_number: 1 }, 'S'), record({ a: 1, b: 1, c: 50 }, h));
    expect(sent.map((m) => m.param.field)).toEqual(['c']);
  });
  it('integer and bigint values compare as numbers; the alert keeps the value as it is', async () => {
    const h = new FakeHistory({ [ago(1)]: { n: 9007199254740993n } });
    const sent = await alertsOf(new SimpleAnalysis({ deviation: { n: 0 }, batch_number: 1 }, 'S'), record({ n: 2n ** 60n }, h));
    expect(sent.map((m) => m.param.value)).toEqual([2n ** 60n]);
  });
  it('an unkeyed (reduce) record has key null', async () => {
    const h = new FakeHistory({ [ago(1)]: { f: 1 } });
    const sent = await alertsOf(new SimpleAnalysis({ deviation: { f: 10 }, batch_number: 1 }, 'M'), record({ f: 3 }, h, null));
    expect(sent[0]!.param.key).toBeNull();
    expect(h.queries[0]!.key).toBeNull();
  });
});

describe('AverageAnalysis (10.5)', () => {
  it('observed example: 1000.0 and 2000.0 (third missing), pct 10, current 1300.0 → [1350.0, 1650.0000000000002] → alert', async () => {
    const h = new FakeHistory({ [ago(1)]: { traffic: 1000 }, [ago(2)]: { traffic: 2000 } });
    const sent = await alertsOf(new AverageAnalysis({ deviation: { traffic: 10 }, num_average: 3 }, 'Avg3'), record({ traffic: 1300 }, h));
    expect(sent).toEqual([
      { module: 'Avg3', timestamp: 0, param: { key: [1, 't1'], field: 'traffic', lower_bound: 1350, upper_bound: 1650.0000000000002, value: 1300 } },
    ]);
  });
  it('fetches history[1…num_average] once each, before looping over fields (D-24)', async () => {
    const h = new FakeHistory({ [ago(1)]: { a: 1, b: 1 } });
    const rec = record({ a: 1, b: 1 }, h);
    await alertsOf(new AverageAnalysis({ deviation: { a: 1, b: 1 }, num_average: 4 }, 'A'), rec);
    expect(h.queries.map((q) => q.targetMs)).toEqual([ago(1), ago(2), ago(3), ago(4)]);
    expect(rec.lookups).toBe(4);
  });
  it('no non-empty point: the field is not checked', async () => {
    expect(await alertsOf(new AverageAnalysis({ deviation: { a: 10 }, num_average: 3 }, 'A'), record({ a: 5 }, new FakeHistory({})))).toEqual([]);
  });
  it('an average of exactly 0 is checked with bounds [0, 0] (D-25)', async () => {
    const h = new FakeHistory({ [ago(1)]: { a: 0 }, [ago(2)]: { a: 0 } });
    const an = new AverageAnalysis({ deviation: { a: 50 }, num_average: 2 }, 'A');
    expect(await alertsOf(an, record({ a: 0 }, h))).toEqual([]);
    const sent = await alertsOf(an, record({ a: 1 }, h));
    expect(sent.map((m) => [m.param.lower_bound, m.param.upper_bound])).toEqual([[0, 0]]);
  });
  it('points lacking the field are not counted in the average (D-25)', async () => {
    const h = new FakeHistory({ [ago(1)]: { a: 100 }, [ago(2)]: { b: 7 }, [ago(3)]: { a: null } });
    const sent = await alertsOf(new AverageAnalysis({ deviation: { a: 10 }, num_average: 3 }, 'A'), record({ a: 200 }, h));
    expect(sent.map((m) => [m.param.lower_bound, m.param.upper_bound])).toEqual([[90, 110.00000000000001]]);
  });
});

describe('legacy time_delta analysis (10.7, D-35)', () => {
  it('compares with the point time_delta seconds before the window end, reporting module "Analysis"', async () => {
    const h = new FakeHistory({ [END - 60_000]: { traffic: 100 } });
    const sent = await alertsOf(new TimeDeltaAnalysis({ deviation: { traffic: 10 }, time_delta: 60 }, 'Analysis'), record({ traffic: 150 }, h));
    expect(sent.map((m) => [m.module, m.param.field, m.param.lower_bound, m.param.upper_bound])).toEqual([['Analysis', 'traffic', 90, 110.00000000000001]]);
  });
});

describe('RecordHistory (10.2)', () => {
  it('history[0] is the current record with its key; history[n] is cached per n', async () => {
    const h = new FakeHistory({ [ago(3)]: { ip_size: 3333, ip_size_sum: 3333, time: 970_000_000_000n } });
    const rec = new RecordHistory({ ip_size: 1111, ip_size_sum: 2222 }, ['8.8.8.8'], ['ip'], h, END, BATCH, ACC);
    expect(await rec.get(0)).toEqual({ ip_size: 1111, ip_size_sum: 2222, key: ['8.8.8.8'] });
    expect(rec.current()).toEqual({ ip_size: 1111, ip_size_sum: 2222, key: ['8.8.8.8'] });
    expect(await rec.get(3)).toEqual({ ip_size: 3333, ip_size_sum: 3333, key: ['8.8.8.8'], time: 970_000_000_000n });
    expect(await rec.get(4)).toEqual({});
    await rec.get(3);
    expect(h.queries.map((q) => q.targetMs)).toEqual([ago(3), ago(4)]);
    await expect(rec.get(-1)).rejects.toThrow('history index must be a non-negative integer, got -1');
    await expect(rec.get(1.5)).rejects.toThrow(/non-negative integer/);
  });
});

describe('built-ins on history held in memory (docs/backtest.md#speed)', () => {
  // the windows ending 1…6 batches ago, value 100 + 10 × n for key [1, 't1']
  const windows = [6, 5, 4, 3, 2, 1].map((n) => ({ startMs: ago(n) - BATCH, endMs: ago(n), groups: [{ key: [1, 't1'], acc: [100 + 10 * n] }] }));
  const inMemory = () => {
    const h = new WindowMemoryHistory(['sid', 'stype'], ['rsum'], Infinity);
    for (const w of windows) h.observe(w);
    return h;
  };
  const inStore = () => new FakeHistory(Object.fromEntries(windows.map((w) => [w.endMs, { rsum: w.groups[0]!.acc[0]! }])));
  const rules = [new SimpleAnalysis({ deviation: { rsum: 5 }, batch_number: 2 }, 'S'), new AverageAnalysis({ deviation: { rsum: 5 }, num_average: 6 }, 'A')];

  it('finish at once, with the reports a store-backed history gives', async () => {
    for (const rule of rules) {
      for (const current of [100, 135, 160]) {
        const reports: [AlertMessage, boolean][] = [];
        const sender: ImmediateAlertSender = {
          send: async () => expect.fail('reported at once instead'),
          observe: async () => expect.fail('reported at once instead'),
          reportNow: (module, key, field, value, lower_bound, upper_bound, deviating) =>
            void reports.push([{ module, timestamp: 0, param: { key, field, lower_bound, upper_bound, value } }, deviating]),
        };
        const rec = new RecordHistory({ rsum: current }, [1, 't1'], ['sid', 'stype'], inMemory(), END, BATCH, ACC);
        expect(rule.analysis(rec, sender), `${rule.name} at ${current}`).toBeUndefined();

        const awaited: [AlertMessage, boolean][] = [];
        const later = { send: async (m: AlertMessage) => void awaited.push([m, true]), observe: async (m: AlertMessage) => void awaited.push([m, false]) };
        await rule.analysis(record({ rsum: current }, inStore()), later);
        expect(reports, `${rule.name} at ${current}`).toEqual(awaited);
        expect(reports).toHaveLength(1);
      }
    }
  });
});
