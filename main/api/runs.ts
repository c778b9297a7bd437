/**
 * One replay at a time: an engine Runner over the config on disk (outputs on),
 * its hook results batched into events every `flushMs` (at "max" speed
 * thousands of windows close per second; one message each would swamp IPC and
 * WebSocket alike).
 */
import { EventEmitter } from 'node:events';
import {
  ChartSummary,
  EpisodeTracker,
  storeOf,
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

/**
 * The keys drawn as lines are ranked again during a run after 1 s, then after twice as long each
 * time (at most every 30 s), and at every merge of the buckets: a new set of keys sends every
 * bucket again, so a long run does it a few times, not once a second.
 */
const FIRST_RERANK_MS = 1000;
const MAX_RERANK_MS = 30_000;

/** Row errors sent to the UI per run (all are counted, and dead-lettered by the engine). */
const MAX_ROW_ERRORS_SENT = 1000;
/** progress of a run with live connections goes out at least this often */
const HEARTBEAT_MS = 1000;
/** warnings kept in a run's record */
const WARNINGS_KEPT = 10;
/**
 * stdout text: the first 256 KB of a run go to the UI whole (the Output tab keeps that much);
 * after that each batch sends only the end of its text, at most 16 KB (about 80 KB a second at
 * max speed, where a run can print hundreds of MB); the rest is counted as not shown.
 */
const OUTPUT_SENT_WHOLE = 256 * 1024;
const OUTPUT_PER_BATCH = 16 * 1024;
/**
 * Alerts, and episodes of rules without lifecycle: the first 1 000 of a run all go to the UI
 * (what the page holds); after that each batch sends only the latest (the lists page every one
 * from the store, the charts count them in their summary). Lifecycle episodes always all go: the
 * charts draw them as bands.
 */
const ALERTS_SENT_WHOLE = 1000;
const ALERTS_PER_BATCH = 250;
/** the same with a sqlite store to page from: the page holds only a sample of the latest */
const ALERTS_PER_BATCH_WITH_STORE = 25;
/**
 * A running replay's batched results (chart deltas, alerts, episodes, output) go out at most this
 * often: the charts redraw no more often than that, and each event is work for the page beside
 * a max-speed replay on the same cores. A pause, a step or the end sends at once.
 */
const BATCH_EVERY_MS = 200;
/** the latest windows (the table of a config without a store) go out at most this often */
const LATEST_WINDOWS_EVERY_MS = 500;
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

/**
 * Where a run's text outputs write: straight into the next batch. A `Writable`'s machinery for
 * each of a max-speed replay's writes (one per window and per alert) cost 4 % of the replay; this
 * never asks the writer to wait.
 */
class TextCapture extends EventEmitter implements NodeJS.WritableStream {
  readonly writable = true;

  constructor(private readonly take: (text: string) => void) {
    super();
  }

  write(chunk: string | Uint8Array, encodingOrDone?: BufferEncoding | ((err?: Error | null) => void), done?: (err?: Error | null) => void): boolean {
    this.take(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const callback = typeof encodingOrDone === 'function' ? encodingOrDone : done;
    callback?.();
    return true;
  }

  end(): this {
    return this;
  }
}

export class ActiveRun {
  readonly runner: Runner;
  readonly done: Promise<void>;
  /** the latest closed windows not sent yet (at most LATEST_WINDOWS: older ones only reach the charts' summary) */
  private windows: ClosedWindow[] = [];
  private windowsClosed = 0;
  private windowsSentAt = Number.NEGATIVE_INFINITY;
  private batchSentAt = Number.NEGATIVE_INFINITY;
  private alertsRaised = 0;
  private alertsSent = 0;
  private plainEpisodesSent = 0;
  private readonly alertsPerBatch: number;
  readonly chart: ChartSummary;
  private rankedAt = Number.NEGATIVE_INFINITY;
  private rankedAtMerge = -1;
  private rerankEvery = FIRST_RERANK_MS;
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
  /** the start of the run's text, sent whole (OUTPUT_SENT_WHOLE) */
  private outputHead = '';
  /**
   * text printed after that start, since the last batch, as printed: joined and cut to its last 2 × OUTPUT_PER_BATCH
   * characters when a batch goes, not at every print (a run prints per window: cutting a 32 KB string each time was
   * copying it each time, 160 MB for 5 000 windows)
   */
  private output: string[] = [];
  private outputLength = 0;
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
      /** a bounded read of a live input (docs/live.md#until-end) */
      untilEnd?: boolean;
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
    this.alertsPerBatch = storeOf(plan.config) ? ALERTS_PER_BATCH_WITH_STORE : ALERTS_PER_BATCH;
    this.chart = new ChartSummary(columns);
    this.selection = DEFAULT_SELECTION;
    this.runner = new Runner(plan, {
      clock: this.clock,
      stdout: new TextCapture((text) => this.takeOutput(text)),
      warn: (m) => this.onWarning(m),
      speed: opts.speed,
      startPaused: opts.startPaused,
      untilEnd: opts.untilEnd,
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
        // a paused run (a step) shows where it stopped at once
        this.flush(s.state !== 'running');
        this.lastProgressAt = this.clock.now();
        this.emit('run.progress', toProgress(s));
      },
    });
    this.tick(opts.flushMs ?? BATCH_EVERY_MS);
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

  /** how many of the alerts (or plain episodes) held the next batch sends, `sent` having gone before */
  private alertBudget(sent: number): number {
    return Math.max(ALERTS_SENT_WHOLE - sent, this.alertsPerBatch);
  }

  /**
   * Text a run printed: the first OUTPUT_SENT_WHOLE characters are kept whole for the next batch
   * (however much is printed before it goes); after them only the end, at most twice what a
   * batch sends, is kept between batches, the rest counted as not shown.
   */
  private takeOutput(text: string): void {
    const headRoom = OUTPUT_SENT_WHOLE - this.outputSent - this.outputHead.length;
    let rest = text;
    if (headRoom > 0) {
      this.outputHead += text.slice(0, headRoom);
      rest = text.slice(headRoom);
    }
    if (rest === '') return;
    this.output.push(rest);
    this.outputLength += rest.length;
    // whole pieces that the kept end no longer reaches go at once: memory stays bounded however much is printed
    const keep = 2 * OUTPUT_PER_BATCH;
    while (this.outputLength - this.output[0]!.length >= keep) {
      const gone = this.output.shift()!;
      this.outputLength -= gone.length;
      this.outputDropped += gone.length;
    }
  }

  /** the text printed since the last batch, its last 2 × OUTPUT_PER_BATCH characters at most (the rest counted as dropped) */
  private takeOutputText(): string {
    let text = this.output.join('');
    this.output = [];
    this.outputLength = 0;
    const keep = 2 * OUTPUT_PER_BATCH;
    if (text.length > keep) {
      this.outputDropped += text.length - keep;
      text = text.slice(text.length - keep);
    }
    return text;
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
    this.alertsRaised++;
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
    this.flush(true);
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

  /** `final`: the run has ended, everything held goes out */
  flush(final = false): void {
    const runId = this.runId;
    const now = this.clock.now();
    if (!final && now - this.batchSentAt < BATCH_EVERY_MS) return;
    this.batchSentAt = now;
    if (this.windows.length > 0 && (final || now - this.windowsSentAt >= LATEST_WINDOWS_EVERY_MS)) {
      const windows = this.windows.slice(-LATEST_WINDOWS).map((w) => toWindowResult(w, this.plan));
      this.windows = [];
      this.windowsSentAt = now;
      this.emit('run.windows', { runId, windows, total: this.windowsClosed });
    }
    const rerank = final || this.chart.mergeCount !== this.rankedAtMerge || now - this.rankedAt >= this.rerankEvery;
    if (rerank) {
      if (now - this.rankedAt >= this.rerankEvery) this.rerankEvery = Math.min(2 * this.rerankEvery, MAX_RERANK_MS);
      this.rankedAt = now;
      this.rankedAtMerge = this.chart.mergeCount;
    }
    const chart = this.chart.delta(this.selection, rerank);
    if (chart) this.emit('run.chart', { runId, view: chart });
    if (this.alerts.length > 0) {
      const alerts = this.alerts.slice(-this.alertBudget(this.alertsSent));
      this.alertsSent += alerts.length;
      this.alerts = [];
      this.emit('run.alerts', { runId, alerts, total: this.alertsRaised });
    }
    if (this.changedEpisodes.size > 0) {
      const changed = [...this.changedEpisodes.values()];
      const plain = changed.filter((e) => !e.lifecycle);
      const latestPlain = new Set(plain.slice(-this.alertBudget(this.plainEpisodesSent)));
      this.plainEpisodesSent += latestPlain.size;
      // copies: the tracker goes on changing these objects
      const episodes = changed.filter((e) => e.lifecycle || latestPlain.has(e)).map((e) => ({ ...e }));
      this.changedEpisodes = new Map();
      this.emit('run.episodes', { runId, episodes });
    }
    if (this.rowErrors.length > 0) {
      const errors = this.rowErrors;
      this.rowErrors = [];
      this.emit('run.rowErrors', { runId, errors });
    }
    if (this.outputHead.length > 0) {
      const text = this.outputHead;
      this.outputHead = '';
      this.outputSent += text.length;
      this.emit('run.output', { runId, text, dropped: 0 });
    }
    if (this.outputLength > 0 || this.outputDropped > 0) {
      let text = this.takeOutputText();
      if (text.length > OUTPUT_PER_BATCH) {
        // the end of the text, from a line's start
        const cut = text.length - OUTPUT_PER_BATCH;
        const from = text.indexOf('\n', cut) + 1 || cut;
        this.outputDropped += from;
        text = text.slice(from);
      }
      this.outputSent += text.length;
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
