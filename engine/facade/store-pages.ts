/**
 * The workbench's lists without caps (docs/workbench.md#lists): pages of what runs leave in the
 * store, filtered and counted by SQLite rather than in memory: the alert events and episodes of
 * the alerts table, the rows of the store output's windows, the row errors of `dead_letters`.
 * Each call opens the file read-only and closes it: a run writing it (WAL) is never blocked, and
 * a page shows what the run had committed when it was read.
 */
import fs from 'node:fs';
import { openDatabase, quoteIdent, tableColumns, type Db } from '../connectors/sqlite-store.js';
import { storedAlertOf } from '../components/alerts/sqlite.js';
import { rowShape } from '../components/outputs/format.js';
import { storedRowReader } from '../components/outputs/sqlite.js';
import { storeOf } from '../pipeline/assembly.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import type {
  AlertEpisode,
  AlertEvent,
  AlertFilters,
  AlertListPage,
  ListPage,
  ListPageRequest,
  RowErrorFilters,
  RowErrorPage,
  StoredRowError,
  WindowFilters,
  WindowRow,
} from '../facade-types.js';
import { alertEpisodes } from './episodes.js';
import { toCell } from './cells.js';
import { alertsTableOf } from './history.js';

/** the most rows one page may ask for */
export const MAX_PAGE_ROWS = 1000;

type Param = string | number;
type State = AlertEvent['state'];

