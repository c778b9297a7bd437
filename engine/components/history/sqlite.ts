/** History read back from the embedded store (the sqlite `main` output by default). */
import type { Statement } from 'better-sqlite3';
import type { Value } from '../../core/types.js';
import type { HistoryQuery, HistorySource } from '../types.js';
import { fromSqlValue, quoteIdent, tableColumns, toSqlValue, type Db, type SqliteStores } from '../../connectors/sqlite-store.js';
import { tableOptions } from '../outputs/sqlite.js';
import type { HistoryDescriptor } from '../descriptor.js';

export class SqliteHistory implements HistorySource {
  readonly description: string;
  private db: Db | undefined;
  private stmt: Statement | undefined;
  private stmtKeyCount = -1;

  constructor(
    private readonly stores: SqliteStores,
    private readonly file: string,
    private readonly table: string,
  ) {
    this.description = `sqlite ${file} (table ${table})`;
  }

  async open(): Promise<void> {
    this.db = this.stores.acquire(this.file);
  }

  private async statement(keyFields: string[]): Promise<Statement | undefined> {
    if (this.stmt && this.stmtKeyCount === keyFields.length) return this.stmt;
    const db = this.db!;
    if (!tableColumns(db, this.table)) return undefined; // nothing stored yet
    if (keyFields.length > 0) {
      // the primary key leads with window_end; lookups are by key first, then a narrow time range
      const idx = quoteIdent(`${this.table}_history_lookup`);
      const ddl = `CREATE INDEX IF NOT EXISTS ${idx} ON ${quoteIdent(this.table)} (${[...keyFields, 'window_end'].map(quoteIdent).join(', ')})`;
      // another writer of this database may hold it: wait (outside our own batch, where we hold it already)
      if (db.inTransaction) db.exec(ddl);
      else await this.stores.whenUnlocked(db, () => db.exec(ddl));
    }
    const where = keyFields.map((k) => ` AND ${quoteIdent(k)} = ?`).join('');
    // safe integers: int64 values beyond 2^53 keep every digit
    this.stmt = db
      .prepare(`SELECT * FROM ${quoteIdent(this.table)} WHERE window_end BETWEEN ? AND ?${where} ORDER BY ABS(window_end - ?) ASC, window_end DESC LIMIT 1`)
      .safeIntegers(true);
    this.stmtKeyCount = keyFields.length;
    return this.stmt;
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    const stmt = await this.statement(q.key ? q.keyFields : []);
    if (!stmt) return undefined;
    const keyParams = (q.key ?? []).map(toSqlValue);
    const row = stmt.get(q.targetMs - q.toleranceMs, q.targetMs + q.toleranceMs, ...keyParams, q.targetMs) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    const out: Record<string, Value> = Object.create(null);
    for (const [k, v] of Object.entries(row)) out[k] = fromSqlValue(v);
    out.time = BigInt(out.window_end as number) * 1_000_000n;
    return out;
  }

  async close(): Promise<void> {
    if (this.db) this.stores.release(this.file);
    this.db = undefined;
    this.stmt = undefined;
  }
}

const options = tableOptions('SQLite file written by a sqlite output, relative to the config file.')
  .required()
  .messages({
    missing: (at) => `${at.path} must be an object {path, table}`,
    invalid: (_v, at) => `${at.path} must be an object {path, table}`,
  });

export const sqliteHistory: HistoryDescriptor<'sqlite', { path: string; table: string }> = {
  kind: 'history',
  name: 'sqlite',
  doc: 'Reads history back from a table written by a sqlite output (by default the main one).',
  optionsKey: 'sqlite_options',
  options,
  describe: (o) => `sqlite ${o.path} (table ${o.table})`,
  create: async (o, ctx) => new SqliteHistory(ctx.stores, o.path, o.table),
  readsOutput: (o, out) => out.method === 'sqlite' && out.path === o.path && out.table === o.table,
  export: { reference: { unsupported: 'sqlite history is ts-engine only; the reference needs an influx history' } },
};
