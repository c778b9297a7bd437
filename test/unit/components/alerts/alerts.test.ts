// Alert sinks (docs/semantics.md#kafka-alerts, docs/semantics.md#cli, docs/semantics.md#alert-time-zone): the reference stdout line in UTC, JSON lines, and the SQLite alerts table.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../../engine/components/types.js';
import { formatAlertTime, jsonAlertLine, referenceAlertLine } from '../../../../engine/components/alerts/stdout.js';
import { SqliteAlertSink } from '../../../../engine/components/alerts/sqlite.js';
import { SqliteStores } from '../../../../engine/connectors/sqlite-store.js';
import { useTmpDir } from '../../helpers.js';
import { keyedAlert, referenceAlert } from './fixtures.js';

const tmp = useTmpDir();

const keyed: Alert = keyedAlert();

describe('stdout alert line (10.6)', () => {
  it('keyed record', () => {
    expect(referenceAlertLine(keyed, 'utc')).toBe(
      "Simple1: Time: 2018-04-15 12:00:00. Parameter 'rsum' for key=(1, 't1') out of range [900.0,1100.0] and equal 1300.0",
    );
  });
  it('unkeyed record (reduce), timestamp 0 in UTC', () => {
    const a: Alert = {
      ...keyed,
      module: 'M',
      timeMs: 0,
      key: null,
      keyFields: [],
      keyTypes: [],
      field: 'f',
      value: 3,
      valueType: 'LongType',
      lowerBound: -1.5,
      upperBound: 2,
    };
    // bounds are doubles in ts-engine (JS numbers cannot tell 2 from 2.0): the reference printed "[-1.5,2]" for an int bound
    expect(referenceAlertLine(a, 'utc')).toBe("M: Time: 1970-01-01 00:00:00. Parameter 'f' out of range [-1.5,2.0] and equal 3");
  });
  it('numbers use Python str, keys Python tuple repr', () => {
    const a: Alert = { ...keyed, key: ["it's", 2.5], keyTypes: ['StringType', 'DoubleType'], value: 1e16, lowerBound: 1.5e-5, upperBound: 1650.0000000000002 };
    expect(referenceAlertLine(a, 'utc')).toBe(
      `Simple1: Time: 2018-04-15 12:00:00. Parameter 'rsum' for key=("it's", 2.5) out of range [1.5e-05,1650.0000000000002] and equal 1e+16`,
    );
    const one: Alert = { ...keyed, key: ['8.8.8.8'], keyTypes: ['StringType'], value: 2n ** 64n, valueType: 'LongType' };
    expect(referenceAlertLine(one, 'utc')).toContain("for key=('8.8.8.8',) out of range [900.0,1100.0] and equal 18446744073709551616");
  });
  it('time is truncated to whole seconds; UTC by default, local on request (D-46)', () => {
    expect(formatAlertTime(Date.UTC(2018, 3, 15, 23, 59, 59, 999), 'utc')).toBe('2018-04-15 23:59:59');
    const d = new Date(2018, 3, 15, 7, 8, 9, 500);
    expect(formatAlertTime(d.getTime(), 'local')).toBe('2018-04-15 07:08:09');
  });
  it('jsonl: {module, time, key, field, value, lower_bound, upper_bound}', () => {
    expect(JSON.parse(jsonAlertLine(keyed))).toEqual({
      module: 'Simple1',
      time: '2018-04-15T12:00:00.999Z',
      key: [1, 't1'],
      field: 'rsum',
      value: 1300,
      lower_bound: 900,
      upper_bound: 1100,
    });
    expect(jsonAlertLine(keyed)).toBe(
      '{"module": "Simple1", "time": "2018-04-15T12:00:00.999Z", "key": [1, "t1"], "field": "rsum", "value": 1300.0, "lower_bound": 900.0, "upper_bound": 1100.0}',
    );
    const big: Alert = { ...keyed, key: null, value: 2n ** 64n, valueType: 'LongType', upperBound: Infinity };
    expect(jsonAlertLine(big)).toBe(
      '{"module": "Simple1", "time": "2018-04-15T12:00:00.999Z", "key": null, "field": "rsum", "value": 18446744073709551616, "lower_bound": 900.0, "upper_bound": null}',
    );
  });
});

describe('SQLite alerts table', () => {
  it('(window_end, module, key, field) is unique: a replay replaces, never duplicates', async () => {
    const file = path.join(tmp(), 'alerts.db');
    const stores = new SqliteStores();
    let now = 1;
    const sink = new SqliteAlertSink(stores, file, 'alerts', () => now++);
    await sink.open();
    await sink.deliver([keyed]);
    await sink.deliver([referenceAlert({ ...keyed, field: 'other' })]);
    await sink.deliver([{ ...keyed, value: 1400 }]);
    const rows = stores
      .acquire(file)
      .prepare('SELECT window_end, module, key, field, value, value_text, lower_bound, upper_bound, key_fields FROM alerts ORDER BY field')
      .all();
    expect(rows).toEqual([
      {
        window_end: keyed.timeMs,
        module: 'Simple1',
        key: '[1, "t1"]',
        field: 'other',
        value: 1300,
        value_text: '1300.0',
        lower_bound: 900,
        upper_bound: 1100,
        key_fields: '["sid","stype"]',
      },
      {
        window_end: keyed.timeMs,
        module: 'Simple1',
        key: '[1, "t1"]',
        field: 'rsum',
        value: 1400,
        value_text: '1400.0',
        lower_bound: 900,
        upper_bound: 1100,
        key_fields: '["sid","stype"]',
      },
    ]);
    await sink.close();
    stores.closeAll();
  });
});

