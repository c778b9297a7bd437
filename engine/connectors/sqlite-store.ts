/**
 * The embedded store (docs/semantics.md#the-store): one better-sqlite3 handle per database file per
 * pipeline, shared by the sqlite output, the alerts table, the dead-letter
 * table and the SQLite history source. WAL mode so the workbench can read while
 * a run writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FieldType } from '../core/types.js';
import { isFloatingType, isIntegerType } from '../core/types.js';

export type Db = Database.Database;

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function sqlType(t: FieldType): string {
  if (isIntegerType(t) || t === 'BooleanType') return 'INTEGER';
  if (isFloatingType(t)) return 'REAL';
  return 'TEXT';
}

export function openDatabase(file: string, readonly = false): Db {
  if (!readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly, fileMustExist: readonly });
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('busy_timeout = 5000');
  db.defaultSafeIntegers(false);
  return db;
}

/**
 * The SQLite handles of one pipeline. Writes go into a batch transaction that
 * spans several windows (one commit per window would cost more than the rows
 * themselves); it is committed when it gets old (`flushIfDue`), before source
 * offsets are committed, on pause and at the end (`flush`).
 */
export class SqliteStores {
  private readonly dbs = new Map<string, { db: Db; refs: number }>();
  private readonly inBatch = new Set<Db>();
  private batchSince: number | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs `write` inside the current batch transaction of `db`, opening one if needed. */
  batch(db: Db, write: () => void): void {
    if (!db.inTransaction) {
      db.exec('BEGIN');
      this.inBatch.add(db);
      this.batchSince ??= this.now();
    }
    write();
  }

  /** Commits every open batch: what was written is durable and visible to other readers. */
  flush(): void {
    for (const db of this.inBatch) if (db.open && db.inTransaction) db.exec('COMMIT');
    this.inBatch.clear();
    this.batchSince = undefined;
  }

  /** Commits when the open batch is older than `maxAgeMs`. */
  flushIfDue(maxAgeMs = 250): void {
    if (this.batchSince !== undefined && this.now() - this.batchSince >= maxAgeMs) this.flush();
  }

  acquire(file: string): Db {
    const abs = path.resolve(file);
    let e = this.dbs.get(abs);
    if (!e) {
      e = { db: openDatabase(abs), refs: 0 };
      this.dbs.set(abs, e);
    }
    e.refs++;
    return e.db;
  }

  release(file: string): void {
    const abs = path.resolve(file);
    const e = this.dbs.get(abs);
    if (!e) return;
    if (--e.refs <= 0) {
      if (e.db.inTransaction) e.db.exec('COMMIT');
      this.inBatch.delete(e.db);
      e.db.close();
      this.dbs.delete(abs);
    }
  }

  closeAll(): void {
    this.flush();
    for (const e of this.dbs.values()) e.db.close();
    this.dbs.clear();
  }
}

/** Existing columns of a table, or undefined when it does not exist. */
export function tableColumns(db: Db, table: string): { name: string; type: string; pk: number }[] | undefined {
  const rows = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string; type: string; pk: number }[];
  return rows.length > 0 ? rows : undefined;
}
