/** History read back from the embedded store (the sqlite `main` output by default). */
import type { Statement } from 'better-sqlite3';
import type { Value } from '../../core/types.js';
import type { HistoryQuery, HistorySource } from '../types.js';
import { fromSqlValue, quoteIdent, tableColumns, toSqlValue, type Db, type SqliteStores } from '../../connectors/sqlite-store.js';
import { tableOptions } from '../outputs/sqlite.js';
import type { HistoryDescriptor } from '../descriptor.js';

interface LookupStatements {
  /** the first stored window end in [from, to] */
  firstWindowEnd: Statement;
  /** the first stored window end in (after, to] */
  nextWindowEnd: Statement;
  /** the key's point of one window */
  point: Statement;
}

export class SqliteHistory implements HistorySource {
  readonly description: string;
  private db: Db | undefined;
  private stmts: LookupStatements | undefined;
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

  /**
   * Lookups by the primary key (window_end, key fields) alone: the stored windows within ± tolerance, one seek
   * each, then the key within each. A second index led by the key fields would make every window the run writes
   * cost about half as much again (docs/performance.md#where-the-time-goes), for lookups that are few: the run's
   * own recent windows are answered from memory (analysis/history-recent.ts).
   */
  private statements(keyFields: string[]): LookupStatements | undefined {
    if (this.stmts && this.stmtKeyCount === keyFields.length) return this.stmts;
    const db = this.db!;
    if (!tableColumns(db, this.table)) return undefined; // nothing stored yet
    const t = quoteIdent(this.table);
    const where = keyFields.map((k) => ` AND ${quoteIdent(k)} = ?`).join('');
    this.stmts = {
      firstWindowEnd: db.prepare(`SELECT window_end FROM ${t} WHERE window_end >= ? AND window_end <= ? ORDER BY window_end LIMIT 1`).pluck(),
      nextWindowEnd: db.prepare(`SELECT window_end FROM ${t} WHERE window_end > ? AND window_end <= ? ORDER BY window_end LIMIT 1`).pluck(),
      // safe integers: int64 values beyond 2^53 keep every digit
      point: db.prepare(`SELECT * FROM ${t} WHERE window_end = ?${where} LIMIT 1`).safeIntegers(true),
    };
    this.stmtKeyCount = keyFields.length;
    return this.stmts;
  }

  async lookup(q: HistoryQuery): Promise<Record<string, Value> | undefined> {
    return this.lookupNow(q);
  }

  lookupNow(q: HistoryQuery): Record<string, Value> | undefined {
    const stmts = this.statements(q.key ? q.keyFields : []);
    if (!stmts) return undefined;
    const keyParams = (q.key ?? []).map(toSqlValue);
    const last = q.targetMs + q.toleranceMs;
    let row: Record<string, unknown> | undefined;
    let rowDistance = Infinity;
    // closest to the target first, the later one of two as close
    for (let end = stmts.firstWindowEnd.get(q.targetMs - q.toleranceMs, last) as number | undefined; end !== undefined; ) {
      const distance = Math.abs(end - q.targetMs);
      if (distance > rowDistance) break;
      const found = stmts.point.get(end, ...keyParams) as Record<string, unknown> | undefined;
      if (found) {
        row = found;
        rowDistance = distance;
      }
      end = stmts.nextWindowEnd.get(end, last) as number | undefined;
    }
    if (!row) return undefined;
    const out: Record<string, Value> = Object.create(null);
    for (const [k, v] of Object.entries(row)) out[k] = fromSqlValue(v);
    out.time = BigInt(out.window_end as number) * 1_000_000n;
    return out;
  }

  async close(): Promise<void> {
    if (this.db) this.stores.release(this.file);
    this.db = undefined;
    this.stmts = undefined;
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
