/** Turns (JSON path, optional span inside a string) into file/line/column diagnostics. */
import type { Diagnostic, ErrorClass } from '../core/errors.js';
import { lineCol, stringCharOffset, type ParsedJson } from './json.js';

export function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  const m = /^(.*?)(\.[A-Za-z_$][A-Za-z0-9_$]*|\[[^\]]*\])$/.exec(path);
  if (m) return m[1]!;
  return '';
}

/** Longest diagnostic message: one that quotes a huge value (a 1 MB rule) stays one readable line. */
const MAX_MESSAGE = 2000;

export function clipMessage(m: string): string {
  return m.length <= MAX_MESSAGE ? m : `${m.slice(0, MAX_MESSAGE)}… (${(m.length - MAX_MESSAGE).toLocaleString('en-US')} more characters)`;
}

export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    readonly doc: ParsedJson | undefined,
  ) {}

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  get errorCount(): number {
    let n = 0;
    for (const d of this.diagnostics) if (d.severity === 'error') n++;
    return n;
  }

  /**
   * Report at a JSON path. A missing path reports at its nearest existing
   * ancestor; `span` is a char range inside the string value at `path`;
   * `onKey` points at the property name instead of the value.
   */
  report(
    path: string,
    errorClass: ErrorClass,
    message: string,
    opts: { span?: { from: number; to: number }; onKey?: boolean; severity?: 'error' | 'warning' } = {},
  ): void {
    const severity = opts.severity ?? 'error';
    const full = clipMessage(message.includes(path) || path === '' ? message : `${path}: ${message}`);
    let start = 0;
    let end = 0;
    if (this.doc) {
      let p: string | undefined = path;
      let loc = this.doc.locs.get(p);
      while (!loc && p !== undefined) {
        p = parentPath(p);
        loc = p === undefined ? undefined : this.doc.locs.get(p);
      }
      if (loc) {
        if (opts.span && p === path && this.doc.text[loc.start] === '"') {
          start = stringCharOffset(loc, opts.span.from);
          end = Math.max(start + 1, stringCharOffset(loc, opts.span.to));
        } else if (opts.onKey && loc.keyStart !== undefined) {
          start = loc.keyStart;
          end = loc.keyEnd!;
        } else {
          start = loc.start;
          end = p === path ? loc.end : (loc.keyEnd ?? loc.start + 1);
          if (p !== path && loc.keyStart !== undefined) start = loc.keyStart;
        }
      }
    }
    const a = this.doc ? lineCol(this.doc.lineStarts, start) : { line: 1, column: 1 };
    const b = this.doc ? lineCol(this.doc.lineStarts, Math.max(end, start)) : a;
    this.diagnostics.push({
      file: this.file,
      line: a.line,
      column: a.column,
      endLine: b.line,
      endColumn: b.column,
      path,
      errorClass,
      message: full,
      severity,
    });
  }

  warn(path: string, message: string): void {
    this.report(path, 'ConfigError', message, { severity: 'warning' });
  }
}
