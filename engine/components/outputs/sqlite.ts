/**
 * `sqlite` output (docs/semantics.md#the-store): one row per aggregate row, primary key
 * (window_end, key fields) so a re-run or retry replaces and never duplicates.
 */
import { EngineError } from '../../core/errors.js';
import { groupCount, type ClosedWindow } from '../../core/window.js';
import { isFlatWindow, type FlatWindow } from '../../core/flat-window.js';
import type { Db } from '../../connectors/sqlite-store.js';
import { fromSqlValue, quoteIdent, type SqlValue, sqlType, tableColumns, toSqlValue } from '../../connectors/sqlite-store.js';
import type { RowShape, StoredWindow } from '../../core/window.js';
import type { Sink, SinkContext } from '../types.js';
import { filePath, identifier, obj } from '../../options/spec.js';
import type { OutputDescriptor } from '../descriptor.js';

const RESERVED = new Set(['window_start', 'window_end']);

export class SqliteSink implements Sink {
  readonly description: string;
  private db: Db | undefined;
  private writeWindow: ((w: ClosedWindow) => void) | undefined;

  constructor(
    private readonly ctx: SinkContext,
    private readonly file: string,
    private readonly table: string,
  ) {
    this.description = `sqlite ${file} (table ${table})`;
  }

  async open(): Promise<void> {
    const { keyNames, keyTypes, valueNames, valueTypes } = this.ctx.shape;
    const clash = [...keyNames, ...valueNames].find((n) => RESERVED.has(n));
    if (clash)
      throw new EngineError(
        'OutputError',
        `sqlite output: column name '${clash}' clashes with the store's own window columns; rename it in the transformation`,
      );
    const db = this.ctx.stores.acquire(this.file);
    this.db = db;
    const cols = [
      ['window_start', 'INTEGER NOT NULL'],
      ['window_end', 'INTEGER NOT NULL'],
      ...keyNames.map((n, i) => [n, sqlType(keyTypes[i]!)]),
      ...valueNames.map((n, i) => [n, sqlType(valueTypes[i]!)]),
    ] as [string, string][];
    const t = quoteIdent(this.table);
    if (!tableColumns(db, this.table)) {
      // IF NOT EXISTS: another run writing this database may create it at the same moment
      const pk = ['window_end', ...keyNames].map(quoteIdent).join(', ');
      const ddl = `CREATE TABLE IF NOT EXISTS ${t} (${cols.map(([n, ty]) => `${quoteIdent(n)} ${ty}`).join(', ')}, PRIMARY KEY (${pk})) WITHOUT ROWID`;
      await this.ctx.stores.whenUnlocked(db, () => db.exec(ddl));
    }
    // Earlier versions indexed the table for history lookups, which now read by the primary key: the index only
    // made every upsert maintain a second B-tree (docs/performance.md#analysis). Its name is the engine's own.
    const oldLookupIndex = `${this.table}_history_lookup`;
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(oldLookupIndex)) {
      await this.ctx.stores.whenUnlocked(db, () => db.exec(`DROP INDEX IF EXISTS ${quoteIdent(oldLookupIndex)}`));
    }
    const want = cols.map((c) => c[0]).join(', ');
    const have = (tableColumns(db, this.table) ?? []).map((c) => c.name).join(', ');
    if (want !== have) {
      throw new EngineError(
        'OutputError',
        `sqlite output: table ${this.table} in ${this.file} has columns (${have}) but this config writes (${want}); use another "table" or remove the old one`,
      );
    }
    const names = cols.map((c) => quoteIdent(c[0]));
    const width = cols.length;
    const conflict = ['window_end', ...keyNames].map(quoteIdent).join(', ');
    const updates = cols.filter((c) => c[0] !== 'window_end' && !keyNames.includes(c[0])).map((c) => `${quoteIdent(c[0])} = excluded.${quoteIdent(c[0])}`);
    // A window's bounds are bound once per statement as ?1 and ?2, and the values go as separate arguments, not as an
    // array: better-sqlite3 reads an array element by element through V8's API, which made binding half of the
    // writes' time (docs/performance.md#where-the-time-goes).
    const tuple = `(?1, ?2${', ?'.repeat(width - 2)})`;
    const upsert = (rows: number) =>
      db.prepare(
        `INSERT INTO ${t} (${names.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')} ON CONFLICT(${conflict}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
      );
    // many rows per statement: one execution per window for typical windows, per 64 rows for big ones
    const perRow = width - 2;
    const ROWS_PER_STATEMENT = Math.max(1, Math.min(64, Math.floor(997 / perRow)));
    const statements: ReturnType<typeof upsert>[] = [];
    const statementFor = (rows: number) => (statements[rows] ??= upsert(rows));
    const nk = keyNames.length;
    const nv = valueNames.length;
    // the row values, then the named bounds {1: start, 2: end} as the last argument
    type Arguments = (SqlValue | Record<number, number>)[];
    const argumentsFor: Arguments[] = [];
    const bounds: Record<number, number> = { 1: 0, 2: 0 };
    const argumentsOf = (rows: number, w: ClosedWindow) => {
      const args = (argumentsFor[rows] ??= new Array(rows * perRow + 1));
      bounds[1] = w.startMs;
      bounds[2] = w.endMs;
      args[rows * perRow] = bounds;
      return args;
    };
    const writeFlat = (w: FlatWindow) => {
      const { count, keys, accs } = w.data;
      for (let first = 0; first < count; first += ROWS_PER_STATEMENT) {
        const rows = Math.min(ROWS_PER_STATEMENT, count - first);
        const args = argumentsOf(rows, w);
        let n = 0;
        for (let r = first; r < first + rows; r++) {
          for (let i = 0; i < nk; i++) args[n++] = toSqlValue(keys[r * nk + i]!);
          for (let i = 0; i < nv; i++) args[n++] = toSqlValue(accs[r * nv + i]!);
        }
        statementFor(rows).run(...args);
      }
    };
    this.writeWindow = (w: ClosedWindow) => {
      if (isFlatWindow(w)) return writeFlat(w);
      const groups = w.groups;
      for (let first = 0; first < groups.length; first += ROWS_PER_STATEMENT) {
        const rows = Math.min(ROWS_PER_STATEMENT, groups.length - first);
        const args = argumentsOf(rows, w);
        let n = 0;
        for (let r = first; r < first + rows; r++) {
          const g = groups[r]!;
          for (let i = 0; i < nk; i++) args[n++] = toSqlValue(g.key![i]!);
          for (let i = 0; i < nv; i++) args[n++] = toSqlValue(g.acc[i]!);
        }
        statementFor(rows).run(...args);
      }
    };
  }

  async write(w: ClosedWindow): Promise<void> {
    if (groupCount(w) > 0) await this.ctx.stores.batch(this.db!, () => this.writeWindow!(w));
  }

  async close(): Promise<void> {
    if (this.db) this.ctx.stores.release(this.file);
    this.db = undefined;
  }
}

/**
 * The last `maxWindows` windows of a table this output wrote, oldest first, rows in key order;
 * columns the table lacks (an older config) are left out, booleans come back as booleans, and
 * integers come back exact: int64 values beyond 2^53 as bigint (safe-integer reads), integers
 * beyond int64 from the BLOB of digits they are stored as.
 */
export function readStoredWindows(db: Db, table: string, shape: RowShape, keyed: boolean, maxWindows: number): { windows: StoredWindow[]; truncated: boolean } {
  const cols = tableColumns(db, table);
  if (!cols) return { windows: [], truncated: false };
  const names = new Set(cols.map((c) => c.name));
  const keys = shape.keyNames.filter((k) => names.has(k));
  const t = quoteIdent(table);
  const total = (db.prepare(`SELECT COUNT(DISTINCT window_end) AS n FROM ${t}`).get() as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT * FROM ${t} WHERE window_end IN (SELECT DISTINCT window_end FROM ${t} ORDER BY window_end DESC LIMIT ?) ORDER BY window_end, ${
        keys.length > 0 ? keys.map(quoteIdent).join(', ') : 'window_start'
      }`,
    )
    .safeIntegers(true)
    .all(maxWindows) as Record<string, unknown>[];
  const rowOf = storedRowReader(db, table, shape, keyed)!;
  const out: StoredWindow[] = [];
  let cur: StoredWindow | undefined;
  for (const r of rows) {
    const end = Number(r.window_end);
    if (!cur || cur.endMs !== end) {
      cur = { startMs: Number(r.window_start), endMs: end, rows: [] };
      out.push(cur);
    }
    cur.rows.push(rowOf(r));
  }
  return { windows: out, truncated: total > maxWindows };
}

