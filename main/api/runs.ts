/**
 * One replay at a time: an engine Runner over the config on disk (outputs on),
 * its hook results batched into events every `flushMs` (at "max" speed
 * thousands of windows close per second; one message each would swamp IPC and
 * WebSocket alike).
 */
import { Writable } from 'node:stream';
import {
  ChartSummary,
  EpisodeTracker,
  Runner,
  systemClock,
  toAlertEvent,
  toRowErrorEvent,
  toWindowResult,
  type Alert,
  type ClosedWindow,
  type Clock,
  type KeySelection,
  type PipelinePlan,
  type RunStats,
} from '../../engine/index.js';
import type { AlertEpisode, AlertEvent, Events, RowErrorEvent, RunEnd, RunProgress, RunRecord } from './contract.js';

export type Emit = <E extends keyof Events>(event: E, payload: Events[E]) => void;

/** windows sent as they are, for the latest-windows table; the charts get a summary of all (ChartSummary) */
export const LATEST_WINDOWS = 30;

/** what the charts draw before the UI chose (as the UI's own default): the 10 keys with the most alerts */
export const DEFAULT_SELECTION: KeySelection = { pinned: [], top: 10, rank: { by: 'alerts' } };

/** the keys drawn as lines are ranked again at most this often during a run (a new set sends every bucket again) */
const RERANK_MS = 1000;

/** Row errors sent to the UI per run (all are counted, and dead-lettered by the engine). */
const MAX_ROW_ERRORS_SENT = 1000;
/** progress of a run with live connections goes out at least this often */
const HEARTBEAT_MS = 1000;
/** warnings kept in a run's record */
const WARNINGS_KEPT = 10;
/** stdout text sent to the UI per run (beyond it, only counted: a max-speed run can print hundreds of MB) */
const MAX_OUTPUT_SENT = 4 * 1024 * 1024;
/** failure messages sent per event (all are counted) */
const MAX_PROBLEMS_PER_EVENT = 5;

/** Which runtime failure a run's warning reports: a user module failing, an output failing to deliver, or neither. */
export function problemKind(warning: string): 'user-code' | 'output' | undefined {
  if (/^analysis \S+ \(.*\) failed/.test(warning)) return 'user-code';
  if (/^\w+ output\b/.test(warning) && !/answers again|created keyspace/.test(warning)) return 'output';
  return undefined;
}

export function toProgress(s: RunStats): RunProgress & { runId: string } {
  return {
    runId: s.runId,
    state: s.state,
    rowsRead: s.rowsRead,
    rowsPerSec: s.rowsPerSec,
    windowsClosed: s.windowsClosed,
    rowErrors: s.rowErrors,
    lateRows: s.lateRows,
    fraction: s.fraction,
    connections: s.connections.map((c) => ({ name: c.name, status: c.status, detail: c.detail })),
    error: s.error,
  };
}

export class ActiveRun {
  readonly runner: Runner;
  readonly done: Promise<void>;
  /** the latest closed windows not sent yet (at most LATEST_WINDOWS: older ones only reach the charts' summary) */
  private windows: ClosedWindow[] = [];
  private windowsClosed = 0;
  readonly chart: ChartSummary;
  private rankedAt = Number.NEGATIVE_INFINITY;
  /** the keys the UI draws as lines (docs/workbench.md#charts-at-any-size) */
  selection: KeySelection;
  private alerts: AlertEvent[] = [];
  /** every episode of the run; those the batch changed go out with it */
  private readonly episodes = new EpisodeTracker();
  private changedEpisodes = new Map<string, AlertEpisode>();
  private rowErrors: RowErrorEvent[] = [];
  private rowErrorsSent = 0;
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private lastProgressAt: number;
  private readonly clock: Clock;
  private readonly startedAt: number;
  readonly warnings: string[] = [];
  finished = false;
  private output = '';
  private outputSent = 0;
  private outputDropped = 0;
  private problems = { userCode: 0, outputs: 0, latest: [] as { kind: 'user-code' | 'output'; message: string }[], changed: false };

  constructor(
    readonly plan: PipelinePlan,
    private readonly emit: Emit,
    private readonly opts: {
      /** the config file, relative to the project (for the run's record) */
      configFile: string;
      speed?: number;
      startPaused?: boolean;
      flushMs?: number;
      clock?: Clock;
      /** the run's record, once it ended (before run.finished goes out) */
      onEnd?: (record: RunRecord) => void;
    },
  ) {
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.lastProgressAt = this.clock.now();
    const columns = plan.aggregation.values.map((v) => v.name);
    this.chart = new ChartSummary(columns);
    this.selection = DEFAULT_SELECTION;
    this.runner = new Runner(plan, {
      clock: this.clock,
      stdout: new Writable({
        write: (chunk: Buffer | string, _enc, cb) => {
          this.takeOutput(chunk.toString());
          cb();
        },
      }),
      warn: (m) => this.onWarning(m),
      speed: opts.speed,
      startPaused: opts.startPaused,
      // alerts are kept in the store's `alerts` table even when the config has no sqlite alert sink,
      // so reopening the project shows them (same schema as the sqlite alert sink)
      recordAlertsInStore: true,
      progressIntervalMs: 200,
      onWindow: (w) => this.onWindow(w),
      onAlert: (a) => this.onAlert(a),
      onRowError: (d) => {
        if (d.reason === 'user function error') this.problem('user-code', d.message);
        if (this.rowErrorsSent++ < MAX_ROW_ERRORS_SENT) this.rowErrors.push(toRowErrorEvent(d));
      },
      onProgress: (s) => {
        this.flush();
        this.lastProgressAt = this.clock.now();
        this.emit('run.progress', toProgress(s));
      },
    });
    this.tick(opts.flushMs ?? 100);
    this.done = this.start();
  }

