/**
 * `ts-engine diff <a.json> <b.json> [--data <file.csv>] [--format text|json] [--limit <n>]`
 * (docs/backtest.md#diff): both configs on the same data (a's input unless --data), the windows,
 * keys, values and alerts that differ on stdout. Exit 0 equal, 1 different (or a usage error),
 * 2 an invalid config or a comparison that could not be made, 130 interrupted.
 */
import path from 'node:path';
import { runDiff } from '../facade/diff.js';
import type { CellValue, DiffAlertItem, DiffResult } from '../facade-types.js';
import { parseArgs, UsageError } from './args.js';
import { displayPath, interruptible, printDiagnostics } from './report.js';

export async function diffCommand(argv: string[]): Promise<number> {
  const { positionals, options } = parseArgs(argv, ['data', 'format', 'limit']);
  if (positionals.length !== 2) throw new UsageError('diff takes exactly two arguments: the two config files');
  const format = (options.get('format') as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got '${format}'`);
  const limitOpt = options.get('limit');
  const limit = limitOpt === undefined ? 50 : Number(limitOpt);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be an integer ≥ 1');

  const data = options.get('data');
  const { result: r, interrupted } = await interruptible('Comparing what was read so far', (signal) =>
    runDiff(
      positionals[0]!,
      positionals[1]!,
      { data: typeof data === 'string' ? path.resolve(data) : undefined },
      { signal, warn: (m) => process.stderr.write(`warning: ${m}\n`), display: displayPath },
    ),
  );
  printDiagnostics(r.diagnostics);
  if (!r.ok) {
    if (r.error) process.stderr.write(`diff: ${r.error}\n`);
    return 2;
  }
  process.stdout.write(format === 'json' ? `${JSON.stringify(r, bigints, 2)}\n` : diffText(r, positionals[0]!, positionals[1]!, limit));
  if (interrupted) return 130;
  return r.equal ? 0 : 1;
}

const bigints = (_k: string, v: unknown) => (typeof v === 'object' && v !== null && 'big' in v ? (v as { big: string }).big : v);

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function show(v: CellValue | undefined): string {
  if (v === undefined) return '(no such column)';
  if (v !== null && typeof v === 'object') return v.big;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const values = (vs: Record<string, CellValue>) =>
  Object.entries(vs)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(' ');

const alertLine = (a: DiffAlertItem) => `${a.rule} ${a.keyText} ${a.field} at ${iso(a.windowEnd)}: ${show(a.value)} outside [${a.lowerBound}, ${a.upperBound}]`;

/** The report `--format text` prints: every differing window with its rows, then the alerts. */
export function diffText(r: DiffResult, a: string, b: string, limit: number): string {
  const out: string[] = [];
  const alertsDiffering = r.alertCounts.added + r.alertCounts.removed + r.alertCounts.changed;
  out.push(`a = ${a}, b = ${b}, both on ${r.input} (${r.windowsA} and ${r.windowsB} windows)`);
  if (r.equal) {
    out.push('no difference: the same windows, keys, values and alerts');
    return `${out.join('\n')}\n`;
  }
  out.push(
    `${r.windowsDiffering} windows differ; alerts: ${r.alertCounts.removed} only in a, ${r.alertCounts.added} only in b, ${r.alertCounts.changed} changed`,
  );
  for (const w of r.windows.slice(0, limit)) {
    out.push(`window ${iso(w.start)}..${iso(w.end)}${w.only ? ` only in ${w.only}` : ''}`);
    for (const c of w.changed) for (const col of c.columns) out.push(`  ~ ${c.keyText}.${col.name}: a ${show(col.a)}, b ${show(col.b)}`);
    for (const row of w.removed) out.push(`  - ${row.keyText} only in a: ${values(row.values)}`);
    for (const row of w.added) out.push(`  + ${row.keyText} only in b: ${values(row.values)}`);
  }
  if (r.windowsDiffering > limit) out.push(`… and ${r.windowsDiffering - limit} more windows (--limit, or --format json for up to 1000)`);
  if (alertsDiffering > 0) {
    const list = (title: string, lines: string[], total: number) => {
      if (total === 0) return;
      out.push(title);
      for (const l of lines.slice(0, limit)) out.push(`  ${l}`);
      if (total > limit) out.push(`  … and ${total - limit} more`);
    };
    list('alerts only in a:', r.alerts.removed.map(alertLine), r.alertCounts.removed);
    list('alerts only in b:', r.alerts.added.map(alertLine), r.alertCounts.added);
    list(
      'alerts in both with other values:',
      r.alerts.changed.map((c) => `${alertLine(c.a)}; b: ${show(c.b.value)} outside [${c.b.lowerBound}, ${c.b.upperBound}]`),
      r.alertCounts.changed,
    );
  }
  return `${out.join('\n')}\n`;
}
