/**
 * Replays and what they produce: progress, the latest windows, alerts, bad
 * rows, and the chart series (kept in a plain SeriesStore; `version` tells the
 * charts to redraw, at most a few times a second).
 */
import { invoke, on } from '../lib/api';
import { SeriesStore } from '../lib/series';
import type { AlertEvent, PipelineSummary, ProjectInfo, RowErrorEvent, RunProgress, WindowResult } from '../../../main/api/contract';
import { wb } from './workbench.svelte';

const LATEST_WINDOWS = 30;
const MAX_ALERTS = 5000;
const REDRAW_MS = 200;

export const SPEEDS = [
  { label: '1x', value: 1 },
  { label: '10x', value: 10 },
  { label: 'max', value: 0 },
] as const;

export class RunState {
  runId = $state<string | null>(null);
  progress = $state.raw<(RunProgress & { runId?: string }) | null>(null);
  speed = $state<number>(Number(localStorage.getItem('ts-engine-speed') ?? '0'));
  summary = $state.raw<PipelineSummary | undefined>(undefined);
  latest = $state.raw<WindowResult[]>([]);
  alerts = $state.raw<AlertEvent[]>([]);
  rowErrors = $state.raw<RowErrorEvent[]>([]);
  windowsShown = $state(0);
  /** where the data on screen comes from */
  source = $state<'none' | 'history' | 'run'>('none');
  historyNote = $state<string>('');
  lastError = $state<string | null>(null);
  warnings = $state.raw<string[]>([]);
  /** bumped when the series changed; charts redraw on it */
  version = $state(0);
  readonly series = new SeriesStore();
  private redrawPending = false;

  get active(): boolean {
    const s = this.progress?.state;
    return this.runId !== null && (s === 'starting' || s === 'running' || s === 'paused' || s === 'stopping');
  }
  get paused(): boolean {
    return this.progress?.state === 'paused';
  }

  /** events that arrive while run.start is still answering (a fast run can begin before its reply) */
  private starting = false;
  private early: { runId: string; apply: () => void }[] = [];

  private accept(runId: string, apply: () => void): void {
    if (runId === this.runId) apply();
    else if (this.starting) this.early.push({ runId, apply });
  }

  constructor() {
    on('run.progress', (p) => this.accept(p.runId, () => (this.progress = p)));
    on('run.windows', ({ runId, windows }) => this.accept(runId, () => this.addWindows(windows)));
    on('run.alerts', ({ runId, alerts }) =>
      this.accept(runId, () => {
        this.alerts = [...this.alerts, ...alerts].slice(-MAX_ALERTS);
        this.series.alerts = this.alerts;
        this.bump();
      }),
    );
    on('run.rowErrors', ({ runId, errors }) => this.accept(runId, () => (this.rowErrors = [...this.rowErrors, ...errors])));
    on('run.finished', ({ runId, progress, error, warnings }) =>
      this.accept(runId, () => {
        this.progress = { ...progress, runId };
        this.lastError = error ?? null;
        this.warnings = warnings;
        if (error) wb.notify('error', `run failed: ${error}`);
      }),
    );
    wb.onProjectOpened = (p) => void this.loadHistory(p);
  }

  private reset(summary: PipelineSummary | undefined): void {
    this.summary = summary;
    this.series.reset(summary?.aggregated.map((a) => a.name) ?? []);
    this.latest = [];
    this.alerts = [];
    this.rowErrors = [];
    this.windowsShown = 0;
    this.lastError = null;
    this.warnings = [];
    this.bump();
  }

  private addWindows(windows: WindowResult[]): void {
    for (const w of windows) this.series.add(w);
    this.windowsShown += windows.length;
    this.latest = [...windows.slice(-LATEST_WINDOWS).reverse(), ...this.latest].slice(0, LATEST_WINDOWS);
    this.bump();
  }

  private bump(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    setTimeout(() => {
      this.redrawPending = false;
      this.version++;
    }, REDRAW_MS);
  }

  async loadHistory(p: ProjectInfo): Promise<void> {
    this.runId = null;
    this.progress = null;
    this.source = 'none';
    this.reset(undefined);
    try {
      const h = await invoke('history.load', { dir: p.dir });
      this.reset(h.summary);
      if (h.windows.length > 0) {
        this.addWindows(h.windows);
        this.alerts = h.alerts;
        this.series.alerts = h.alerts;
        this.source = 'history';
        this.historyNote = `history from ${h.source}: ${h.windows.length} windows${h.truncated ? ' (latest only)' : ''}, ${h.alerts.length} alerts`;
      } else this.historyNote = h.source ? `no history yet in ${h.source}` : 'the config has no sqlite output: no history';
    } catch (e) {
      const message = (e as Error).message;
      this.historyNote = /restricted mode/.test(message) ? 'restricted mode: no history until the folder is trusted' : `history: ${message}`;
    }
  }

  async start(opts: { startPaused?: boolean } = {}): Promise<void> {
    if (!wb.project || this.active) return;
    await wb.save();
    this.runId = null;
    this.starting = true;
    this.early = [];
    try {
      const r = await invoke('run.start', { dir: wb.project.dir, speed: this.speed, startPaused: opts.startPaused });
      this.reset(r.summary);
      this.runId = r.runId;
      this.source = 'run';
      this.progress = {
        runId: r.runId,
        state: 'starting',
        rowsRead: 0,
        rowsPerSec: 0,
        windowsClosed: 0,
        rowErrors: 0,
        lateRows: 0,
        fraction: 0,
        connections: [],
      };
      for (const e of this.early) if (e.runId === r.runId) e.apply();
    } catch (e) {
      wb.notify('error', `run: ${(e as Error).message}`);
    } finally {
      this.starting = false;
      this.early = [];
    }
  }

  private async control(name: 'run.pause' | 'run.resume' | 'run.step' | 'run.stop'): Promise<void> {
    try {
      await invoke(name, {});
    } catch (e) {
      wb.notify('error', (e as Error).message);
    }
  }

  pause = () => this.control('run.pause');
  resume = () => this.control('run.resume');
  stop = () => this.control('run.stop');

  /** One more window: from idle, a run that starts paused and steps. */
  async step(): Promise<void> {
    if (!this.active) {
      await this.start({ startPaused: true });
      if (!this.runId) return;
    }
    await this.control('run.step');
  }

  async setSpeed(speed: number): Promise<void> {
    this.speed = speed;
    localStorage.setItem('ts-engine-speed', String(speed));
    if (this.active) {
      try {
        await invoke('run.setSpeed', { speed });
      } catch (e) {
        wb.notify('error', (e as Error).message);
      }
    }
  }
}

export const run = new RunState();
