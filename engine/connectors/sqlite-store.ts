/**
 * The embedded store (docs/semantics.md#the-store): one better-sqlite3 handle per database file per
 * pipeline, shared by the sqlite output, the alerts table, the dead-letter
 * table and the SQLite history source. WAL mode so the workbench can read while
 * a run writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { type Clock, systemClock } from '../core/clock.js';
import { EngineError } from '../core/errors.js';
import { ensureDirectory } from '../core/files.js';
import type { FieldType, Value } from '../core/types.js';
import { isFloatingType, isIntegerType } from '../core/types.js';
import { normBig } from '../values/numeric.js';
import { backoffDelay, Throttle } from './backoff.js';
import { Database, sqliteAddon } from './sqlite-driver.js';

export type Db = BetterSqlite3.Database;

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function sqlType(t: FieldType): string {
  if (isIntegerType(t) || t === 'BooleanType') return 'INTEGER';
  if (isFloatingType(t)) return 'REAL';
  return 'TEXT';
}

/*
 * How values are kept (docs/bad-input.md): integers in int64 range as INTEGER, booleans as 0/1,
 * doubles as REAL, strings as TEXT — and integers beyond int64 (the language's integers are
 * unbounded) as a BLOB holding their decimal digits. Not TEXT: a column of INTEGER affinity turns a
 * numeric-looking TEXT into a REAL and loses the digits, while a BLOB is stored as it is;
 * `CAST(col AS TEXT)` gives the exact digits of every row either way.
 */
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

export type SqlValue = number | bigint | string | Buffer | null;

export function toSqlValue(v: Value): SqlValue {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint' && (v > INT64_MAX || v < INT64_MIN)) return Buffer.from(v.toString(), 'latin1');
  return v;
}

const DIGITS = /^-?[0-9]+$/;

/**
 * A stored value read back (statements in safe-integer mode, so int64 values keep every digit):
 * integers as number when safe, else bigint; a BLOB of decimal digits is such an integer.
 */
export function fromSqlValue(v: unknown): Value {
  if (typeof v === 'bigint') return normBig(v);
  if (Buffer.isBuffer(v)) {
    const text = v.toString('latin1');
    return DIGITS.test(text) ? normBig(BigInt(text)) : text;
  }
  return v as Value;
}

/** Why a database file cannot be opened, in words that name the file (SQLite's own say "unable to open database file"). */
function openFailure(file: string, readonly: boolean, e: unknown): EngineError {
  const code = (e as { code?: string }).code ?? '';
  let why = (e as Error).message;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat?.isDirectory()) why = 'it is a directory';
  else if (stat && !stat.isFile()) why = 'it is not a regular file';
  else if ((e as Error).name === 'FileAccessError') why = (e as Error).message;
  else if (code === 'SQLITE_READONLY' || /readonly/i.test(why)) why = 'the file is read-only (no write permission)';
  else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') why = `permission denied (${why})`;
  else if (!stat && !readonly && code === 'SQLITE_CANTOPEN') why = `cannot create it in ${path.dirname(file)} (no write permission, or not a folder)`;
  const err = new EngineError('OutputError', `cannot open SQLite database ${file}: ${why}`);
  err.cause = e;
  return err;
}

/**
 * How long one attempt to take a lock blocks the thread. Short, because better-sqlite3 waits
 * synchronously: a writer waiting for another is retried asynchronously (SqliteStores), so the
 * event loop (Kafka heartbeats, Ctrl-C) goes on meanwhile.
 */
const WRITE_BUSY_TIMEOUT_MS = 200;

/**
 * The page cache of a writing connection, in KiB: SQLite's own default. better-sqlite3 builds SQLite with 16 000 KiB, which
 * a long replay fills, so a run's memory grew with its input (10 M rows peaked 15 MB above 1 M rows), and the pages
 * cost time to fill: the writes append at the end of their tables and the history the analysis asks for is the
 * latest windows, so 2 000 KiB hold what is used (docs/performance.md#memory: 10 M rows 3.49 → 3.37 s, 84 → 70 MB).
 */
