/**
 * Row errors (docs/semantics.md#row-errors) are counted per reason and kept with their source position
 * and raw text: in the `dead_letters` table of the SQLite store when one is
 * configured, else in a JSONL file (`--dead-letter`), else only counted (and
 * the run's summary says so).
 */
import fs from 'node:fs';
import type { Statement } from 'better-sqlite3';
import type { SourcePosition } from '../core/types.js';
import type { Db } from '../connectors/sqlite-store.js';

/** The table of row errors in the store. */
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

export interface DeadLetter {
  position: SourcePosition;
  reason: string;
  message: string;
  raw: string;
}

export interface DeadLetterStore {
  readonly description: string;
  add(d: DeadLetter): void;
  /** make everything added so far durable (called before a window's offsets are committed) */
  flush(): void;
  close(): void;
}

export class SqliteDeadLetters implements DeadLetterStore {
  readonly description: string;
  private readonly insert: Statement;
  private pending: DeadLetter[] = [];
  private readonly insertMany: (ds: DeadLetter[]) => void;

  constructor(
    db: Db,
    file: string,
    private readonly runId: string,
    private readonly now: () => number,
  ) {
    this.description = `dead_letters table of ${file}`;
    db.exec(DEAD_LETTER_DDL);
    this.insert = db.prepare(
      'INSERT INTO dead_letters (run_id, recorded_at, source, line, partition, "offset", reason, message, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertMany = db.transaction((ds: DeadLetter[]) => {
      const t = this.now();
      for (const d of ds) {
        this.insert.run(
          this.runId,
          t,
          d.position.source,
          d.position.line ?? null,
          d.position.partition ?? null,
          d.position.offset ?? null,
          d.reason,
          d.message,
          d.raw,
        );
      }
    });
  }

  add(d: DeadLetter): void {
    this.pending.push(d);
    if (this.pending.length >= 1000) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const ds = this.pending;
    this.pending = [];
    this.insertMany(ds);
  }

  close(): void {
    this.flush();
  }
}

export class JsonlDeadLetters implements DeadLetterStore {
  readonly description: string;
  private readonly fd: number;
  private buf = '';

  constructor(file: string) {
    this.description = file;
    this.fd = fs.openSync(file, 'a');
  }

  add(d: DeadLetter): void {
    this.buf += JSON.stringify({ ...d.position, reason: d.reason, message: d.message, raw: d.raw }) + '\n';
    if (this.buf.length > 1 << 16) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    fs.writeSync(this.fd, this.buf);
    this.buf = '';
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}
