/**
 * Replays and what they produce: progress, the latest windows, alerts, bad rows, the charts'
 * summary (ChartState: the back end sends a bounded view, not every window) and the project's
 * past runs. Built with its dependencies and the workbench it serves
 * (docs/architecture.md#the-renderer).
 */
import { ChartState } from './chart.svelte';
import type { AlertEpisode, AlertEvent, PipelineSummary, ProjectInfo, RowErrorEvent, RunProgress, RunRecord, WindowResult } from '../../../main/api/contract';
import type { Settings, StateDeps, Transport } from './deps';
import type { Workbench } from './workbench.svelte';

const LATEST_WINDOWS = 30;
/** alerts and episodes the page holds (the lists page every one from the store; the charts draw the summary) */
const MAX_ALERTS = 1000;

export const SPEEDS = [
  { label: '1x', value: 1 },
  { label: '10x', value: 10 },
  { label: 'max', value: 0 },
] as const;

export class RunState {
  runId = $state<string | null>(null);
  progress = $state.raw<(RunProgress & { runId?: string }) | null>(null);
  speed = $state<number>(0);
  summary = $state.raw<PipelineSummary | undefined>(undefined);
  latest = $state.raw<WindowResult[]>([]);
  alerts = $state.raw<AlertEvent[]>([]);
  /** every alert of the run (or of the history read), beyond the latest the page holds */
  alertCount = $state(0);
  /** the alerts grouped into episodes (docs/alerts.md#alert-id), by start */
  episodes = $state.raw<AlertEpisode[]>([]);
  rowErrors = $state.raw<RowErrorEvent[]>([]);
  windowsShown = $state(0);
  /** where the data on screen comes from */
  source = $state<'none' | 'history' | 'run'>('none');
  historyNote = $state<string>('');
  lastError = $state<string | null>(null);
  warnings = $state.raw<string[]>([]);
  /** the project's past runs, newest first (the run that just ended included) */
  history = $state.raw<RunRecord[]>([]);
  readonly chart: ChartState;
  private readonly episodeById = new Map<string, AlertEpisode>();

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

  private readonly transport: Transport;
  private readonly settings: Settings;

  constructor(
    deps: Pick<StateDeps, 'transport' | 'scheduler' | 'settings'>,
    private readonly wb: Workbench,
  ) {
    this.transport = deps.transport;
    this.settings = deps.settings;
    this.chart = new ChartState(deps, wb);
    const saved = Number(this.settings.get('ts-engine-speed') ?? '0');
    this.speed = Number.isFinite(saved) && saved >= 0 ? saved : 0;
    const on = this.transport.on.bind(this.transport);
    on('run.progress', (p) => this.accept(p.runId, () => (this.progress = p)));
    on('run.windows', ({ runId, windows, total }) =>
      this.accept(runId, () => {
        this.addWindows(windows);
        this.windowsShown = total;
      }),
    );
    on('run.chart', ({ runId, view }) => this.accept(runId, () => this.chart.take(view)));
    on('run.alerts', ({ runId, alerts, total }) =>
      this.accept(runId, () => {
        this.alertCount = total;
        this.alerts = [...this.alerts, ...alerts].slice(-MAX_ALERTS);
      }),
    );
    on('run.episodes', ({ runId, episodes }) => this.accept(runId, () => this.setEpisodes(episodes)));
    on('run.rowErrors', ({ runId, errors }) => this.accept(runId, () => (this.rowErrors = [...this.rowErrors, ...errors])));
    on('run.finished', ({ runId, progress, error, warnings, record }) =>
      this.accept(runId, () => {
        this.progress = { ...progress, runId };
        this.lastError = error ?? null;
        this.warnings = warnings;
        this.history = [record, ...this.history.filter((r) => r.runId !== record.runId)];
        // the run ranks its keys about once a second: the final ranking
        void this.chart.refresh();
        if (error) wb.notify('error', `run failed: ${error}`);
      }),
    );
    wb.onProject((p) => {
      if (p) void this.loadHistory(p);
      else this.history = [];
    });
  }

  /** Episodes replace those of the same alertId (an episode that resolves comes again, whole). */
  private setEpisodes(episodes: AlertEpisode[]): void {
    for (const e of episodes) this.episodeById.set(e.alertId, e);
    // bounded as the alerts are: the oldest known go first (a long replay of a rule without lifecycle has one per alert)
    for (const id of this.episodeById.keys()) {
      if (this.episodeById.size <= MAX_ALERTS) break;
      this.episodeById.delete(id);
    }
    this.episodes = [...this.episodeById.values()].sort((a, b) => a.start - b.start);
  }

  private reset(summary: PipelineSummary | undefined): void {
    this.summary = summary;
    this.chart.clear();
    this.latest = [];
    this.alerts = [];
    this.alertCount = 0;
    this.episodes = [];
    this.episodeById.clear();
    this.rowErrors = [];
    this.windowsShown = 0;
    this.lastError = null;
    this.warnings = [];
  }

  private addWindows(windows: WindowResult[]): void {
    this.latest = [...windows.slice(-LATEST_WINDOWS).reverse(), ...this.latest].slice(0, LATEST_WINDOWS);
  }

  async loadHistory(p: ProjectInfo): Promise<void> {
    this.runId = null;
    this.progress = null;
    this.source = 'none';
    this.reset(undefined);
    void this.loadRuns(p);
    try {
      const h = await this.transport.invoke('history.load', { dir: p.dir });
      this.reset(h.summary);
      if (h.windows.length > 0) {
        this.addWindows(h.windows);
        this.alerts = h.alerts.slice(-MAX_ALERTS);
        this.alertCount = h.alerts.length;
        this.setEpisodes(h.episodes);
        await this.chart.refresh();
        this.windowsShown = Math.max(this.chart.data.windows, h.windows.length);
        this.source = 'history';
        this.historyNote = `history from ${h.source}: ${h.windows.length} windows${h.truncated ? ' (latest only)' : ''}, ${h.alerts.length} alerts`;
      } else this.historyNote = h.source ? `no history yet in ${h.source}` : 'the config has no sqlite output: no history';
    } catch (e) {
      const message = (e as Error).message;
      this.historyNote = /restricted mode/.test(message) ? 'restricted mode: no history until the folder is trusted' : `history: ${message}`;
    }
  }

  /** The project's past runs (kept by the back end, whatever the folder's trust). */
  async loadRuns(p: ProjectInfo): Promise<void> {
    try {
      const runs = await this.transport.invoke('run.history', { dir: p.dir });
      if (this.wb.project?.dir === p.dir) this.history = runs;
    } catch (e) {
      this.wb.notify('error', `run history: ${(e as Error).message}`);
    }
  }

  /** `untilEnd`: a live input is read to its end offsets of now, then the run finishes (docs/live.md#until-end) */
  async start(opts: { startPaused?: boolean; untilEnd?: boolean } = {}): Promise<void> {
    const wb = this.wb;
    if (!wb.project || this.active) return;
    await wb.save();
    this.runId = null;
    this.starting = true;
    this.early = [];
    try {
      const r = await this.transport.invoke('run.start', {
        dir: wb.project.dir,
        speed: this.speed,
        startPaused: opts.startPaused,
        untilEnd: opts.untilEnd,
        chartKeys: this.chart.selection,
      });
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
      await this.transport.invoke(name, {});
    } catch (e) {
      this.wb.notify('error', (e as Error).message);
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
    this.settings.set('ts-engine-speed', String(speed));
    if (this.active) {
      try {
        await this.transport.invoke('run.setSpeed', { speed });
      } catch (e) {
        this.wb.notify('error', (e as Error).message);
      }
    }
  }
}
