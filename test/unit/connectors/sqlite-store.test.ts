// The embedded store (engine/connectors/sqlite-store.ts): values of any size are kept exactly (integers beyond int64 as a
// BLOB of digits); several writers share one file: a locked database is waited for, tables are created idempotently,
// and dead letters count as kept only once committed.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SqliteDeadLetters } from '../../../engine/pipeline/dead-letters.js';
import { fromSqlValue, openDatabase, SqliteStores, toSqlValue } from '../../../engine/connectors/sqlite-store.js';
import { summary } from '../../../engine/cli/report.js';
import type { RunStats } from '../../../engine/pipeline/runner.js';
import { cliAsync, SECTION14_RULE, SECTION14_TRANSFORMATION, SENSOR_SPEC, structure, useTmpDir, writeFiles } from '../helpers.js';

const tmp = useTmpDir('ts-engine-store-');
const INT64_MAX = 2n ** 63n - 1n;
const letter = (n: number) => ({ position: { source: 'x.csv', line: n }, reason: 'bad LongType', message: 'm', raw: `row ${n}` });

describe('openDatabase', () => {
  it('a writer: WAL, normal syncs, and a page cache of 2 000 KiB (SQLite’s default) whatever the driver was built with; a reader keeps its default', () => {
    const file = path.join(tmp(), 'a.db');
    const writer = openDatabase(file);
    const reader = openDatabase(file, true);
    const unconfigured = new Database(':memory:');
    try {
      expect(writer.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(writer.pragma('synchronous', { simple: true })).toBe(1);
      expect(writer.pragma('cache_size', { simple: true })).toBe(-2000);
      expect(reader.pragma('cache_size', { simple: true })).toBe(unconfigured.pragma('cache_size', { simple: true }));
    } finally {
      unconfigured.close();
      reader.close();
      writer.close();
    }
  });
});

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

describe('a database another process holds', () => {
  it('a batch waits for the lock (without blocking the event loop) and writes once it is free', async () => {
    const file = path.join(tmp(), 'w.db');
    const other = new Database(file);
    other.pragma('journal_mode = WAL');
    other.exec('CREATE TABLE t (v INTEGER)');
    other.exec('BEGIN IMMEDIATE');
    const stores = new SqliteStores();
    const db = stores.acquire(file);
    let released = false;
    let wrote = false;
    const write = stores.batch(db, () => {
      expect(released).toBe(true);
      db.prepare('INSERT INTO t VALUES (1)').run();
      wrote = true;
    });
    // the other writer keeps its transaction for a while (longer than one lock attempt), then commits
    await new Promise((r) => setTimeout(r, 700));
    expect(wrote).toBe(false);
    other.exec('COMMIT');
    released = true;
    await write;
    stores.flush();
    expect(other.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    other.close();
    stores.closeAll();
  });

  it('gives up after maxLockWaitMs with an error naming the file; dead letters that were not committed are not kept', async () => {
    const file = path.join(tmp(), 'held.db');
    const stores = new SqliteStores({ maxLockWaitMs: 300 });
    const db = stores.acquire(file);
    const dead = new SqliteDeadLetters(stores, db, file, 'run-1', () => 0);
    await dead.open();
    for (let i = 0; i < 5; i++) dead.add(letter(i));
    await dead.flush();
    expect(dead.kept).toBe(0); // written into the batch, not committed yet
    stores.flush();
    expect(dead.kept).toBe(5);

    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    for (let i = 5; i < 8; i++) dead.add(letter(i));
    await expect(dead.flush()).rejects.toThrow(`SQLite database ${file} is locked by another writer; gave up after`);
    other.exec('ROLLBACK');
    other.close();
    expect(dead.kept).toBe(5);
    const stats: RunStats = {
      runId: 'run-1',
      state: 'failed',
      rowsRead: 8,
      rowsOk: 0,
      rowErrors: 8,
      lateRows: 0,
      errorsByReason: { 'bad LongType': 8 },
      windowsClosed: 0,
      aggregateRows: 0,
      alerts: 0,
      elapsedMs: 1,
      rowsPerSec: 0,
      fraction: null,
      deadLetters: dead.description,
      deadLettersKept: dead.kept,
      connections: [],
    };
    expect(summary(stats)).toContain(`row errors: 8 (bad LongType: 8); 5 kept in dead_letters table of ${file}, 3 not written`);
    stores.closeAll();
  });

  it('tables and the dead-letter encoding column are created idempotently by concurrent creators', async () => {
    const file = path.join(tmp(), 'ddl.db');
    const a = new SqliteStores();
    const b = new SqliteStores();
    const letters = [a, b].map((s) => new SqliteDeadLetters(s, s.acquire(file), file, 'r', () => 0));
    await Promise.all(letters.map((l) => l.open()));
    const db = new Database(file, { readonly: true });
    expect((db.prepare('PRAGMA table_info(dead_letters)').all() as { name: string }[]).map((c) => c.name)).toContain('raw_encoding');
    db.close();
    a.closeAll();
    b.closeAll();
  });
});

describe('20 concurrent `ts-engine run` on one database file (issue 10, point 8)', () => {
  it('all exit 0, and the dead letters and aggregates their summaries report are exactly the tables', async () => {
    const dir = tmp();
    const RUNS = 20;
    const ROWS = 1000;
    const files: Record<string, string | object> = { 'ds.json': structure(SENSOR_SPEC) };
    for (let r = 0; r < RUNS; r++) {
      const lines: string[] = [];
      for (let i = 0; i < ROWS; i++) {
        // disjoint event times per run: every run owns its windows; one row in 20 is bad
        const t = 1_700_000_000 + r * 100_000 + Math.floor(i / 10);
        lines.push(i % 20 === 7 ? `${t},x,seal.t1,1,1,1000,1` : `${t},${i % 10},seal.t${i % 3},1,1,${1000 + i},1`);
      }
      files[`in${r}.csv`] = lines.join('\n') + '\n';
      files[`c${r}.json`] = {
        input: { input_type: 'csv', data_structure: 'ds.json', options: { path: `in${r}.csv`, batchDuration: 10, time_field: 'timestamp' } },
        outputs: [{ method: 'sqlite', main: true, options: { path: 'shared.db', table: 'points' } }],
        processing: { transformation: SECTION14_TRANSFORMATION, aggregations: { operation_type: 'reduceByKey', rule: SECTION14_RULE } },
        databases: {},
        analysis: {
          alert: [{ method: 'sqlite' }],
          accuracy: 2,
          rule: [{ module: 'SimpleAnalysis', name: 'S', options: { deviation: { rpm_max: 5 }, batch_number: 1 } }],
        },
      };
    }
    writeFiles(dir, files);
    // another writer holds the database when the runs start, longer than a lock attempt of SQLite's
    // own busy timeout (5 s) would wait: every run waits for it, then all of them create the tables
    const holder = new Database(path.join(dir, 'shared.db'));
    holder.pragma('journal_mode = WAL');
    holder.exec('BEGIN IMMEDIATE');
    const running = Array.from({ length: RUNS }, (_, r) => cliAsync(['run', `c${r}.json`], { cwd: dir, timeoutMs: 120_000 }));
    await new Promise((r) => setTimeout(r, 6000));
    holder.exec('COMMIT');
    holder.close();
    const results = await Promise.all(running);
    for (const r of results) {
      expect(r.stderr).not.toMatch(/locked|already exists|^error/m);
      expect(r.status).toBe(0);
    }
    const claimed = results.reduce((n, r) => n + Number(/row errors: ([\d,]+) .*; kept in /.exec(r.stderr)![1]!.replace(/,/g, '')), 0);
    const aggregates = results.reduce((n, r) => n + Number(/, ([\d,]+) aggregate rows\n/.exec(r.stderr)![1]!.replace(/,/g, '')), 0);
    const db = new Database(path.join(dir, 'shared.db'), { readonly: true });
    expect(claimed).toBe(RUNS * (ROWS / 20));
    expect(db.prepare('SELECT count(*) AS n FROM dead_letters').get()).toEqual({ n: claimed });
    expect(db.prepare('SELECT count(*) AS n, sum(counter) AS rows FROM points').get()).toEqual({ n: aggregates, rows: RUNS * (ROWS - ROWS / 20) });
    db.close();
    expect(fs.existsSync(path.join(dir, 'shared.db'))).toBe(true);
  }, 180_000);
});
