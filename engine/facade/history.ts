/**
 * What earlier runs left in the store (docs/architecture.md#the-store): the windows of the
 * config's store output and its alerts, as facade types, for the workbench to show when a
 * project is opened. The table layouts belong to the sqlite output and the sqlite alert sink.
 * A config without an embedded store shows what its server store (a cassandra output) holds.
 */
import fs from 'node:fs';
import { openDatabase, type Db } from '../connectors/sqlite-store.js';
import { readStoredAlerts } from '../components/alerts/sqlite.js';
import { rowShape } from '../components/outputs/format.js';
import { readStoredWindows } from '../components/outputs/sqlite.js';
import type { StoredWindow } from '../core/window.js';
import { outputDescriptor } from '../components/registry.js';
import type { StoreRef } from '../core/store.js';
import type { Value } from '../core/types.js';
import { storeOf } from '../pipeline/assembly.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import type { AlertEvent, HistoryResult, WindowResult } from '../facade-types.js';
import { alertEpisodes } from './episodes.js';
import { toCell } from './cells.js';

const cells = (o: Record<string, Value>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toCell(v)]));

/** Where alerts are kept: a configured sqlite alert sink, else the `alerts` table of the store. */
export function alertsTableOf(plan: PipelinePlan): (StoreRef & { configured: boolean }) | undefined {
  const sink = plan.config.analysis?.alerts.find((a) => a.method === 'sqlite');
  if (sink && sink.method === 'sqlite') return { path: sink.path, table: sink.table, configured: true };
  const store = storeOf(plan.config);
  return store ? { path: store.path, table: 'alerts', configured: false } : undefined;
}

/** The last `maxWindows` stored windows of the plan's store and the alerts since the first of them. */
export async function readHistory(plan: PipelinePlan, maxWindows = 5000, display: (file: string) => string = (f) => f): Promise<HistoryResult> {
  const store = storeOf(plan.config);
  const empty = { windows: [], alerts: [], episodes: [], truncated: false };
  if (!store) return readServerStore(plan, maxWindows);
  const source = `${display(store.path)} (${store.table})`;
  if (!fs.existsSync(store.path)) return { ...empty, source };
  let db: Db | undefined;
  try {
    db = openDatabase(store.path, true);
    const stored = readStoredWindows(db, store.table, rowShape(plan.aggregation), plan.aggregation.operation === 'reduceByKey', maxWindows);
    const windows = windowResults(stored.windows);
    const alertsAt = alertsTableOf(plan);
    let alerts: AlertEvent[] = [];
    if (alertsAt) {
      const adb = alertsAt.path === store.path ? db : fs.existsSync(alertsAt.path) ? openDatabase(alertsAt.path, true) : undefined;
      try {
        const since = windows.length > 0 ? windows[0]!.windowEnd : 0;
        if (adb) alerts = readStoredAlerts(adb, alertsAt.table, since);
      } finally {
        if (adb && adb !== db) adb.close();
      }
    }
    return { source, windows, truncated: stored.truncated, alerts, episodes: alertEpisodes(alerts) };
  } finally {
    db?.close();
  }
}

const windowResults = (stored: StoredWindow[]): WindowResult[] =>
  stored.map((w) => ({
    windowStart: w.startMs,
    windowEnd: w.endMs,
    rows: w.rows.map((r) => ({ key: r.key && cells(r.key), values: cells(r.values) })),
  }));

/** The windows of the main (else the first) output that reads back from its server; alerts stay in the embedded store only. */
async function readServerStore(plan: PipelinePlan, maxWindows: number): Promise<HistoryResult> {
  const outs = plan.config.outputs;
  const readable = (o: (typeof outs)[number]) => outputDescriptor(o.method)?.readStored !== undefined;
  const out = outs.find((o) => o.main && readable(o)) ?? outs.find(readable);
  if (!out) return { windows: [], alerts: [], episodes: [], truncated: false };
  const d = outputDescriptor(out.method)!;
  const stored = await d.readStored!(out, rowShape(plan.aggregation), maxWindows);
  return { source: `${out.method} ${d.describe(out)}`, windows: windowResults(stored.windows), truncated: stored.truncated, alerts: [], episodes: [] };
}
