/**
 * The workbench's evaluations of a config (issue 9): a backtest against a labels file (one run or a
 * sweep), the tests beside the config (`<config>.tests.json`), and the diff of two versions of a
 * config on the same data. They run in the handler host, as replays do (the Electron app's engine
 * child process, the web-mode server), never in the renderer. One job of each kind at a time: a
 * newer request of a kind aborts the one still running (a save arriving while the tests of the
 * previous save run), and `cancel` aborts on demand. See docs/backtest.md and docs/config-tests.md.
 */
import path from 'node:path';
import { runBacktest, runConfigTests, runDiff, type ConfigIO, type Diagnostic } from '../../engine/index.js';
import type { BacktestResult, ConfigTestsResult, DiffResult, EvaluationKind, Overlay } from './contract.js';
import { toPosix } from './project.js';

export interface EvaluationContext {
  /** the project's folder (a real path) and its config file (relative) */
  root: string;
  configFile: string;
  /** reads unsaved editor buffers before the disk */
  io: ConfigIO;
  overlay: Overlay | undefined;
}

/** How file names appear in results: relative to the project when inside it. */
export function projectDisplay(root: string): (file: string) => string {
  return (file) => {
    const r = path.relative(root, path.resolve(root, file));
    return r.startsWith('..') || path.isAbsolute(r) ? file : toPosix(r);
  };
}

function relativeDiagnostics(root: string, diags: Diagnostic[]): Diagnostic[] {
  const display = projectDisplay(root);
  return diags.map((d) => ({ ...d, file: display(d.file) }));
}

/** One job per kind: starting one aborts the previous of its kind. */
export class Evaluations {
  private readonly running = new Map<EvaluationKind, AbortController>();

  private begin(kind: EvaluationKind): AbortController {
    this.running.get(kind)?.abort();
    const c = new AbortController();
    this.running.set(kind, c);
    return c;
  }

  private async job<T>(kind: EvaluationKind, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const c = this.begin(kind);
    try {
      return await work(c.signal);
    } finally {
      if (this.running.get(kind) === c) this.running.delete(kind);
    }
  }

  /** Aborts the running job of a kind; true when there was one. */
  cancel(kind: EvaluationKind): boolean {
    const c = this.running.get(kind);
    if (!c) return false;
    c.abort();
    this.running.delete(kind);
    return true;
  }

  cancelAll(): void {
    for (const kind of [...this.running.keys()]) this.cancel(kind);
  }

  backtest(
    ctx: EvaluationContext,
    request: { labels: string; sweep?: string; labelTimeUnit?: 's' | 'ms' | 'us' | 'ns' },
    onProgress: (p: { rowsRead: number; windowsClosed: number; fraction: number | null }) => void,
  ): Promise<BacktestResult> {
    return this.job('backtest', async (signal) => {
      const display = projectDisplay(ctx.root);
      const labelsText = ctx.overlay?.[request.labels];
      const r = await runBacktest(
        path.join(ctx.root, ctx.configFile),
        { labels: path.resolve(ctx.root, request.labels), labelsText, sweep: request.sweep, labelTimeUnit: request.labelTimeUnit },
        {
          configText: ctx.overlay?.[ctx.configFile],
          io: ctx.io,
          signal,
          display,
          onProgress: (s) => onProgress({ rowsRead: s.rowsRead, windowsClosed: s.windowsClosed, fraction: s.fraction }),
        },
      );
      return { ...r, diagnostics: relativeDiagnostics(ctx.root, r.diagnostics) };
    });
  }

  configTests(ctx: EvaluationContext, testsFile: string): Promise<ConfigTestsResult> {
    return this.job('tests', async (signal) => {
      const r = await runConfigTests(path.join(ctx.root, ctx.configFile), {
        configText: ctx.overlay?.[ctx.configFile],
        testsText: ctx.overlay?.[testsFile],
        testsFile: path.join(ctx.root, testsFile),
        io: ctx.io,
        signal,
        display: projectDisplay(ctx.root),
      });
      return { ...r, diagnostics: relativeDiagnostics(ctx.root, r.diagnostics) };
    });
  }

  /** a: `against` (another config of the project) or the config on disk; b: the config as edited (its unsaved text) */
  diff(ctx: EvaluationContext, against: string | undefined): Promise<DiffResult> {
    return this.job('diff', async (signal) => {
      const configA = path.join(ctx.root, against ?? ctx.configFile);
      const configB = path.join(ctx.root, ctx.configFile);
      // "the saved version" is the disk's text, whatever the editor holds
      const textA = against === undefined ? undefined : ctx.overlay?.[against];
      const r = await runDiff(
        configA,
        configB,
        { textA, textB: ctx.overlay?.[ctx.configFile] },
        { io: againstDisk(ctx, against), signal, display: projectDisplay(ctx.root) },
      );
      return { ...r, diagnostics: relativeDiagnostics(ctx.root, r.diagnostics) };
    });
  }
}

/**
 * Compared with the saved version, side a must read the disk: the config's own buffer reaches b as
 * its text, and the other files (data structure, modules) are read from disk for both sides.
 */
function againstDisk(ctx: EvaluationContext, against: string | undefined): ConfigIO | undefined {
  return against === undefined ? undefined : ctx.io;
}
