/**
 * Alerts into a SQLite table the workbench reads, one row per alert event: (window_end, alert_id,
 * state) is unique, so a replay replaces instead of duplicating (docs/alerts.md#formats).
 */
import type { Statement } from 'better-sqlite3';
import type { Alert, AlertSink } from '../types.js';
import { quoteIdent, tableColumns, type Db, type SqliteStores } from '../../connectors/sqlite-store.js';
import { pyRepr } from '../../values/python.js';
import { filePath, identifier, obj } from '../../options/spec.js';
import type { AlertSinkDescriptor } from '../descriptor.js';
import { alertId, keyText } from './alert-id.js';

/** The alerts table: one row per alert event (a replay replaces instead of duplicating). */
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
  rule TEXT NOT NULL,
  state TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  episode_start INTEGER NOT NULL,
  episode_kind TEXT NOT NULL,
  lifecycle INTEGER NOT NULL,
  peak_value REAL,
  peak_value_text TEXT,
  peak_time INTEGER,
  PRIMARY KEY (window_end, alert_id, state)
)`;

/**
 * Brings a table of an earlier version (one row per (window_end, module, key, field), no states)
 * to this one: its rows become firing alerts of rules without lifecycle, named by their module,
 * with the alert ids those would have had. Idempotent: a table that has `alert_id` is left as it is.
 */
export function migrateAlertsTable(db: Db, table: string): void {
  const cols = tableColumns(db, table);
  if (!cols || cols.some((c) => c.name === 'alert_id')) return;
  const old = `${table}_before_lifecycle`;
  db.transaction(() => {
    db.exec(`ALTER TABLE ${quoteIdent(table)} RENAME TO ${quoteIdent(old)}`);
    db.exec(ALERTS_DDL(table));
    const insert = db.prepare(
      `INSERT OR REPLACE INTO ${quoteIdent(table)} SELECT window_end, module, key, field, value, value_text, lower_bound, upper_bound, key_fields, recorded_at, ` +
        `module, 'firing', ?, window_end, 'deviation', 0, value, value_text, window_end FROM ${quoteIdent(old)} WHERE rowid = ?`,
    );
    const rows = db.prepare(`SELECT rowid AS id, module, key, field, window_end FROM ${quoteIdent(old)}`).all() as {
      id: number;
      module: string;
      key: string;
      field: string;
      window_end: number;
    }[];
    for (const r of rows) insert.run(alertId(r.module, r.key, r.field, r.window_end), r.id);
    db.exec(`DROP TABLE ${quoteIdent(old)}`);
  })();
}

type StoredValue = number | boolean | string | null;

/** An alert event as the table keeps it (the facade's AlertEvent has this shape). */
export interface StoredAlert {
  module: string;
  /** window end, epoch ms */
  time: number;
  key: StoredValue[] | null;
  keyFields: string[];
  field: string;
  /** the numeric value, or its Python repr when it has none; null for an event without value */
  value: StoredValue;
  lowerBound: number;
  upperBound: number;
  rule: string;
  state: Alert['state'];
  alertId: string;
  episodeStart: number;
  episodeKind: Alert['episodeKind'];
  lifecycle: boolean;
  peakValue: StoredValue;
  peakTime: number | null;
}

const parseJson = <T>(text: unknown, fallback: T): T => {
  try {
    return JSON.parse(String(text)) as T;
  } catch {
    return fallback;
  }
};

const storedValue = (v: unknown, text: unknown): StoredValue =>
  v === null || v === undefined ? (text === null || text === undefined ? null : String(text)) : (v as number);

/** Alert events of windows ending at or after `sinceWindowEnd`, in time order (at most 20 000). */
export function readStoredAlerts(db: Db, table: string, sinceWindowEnd: number): StoredAlert[] {
  const cols = tableColumns(db, table);
  if (!cols) return [];
  const current = cols.some((c) => c.name === 'alert_id');
  const rows = db
    .prepare(
      `SELECT * FROM ${quoteIdent(table)} WHERE window_end >= ? ORDER BY window_end, ${current ? 'rule, key, field, state' : 'module, key, field'} LIMIT 20000`,
    )
    .all(sinceWindowEnd) as Record<string, unknown>[];
  return rows.map((r) => storedAlertOf(r, current));
}

/** One row of the alerts table as an alert event; `current`: the table has the lifecycle columns (an older one has not). */
export function storedAlertOf(r: Record<string, unknown>, current: boolean): StoredAlert {
  const time = Number(r.window_end);
  const value = storedValue(r.value, r.value_text);
  const old = !current;
  return {
    module: String(r.module),
    time,
    key: parseJson<StoredAlert['key']>(r.key, null),
    keyFields: parseJson<string[]>(r.key_fields, []),
    field: String(r.field),
    // a no-data or resolved event without a value keeps value_text 'None'
    value: r.value === null && r.value_text === 'None' ? null : value,
    lowerBound: Number(r.lower_bound),
    upperBound: Number(r.upper_bound),
    rule: old ? String(r.module) : String(r.rule),
    state: old ? 'firing' : (String(r.state) as StoredAlert['state']),
    alertId: old ? alertId(String(r.module), String(r.key), String(r.field), time) : String(r.alert_id),
    episodeStart: old ? time : Number(r.episode_start),
    episodeKind: old ? 'deviation' : (String(r.episode_kind) as StoredAlert['episodeKind']),
    lifecycle: old ? false : Number(r.lifecycle) === 1,
    peakValue: old ? value : storedValue(r.peak_value, r.peak_value_text),
    peakTime: old ? time : r.peak_time === null ? null : Number(r.peak_time),
  };
}

const numericOf = (v: Alert['value']): number | null =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : null;

/** Statements with the constant columns as literals, per sink; beyond this many combinations the others bind them. */
const MAX_LITERAL_STATEMENTS = 256;
/** the columns every alert binds, then the ones a literal statement has in its SQL (in the order of deliver's `constants`) */
const COLUMNS =
  'window_end, key, value, value_text, lower_bound, upper_bound, recorded_at, alert_id, episode_start, lifecycle, peak_value, peak_value_text, peak_time, ' +
  'module, field, rule, state, episode_kind, key_fields';
const BOUND_EVERY_TIME = '?, '.repeat(12) + '?';
const NO_CONSTANTS: string[] = [];
const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

export class SqliteAlertSink implements AlertSink {
  readonly description: string;
  readonly target: string;
  private insert: Statement | undefined;
  /**
   * An alert's module, field, rule, state, episode kind and key fields repeat from alert to alert: a statement per
   * combination has them in its SQL, so an insert binds 13 values instead of 19, six strings fewer (a string costs
   * better-sqlite3 about three times a number to bind; docs/performance.md#analysis).
   */
  private readonly literalInserts = new Map<string, Statement>();
  private db: Db | undefined;
  private keyFieldsOf: readonly string[] | undefined;
  private keyFieldsText = '';
  constructor(
    private readonly stores: SqliteStores,
    private readonly file: string,
    private readonly table: string,
    private readonly now: () => number,
  ) {
    this.description = `alerts table ${table} of ${file}`;
    this.target = `sqlite table ${table} of ${file}`;
  }
  async open(): Promise<void> {
    const db = this.stores.acquire(this.file);
    this.db = db;
    await this.stores.whenUnlocked(db, () => {
      migrateAlertsTable(db, this.table);
      db.exec(ALERTS_DDL(this.table));
    });
    this.insert = db.prepare(`INSERT OR REPLACE INTO ${quoteIdent(this.table)} (${COLUMNS}) VALUES (${BOUND_EVERY_TIME}, ?, ?, ?, ?, ?, ?)`);
  }

  /** The insert with these constant columns as literals, or undefined (the general one binds them). */
  private literalInsert(constants: string[]): Statement | undefined {
    const id = constants.join('\0');
    let st = this.literalInserts.get(id);
    if (st || this.literalInserts.size >= MAX_LITERAL_STATEMENTS || constants.some((c) => c.includes('\0'))) return st;
    st = this.db!.prepare(`INSERT OR REPLACE INTO ${quoteIdent(this.table)} (${COLUMNS}) VALUES (${BOUND_EVERY_TIME}, ${constants.map(sqlText).join(', ')})`);
    this.literalInserts.set(id, st);
    return st;
  }
  /** In the run's batch transaction (committed with the window's rows, before its offsets): all of the window's alerts or none. */
  async deliver(alerts: readonly Alert[]): Promise<void> {
    const write = () => {
      for (const a of alerts) {
        const valueText = pyRepr(a.value, a.valueType);
        // the key fields are the run's, one array: its JSON once
        if (a.keyFields !== this.keyFieldsOf) {
          this.keyFieldsOf = a.keyFields;
          this.keyFieldsText = JSON.stringify(a.keyFields);
        }
        // an alert of one window peaks at its own value (Object.is: -0.0 is not 0.0 in Python)
        const peakText = a.peakTimeMs === null ? null : Object.is(a.peakValue, a.value) ? valueText : pyRepr(a.peakValue, a.valueType);
        const constants = [a.module, a.field, a.rule, a.state, a.episodeKind, this.keyFieldsText];
        const literal = this.literalInsert(constants);
        (literal ?? this.insert!).run(
          a.timeMs,
          keyText(a.key, a.keyTypes),
          numericOf(a.value),
          valueText,
          a.lowerBound,
          a.upperBound,
          this.now(),
          a.alertId,
          a.episodeStartMs,
          a.lifecycle ? 1 : 0,
          numericOf(a.peakValue),
          peakText,
          a.peakTimeMs,
          ...(literal ? NO_CONSTANTS : constants),
        );
      }
    };
    await this.stores.batch(this.db!, write);
  }
  async close(): Promise<void> {
    if (this.insert) this.stores.release(this.file);
    this.insert = undefined;
    this.literalInserts.clear();
    this.db = undefined;
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
  doc: 'Alerts in a SQLite table (by default in the store), one row per alert event (window end, alert id, state): a replay replaces instead of duplicating.',
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
