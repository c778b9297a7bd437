/**
 * Two configs on the same data (docs/backtest.md#diff): both are replayed with their outputs off
 * (history from their own windows) and their windows, keys, values and alerts compared. Windows are
 * matched by [start, end), rows by key, values by column name, alerts by (rule, key, field, window end).
 */
import type { FieldType, Value } from '../core/types.js';
import type { ClosedWindow } from '../core/window.js';
import type { Source } from '../components/types.js';
import { keyString } from '../analysis/history-recent.js';
import type { PipelinePlan } from '../pipeline/plan.js';
import { analysedReplay, type RaisedAlert } from './replay.js';
import type { RunStats } from '../pipeline/runner.js';

export interface DiffRow {
  key: Value[] | null;
  keyTypes: FieldType[];
  values: Record<string, Value>;
  types: Record<string, FieldType>;
}

export interface DiffAlert {
  rule: string;
  key: Value[] | null;
  keyTypes: FieldType[];
  field: string;
  windowEndMs: number;
  value: Value;
  lowerBound: number;
  upperBound: number;
}

export interface WindowDifference {
  startMs: number;
  endMs: number;
  /** the whole window is only in a or only in b (then its rows are in `added` / `removed`) */
  only?: 'a' | 'b';
  /** keys only in b */
  added: DiffRow[];
  /** keys only in a */
  removed: DiffRow[];
  /** keys in both whose values differ: each differing column with both values (undefined: not a column of that side) */
  changed: { key: Value[] | null; keyTypes: FieldType[]; columns: { name: string; a: Value | undefined; b: Value | undefined }[] }[];
}

export interface ConfigDifference {
  windowsA: number;
  windowsB: number;
  statsA: RunStats;
  statsB: RunStats;
  /** in time order */
  windows: WindowDifference[];
  alerts: { added: DiffAlert[]; removed: DiffAlert[]; changed: { a: DiffAlert; b: DiffAlert }[] };
  equal: boolean;
}

interface Replayed {
  stats: RunStats;
  windows: Map<string, { startMs: number; endMs: number; rows: Map<string, DiffRow> }>;
  alerts: Map<string, DiffAlert>;
}

async function replay(plan: PipelinePlan, source: Source | undefined, warn: (m: string) => void, signal?: AbortSignal): Promise<Replayed> {
  const keyTypes = plan.aggregation.keys.map((k) => k.type);
  const names = plan.aggregation.values.map((v) => v.name);
  const types = Object.fromEntries(plan.aggregation.values.map((v) => [v.name, v.type]));
  const windows: Replayed['windows'] = new Map();
  const alerts: Replayed['alerts'] = new Map();
  const stats = await analysedReplay(plan, {
    variants: plan.config.analysis ? [plan.config.analysis] : [],
    source,
    warn,
    signal,
    onWindow: (w: ClosedWindow, raised: readonly RaisedAlert[][]) => {
      const id = `${w.startMs}/${w.endMs}`;
      let win = windows.get(id);
      if (!win) {
        win = { startMs: w.startMs, endMs: w.endMs, rows: new Map() };
        windows.set(id, win);
      }
      for (const g of w.groups) {
        const values: Record<string, Value> = {};
        names.forEach((n, i) => (values[n] = g.acc[i]!));
        win.rows.set(keyString(g.key), { key: g.key, keyTypes, values, types });
      }
      for (const { alert, rule } of raised[0] ?? []) {
        const a: DiffAlert = {
          rule: rule.name,
          key: alert.key,
          keyTypes: alert.keyTypes,
          field: alert.field,
          windowEndMs: w.endMs,
          value: alert.value,
          lowerBound: alert.lowerBound,
          upperBound: alert.upperBound,
        };
        alerts.set(`${a.rule}\u0000${keyString(a.key)}\u0000${a.field}\u0000${a.windowEndMs}`, a);
      }
    },
  });
  return { stats, windows, alerts };
}