/**
 * What turns a row of the table (read with safe integers) into an aggregate row, and the key
 * columns the table has; undefined when the table does not exist.
 */
export function storedRowReader(
  db: Db,
  table: string,
  shape: RowShape,
  keyed: boolean,
): (((r: Record<string, unknown>) => StoredWindow['rows'][number]) & { keys: string[] }) | undefined {
  const cols = tableColumns(db, table);
  if (!cols) return undefined;
  const names = new Set(cols.map((c) => c.name));
  const keys = shape.keyNames.filter((k) => names.has(k));
  const values = shape.valueNames.filter((v) => names.has(v));
  const bools = new Set(shape.valueNames.filter((_v, i) => shape.valueTypes[i] === 'BooleanType'));
  const read = (r: Record<string, unknown>) => ({
    key: keyed ? Object.fromEntries(keys.map((k) => [k, fromSqlValue(r[k])])) : null,
    values: Object.fromEntries(values.map((v) => [v, bools.has(v) ? fromSqlValue(r[v]) === 1 : fromSqlValue(r[v])])),
  });
  return Object.assign(read, { keys });
}

/** `{path, table}` of a table in a SQLite file (the sqlite output, sqlite history) */
export function tableOptions(pathDoc: string) {
  return obj({
    path: filePath().required().describe(pathDoc),
    table: identifier().default('points').describe('Table name (default points).'),
  });
}

const options = tableOptions('Database file, relative to the config file.');

export const sqliteOutput: OutputDescriptor<'sqlite', { path: string; table: string }> = {
  kind: 'output',
  name: 'sqlite',
  doc: 'The embedded store: one row per aggregate row, keyed by (window_end, key fields), so a re-run replaces instead of duplicating.',
  options,
  describe: (o) => `${o.path} (${o.table})`,
  create: async (o, ctx) => new SqliteSink(ctx, o.path, o.table),
  asHistory: (o) => ({ method: 'sqlite', path: o.path, table: o.table }),
  store: (o) => ({ path: o.path, table: o.table }),
  export: { reference: { unsupported: 'the sqlite store is ts-engine only' } },
};
