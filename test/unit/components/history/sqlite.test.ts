// History read back from the embedded store (docs/semantics.md#history-lookups: closest point within ± accuracy, same key).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteHistory } from '../../../../engine/components/history/sqlite.js';
import { RecordHistory } from '../../../../engine/analysis/history.js';
import { SqliteStores } from '../../../../engine/connectors/sqlite-store.js';
import { useTmpDir } from '../../helpers.js';

const tmp = useTmpDir();

function store(rows: [number, string, number, number][]) {
  const file = path.join(tmp(), 'h.db');
  const stores = new SqliteStores();
  const db = stores.acquire(file);
  db.exec('CREATE TABLE points (window_start INTEGER, window_end INTEGER, ip TEXT, ip_size INTEGER, ip_size_sum INTEGER, PRIMARY KEY (window_end, ip))');
  const ins = db.prepare('INSERT INTO points VALUES (?, ?, ?, ?, ?)');
  for (const [endS, ip, a, b] of rows) ins.run(endS * 1000 - 10_000, endS * 1000, ip, a, b);
  return { file, stores };
}

describe('SqliteHistory', () => {
  it('reference test facts (now = 1000 s, batchDuration 10, accuracy 2, key ("8.8.8.8",))', async () => {
    const { file, stores } = store([
      [970, '8.8.8.8', 3333, 3333],
      [970, '1.1.1.1', 1, 1],
      [990, '1.1.1.1', 2, 2],
    ]);
    const h = new SqliteHistory(stores, file, 'points');
    await h.open();
    const rec = new RecordHistory({ ip_size: 1111, ip_size_sum: 2222 }, ['8.8.8.8'], ['ip'], h, 1_000_000, 10_000, 2_000);
    expect(await rec.get(0)).toEqual({ ip_size: 1111, ip_size_sum: 2222, key: ['8.8.8.8'] });
    expect(await rec.get(3)).toEqual({
      window_start: 960_000,
      window_end: 970_000,
      ip: '8.8.8.8',
      ip_size: 3333,
      ip_size_sum: 3333,
      key: ['8.8.8.8'],
      time: 970_000_000_000n,
    });
    expect(await rec.get(4)).toEqual({});
    // the point at 990 s belongs to another key
    expect(await rec.get(1)).toEqual({});
    await h.close();
    stores.closeAll();
  });
  it('picks the stored point closest to the target within ± accuracy (15.1)', async () => {
    const { file, stores } = store([
      [968.5, 'k', 1, 1],
      [971, 'k', 2, 2],
      [973, 'k', 3, 3],
    ]);
    const h = new SqliteHistory(stores, file, 'points');
    await h.open();
    const q = (targetMs: number, toleranceMs: number) => h.lookup({ keyFields: ['ip'], key: ['k'], targetMs, toleranceMs });
    expect((await q(970_000, 2_000))!.ip_size).toBe(2);
    expect((await q(969_000, 2_000))!.ip_size).toBe(1);
    expect((await q(974_500, 2_000))!.ip_size).toBe(3);
    expect(await q(975_500, 2_000)).toBeUndefined();
    expect(await q(980_000, 2_000)).toBeUndefined();
    // no key filter for an unkeyed record
    expect((await h.lookup({ keyFields: [], key: null, targetMs: 971_000, toleranceMs: 0 }))!.ip_size).toBe(2);
    await h.close();
    stores.closeAll();
  });
  it('of two points as close, the later one; a point of another key in a closer window does not count', async () => {
    const { file, stores } = store([
      [960, 'k', 1, 1],
      [970, 'other', 9, 9],
      [980, 'k', 2, 2],
    ]);
    const h = new SqliteHistory(stores, file, 'points');
    await h.open();
    const q = (targetMs: number, toleranceMs: number) => h.lookup({ keyFields: ['ip'], key: ['k'], targetMs, toleranceMs });
    expect((await q(970_000, 10_000))!.ip_size).toBe(2);
    expect((await q(969_000, 20_000))!.ip_size).toBe(1);
    expect(await q(970_000, 9_000)).toBeUndefined();
    await h.close();
    stores.closeAll();
  });
  it('reads by the primary key: creates no index on the table (every write would pay for it)', async () => {
    const { file, stores } = store([[970, 'k', 1, 1]]);
    const h = new SqliteHistory(stores, file, 'points');
    await h.open();
    expect((await h.lookup({ keyFields: ['ip'], key: ['k'], targetMs: 970_000, toleranceMs: 2_000 }))!.ip_size).toBe(1);
    const db = stores.acquire(file);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all()).toEqual([]);
    stores.release(file);
    await h.close();
    stores.closeAll();
  });
  it('nothing stored yet (no table): empty history, no error', async () => {
    const stores = new SqliteStores();
    const h = new SqliteHistory(stores, path.join(tmp(), 'empty.db'), 'points');
    await h.open();
    expect(await h.lookup({ keyFields: ['ip'], key: ['x'], targetMs: 1, toleranceMs: 1 })).toBeUndefined();
    await h.close();
    stores.closeAll();
  });
});
