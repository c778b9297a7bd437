/**
 * Reads what earlier runs left in the embedded SQLite store (15.2): the windows
 * table of the config's sqlite output and its `alerts` table (schemas in
 * engine/sinks/sqlite.ts and engine/store/sqlite-store.ts), as facade types.
 */
import fs from 'node:fs';
import type { PipelinePlan } from '../../engine/index.js';
import { openDatabase, quoteIdent, tableColumns, type Db } from '../../engine/store/sqlite-store.js';
import { fromSqlValue } from '../../engine/store/values.js';
import type { AlertEvent, CellValue, HistoryResult, WindowResult } from './contract.js';

type Row = Record<string, unknown>;

/** A stored value (read with safe integers; beyond int64 a BLOB of digits, engine/store/values.ts) as a cell. */
const cell = (raw: unknown): CellValue => {
  const v = fromSqlValue(raw);
  return typeof v === 'bigint' ? { big: v.toString() } : (v as CellValue);
};

/** The sqlite store a workbench run writes: the `main` sqlite output, else the first one. */
export function storeOf(plan: PipelinePlan): { path: string; table: string } | undefined {
  const outs = plan.config.outputs;
  const o = outs.find((x) => x.method === 'sqlite' && x.main) ?? outs.find((x) => x.method === 'sqlite');
  return o && o.method === 'sqlite' ? { path: o.path, table: o.table } : undefined;
}

/** Where alerts are kept: a configured sqlite alert sink, else the `alerts` table of the store. */
export function alertsTableOf(plan: PipelinePlan): { path: string; table: string; configured: boolean } | undefined {
  const sink = plan.config.analysis?.alerts.find((a) => a.method === 'sqlite');
  if (sink && sink.method === 'sqlite') return { path: sink.path, table: sink.table, configured: true };
  const store = storeOf(plan);
  return store ? { path: store.path, table: 'alerts', configured: false } : undefined;
}

export function readHistory(plan: PipelinePlan, maxWindows = 5000, display: (file: string) => string = (f) => f): Omit<HistoryResult, 'summary'> {
  const store = storeOf(plan);
  const empty = { windows: [], alerts: [], truncated: false };
  if (!store) return empty;
  const source = `${display(store.path)} (${store.table})`;
  if (!fs.existsSync(store.path)) return { ...empty, source };
  let db: Db | undefined;
  try {
    db = openDatabase(store.path, true);
    const windows = readWindows(db, store.table, plan, maxWindows);
    const alertsAt = alertsTableOf(plan);
    let alerts: AlertEvent[] = [];
    if (alertsAt) {
      const adb = alertsAt.path === store.path ? db : fs.existsSync(alertsAt.path) ? openDatabase(alertsAt.path, true) : undefined;
      try {
        const since = windows.windows.length > 0 ? windows.windows[0]!.windowEnd : 0;
        if (adb) alerts = readAlerts(adb, alertsAt.table, since);
      } finally {
        if (adb && adb !== db) adb.close();
      }
    }
    return { source, windows: windows.windows, truncated: windows.truncated, alerts };
  } finally {
    db?.close();
  }
}

function readWindows(db: Db, table: string, plan: PipelinePlan, maxWindows: number): { windows: WindowResult[]; truncated: boolean } {
  const cols = tableColumns(db, table);
  if (!cols) return { windows: [], truncated: false };
  const names = new Set(cols.map((c) => c.name));
  const keys = plan.aggregation.keys.map((k) => k.name).filter((k) => names.has(k));
  const values = plan.aggregation.values.map((v) => v.name).filter((v) => names.has(v));
  const bools = new Set(plan.aggregation.values.filter((v) => v.type === 'BooleanType').map((v) => v.name));
  const t = quoteIdent(table);
  const total = (db.prepare(`SELECT COUNT(DISTINCT window_end) AS n FROM ${t}`).get() as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT * FROM ${t} WHERE window_end IN (SELECT DISTINCT window_end FROM ${t} ORDER BY window_end DESC LIMIT ?) ORDER BY window_end, ${
        keys.length > 0 ? keys.map(quoteIdent).join(', ') : 'window_start'
      }`,
    )
    .safeIntegers(true)
    .all(maxWindows) as Row[];
  const out: WindowResult[] = [];
  let cur: WindowResult | undefined;
  for (const r of rows) {
    const end = Number(r.window_end);
    if (!cur || cur.windowEnd !== end) {
      cur = { windowStart: Number(r.window_start), windowEnd: end, rows: [] };
      out.push(cur);
    }
    cur.rows.push({
      key: plan.aggregation.operation === 'reduceByKey' ? Object.fromEntries(keys.map((k) => [k, cell(r[k])])) : null,
      values: Object.fromEntries(values.map((v) => [v, bools.has(v) ? fromSqlValue(r[v]) === 1 : cell(r[v])])),
    });
  }
  return { windows: out, truncated: total > maxWindows };
}

function readAlerts(db: Db, table: string, sinceWindowEnd: number): AlertEvent[] {
  if (!tableColumns(db, table)) return [];
  const rows = db
    .prepare(`SELECT * FROM ${quoteIdent(table)} WHERE window_end >= ? ORDER BY window_end, module, key, field LIMIT 20000`)
    .all(sinceWindowEnd) as Row[];
  return rows.map((r) => {
    let key: CellValue[] | null = null;
    let keyFields: string[] = [];
    try {
      key = JSON.parse(String(r.key)) as CellValue[] | null;
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