const WRITE_CACHE_KIB = 2000;

export function openDatabase(file: string, readonly = false): Db {
  let db: Db | undefined;
  try {
    if (!readonly) ensureDirectory(path.dirname(file));
    // the typings list only the path form of `nativeBinding`; the driver takes a loaded addon as well
    db = new Database(file, { readonly, fileMustExist: readonly, nativeBinding: sqliteAddon() as string });
    // before switching to WAL: the switch needs a lock that a concurrent opener may hold for a moment
    db.pragma('busy_timeout = 5000');
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${WRITE_BUSY_TIMEOUT_MS}`);
      db.pragma(`cache_size = -${WRITE_CACHE_KIB}`);
    }
  } catch (e) {
    db?.close();
    throw openFailure(file, readonly, e);
  }
  db.defaultSafeIntegers(false);
  return db;
}

export function isBusy(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

export interface StoreOptions {
  /** the run's clock: the age of a batch, and the waits for a locked database */
  clock?: Clock;
  warn?(message: string): void;
  /** longest wait for a database another process keeps locked (default 5 min), then the write fails */
  maxLockWaitMs?: number;
  /** true once the run is being stopped: stop waiting for a lock */
  stopping?(): boolean;
}

/**
 * The SQLite handles of one pipeline. Writes go into a batch transaction that
 * spans several windows (one commit per window would cost more than the rows
 * themselves); it is committed when it gets old (`flushIfDue`), before source
 * offsets are committed, on pause and at the end (`flush`).
 *
 * Several processes may write one database file (docs/bad-input.md): a batch starts with
 * BEGIN IMMEDIATE, so the write lock is taken up front (a deferred transaction that read first
 * can fail its upgrade without waiting), and a database locked by another writer is waited for
 * with backoff, asynchronously, up to `maxLockWaitMs`. Tables and indexes are created with
 * IF NOT EXISTS under the same waiting, so concurrent creators do not fail.
 */
export class SqliteStores {
  private readonly dbs = new Map<string, { db: Db; refs: number }>();
  private readonly files = new Map<Db, string>();
  private readonly inBatch = new Set<Db>();
  private readonly beginning = new Map<Db, Promise<void>>();
  private readonly committed = new Map<Db, Set<() => void>>();
  private batchSince: number | undefined;
  /** per handle: bumped by every write and every write lock taken through this class (see writeGeneration) */
  private readonly generations = new Map<Db, number>();
  /** until then, batches commit at once: another writer was waiting for this file a moment ago */
  private contendedUntil = 0;
  private readonly clock: Clock;
  private readonly throttle: Throttle | undefined;

  constructor(private readonly options: StoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.throttle = options.warn ? new Throttle(options.warn, 15_000, () => this.clock.now()) : undefined;
  }

  /**
   * Runs `fn` (which takes a write lock: DDL, BEGIN IMMEDIATE), waiting while another process
   * holds the database: each attempt blocks at most WRITE_BUSY_TIMEOUT_MS, then backs off.
   */
  async whenUnlocked<T>(db: Db, fn: () => T): Promise<T> {
    const o = this.options;
    const max = o.maxLockWaitMs ?? 300_000;
    const started = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      try {
        this.bump(db);
        return fn();
      } catch (e) {
        if (!isBusy(e)) throw e;
        const waited = this.clock.now() - started;
        this.contendedUntil = this.clock.now() + 5000;
        const file = this.files.get(db) ?? db.name;
        if (waited >= max || o.stopping?.()) {
          const err = new EngineError('OutputError', `SQLite database ${file} is locked by another writer; gave up after ${(waited / 1000).toFixed(1)} s`);
          err.cause = e;
          throw err;
        }
        if (waited >= 10_000)
          this.throttle?.say(`locked ${file}`, `waiting for SQLite database ${file}: locked by another writer (${Math.round(waited / 1000)} s so far)`);
        await this.clock.sleep(backoffDelay(attempt, { minMs: 5, maxMs: 250 }));
      }
    }
  }

  /** Runs `write` inside the current batch transaction of `db`, opening one (waiting for the lock) if needed. */
  async batch(db: Db, write: () => void): Promise<void> {
    // a loop: a flush may commit the batch another writer of this handle just began
    while (!db.inTransaction) {
      let begun = this.beginning.get(db);
      if (!begun) {
        begun = this.whenUnlocked(db, () => {
          db.exec('BEGIN IMMEDIATE');
        }).finally(() => this.beginning.delete(db));
        this.beginning.set(db, begun);
      }
      await begun;
    }
    this.inBatch.add(db);
    this.batchSince ??= this.clock.now();
    this.bump(db);
    write();
  }

  /**
   * Changes whenever this class writes to `db` or takes its write lock (a batch's BEGIN IMMEDIATE, DDL). While it
   * stays the same and `db.inTransaction`, nothing in the file changed: the transaction is a batch's, begun IMMEDIATE,
   * so it holds the write lock and no other connection can commit meanwhile. Readers of this handle may keep what they
   * read until then (SqliteHistory's window ends).
   */
  writeGeneration(db: Db): number {
    return this.generations.get(db) ?? 0;
  }

  private bump(db: Db): void {
    this.generations.set(db, (this.generations.get(db) ?? 0) + 1);
  }

  /** `then` runs each time what was written to `db` so far is committed (dead letters count as kept only then). */
  onCommit(db: Db, then: () => void): void {
    let set = this.committed.get(db);
    if (!set) this.committed.set(db, (set = new Set()));
    set.add(then);
  }

  private commit(db: Db): void {
    if (db.open && db.inTransaction) db.exec('COMMIT');
    for (const f of this.committed.get(db) ?? []) f();
  }

  /** Commits every open batch: what was written is durable and visible to other readers. */
  flush(): void {
    const dbs = [...this.inBatch];
    this.inBatch.clear();
    this.batchSince = undefined;
    for (const db of dbs) this.commit(db);
  }

  /**
   * Commits when the open batch is older than `maxAgeMs`, or at once while other writers compete
   * for the file (a batch holds its write lock: holding it for long would make them wait).
   */
  flushIfDue(maxAgeMs = 250): void {
    if (this.batchSince === undefined) return;
    if (this.clock.now() - this.batchSince >= maxAgeMs || this.clock.now() < this.contendedUntil) this.flush();
  }

  acquire(file: string): Db {
    const abs = path.resolve(file);
    let e = this.dbs.get(abs);
    if (!e) {
      e = { db: openDatabase(abs), refs: 0 };
      this.dbs.set(abs, e);
      this.files.set(e.db, abs);
    }
    e.refs++;
    return e.db;
  }

  release(file: string): void {
    const abs = path.resolve(file);
    const e = this.dbs.get(abs);
    if (!e) return;
    if (--e.refs <= 0) {
      this.inBatch.delete(e.db);
      try {
        this.commit(e.db);
      } finally {
        e.db.close();
        this.dbs.delete(abs);
        this.files.delete(e.db);
        this.committed.delete(e.db);
        this.generations.delete(e.db);
      }
    }
  }

  closeAll(): void {
    try {
      this.flush();
    } finally {
      for (const e of this.dbs.values()) e.db.close();
      this.dbs.clear();
      this.files.clear();
      this.committed.clear();
      this.generations.clear();
    }
  }
}

/** Existing columns of a table, or undefined when it does not exist. */
export function tableColumns(db: Db, table: string): { name: string; type: string; pk: number }[] | undefined {
  const rows = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string; type: string; pk: number }[];
  return rows.length > 0 ? rows : undefined;
}
