// Integers beyond int64 in the embedded store, end to end: a run stores any value it is given, exactly, and the history
// reader of analysis (engine/components/history/sqlite.ts) and the workbench's reader (engine/facade/history.ts) read it back.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteHistory } from '../../../engine/components/history/sqlite.js';
import { SqliteStores } from '../../../engine/connectors/sqlite-store.js';
import { readHistory } from '../../../engine/facade/history.js';
import { cli, makeConfig, mustPlan, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir('ts-engine-store-');

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
    const history = await readHistory(plan);
    const values = Object.fromEntries(history.windows[0]!.rows.map((x) => [x.key!.k, x.values.v]));
    expect(values).toEqual({ neg: { big: '-99999999999999999999999' }, over: { big: '9223372036854775808' }, small: 42, sum: { big: '18446744073709551614' } });
  });
});
