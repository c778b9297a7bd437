/**
 * Row errors (docs/semantics.md#row-errors) are counted per reason and kept with their source position
 * and raw text: in the `dead_letters` table of the SQLite store when one is
 * configured, else in a JSONL file (`--dead-letter`), else only counted (and
 * the run's summary says so).
 */
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { Statement } from 'better-sqlite3';
import type { DeadLetter } from '../core/types.js';
import { tableColumns, type Db, type SqliteStores } from '../connectors/sqlite-store.js';

export type { DeadLetter };

/** The table of row errors in the store; `raw_encoding` says how `raw` holds the row (storedRaw). */
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
  raw TEXT NOT NULL,
  raw_encoding TEXT NOT NULL DEFAULT 'utf8'
)`;

/**
 * The raw row of a dead letter from its bytes: text when they are valid UTF-8, else the text for
 * display plus the exact bytes for the stores.
 */
export function rawOf(bytes: Uint8Array | undefined, text: () => string): Pick<DeadLetter, 'raw' | 'rawBytes'> {
  if (bytes === undefined || isUtf8(bytes)) return { raw: text() };
  return { raw: text(), rawBytes: bytes };
}

/** How a raw row is stored (docs/bad-input.md): the text itself, or base64 of the exact bytes. */
export function storedRaw(d: DeadLetter): { raw: string; encoding: 'utf8' | 'base64' } {
  if (d.rawBytes === undefined) return { raw: d.raw, encoding: 'utf8' };
  return { raw: Buffer.from(d.rawBytes.buffer, d.rawBytes.byteOffset, d.rawBytes.byteLength).toString('base64'), encoding: 'base64' };
}

export interface DeadLetterStore {
  readonly description: string;
  /** dead letters durably written (committed): the run's summary reports these as kept, nothing else */
  readonly kept: number;
  /** dead letters added and not yet handed to the store */
  readonly pending: number;
  /** creates what the store needs (waiting for a database another process holds) */
  open?(): Promise<void>;
  add(d: DeadLetter): void;
  /** hands everything added so far to the store (called before a window's offsets are committed) */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The `dead_letters` table of the SQLite store. Rows go into the run's batch transaction; they
 * count as kept once that transaction commits (a failed commit, or a run failing before it, keeps
 * nothing of it, and the summary says so).
 */
export class SqliteDeadLetters implements DeadLetterStore {
  readonly description: string;
  kept = 0;
  private insert: Statement | undefined;
  private queue: DeadLetter[] = [];
  /** written into the open batch, not committed yet */
  private uncommitted = 0;

  constructor(
    private readonly stores: SqliteStores,
    private readonly db: Db,
    file: string,
    private readonly runId: string,
    private readonly now: () => number,
  ) {
    this.description = `dead_letters table of ${file}`;
  }

  get pending(): number {
    return this.queue.length;
  }

  async open(): Promise<void> {
    const db = this.db;
    await this.stores.whenUnlocked(db, () => {
      db.exec(DEAD_LETTER_DDL);
      // tables of earlier versions lack the encoding column (a concurrent run may add it first)
      if (!tableColumns(db, 'dead_letters')!.some((c) => c.name === 'raw_encoding')) {
        try {
          db.exec(`ALTER TABLE dead_letters ADD COLUMN raw_encoding TEXT NOT NULL DEFAULT 'utf8'`);
        } catch (e) {
          if (!/duplicate column/i.test((e as Error).message)) throw e;
        }
      }
    });
    this.insert = db.prepare(
      'INSERT INTO dead_letters (run_id, recorded_at, source, line, partition, "offset", reason, message, raw, raw_encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // the final commit comes after close(), when the stores close: the subscription lives as long as they do
    this.stores.onCommit(db, () => {
      this.kept += this.uncommitted;
      this.uncommitted = 0;
    });
  }

  add(d: DeadLetter): void {
    this.queue.push(d);
  }

  async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const ds = this.queue;
    this.queue = [];
    const insert = this.insert!;
    await this.stores.batch(this.db, () => {
      const t = this.now();
      for (const d of ds) {
        const { raw, encoding } = storedRaw(d);
        const p = d.position;
        insert.run(this.runId, t, p.source, p.line ?? null, p.partition ?? null, p.offset ?? null, d.reason, d.message, raw, encoding);
      }
    });
    this.uncommitted += ds.length;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

/** `--dead-letter <file.jsonl>`: one JSON object per row error, appended. */
export class JsonlDeadLetters implements DeadLetterStore {
  readonly description: string;
  kept = 0;
  private readonly fd: number;
  private buf = '';
  private lines = 0;

  constructor(file: string) {
    this.description = file;
    this.fd = fs.openSync(file, 'a');
  }

  get pending(): number {
    return this.lines;
  }

  add(d: DeadLetter): void {
    const { raw, encoding } = storedRaw(d);
    this.buf +=
      JSON.stringify({ ...d.position, reason: d.reason, message: d.message, raw, ...(encoding === 'base64' ? { raw_encoding: encoding } : {}) }) + '\n';
    this.lines++;
    if (this.buf.length > 1 << 16) this.write();
  }

  private write(): void {
    if (this.buf.length === 0) return;
    fs.writeSync(this.fd, this.buf);
    this.buf = '';
    this.kept += this.lines;
    this.lines = 0;
  }

  async flush(): Promise<void> {
    this.write();
  }

  async close(): Promise<void> {
    try {
      this.write();
    } finally {
      fs.closeSync(this.fd);
    }
  }
}