/** A WHERE clause built from optional parts, with its bound parameters. */
class Where {
  private readonly parts: string[] = [];
  readonly params: Param[] = [];
  add(sql: string, ...params: Param[]): this {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }
  get sql(): string {
    return this.parts.length > 0 ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

const given = (s: string | undefined): s is string => typeof s === 'string' && s.length > 0;

/** `offset`/`limit` as SQLite takes them: whole numbers, a limit of at most MAX_PAGE_ROWS. */
function bounds(req: ListPageRequest<unknown>): { offset: number; limit: number } {
  const whole = (n: unknown, fallback: number) => (typeof n === 'number' && Number.isFinite(n) ? Math.max(0, Math.floor(n)) : fallback);
  return { offset: whole(req.offset, 0), limit: Math.min(MAX_PAGE_ROWS, whole(req.limit, 100)) };
}

/** Runs `read` on the file opened read-only; `empty` when the file does not exist yet (no run wrote it). */
function withStore<T>(file: string, empty: T, read: (db: Db) => T): T {
  if (!fs.existsSync(file)) return empty;
  const db = openDatabase(file, true);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

// ---- alerts ---------------------------------------------------------------------------------

/**
 * The key as the workbench shows it (`20 · gear.t3`), from the text the table keeps
 * (`[20, "gear.t3"]`): a filter matches what the user sees.
 */
const KEY_TEXT = `replace(replace(replace(replace(key, '[', ''), ']', ''), '"', ''), ', ', ' · ')`;

/** An episode's state from its events (lib/alert-states.ts#episodeState does the same in the renderer). */
const EPISODE_STATE = `CASE WHEN MAX(lifecycle) = 0 THEN 'firing' WHEN MAX(state = 'resolved') = 1 THEN 'resolved' WHEN MIN(episode_kind) = 'nodata' THEN 'nodata' ELSE 'firing' END`;

/** The filters other than the state, on the alerts table's rows. */
function alertWhere(f: AlertFilters | undefined): Where {
  const w = new Where();
  if (given(f?.rule)) w.add('rule = ?', f.rule);
  if (given(f?.field)) w.add('field = ?', f.field);
  if (given(f?.key)) w.add(`instr(lower(${KEY_TEXT}), lower(?)) > 0`, f.key);
  return w;
}

const STATES: readonly State[] = ['firing', 'resolved', 'nodata'];
const isState = (s: unknown): s is State => STATES.includes(s as State);

const noAlerts = <T>(source?: string): AlertListPage<T> => ({ total: 0, rows: [], counts: { firing: 0, resolved: 0, nodata: 0 }, all: 0, source });

/** The alerts table of a plan, opened for `read`; an empty page when there is none (yet). */
function withAlertsTable<T>(
  plan: PipelinePlan,
  display: (file: string) => string,
  read: (db: Db, t: string, source: string) => AlertListPage<T>,
): AlertListPage<T> {
  const at = alertsTableOf(plan);
  if (!at) return noAlerts();
  const source = `${display(at.path)} (${at.table})`;
  return withStore(at.path, noAlerts(source), (db) => {
    const cols = tableColumns(db, at.table);
    if (!cols) return noAlerts(source);
    // the alert sink brings an older table up to date when a run opens it; a reader never writes
    if (!cols.some((c) => c.name === 'alert_id')) throw new Error(`the alerts table of ${source} is of an earlier version: run the config once to update it`);
    return read(db, quoteIdent(at.table), source);
  });
}

/** How many rows of `from` (a table or a subquery) are in each state, and how many in all. */
function stateCounts(db: Db, from: string, stateColumn: string, params: Param[]): Pick<AlertListPage<unknown>, 'counts'> & { sum: number } {
  const rows = db.prepare(`SELECT ${stateColumn} AS s, COUNT(*) AS n FROM ${from} GROUP BY s`).all(...params) as { s: string; n: number }[];
  const counts = { firing: 0, resolved: 0, nodata: 0 };
  for (const r of rows) if (isState(r.s)) counts[r.s] = r.n;
  return { counts, sum: rows.reduce((a, r) => a + r.n, 0) };
}

/** A page of alert events, newest first: by window end (within a window, by alert id and state: the order of the table's key). */
export function storedAlertsPage(
  plan: PipelinePlan,
  req: ListPageRequest<AlertFilters>,
  display: (file: string) => string = (f) => f,
): AlertListPage<AlertEvent> {
  return withAlertsTable<AlertEvent>(plan, display, (db, t, source) => {
    const { offset, limit } = bounds(req);
    const f = req.filters;
    const w = alertWhere(f);
    const { counts, sum } = stateCounts(db, `${t} ${w.sql}`, 'state', w.params);
    const all = w.params.length === 0 ? sum : (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    if (isState(f?.state)) w.add('state = ?', f.state);
    const total = isState(f?.state) ? counts[f.state] : sum;
    const dir = req.order === 'oldest' ? 'ASC' : 'DESC';
    // in the primary key's order (within a window, by alert id): SQLite walks the key's index instead of sorting every row,
    // and a deep page skips index entries, not whole rows
    const order = `window_end ${dir}, alert_id ${dir}, state ${dir}`;
    const rows = db
      .prepare(`SELECT * FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} ${w.sql} ORDER BY ${order} LIMIT ? OFFSET ?) ORDER BY ${order}`)
      .all(...w.params, limit, offset) as Record<string, unknown>[];
    return { total, rows: rows.map((r) => eventOf(r)), counts, all, source };
  });
}

const eventOf = (r: Record<string, unknown>): AlertEvent => {
  const a = storedAlertOf(r, true);
  return { ...a, key: a.key === null ? null : a.key.map(toCell), value: toCell(a.value), peakValue: toCell(a.peakValue) };
};

/**
 * A page of alert episodes, newest first: by the window that opened them, then rule, key and field.
 * SQLite groups the events by alert id to count, filter and order the episodes; only the events of
 * the page's episodes are read, and grouped as a run groups them (episodes.ts).
 */
export function storedEpisodesPage(
  plan: PipelinePlan,
  req: ListPageRequest<AlertFilters>,
  display: (file: string) => string = (f) => f,
): AlertListPage<AlertEpisode> {
  return withAlertsTable<AlertEpisode>(plan, display, (db, t, source) => {
    const { offset, limit } = bounds(req);
    const f = req.filters;
    const w = alertWhere(f);
    const grouped = `SELECT alert_id, MIN(episode_start) AS start, MIN(rule) AS rule, MIN(key) AS key, MIN(field) AS field, ${EPISODE_STATE} AS episode_state FROM ${t} ${w.sql} GROUP BY alert_id`;
    const state = isState(f?.state) ? f.state : undefined;
    const dir = req.order === 'oldest' ? 'ASC' : 'DESC';
    // grouping every event is the cost: the counts come with the page, from the same grouping (window sums over it)
    const page = db
      .prepare(
        `SELECT alert_id, start, firing, resolved, nodata FROM (SELECT *, SUM(episode_state = 'firing') OVER () AS firing, SUM(episode_state = 'resolved') OVER () AS resolved, ` +
          `SUM(episode_state = 'nodata') OVER () AS nodata FROM (${grouped})) ${state ? 'WHERE episode_state = ?' : ''} ORDER BY start ${dir}, rule, key, field, alert_id LIMIT ? OFFSET ?`,
      )
      .all(...w.params, ...(state ? [state] : []), limit, offset) as ({ alert_id: string; start: number } & Record<State, number>)[];
    const counts =
      page.length > 0
        ? { firing: page[0]!.firing, resolved: page[0]!.resolved, nodata: page[0]!.nodata }
        : stateCounts(db, `(${grouped})`, 'episode_state', w.params).counts;
    const sum = counts.firing + counts.resolved + counts.nodata;
    const all = w.params.length === 0 ? sum : (db.prepare(`SELECT COUNT(DISTINCT alert_id) AS n FROM ${t}`).get() as { n: number }).n;
    const total = state ? counts[state] : sum;
    const ids = page.map((r) => r.alert_id);
    if (ids.length === 0) return { total, rows: [], counts, all, source };
    // an episode's events end at or after its start: the primary key's index narrows the search to those windows
    const since = Math.min(...page.map((r) => r.start));
    const events = db
      .prepare(`SELECT * FROM ${t} WHERE window_end >= ? AND alert_id IN (${ids.map(() => '?').join(', ')}) ORDER BY window_end, rule, key, field, state`)
      .all(since, ...ids) as Record<string, unknown>[];
    const byId = new Map(alertEpisodes(events.map(eventOf)).map((e) => [e.alertId, e]));
    return { total, rows: ids.map((id) => byId.get(id)!), counts, all, source };
  });
}

// ---- windows --------------------------------------------------------------------------------

/** A page of the rows of the store output's windows, newest window first, rows in key order. */
export function storedWindowsPage(plan: PipelinePlan, req: ListPageRequest<WindowFilters>, display: (file: string) => string = (f) => f): ListPage<WindowRow> {
  const store = storeOf(plan.config);
  if (!store) return { total: 0, rows: [] };
  const source = `${display(store.path)} (${store.table})`;
  const empty = { total: 0, rows: [], source };
  return withStore<ListPage<WindowRow>>(store.path, empty, (db) => {
    const rowOf = storedRowReader(db, store.table, rowShape(plan.aggregation), plan.aggregation.operation === 'reduceByKey');
    if (!rowOf) return empty;
    const { offset, limit } = bounds(req);
    const f = req.filters;
    const t = quoteIdent(store.table);
    const keys = rowOf.keys.map(quoteIdent);
    const w = new Where();
    if (given(f?.key) && keys.length > 0) w.add(`instr(lower(${keys.map((k) => `CAST(${k} AS TEXT)`).join(` || ' · ' || `)}), lower(?)) > 0`, f.key);
    if (typeof f?.from === 'number' && Number.isFinite(f.from)) w.add('window_end >= ?', f.from);
    if (typeof f?.to === 'number' && Number.isFinite(f.to)) w.add('window_start <= ?', f.to);
    const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${t} ${w.sql}`).get(...w.params) as { n: number }).n;
    const dir = req.order === 'oldest' ? 'ASC' : 'DESC';
    const rows = db
      .prepare(`SELECT * FROM ${t} ${w.sql} ORDER BY window_end ${dir}${keys.map((k) => `, ${k}`).join('')} LIMIT ? OFFSET ?`)
      .safeIntegers(true)
      .all(...w.params, limit, offset) as Record<string, unknown>[];
    return {
      total,
      source,
      rows: rows.map((r) => {
        const row = rowOf(r);
        return {
          windowStart: Number(r.window_start),
          windowEnd: Number(r.window_end),
          key: row.key && Object.fromEntries(Object.entries(row.key).map(([k, v]) => [k, toCell(v)])),
          values: Object.fromEntries(Object.entries(row.values).map(([k, v]) => [k, toCell(v)])),
        };
      }),
    };
  });
}

// ---- row errors -----------------------------------------------------------------------------

/** A page of the row errors of the store's `dead_letters` table, newest first (in the order they were kept). */
export function storedRowErrorsPage(plan: PipelinePlan, req: ListPageRequest<RowErrorFilters>, display: (file: string) => string = (f) => f): RowErrorPage {
  const store = storeOf(plan.config);
  if (!store) return { total: 0, rows: [], reasons: [] };
  const source = `${display(store.path)} (dead_letters)`;
  const empty = { total: 0, rows: [], reasons: [], source };
  return withStore<RowErrorPage>(store.path, empty, (db) => {
    const cols = tableColumns(db, 'dead_letters');
    if (!cols) return empty;
    const { offset, limit } = bounds(req);
    const f = req.filters;
    const w = new Where();
    if (given(f?.runId)) w.add('run_id = ?', f.runId);
    if (given(f?.source)) w.add('instr(lower(source), lower(?)) > 0', f.source);
    const reasons = db.prepare(`SELECT reason, COUNT(*) AS count FROM dead_letters ${w.sql} GROUP BY reason ORDER BY count DESC, reason`).all(...w.params) as {
      reason: string;
      count: number;
    }[];
    const all = reasons.reduce((a, r) => a + r.count, 0);
    if (given(f?.reason)) w.add('reason = ?', f.reason);
    const total = given(f?.reason) ? (reasons.find((r) => r.reason === f.reason)?.count ?? 0) : all;
    const dir = req.order === 'oldest' ? 'ASC' : 'DESC';
    const encoded = cols.some((c) => c.name === 'raw_encoding');
    const rows = db.prepare(`SELECT * FROM dead_letters ${w.sql} ORDER BY id ${dir} LIMIT ? OFFSET ?`).all(...w.params, limit, offset) as Record<
      string,
      unknown
    >[];
    return { total, reasons, source, rows: rows.map((r) => rowErrorOf(r, encoded)) };
  });
}

function rowErrorOf(r: Record<string, unknown>, encoded: boolean): StoredRowError {
  const raw = String(r.raw);
  return {
    runId: String(r.run_id),
    recordedAt: Number(r.recorded_at),
    source: String(r.source),
    ...(r.line === null ? {} : { line: Number(r.line) }),
    ...(r.partition === null ? {} : { partition: Number(r.partition) }),
    ...(r.offset === null ? {} : { offset: String(r.offset) }),
    reason: String(r.reason),
    message: String(r.message),
    // bytes that were not UTF-8 are kept exactly (base64); people see them as text
    raw: encoded && r.raw_encoding === 'base64' ? Buffer.from(raw, 'base64').toString('utf8') : raw,
  };
}
