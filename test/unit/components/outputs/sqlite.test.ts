// The sqlite output drops the history-lookup index earlier versions made on its table (docs/performance.md#analysis).
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cli, makeConfig, SECTION14_ROWS, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../../helpers.js';

const tmp = useTmpDir();

describe('sqlite output', () => {
  it('drops the (keys, window_end) index an earlier version made for history lookups, and writes the same rows', () => {
    const runInto = (withOldIndex: boolean) => {
      const dir = tmp();
      writeFiles(dir, {
        'config.json': makeConfig({
          transformation: ['sensor_id', 'n: one(timestamp)'],
          rule: ['key: sensor_id', 'sum(n)'],
          options: { path: 'data.csv', batchDuration: 10, time_field: 'timestamp' },
          outputs: [{ method: 'sqlite', options: { path: 'store.db', table: 'points' } }],
        }),
        'ds.json': structure(SENSOR_SPEC),
        'data.csv': `${SECTION14_ROWS.join('\n')}\n`,
      });
      const file = path.join(dir, 'store.db');
      if (withOldIndex) {
        const db = new Database(file);
        db.exec(
          'CREATE TABLE points (window_start INTEGER NOT NULL, window_end INTEGER NOT NULL, sensor_id INTEGER, n INTEGER, PRIMARY KEY (window_end, sensor_id)) WITHOUT ROWID',
        );
        db.exec('CREATE INDEX points_history_lookup ON points (sensor_id, window_end)');
        db.close();
      }
      const r = cli(['run', path.join(dir, 'config.json'), '--no-progress']);
      expect(r.status, r.stderr).toBe(0);
      const db = new Database(file, { readonly: true });
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'points'").all();
      const rows = db.prepare('SELECT * FROM points ORDER BY window_end, sensor_id').all();
      db.close();
      return { indexes, rows };
    };
    const upgraded = runInto(true);
    expect(upgraded.indexes).toEqual([]);
    expect(upgraded.rows).toEqual(runInto(false).rows);
    expect(upgraded.rows.length).toBeGreaterThan(0);
  });
});
