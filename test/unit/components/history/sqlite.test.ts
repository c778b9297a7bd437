// History read back from the embedded store (docs/semantics.md#history-lookups: closest point within ± accuracy, same key).
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
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

  it('answers from what the file holds at that moment: its own writes in a batch, and what another connection committed between batches', async () => {
    // the window ends a range holds are kept while nothing can have changed (SqliteStores.writeGeneration)
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), endS: fc.integer({ min: 1, max: 12 }), ip: fc.constantFrom('a', 'b'), v: fc.integer() }),
      fc.record({ kind: fc.constant('other' as const), endS: fc.integer({ min: 1, max: 12 }), ip: fc.constantFrom('a', 'b'), v: fc.integer() }),
      fc.record({ kind: fc.constant('commit' as const) }),
      fc.record({
        kind: fc.constant('lookup' as const),
        // few ranges: a range asked again is where kept window ends could be stale
        targetS: fc.constantFrom(2, 6, 10),
        toleranceS: fc.constantFrom(0, 1, 3),
        ip: fc.constantFrom('a', 'b'),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40, size: 'max' }), async (ops) => {
        const { file, stores } = store([]);
        const db = stores.acquire(file);
        const other = new Database(file);
        const h = new SqliteHistory(stores, file, 'points');
        await h.open();
        const held = new Map<string, number>();
        const upsert = (into: Database.Database, endS: number, ip: string, v: number) => {
          into.prepare('INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?)').run(endS * 1000 - 10_000, endS * 1000, ip, v, v);
          held.set(`${endS}/${ip}`, v);
        };
        try {
          for (const o of ops) {
            if (o.kind === 'write') await stores.batch(db, () => upsert(db, o.endS, o.ip, o.v));
            // another writer gets the file between this one's batches only
            else if (o.kind === 'other') db.inTransaction ? undefined : upsert(other, o.endS, o.ip, o.v);
            else if (o.kind === 'commit') stores.flush();
            else {
              let expected: number | undefined;
              let best = Infinity;
              for (let endS = o.targetS - o.toleranceS; endS <= o.targetS + o.toleranceS; endS++) {
                const v = held.get(`${endS}/${o.ip}`);
                if (v !== undefined && Math.abs(endS - o.targetS) <= best) [expected, best] = [v, Math.abs(endS - o.targetS)];
              }
              const got = h.lookupNow({ keyFields: ['ip'], key: [o.ip], targetMs: o.targetS * 1000, toleranceMs: o.toleranceS * 1000 });
              expect(got?.ip_size, JSON.stringify(o)).toBe(expected);
            }
          }
        } finally {
          other.close();
          await h.close();
          stores.release(file);
          stores.closeAll();
        }
      }),
      { numRuns: 200 },
    );
  });
});
