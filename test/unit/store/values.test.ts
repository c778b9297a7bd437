// Integers beyond int64 in the embedded store (engine/store/values.ts): a run stores any value it is given, exactly,
// and the history reader (analysis) and the workbench's reader (main/api/history.ts) read it back.
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqliteHistory } from '../../../engine/analysis/history-sqlite.js';
import { SqliteStores } from '../../../engine/store/sqlite-store.js';
import { fromSqlValue, toSqlValue } from '../../../engine/store/values.js';
import { readHistory } from '../../../main/api/history.js';
import { cli, makeConfig, mustPlan, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir('ts-engine-store-');

const INT64_MAX = 2n ** 63n - 1n;

describe('toSqlValue / fromSqlValue', () => {
  it('every integer survives an INTEGER column exactly: int64 as INTEGER, beyond it as a BLOB of digits', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    const ins = db.prepare('INSERT INTO t (id, v) VALUES (?, ?)');
    const get = db.prepare('SELECT v, typeof(v) AS t, CAST(v AS TEXT) AS text FROM t WHERE id = ?').safeIntegers(true);
    let id = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), fc.constantFrom(INT64_MAX, INT64_MAX + 1n, -(2n ** 63n), -(2n ** 63n) - 1n, 10n ** 120n)),
        (n) => {
          const v = fromSqlValue(BigInt.asIntN(64, n) === n && Number.isSafeInteger(Number(n)) ? Number(n) : n);
          ins.run(++id, toSqlValue(v));
          const row = get.get(id) as { v: unknown; t: string; text: string };
          expect(BigInt(fromSqlValue(row.v) as number | bigint)).toBe(n);
          expect(row.text).toBe(n.toString());
          expect(row.t).toBe(BigInt.asIntN(64, n) === n ? 'integer' : 'blob');
        },
      ),
    );
  });
  it('booleans are 0/1; other values pass unchanged; a blob that is not digits stays text', () => {
    expect([toSqlValue(true), toSqlValue(false), toSqlValue('x'), toSqlValue(1.5), toSqlValue(null)]).toEqual([1, 0, 'x', 1.5, null]);
    expect(fromSqlValue(Buffer.from('abc'))).toBe('abc');
    expect(fromSqlValue(12n)).toBe(12);
  });
});

describe('csv → sqlite with integers beyond int64 (issue 10, point 5)', () => {
  it('a 9223372036854775808 in a LongType column and a sum overflowing int64: exit 0, stored exactly, read back by history and the workbench', async () => {
    const dir = tmp();
    const config = makeConfig({
      transformation: ['k', 'v'],
      rule: ['key: k', 'sum(v)'],
      options: { path: 'big.csv' },
      outputs: [{ method: 'sqlite', main: true, options: { path: 'store.db', table: 'points' } }],
    });
    writeFiles(dir, {
      'config.json': config,
      'ds.json': { k: { index: 0, type: 'StringType' }, v: { index: 1, type: 'LongType' } },
      'big.csv': ['over,9223372036854775808', 'sum,9223372036854775807', 'sum,9223372036854775807', 'small,42', 'neg,-99999999999999999999999', ''].join('\n'),
    });
    const r = cli(['run', 'config.json'], { cwd: dir });
    expect(r.stderr).not.toMatch(/RangeError|^\s+at /m);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/4 aggregate rows\nrow errors: 0\n/);

    const db = new Database(path.join(dir, 'store.db'), { readonly: true });
    const rows = db.prepare('SELECT k, CAST(v AS TEXT) AS v FROM points ORDER BY k').all();
    db.close();
    expect(rows).toEqual([
      { k: 'neg', v: '-99999999999999999999999' },
      { k: 'over', v: '9223372036854775808' },
      { k: 'small', v: '42' },
      { k: 'sum', v: '18446744073709551614' },
    ]);

    // the analysis history reader
    const stores = new SqliteStores();
    const h = new SqliteHistory(stores, path.join(dir, 'store.db'), 'points');
    await h.open();
    const point = (await h.lookup({ keyFields: ['k'], key: ['sum'], targetMs: 0, toleranceMs: Number.MAX_SAFE_INTEGER }))!;
    expect(point.v).toBe(18446744073709551614n);
    await h.close();
    stores.closeAll();

    // the workbench's reader
    const plan = await mustPlan(config, { k: { index: 0, type: 'StringType' }, v: { index: 1, type: 'LongType' } });
    plan.config.outputs = [{ method: 'sqlite', main: true, path: path.join(dir, 'store.db'), table: 'points', index: 0 }];
    const history = readHistory(plan);
    const values = Object.fromEntries(history.windows[0]!.rows.map((x) => [x.key!.k, x.values.v]));
    expect(values).toEqual({ neg: { big: '-99999999999999999999999' }, over: { big: '9223372036854775808' }, small: 42, sum: { big: '18446744073709551614' } });
  });
});
