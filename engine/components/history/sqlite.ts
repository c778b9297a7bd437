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

/** The stored window ends in [from, last], oldest first, read one seek at a time as far as a lookup needed them. */
interface WindowEnds {
  first: number;
  last: number;
  ends: number[];
  /** every end in the range is in `ends` */
  complete: boolean;
}

export class SqliteHistory implements HistorySource {
  readonly description: string;
  private db: Db | undefined;
  private stmts: LookupStatements | undefined;
  private stmtKeyCount = -1;
  /**
   * The window ends of the ranges asked, by their start, while the store's write generation stays (see windowEndsIn):
   * every key of a window asks the same few ranges, and with 100 000 keys a range with no window at all (history from
   * before the run) was a query per key and index, 3 million per 1 M rows (docs/performance.md#analysis).
   */
  private readonly windowEnds = new Map<number, WindowEnds>();
  private windowEndsGeneration = -1;

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
    const range = this.windowEndsIn(q.targetMs - q.toleranceMs, q.targetMs + q.toleranceMs);
    let keyParams: unknown[] | undefined;
    let row: Record<string, unknown> | undefined;
    let rowDistance = Infinity;
    // closest to the target first, the later one of two as close
    for (let i = 0, end = this.windowEndAt(stmts, range, 0); end !== undefined; end = this.windowEndAt(stmts, range, ++i)) {
      const distance = Math.abs(end - q.targetMs);
      if (distance > rowDistance) break;
      keyParams ??= (q.key ?? []).map(toSqlValue);
      const found = stmts.point.get(end, ...keyParams) as Record<string, unknown> | undefined;
      if (found) {
        row = found;
        rowDistance = distance;
      }
    }
    if (!row) return undefined;
    const out: Record<string, Value> = Object.create(null);
    for (const [k, v] of Object.entries(row)) out[k] = fromSqlValue(v);
    out.time = BigInt(out.window_end as number) * 1_000_000n;
    return out;
  }

  /**
   * The window ends of [from, last] known so far. They are kept while the store's write generation stays and its
   * handle is in a transaction: a batch's transaction holds the write lock, so no other connection can have written
   * since (SqliteStores.writeGeneration); this run's own writes change the generation.
   */
  private windowEndsIn(from: number, last: number): WindowEnds {
    const db = this.db!;
    const generation = this.stores.writeGeneration(db);
    if (generation !== this.windowEndsGeneration || !db.inTransaction) {
      this.windowEnds.clear();
      this.windowEndsGeneration = generation;
    }
    let range = this.windowEnds.get(from);
    if (range === undefined || range.last !== last) {
      range = { first: from, last, ends: [], complete: false };
      this.windowEnds.set(from, range);
    }
    return range;
  }

  /** the i-th stored window end of `range`, read from the store when not known yet */
  private windowEndAt(stmts: LookupStatements, range: WindowEnds, i: number): number | undefined {
    if (i < range.ends.length) return range.ends[i];
    if (range.complete) return undefined;
    const end = (i === 0 ? stmts.firstWindowEnd.get(range.first, range.last) : stmts.nextWindowEnd.get(range.ends[i - 1], range.last)) as number | undefined;
    if (end === undefined) range.complete = true;
    else range.ends.push(end);
    return end;
  }

  async close(): Promise<void> {
    if (this.db) this.stores.release(this.file);
    this.db = undefined;
    this.stmts = undefined;
    this.windowEnds.clear();
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
