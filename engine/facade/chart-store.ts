/**
 * The charts' data read from the store (docs/workbench.md#charts-at-any-size): a reopened
 * project's whole history streamed through a ChartSummary, and the buckets of a zoomed-in range
 * computed by SQLite (min and max per key and bucket for the keys drawn, and over the other keys
 * for the band), so a zoom shows every window again however long the run was.
 */
import fs from 'node:fs';
import { fromSqlValue, openDatabase, quoteIdent, tableColumns, toSqlValue, type Db } from '../connectors/sqlite-store.js';
import type { CellValue } from '../facade-types.js';
import type { Value } from '../core/types.js';
import { storeOf } from '../pipeline/assembly.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import { alertsTableOf } from './history.js';
import { toCell } from './cells.js';
import { ChartSummary, chartKeyLabel, type ChartColumnView, type ChartKeyStat, type ChartView } from './chart-summary.js';

interface StoreLayout {
  db: Db;
  table: string;
  /** key columns present in the table */
  keys: string[];
  columns: string[];
  alerts?: { db: Db; table: string };
  close(): void;
}

function openLayout(plan: PipelinePlan): StoreLayout | undefined {
  const store = storeOf(plan.config);
  if (!store || !fs.existsSync(store.path)) return undefined;
  const db = openDatabase(store.path, true);
  const cols = tableColumns(db, store.table);
  if (!cols) {
    db.close();
    return undefined;
  }
  const names = new Set(cols.map((c) => c.name));
  const alertsAt = alertsTableOf(plan);
  let alerts: StoreLayout['alerts'];
  if (alertsAt) {
    const adb = alertsAt.path === store.path ? db : fs.existsSync(alertsAt.path) ? openDatabase(alertsAt.path, true) : undefined;
    const acols = adb ? tableColumns(adb, alertsAt.table) : undefined;
    if (adb && acols?.some((c) => c.name === 'lifecycle')) alerts = { db: adb, table: alertsAt.table };
    else if (adb && adb !== db) adb.close();
  }
  return {
    db,
    table: store.table,
    keys: plan.aggregation.operation === 'reduceByKey' ? plan.aggregation.keys.map((k) => k.name).filter((k) => names.has(k)) : [],
    columns: plan.aggregation.values.map((v) => v.name),
    alerts,
    close() {
      if (alerts && alerts.db !== db) alerts.db.close();
      db.close();
    },
  };
}

const keyOfRow = (layout: StoreLayout, r: Record<string, unknown>): CellValue[] | null =>
  layout.keys.length === 0 ? null : layout.keys.map((k) => toCell(fromSqlValue(r[k])));

const numberOfSql = (v: unknown): number => (v === null || v === undefined ? Number.NaN : Number(v));

/**
 * The whole store as a ChartSummary: every stored window in order, then the alerts (all of them
 * count for the key picker; those of rules without lifecycle become the charts' markers).
 * Undefined when the config has no sqlite store or it holds no table yet.
 */
export function summarizeStore(plan: PipelinePlan): ChartSummary | undefined {
  const layout = openLayout(plan);
  if (!layout) return undefined;
  try {
    const summary = new ChartSummary(layout.columns);
    const present = new Set((tableColumns(layout.db, layout.table) ?? []).map((c) => c.name));
    const rows = layout.db
      .prepare(`SELECT * FROM ${quoteIdent(layout.table)} ORDER BY window_end`)
      .safeIntegers(true)
      .iterate() as IterableIterator<Record<string, unknown>>;
    let end = Number.NaN;
    let start = 0;
    let batch: { key: CellValue[] | null; values: Record<string, CellValue> }[] = [];
    for (const r of rows) {
      const e = Number(r.window_end);
      if (e !== end) {
        if (batch.length > 0) summary.addStored(start, end, batch);
        batch = [];
        end = e;
        start = Number(r.window_start);
      }
      const values: Record<string, CellValue> = {};
      for (const c of layout.columns) if (present.has(c)) values[c] = toCell(fromSqlValue(r[c]));
      batch.push({ key: keyOfRow(layout, r), values });
    }
    if (batch.length > 0) summary.addStored(start, end, batch);
    if (layout.alerts) {
      const alerts = layout.alerts.db
        .prepare(`SELECT window_end, key, field, value, lifecycle FROM ${quoteIdent(layout.alerts.table)} ORDER BY window_end`)
        .iterate() as IterableIterator<{ window_end: number; key: string; field: string; value: number | null; lifecycle: number }>;
      for (const a of alerts) summary.addAlert(Number(a.window_end), parseKey(a.key), a.field, a.value, a.lifecycle === 0);
    }
    return summary;
  } finally {
    layout.close();
  }
}

function parseKey(text: string): CellValue[] | null {
  try {
    const k = JSON.parse(text) as CellValue[] | null;
    return Array.isArray(k) ? k : null;
  } catch {
    return null;
  }
}

export interface ChartRangeQuery {
  /** epoch ms, window ends included */
  from: number;
  to: number;
  /** at most this many buckets (the chart's width in pixels) */
  buckets: number;
  /** the keys drawn as lines, as the last view listed them */
  shown: ChartKeyStat[];
}

