/**
 * `sqlite` output (15.2): one row per aggregate row, primary key
 * (window_end, key fields) so a re-run or retry replaces and never duplicates.
 */
import { EngineError } from '../errors.js';
import { groupCount, type ClosedWindow } from '../pipeline/processor.js';
import { isFlatWindow, type FlatWindow } from '../pipeline/flat-window.js';
import type { Db } from '../store/sqlite-store.js';
import { quoteIdent, sqlType, tableColumns } from '../store/sqlite-store.js';
import type { Sink, SinkContext } from './sink.js';
import { type SqlValue, toSqlValue } from '../store/values.js';

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
    const want = cols.map((c) => c[0]).join(', ');
    const have = (tableColumns(db, this.table) ?? []).map((c) => c.name).join(', ');
    if (want !== have) {
      throw new EngineError(
        'OutputError',
        `sqlite output: table ${this.table} in ${this.file} has columns (${have}) but this config writes (${want}); use another "table" or remove the old one`,
      );
    }
    const names = cols.map((c) => quoteIdent(c[0]));
    const conflict = ['window_end', ...keyNames].map(quoteIdent).join(', ');
    const updates = cols.filter((c) => c[0] !== 'window_end' && !keyNames.includes(c[0])).map((c) => `${quoteIdent(c[0])} = excluded.${quoteIdent(c[0])}`);
    const tuple = `(${names.map(() => '?').join(', ')})`;
    const upsert = (rows: number) =>
      db.prepare(
        `INSERT INTO ${t} (${names.join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')} ON CONFLICT(${conflict}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
      );
    // many rows per statement: one execution per window for typical windows, per 64 rows for big ones
    const width = cols.length;
    const ROWS_PER_STATEMENT = Math.max(1, Math.min(64, Math.floor(999 / width)));
    const statements: ReturnType<typeof upsert>[] = [];
    const statementFor = (rows: number) => (statements[rows] ??= upsert(rows));
    const nk = keyNames.length;
    const nv = valueNames.length;
    const buffers: SqlValue[][] = [];
    const bufferFor = (rows: number) => (buffers[rows] ??= new Array(rows * width));
    const writeFlat = (w: FlatWindow) => {
      const { count, keys, accs } = w.data;
      for (let first = 0; first < count; first += ROWS_PER_STATEMENT) {
        const rows = Math.min(ROWS_PER_STATEMENT, count - first);
        const params = bufferFor(rows);
        let n = 0;
        for (let r = first; r < first + rows; r++) {
          params[n++] = w.startMs;
          params[n++] = w.endMs;
          for (let i = 0; i < nk; i++) params[n++] = toSqlValue(keys[r * nk + i]!);
          for (let i = 0; i < nv; i++) params[n++] = toSqlValue(accs[r * nv + i]!);
        }
        statementFor(rows).run(params);
      }
    };
    this.writeWindow = (w: ClosedWindow) => {
      if (isFlatWindow(w)) return writeFlat(w);
      const groups = w.groups;
      for (let first = 0; first < groups.length; first += ROWS_PER_STATEMENT) {
        const rows = Math.min(ROWS_PER_STATEMENT, groups.length - first);
        const params = bufferFor(rows);
        let n = 0;
        for (let r = first; r < first + rows; r++) {
          const g = groups[r]!;
          params[n++] = w.startMs;
          params[n++] = w.endMs;
          for (let i = 0; i < nk; i++) params[n++] = toSqlValue(g.key![i]!);
          for (let i = 0; i < nv; i++) params[n++] = toSqlValue(g.acc[i]!);
        }
        statementFor(rows).run(params);
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
