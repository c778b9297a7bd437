/** Alerts into a SQLite table the workbench reads; (window_end, module, key, field) is unique, so replays do not duplicate. */
import type { Statement } from 'better-sqlite3';
import type { Alert, AlertSink } from './alert-sink.js';
import { ALERTS_DDL, quoteIdent, type Db, type SqliteStores } from '../store/sqlite-store.js';
import { jsonValue } from '../sinks/format.js';
import { pyRepr } from '../values/python.js';

export function alertKeyText(a: Alert): string {
  return a.key === null ? 'null' : '[' + a.key.map((v, i) => jsonValue(v, a.keyTypes[i]!)).join(', ') + ']';
}

export class SqliteAlertSink implements AlertSink {
  readonly description: string;
  private insert: Statement | undefined;
  private db: Db | undefined;
  constructor(
    private readonly stores: SqliteStores,
    private readonly file: string,
    private readonly table: string,
    private readonly now: () => number,
  ) {
    this.description = `alerts table ${table} of ${file}`;
  }
  async open(): Promise<void> {
    const db = this.stores.acquire(this.file);
    this.db = db;
    await this.stores.whenUnlocked(db, () => db.exec(ALERTS_DDL(this.table)));
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO ${quoteIdent(this.table)} (window_end, module, key, field, value, value_text, lower_bound, upper_bound, key_fields, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }
  async send(a: Alert): Promise<void> {
    const numeric =
      typeof a.value === 'number' ? a.value : typeof a.value === 'bigint' ? Number(a.value) : typeof a.value === 'boolean' ? (a.value ? 1 : 0) : null;
    const insert = this.insert!;
    // in the run's batch transaction: committed with the window's rows, waiting for a lock like them
    await this.stores.batch(this.db!, () =>
      insert.run(
        a.timeMs,
        a.module,
        alertKeyText(a),
        a.field,
        numeric,
        pyRepr(a.value, a.valueType),
        a.lowerBound,
        a.upperBound,
        JSON.stringify(a.keyFields),
        this.now(),
      ),
    );
  }
  async close(): Promise<void> {
    if (this.insert) this.stores.release(this.file);
    this.insert = undefined;
  }
}