/** Same value: same type of number and same value (NaN equals NaN, as a user reading both outputs would see it). */
function same(a: Value | undefined, b: Value | undefined): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

function compareRows(a: DiffRow, b: DiffRow): { name: string; a: Value | undefined; b: Value | undefined }[] {
  const columns: { name: string; a: Value | undefined; b: Value | undefined }[] = [];
  const names = [...Object.keys(a.values), ...Object.keys(b.values).filter((n) => !(n in a.values))];
  for (const name of names) {
    const va = name in a.values ? a.values[name] : undefined;
    const vb = name in b.values ? b.values[name] : undefined;
    if (!same(va, vb) || name in a.values !== name in b.values) columns.push({ name, a: va, b: vb });
  }
  return columns;
}

/**
 * Replays `a` and `b` on the same rows — `source(plan)` makes the rows for each, since every config
 * parses them with its own data structure — and lists what differs.
 */
export async function diffConfigs(
  a: PipelinePlan,
  b: PipelinePlan,
  opts: { source(plan: PipelinePlan): Source | undefined; warn?(m: string): void; signal?: AbortSignal },
): Promise<ConfigDifference> {
  const warnA = (m: string) => opts.warn?.(`a: ${m}`);
  const warnB = (m: string) => opts.warn?.(`b: ${m}`);
  const ra = await replay(a, opts.source(a), warnA, opts.signal);
  const rb = await replay(b, opts.source(b), warnB, opts.signal);

  const windows: WindowDifference[] = [];
  const ids = new Set([...ra.windows.keys(), ...rb.windows.keys()]);
  for (const id of ids) {
    const wa = ra.windows.get(id);
    const wb = rb.windows.get(id);
    const w = (wa ?? wb)!;
    const d: WindowDifference = { startMs: w.startMs, endMs: w.endMs, added: [], removed: [], changed: [] };
    if (!wa) d.only = 'b';
    if (!wb) d.only = 'a';
    const rowsA = wa?.rows ?? new Map<string, DiffRow>();
    const rowsB = wb?.rows ?? new Map<string, DiffRow>();
    for (const [k, row] of rowsA) {
      const other = rowsB.get(k);
      if (!other) d.removed.push(row);
      else {
        const columns = compareRows(row, other);
        if (columns.length > 0) d.changed.push({ key: row.key, keyTypes: row.keyTypes, columns });
      }
    }
    for (const [k, row] of rowsB) if (!rowsA.has(k)) d.added.push(row);
    if (d.only || d.added.length + d.removed.length + d.changed.length > 0) windows.push(d);
  }
  windows.sort((x, y) => x.startMs - y.startMs || x.endMs - y.endMs);

  const alerts: ConfigDifference['alerts'] = { added: [], removed: [], changed: [] };
  for (const [k, x] of ra.alerts) {
    const y = rb.alerts.get(k);
    if (!y) alerts.removed.push(x);
    else if (!same(x.value, y.value) || x.lowerBound !== y.lowerBound || x.upperBound !== y.upperBound) alerts.changed.push({ a: x, b: y });
  }
  for (const [k, y] of rb.alerts) if (!ra.alerts.has(k)) alerts.added.push(y);
  const byTime = (x: DiffAlert, y: DiffAlert) =>
    x.windowEndMs - y.windowEndMs || x.rule.localeCompare(y.rule) || keyString(x.key).localeCompare(keyString(y.key));
  alerts.added.sort(byTime);
  alerts.removed.sort(byTime);
  alerts.changed.sort((x, y) => byTime(x.a, y.a));

  return {
    windowsA: ra.windows.size,
    windowsB: rb.windows.size,
    statsA: ra.stats,
    statsB: rb.stats,
    windows,
    alerts,
    equal: windows.length === 0 && alerts.added.length + alerts.removed.length + alerts.changed.length === 0,
  };
}
