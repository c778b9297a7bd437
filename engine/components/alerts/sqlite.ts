/** Alerts into a SQLite table the workbench reads; (window_end, module, key, field) is unique, so replays do not duplicate. */
import type { Statement } from 'better-sqlite3';
import type { Alert, AlertSink } from '../types.js';
import { quoteIdent, tableColumns, type Db, type SqliteStores } from '../../connectors/sqlite-store.js';
import { jsonValue } from '../outputs/format.js';
import { pyRepr } from '../../values/python.js';
import { filePath, identifier, obj } from '../../options/spec.js';
import type { AlertSinkDescriptor } from '../descriptor.js';

/** The alerts table: one row per (window end, module, key, field), so a replay replaces instead of duplicating. */
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

/** An alert as the table keeps it (the key as the JSON of its values). */
export interface StoredAlert {
  module: string;
  /** window end, epoch ms */
  time: number;
  key: (number | boolean | string | null)[] | null;
  keyFields: string[];
  field: string;
  /** the numeric value, or its Python repr when it has none */
  value: number | string;
  lowerBound: number;
  upperBound: number;
}

/** Alerts of windows ending at or after `sinceWindowEnd`, in time order (at most 20 000). */
export function readStoredAlerts(db: Db, table: string, sinceWindowEnd: number): StoredAlert[] {
  if (!tableColumns(db, table)) return [];
  const rows = db
    .prepare(`SELECT * FROM ${quoteIdent(table)} WHERE window_end >= ? ORDER BY window_end, module, key, field LIMIT 20000`)
    .all(sinceWindowEnd) as Record<string, unknown>[];
  return rows.map((r) => {
    let key: StoredAlert['key'] = null;
    let keyFields: string[] = [];
    try {
      key = JSON.parse(String(r.key)) as StoredAlert['key'];
      keyFields = JSON.parse(String(r.key_fields)) as string[];
    } catch {
      /* keep defaults */
    }
    return {
      module: String(r.module),
      time: Number(r.window_end),
      key,
      keyFields,
      field: String(r.field),
      value: r.value === null || r.value === undefined ? String(r.value_text) : (r.value as number),
      lowerBound: Number(r.lower_bound),
      upperBound: Number(r.upper_bound),
    };
  });
}

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

interface SqliteAlertOptions {
  path: string;
  table: string;
}

const options = obj({
  path: filePath().describe('SQLite file, relative to the config file (default: the store, the main sqlite output).'),
  table: identifier().default('alerts').describe('Table (default alerts).'),
});

export const sqliteAlerts: AlertSinkDescriptor<'sqlite', SqliteAlertOptions> = {
  kind: 'alert',
  name: 'sqlite',
  doc: 'Alerts in a SQLite table (by default in the store), one row per (window end, module, key, field): a replay replaces instead of duplicating.',
  options: options as never,
  complete(o, ctx) {
    const path = (o as Partial<SqliteAlertOptions>).path ?? ctx.store?.path;
    if (path === undefined) {
      ctx.sink.report(`${ctx.optionsPath}.path`, 'ConfigError', `alert method "sqlite" needs ${ctx.optionsPath}.path (or a sqlite output to share)`);
      return undefined;
    }
    return { path, table: o.table };
  },
  describe: (o) => `alerts table ${o.table} of ${o.path}`,
  create: async (o, ctx) => new SqliteAlertSink(ctx.stores, o.path, o.table, () => ctx.clock.now()),
  export: { reference: { unsupported: 'the sqlite alerts table is ts-engine only' } },
};
