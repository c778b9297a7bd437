/** Human-facing rendering of diagnostics and run summaries on stderr. */
import path from 'node:path';
import type { Diagnostic } from '../core/errors.js';
import { EngineError, errorText, formatDiagnostic } from '../core/errors.js';
import type { RunStats } from '../pipeline/runner.js';

export function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

export function printDiagnostics(diags: Diagnostic[], out: NodeJS.WritableStream = process.stderr): void {
  const sorted = [...diags].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'warning' ? -1 : 1));
  for (const d of sorted) out.write(formatDiagnostic({ ...d, file: displayPath(d.file) }) + '\n');
}

/**
 * A count as `toLocaleString('en-US')` writes it (1,234,567), without it: its first call loads ICU's
 * number formatting, ≈ 15 ms at the end of every run (measured).
 */
export function grouped(n: number): string {
  const r = Math.round(n);
  if (!Number.isSafeInteger(r)) return r.toLocaleString('en-US');
  const digits = String(Math.abs(r));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return r < 0 ? `-${out}` : out;
}
const fmt = grouped;

export function progressLine(s: RunStats): string {
  const pct = s.fraction !== null ? ` ${(s.fraction * 100).toFixed(1)}%` : '';
  return `rows ${fmt(s.rowsRead)}  ${fmt(s.rowsPerSec)} rows/s  windows ${fmt(s.windowsClosed)}  errors ${fmt(s.rowErrors)}${s.lateRows ? ` (late ${fmt(s.lateRows)})` : ''}${pct}`;
}

/** The summary's first word is part of the CLI's output: an interrupted run still says `finished` (its exit code, 130, tells). */
const summaryState = (s: RunStats) => (s.state === 'stopped' ? 'finished' : s.state);

export function summary(s: RunStats): string {
  const lines = [
    `${summaryState(s)}: ${fmt(s.rowsRead)} rows read in ${(s.elapsedMs / 1000).toFixed(2)} s (${fmt(s.rowsPerSec)} rows/s), ${fmt(s.rowsOk)} aggregated, ${fmt(s.windowsClosed)} windows closed, ${fmt(s.aggregateRows)} aggregate rows`,
  ];
  if (s.rowErrors > 0) {
    const reasons = Object.entries(s.errorsByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r}: ${fmt(n)}`)
      .join(', ');
    // only what was durably written counts as kept (a failed run may not have written them all)
    const kept = !s.deadLetters
      ? 'not kept (no SQLite store; use --dead-letter <file.jsonl>)'
      : s.deadLettersKept >= s.rowErrors
        ? `kept in ${s.deadLetters}`
        : `${fmt(s.deadLettersKept)} kept in ${s.deadLetters}, ${fmt(s.rowErrors - s.deadLettersKept)} not written`;
    lines.push(`row errors: ${fmt(s.rowErrors)} (${reasons}); ${kept}`);
  } else lines.push('row errors: 0');
  if (s.analysis)
    lines.push(
      `analysis: ${fmt(s.analysis.records)} records, ${fmt(s.analysis.lookups)} history lookups, ${fmt(s.analysis.alerts)} alerts${s.analysis.failures ? `, ${fmt(s.analysis.failures)} module failures` : ''}`,
    );
  // what each sink confirmed, never what was merely raised (docs/alerts.md#summary)
  for (const d of s.alertSinks ?? []) {
    if (d.delivered + d.failed + d.retries === 0) continue;
    lines.push(
      `alerts to ${d.sink}: ${fmt(d.delivered)} delivered${d.failed ? `, ${fmt(d.failed)} failed` : ''}${d.retries ? ` (${fmt(d.retries)} retries)` : ''}`,
    );
  }
  if (s.error) lines.push(`error: ${s.error}`);
  return lines.join('\n') + '\n';
}

/** `--debug` (any command): stack traces of failures are shown; without it a failure is one line. */
let debug = false;
export function setDebug(on: boolean): void {
  debug = on;
}
export function isDebug(): boolean {
  return debug;
}

/**
 * A failure for standard error: one line saying where and why, or the stack trace with --debug.
 * An error that is not one of ours (a bug) says how to get the details.
 */
export function failureText(e: unknown): string {
  if (debug) return `${e instanceof Error && e.stack ? e.stack : errorText(e)}\n`;
  const known = e instanceof EngineError || (e instanceof Error && (e.name === 'RunFailure' || e.name === 'FileAccessError'));
  const line = errorText(e).split('\n')[0]!;
  return known ? `${line}\n` : `${e instanceof Error && !line.startsWith(e.name) ? `${e.name}: ` : ''}${line} (run with --debug for the stack trace)\n`;
}

/**
 * Runs `work` with Ctrl-C (and SIGTERM) wired to its abort signal: the first stops it gracefully
 * (what was read is still reported, exit 130), a second exits at once.
 */
export async function interruptible<T>(doing: string, work: (signal: AbortSignal) => Promise<T>): Promise<{ result: T; interrupted: boolean }> {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`warning: You terminated execution. ${doing}… (Ctrl-C again to abort)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return { result: await work(controller.signal), interrupted };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
