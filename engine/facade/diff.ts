/**
 * Two configs compared on the same data as plain data (facade-types.ts#DiffResult), for
 * `ts-engine diff` and the workbench's "compare with the saved version" / "compare with another
 * config of the project" (docs/backtest.md#diff).
 */
import path from 'node:path';
import type { Value } from '../core/types.js';
import type { ConfigIO } from '../config/model.js';
import { checkConfig, nodeIO, type PipelinePlan } from '../pipeline/plan.js';
import { timeModeOf } from '../pipeline/processor.js';
import { diffConfigs, type DiffAlert, type DiffRow } from '../evaluate/diff.js';
import { keyText } from '../evaluate/labels.js';
import { csvFileSource, unboundedInput } from '../evaluate/replay.js';
import type { DiffAlertItem, DiffRequest, DiffResult, DiffRowItem } from '../facade-types.js';
import { keyCells, toCell } from './cells.js';

/** At most this many differing windows and alerts of each kind are listed; the counts are exact. */
export const MAX_DIFF_ITEMS = 1000;

function failed(fields: Partial<DiffResult>): DiffResult {
  return {
    ok: false,
    equal: false,
    diagnostics: [],
    windowsA: 0,
    windowsB: 0,
    windowsDiffering: 0,
    windows: [],
    alerts: { added: [], removed: [], changed: [] },
    alertCounts: { added: 0, removed: 0, changed: 0 },
    warnings: [],
    elapsedMs: 0,
    ...fields,
  };
}

const cell = (v: Value | undefined) => (v === undefined ? undefined : toCell(v));

function row(r: DiffRow, keyNames: string[]): DiffRowItem {
  return {
    key: keyCells(r.key, keyNames),
    keyText: keyText(r.key, r.keyTypes),
    values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, toCell(v)])),
  };
}

function alert(a: DiffAlert, keyNames: string[]): DiffAlertItem {
  return {
    rule: a.rule,
    key: keyCells(a.key, keyNames),
    keyText: keyText(a.key, a.keyTypes),
    field: a.field,
    windowEnd: a.windowEndMs,
    value: toCell(a.value),
    lowerBound: a.lowerBound,
    upperBound: a.upperBound,
  };
}

function problem(plan: PipelinePlan, side: 'a' | 'b'): string | undefined {
  if (timeModeOf(plan) !== 'event') return `${side}: a diff compares windows of the same times, so it needs event time: set input.options.time_field`;
  return undefined;
}

/** Checks both configs, replays both on a's input (or `data`) and compares; never throws for a problem of the user's files. */
export async function runDiff(
  configA: string,
  configB: string,
  request: DiffRequest = {},
  opts: { io?: ConfigIO; signal?: AbortSignal; warn?(m: string): void; display?(f: string): string } = {},
): Promise<DiffResult> {
  const started = performance.now();
  const io = opts.io ?? nodeIO;
  const display = opts.display ?? ((f: string) => f);
  const checkedA = await checkConfig(configA, request.textA, io);
  const checkedB = await checkConfig(configB, request.textB, io);
  const diagnostics = [...checkedA.diagnostics, ...checkedB.diagnostics];
  const a = checkedA.plan;
  const b = checkedB.plan;
  if (!a || !b) return failed({ failedAt: 'config', diagnostics });
  const why = problem(a, 'a') ?? problem(b, 'b');
  if (why) return failed({ failedAt: 'config', diagnostics, error: why });
  let data = request.data !== undefined ? path.resolve(a.config.configDir, request.data) : undefined;
  if (data === undefined) {
    const unbounded = unboundedInput(a);
    if (unbounded) return failed({ failedAt: 'config', diagnostics, error: `a: ${unbounded}` });
    data = (a.config.input.source as { path: string }).path;
  }
  const warnings: string[] = [];
  try {
    const d = await diffConfigs(a, b, {
      source: (plan) => csvFileSource(plan, data),
      signal: opts.signal,
      warn: (m) => {
        if (warnings.length < 50) warnings.push(m);
        opts.warn?.(m);
      },
    });
    const keysA = a.aggregation.keys.map((k) => k.name);
    const keysB = b.aggregation.keys.map((k) => k.name);
    const cap = <T>(xs: T[]) => xs.slice(0, MAX_DIFF_ITEMS);
    return {
      ok: true,
      equal: d.equal,
      diagnostics,
      input: display(data),
      rowsA: d.statsA.rowsRead,
      rowsB: d.statsB.rowsRead,
      windowsA: d.windowsA,
      windowsB: d.windowsB,
      windowsDiffering: d.windows.length,
      windows: cap(d.windows).map((w) => ({
        start: w.startMs,
        end: w.endMs,
        ...(w.only ? { only: w.only } : {}),
        added: w.added.map((r) => row(r, keysB)),
        removed: w.removed.map((r) => row(r, keysA)),
        changed: w.changed.map((c) => ({
          key: keyCells(c.key, keysA),
          keyText: keyText(c.key, c.keyTypes),
          columns: c.columns.map((col) => ({ name: col.name, a: cell(col.a), b: cell(col.b) })),
        })),
      })),
      alerts: {
        added: cap(d.alerts.added).map((x) => alert(x, keysB)),
        removed: cap(d.alerts.removed).map((x) => alert(x, keysA)),
        changed: cap(d.alerts.changed).map((c) => ({ a: alert(c.a, keysA), b: alert(c.b, keysB) })),
      },
      alertCounts: { added: d.alerts.added.length, removed: d.alerts.removed.length, changed: d.alerts.changed.length },
      stopped: opts.signal?.aborted === true,
      warnings,
      elapsedMs: performance.now() - started,
    };
  } catch (e) {
    return failed({ failedAt: 'replay', diagnostics, error: (e as Error).message, warnings, elapsedMs: performance.now() - started });
  }
}