  /** flushes the batched results and beats the heartbeat every `ms` until the run has finished */
  private tick(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.flush();
      this.heartbeat();
      if (!this.finished) this.tick(ms);
    }, ms);
  }

  get runId(): string {
    return this.runner.runId;
  }

  private takeOutput(text: string): void {
    const room = MAX_OUTPUT_SENT - this.outputSent - this.output.length;
    if (room >= text.length) this.output += text;
    else {
      if (room > 0) this.output += text.slice(0, room);
      this.outputDropped += text.length - Math.max(0, room);
    }
  }

  private onWarning(m: string): void {
    this.warnings.push(m);
    const kind = problemKind(m);
    if (kind) this.problem(kind, m);
  }

  private problem(kind: 'user-code' | 'output', message: string): void {
    if (kind === 'user-code') this.problems.userCode++;
    else this.problems.outputs++;
    // distinct messages only: one failing function repeats the same message on every row
    const latest = this.problems.latest;
    if (latest.length < MAX_PROBLEMS_PER_EVENT && !latest.some((p) => p.message === message)) latest.push({ kind, message });
    this.problems.changed = true;
  }

  private onWindow(w: ClosedWindow): void {
    this.chart.addWindow(w);
    this.windowsClosed++;
    this.windows.push(w);
    if (this.windows.length >= 2 * LATEST_WINDOWS) this.windows.splice(0, this.windows.length - LATEST_WINDOWS);
  }

  private onAlert(a: Alert): void {
    const event = toAlertEvent(a);
    this.chart.addAlert(event.time, event.key, event.field, event.value, !event.lifecycle);
    this.alerts.push(event);
    const episode = this.episodes.add(event);
    this.changedEpisodes.set(episode.alertId, episode);
  }

  private async start(): Promise<void> {
    let error: string | undefined;
    try {
      await this.runner.run();
    } catch (e) {
      error = (e as Error).message;
    }
    this.clock.clearTimeout(this.timer);
    this.flush();
    this.finished = true;
    const stats = this.runner.stats();
    const progress = toProgress(stats);
    const state: RunEnd = error || stats.state === 'failed' ? 'failed' : stats.state === 'stopped' ? 'stopped' : 'finished';
    const record = this.record(stats, state, error ?? progress.error);
    try {
      this.opts.onEnd?.(record);
    } catch (e) {
      this.warnings.push(`the run history was not saved: ${(e as Error).message}`);
    }
    this.emit('run.progress', progress);
    this.emit('run.finished', { runId: this.runId, state, error: error ?? progress.error, progress, warnings: this.warnings, record });
  }

  private record(s: RunStats, state: RunEnd, error: string | undefined): RunRecord {
    return {
      runId: this.runId,
      configFile: this.opts.configFile,
      startedAt: new Date(this.startedAt).toISOString(),
      endedAt: new Date(this.clock.now()).toISOString(),
      state,
      speed: this.opts.speed ?? this.plan.config.input.speed,
      rowsRead: s.rowsRead,
      rowErrors: s.rowErrors,
      lateRows: s.lateRows,
      windowsClosed: s.windowsClosed,
      alerts: s.alerts,
      elapsedMs: s.elapsedMs,
      rowsPerSec: s.rowsPerSec,
      fraction: s.fraction,
      ...(error !== undefined ? { error } : {}),
      warnings: this.warnings.slice(0, WARNINGS_KEPT),
    };
  }

  flush(): void {
    const runId = this.runId;
    if (this.windows.length > 0) {
      const windows = this.windows.slice(-LATEST_WINDOWS).map((w) => toWindowResult(w, this.plan));
      this.windows = [];
      this.emit('run.windows', { runId, windows, total: this.windowsClosed });
    }
    const now = this.clock.now();
    const rerank = now - this.rankedAt >= RERANK_MS;
    if (rerank) this.rankedAt = now;
    const chart = this.chart.delta(this.selection, rerank);
    if (chart) this.emit('run.chart', { runId, view: chart });
    if (this.alerts.length > 0) {
      const alerts = this.alerts;
      this.alerts = [];
      this.emit('run.alerts', { runId, alerts });
    }
    if (this.changedEpisodes.size > 0) {
      // copies: the tracker goes on changing these objects
      const episodes = [...this.changedEpisodes.values()].map((e) => ({ ...e }));
      this.changedEpisodes = new Map();
      this.emit('run.episodes', { runId, episodes });
    }
    if (this.rowErrors.length > 0) {
      const errors = this.rowErrors;
      this.rowErrors = [];
      this.emit('run.rowErrors', { runId, errors });
    }
    if (this.output.length > 0 || this.outputDropped > 0) {
      const text = this.output;
      this.outputSent += text.length;
      this.output = '';
      this.emit('run.output', { runId, text, dropped: this.outputDropped });
      this.outputDropped = 0;
    }
    if (this.problems.changed) {
      const { userCode, outputs, latest } = this.problems;
      this.problems = { userCode, outputs, latest: [], changed: false };
      this.emit('run.problems', { runId, userCode, outputs, latest });
    }
  }

  /**
   * Live connections change while the runner itself reports nothing (connecting at start, a
   * broker retrying while paused): their status goes out at least once a second.
   */
  private heartbeat(): void {
    if (this.finished || this.clock.now() - this.lastProgressAt < HEARTBEAT_MS) return;
    const s = this.runner.stats();
    if (s.connections.length === 0) return;
    this.lastProgressAt = this.clock.now();
    this.emit('run.progress', toProgress(s));
  }

  status(): RunProgress & { runId: string } {
    return toProgress(this.runner.stats());
  }
}
