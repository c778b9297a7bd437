/**
 * The embedded store (15.2): one better-sqlite3 handle per database file per
 * pipeline, shared by the sqlite output, the alerts table, the dead-letter
 * table and the SQLite history source. WAL mode so the workbench can read while
 * a run writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FieldType } from '../types.js';
import { isFloatingType, isIntegerType } from '../types.js';

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

export class SqliteStores {
  private readonly dbs = new Map<string, { db: Db; refs: number }>();

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
      e.db.close();
      this.dbs.delete(abs);
    }
  }

  closeAll(): void {
    for (const e of this.dbs.values()) e.db.close();
    this.dbs.clear();
  }
}

/** Existing columns of a table, or undefined when it does not exist. */
export function tableColumns(db: Db, table: string): { name: string; type: string; pk: number }[] | undefined {
  const rows = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string; type: string; pk: number }[];
  return rows.length > 0 ? rows : undefined;
}

export const DEAD_LETTER_DDL = `CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  line INTEGER,
  partition INTEGER,
  "offset" TEXT,
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  raw TEXT NOT NULL
)`;

export const ALERTS_DDL = (table: string) => `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (
  window_end INTEGER NOT NULL,
  module TEXT NOT NULL,
  key TEXT NOT NULL,
  field TEXT NOT NULL,
  value REAL,
  value_text TEXT NOT NULL,
  lower_bound REAL NOT NULL,
  upper_bound REAL NOT NULL,
  key_fields TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (window_end, module, key, field)
)`;
