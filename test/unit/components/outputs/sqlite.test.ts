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

describe('sqlite output, windows of more groups than one statement holds', () => {
  // 130 keys in a window take three upserts (64 + 64 + 2 rows), each binding the window's bounds once
  const SENSORS = 130;
  const rows: string[] = [];
  const expected = new Map<string, { n: number; lo: number; hi: number; sum: number }>();
  for (let t = 0; t < 30; t++) {
    for (let s = 1; s <= SENSORS; s++) {
      const speed = ((s * 7919 + t * 104729) % 5000) + 0.25;
      const type = `t${s % 3}`;
      rows.push(`${1523800000 + t},${s},${type},1,2,${speed},3`);
      const end = (Math.floor((1523800000 + t) / 10) + 1) * 10_000;
      const k = `${end}|${s}|${type}`;
      const e = expected.get(k);
      if (e) {
        e.n++;
        e.lo = Math.min(e.lo, speed);
        e.hi = Math.max(e.hi, speed);
        e.sum += speed;
      } else expected.set(k, { n: 1, lo: speed, hi: speed, sum: speed });
    }
  }

  const runWith = (workers: string) => {
    const dir = tmp();
    writeFiles(dir, {
      'config.json': makeConfig({
        transformation: ['sensor_id', 'sensor_type', 'n: one(timestamp)', 'lo: rotation_speed', 'hi: rotation_speed', 'total: rotation_speed'],
        rule: ['key: (sensor_id, sensor_type)', 'sum(n)', 'min(lo)', 'max(hi)', 'sum(total)'],
        options: { path: 'data.csv', batchDuration: 10, time_field: 'timestamp', time_unit: 's' },
        outputs: [{ method: 'sqlite', options: { path: 'store.db', table: 'points' } }],
      }),
      'ds.json': structure(SENSOR_SPEC),
      'data.csv': `${rows.join('\n')}\n`,
    });
    const r = cli(['run', path.join(dir, 'config.json'), '--no-progress', '--workers', workers]);
    expect(r.status, r.stderr).toBe(0);
    const db = new Database(path.join(dir, 'store.db'), { readonly: true });
    const stored = db.prepare('SELECT * FROM points ORDER BY window_end, sensor_id, sensor_type').all() as Record<string, number | string>[];
    db.close();
    return stored;
  };

  it('writes every group with its own window bounds and values, on one thread and from parallel workers', () => {
    const oneThread = runWith('1');
    expect(oneThread).toHaveLength(expected.size);
    for (const row of oneThread) {
      const e = expected.get(`${row.window_end}|${row.sensor_id}|${row.sensor_type}`);
      expect(e, JSON.stringify(row)).toBeDefined();
      expect(row.window_start).toBe(Number(row.window_end) - 10_000);
      expect([row.n, row.lo, row.hi]).toEqual([e!.n, e!.lo, e!.hi]);
      expect(row.total).toBeCloseTo(e!.sum, 6);
    }
    expect(runWith('2')).toEqual(oneThread);
  });
});