/**
 * The buckets of [from, to], each at least one window wide: min and max per shown key, over the
 * other keys, and the markers' alert counts. Undefined without a store to read.
 */
export function readChartRange(plan: PipelinePlan, q: ChartRangeQuery): ChartView | undefined {
  const layout = openLayout(plan);
  if (!layout) return undefined;
  try {
    const windowMs = Math.max(1, plan.config.input.batchDurationSec * 1000);
    const span = Math.max(0, q.to - q.from);
    const bucketMs = Math.max(windowMs, Math.ceil(span / Math.max(1, q.buckets)));
    const buckets = Math.floor(span / bucketMs) + 1;
    const t = quoteIdent(layout.table);
    const aggs = layout.columns.map((c, i) => `MIN(${quoteIdent(c)}) AS mn${i}, MAX(${quoteIdent(c)}) AS mx${i}`).join(', ');
    const bucket = `((window_end - ${Math.trunc(q.from)}) / ${bucketMs})`;
    const { sql: shownSql, params } = shownCondition(layout, q.shown);
    const range = `window_end >= ? AND window_end <= ?`;
    const keyCols = layout.keys.map(quoteIdent);
    const shownRows = layout.db
      .prepare(`SELECT ${[...keyCols, `${bucket} AS b`, aggs].join(', ')} FROM ${t} WHERE ${range} AND (${shownSql}) GROUP BY ${[...keyCols, 'b'].join(', ')}`)
      .safeIntegers(true)
      .all(q.from, q.to, ...params) as Record<string, unknown>[];
    const otherRows = layout.db
      .prepare(`SELECT ${bucket} AS b, ${aggs} FROM ${t} WHERE ${range} AND NOT (${shownSql}) GROUP BY b`)
      .safeIntegers(true)
      .all(q.from, q.to, ...params) as Record<string, unknown>[];
    const shownIndex = new Map(q.shown.map((s, i) => [s.label, i]));
    const empty = () => new Array<number | null>(buckets).fill(null);
    const perColumn: ChartColumnView[] = layout.columns.map((column) => ({
      column,
      keys: q.shown.map(() => ({ min: empty(), max: empty() })),
      others: { min: empty(), max: empty() },
      alerts: { count: new Array<number>(buckets).fill(0), top: empty() },
    }));
    const put = (target: (c: ChartColumnView) => { min: (number | null)[]; max: (number | null)[] }, r: Record<string, unknown>) => {
      const b = Number(r.b);
      if (b < 0 || b >= buckets) return;
      layout.columns.forEach((_c, i) => {
        const series = target(perColumn[i]!);
        const mn = numberOfSql(r[`mn${i}`]);
        const mx = numberOfSql(r[`mx${i}`]);
        series.min[b] = Number.isNaN(mn) ? null : mn;
        series.max[b] = Number.isNaN(mx) ? null : mx;
      });
    };
    for (const r of shownRows) {
      const k = shownIndex.get(chartKeyLabel(keyOfRow(layout, r)));
      if (k !== undefined) put((c) => c.keys[k]!, r);
    }
    for (const r of otherRows) put((c) => c.others, r);
    if (layout.alerts) {
      const rows = layout.alerts.db
        .prepare(
          `SELECT field, ${bucket} AS b, COUNT(*) AS n, MAX(value) AS top FROM ${quoteIdent(layout.alerts.table)} WHERE ${range} AND lifecycle = 0 GROUP BY field, b`,
        )
        .all(q.from, q.to) as { field: string; b: number; n: number; top: number | null }[];
      for (const r of rows) {
        const c = perColumn.find((p) => p.column === r.field);
        if (!c || r.b < 0 || r.b >= buckets) continue;
        c.alerts.count[r.b] = r.n;
        c.alerts.top[r.b] = r.top;
      }
    }
    return {
      generation: -1,
      origin: q.from,
      bucketMs,
      buckets,
      from: 0,
      columns: layout.columns,
      shown: q.shown,
      perColumn,
      keyCount: q.shown.length,
      windows: 0,
      untrackedKeys: 0,
    };
  } finally {
    layout.close();
  }
}

/** `(k1 IS ? AND k2 IS ?) OR …` for the shown keys; a reduce config's one key is "all". */
function shownCondition(layout: StoreLayout, shown: readonly ChartKeyStat[]): { sql: string; params: unknown[] } {
  if (layout.keys.length === 0) return { sql: shown.some((s) => s.key === null) ? '1' : '0', params: [] };
  const withKeys = shown.filter((s) => s.key !== null && s.key.length === layout.keys.length);
  if (withKeys.length === 0) return { sql: '0', params: [] };
  const one = `(${layout.keys.map((k) => `${quoteIdent(k)} IS ?`).join(' AND ')})`;
  return {
    sql: withKeys.map(() => one).join(' OR '),
    params: withKeys.flatMap((s) => s.key!.map((v) => toSqlValue(fromCell(v)))),
  };
}

const fromCell = (v: CellValue): Value => (v !== null && typeof v === 'object' ? BigInt(v.big) : v);