describe('SQLite alerts table: constant columns in the statement', () => {
  it('names with quotes, NUL characters or SQL in them are stored as they are, and every column lands in its place', async () => {
    const file = path.join(tmp(), 'literal.db');
    const stores = new SqliteStores();
    const sink = new SqliteAlertSink(stores, file, 'alerts', () => 42);
    await sink.open();
    const odd = [
      { ...keyed, module: "O'Brien", field: "it's", rule: "r'; DROP TABLE alerts; --" },
      { ...keyed, module: 'nul\0inside', field: 'f\0', rule: 'r', timeMs: keyed.timeMs + 1 },
      { ...keyed, module: '', field: "''", rule: '\\', state: 'resolved' as const, timeMs: keyed.timeMs + 2 },
    ];
    await sink.deliver(odd);
    const columns =
      'window_end, module, key, field, value, value_text, lower_bound, upper_bound, key_fields, recorded_at, rule, state, alert_id, episode_start, episode_kind, lifecycle, peak_value, peak_value_text, peak_time';
    const rows = stores.acquire(file).prepare(`SELECT ${columns} FROM alerts ORDER BY window_end`).all();
    // the same alerts through the statement that binds every column
    const general = path.join(tmp(), 'general.db');
    const stores2 = new SqliteStores();
    const sink2 = new SqliteAlertSink(stores2, general, 'alerts', () => 42);
    await sink2.open();
    (sink2 as unknown as { literalInsert: () => undefined }).literalInsert = () => undefined;
    await sink2.deliver(odd);
    expect(rows).toEqual(stores2.acquire(general).prepare(`SELECT ${columns} FROM alerts ORDER BY window_end`).all());
    expect(rows.map((r) => [(r as Alert & { module: string }).module, (r as { field: string }).field, (r as { rule: string }).rule])).toEqual(
      odd.map((a) => [a.module, a.field, a.rule]),
    );
    expect((rows[2] as { state: string }).state).toBe('resolved');
    await sink.close();
    await sink2.close();
    stores.closeAll();
    stores2.closeAll();
  });
});

describe('SQLite alerts table of an earlier version', () => {
  it('is migrated once: its rows become firing alerts without lifecycle, with the ids they would have had', async () => {
    const file = path.join(tmp(), 'old.db');
    const stores = new SqliteStores();
    const db = stores.acquire(file);
    db.exec(`CREATE TABLE alerts (window_end INTEGER NOT NULL, module TEXT NOT NULL, key TEXT NOT NULL, field TEXT NOT NULL, value REAL,
      value_text TEXT NOT NULL, lower_bound REAL NOT NULL, upper_bound REAL NOT NULL, key_fields TEXT NOT NULL, recorded_at INTEGER NOT NULL,
      PRIMARY KEY (window_end, module, key, field))`);
    db.prepare('INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      keyed.timeMs,
      'Simple1',
      '[1, "t1"]',
      'rsum',
      1300,
      '1300.0',
      900,
      1100,
      '["sid","stype"]',
      5,
    );
    for (let i = 0; i < 2; i++) {
      const sink = new SqliteAlertSink(stores, file, 'alerts', () => 7);
      await sink.open();
      await sink.close();
    }
    const again = stores.acquire(file);
    expect(again.prepare('SELECT * FROM alerts').all()).toEqual([
      {
        window_end: keyed.timeMs,
        module: 'Simple1',
        key: '[1, "t1"]',
        field: 'rsum',
        value: 1300,
        value_text: '1300.0',
        lower_bound: 900,
        upper_bound: 1100,
        key_fields: '["sid","stype"]',
        recorded_at: 5,
        rule: 'Simple1',
        state: 'firing',
        alert_id: keyed.alertId,
        episode_start: keyed.timeMs,
        episode_kind: 'deviation',
        lifecycle: 0,
        peak_value: 1300,
        peak_value_text: '1300.0',
        peak_time: keyed.timeMs,
      },
    ]);
    // the same alert delivered now replaces the migrated row instead of adding one
    const sink = new SqliteAlertSink(stores, file, 'alerts', () => 9);
    await sink.open();
    await sink.deliver([keyed]);
    await sink.close();
    expect(stores.acquire(file).prepare('SELECT count(*) AS n, max(recorded_at) AS at FROM alerts').get()).toEqual({ n: 1, at: 9 });
    stores.closeAll();
  });
});
