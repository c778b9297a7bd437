/**
 * Drives one run: source → Processor → outputs (config order, each window once,
 * docs/semantics.md#each-window-once) → analysis → commit. Pull-based, so a slow output pauses
 * the input (back-pressure) instead of buffering. Controls for the workbench: pause, resume, step
 * one window, stop; event-time replays can be paced (`speed`). Assembly of the components
 * (assembly.ts), the offset ledger (offset-ledger.ts) and pacing (pacing.ts) live beside it.
 */
import { randomUUID } from 'node:crypto';
import { errorText, withPlace } from '../core/errors.js';
import type { PipelinePlan } from './plan.js';
import { Processor } from './processor.js';
import { groupCount, type ClosedWindow } from '../core/window.js';
import type { Alert, LineBatch, Sink, Source } from '../components/types.js';
import type { ConnectionStatus } from '../core/connection.js';
import { SqliteStores } from '../connectors/sqlite-store.js';
import { systemClock, type Clock } from '../core/clock.js';
import { rawOf, type DeadLetter, type DeadLetterStore } from './dead-letters.js';
import type { Analyzer, AnalyzerStats } from '../analysis/analyzer.js';
import type { SinkDeliveryStats } from '../analysis/delivery.js';
import type { RecentWindowsHistory } from '../analysis/history-recent.js';
import { createSource, openOutputs, type Assembly } from './assembly.js';
import { OffsetLedger } from './offset-ledger.js';
import { EventPacer, RatePacer } from './pacing.js';

export type RunState = 'starting' | 'running' | 'paused' | 'stopping' | 'finished' | 'failed';

export interface RunStats {
  runId: string;
  state: RunState;
  rowsRead: number;
  rowsOk: number;
  rowErrors: number;
  lateRows: number;
  errorsByReason: Record<string, number>;
  windowsClosed: number;
  aggregateRows: number;
  /** alert events raised (each sink's own count says how many it delivered) */
  alerts: number;
  analysis?: AnalyzerStats;
  /** per alert sink: delivered, failed for good, retries (docs/alerts.md#summary) */
  alertSinks?: SinkDeliveryStats[];
  elapsedMs: number;
  rowsPerSec: number;
  fraction: number | null;
  deadLetters: string | null;
  /** dead letters durably written so far (row errors beyond it were not kept) */
  deadLettersKept: number;
  connections: ConnectionStatus[];
  error?: string;
}

export interface RunnerOptions {
  clock?: Clock;
  stdout?: NodeJS.WritableStream;
  warn?: (message: string) => void;
  /** JSONL dead-letter file when the config has no SQLite store */
  deadLetterPath?: string;
  /** replaces the configured source (tests, workbench uploads) */
  source?: Source;
  /** false disables every output, alert sink and dead-letter store (previews) */
  outputs?: boolean;
  /** overrides input.options.speed */
  speed?: number;
  runId?: string;
  onWindow?(w: ClosedWindow): void;
  onAlert?(a: Alert): void;
  onRowError?(d: DeadLetter): void;
  onProgress?(s: RunStats): void;
  progressIntervalMs?: number;
  /** start paused (workbench "step" from the beginning) */
  startPaused?: boolean;
  /**
   * Also keep alerts in an `alerts` table of the main SQLite store when the
   * config has no sqlite alert sink (the workbench shows them when a project
   * is reopened). Written through the run's own connection and batch.
   */
  recordAlertsInStore?: boolean;
}

export interface WindowDriverContext {
  /** closed windows in time order: written to every output, then analysed */
  deliver(windows: ClosedWindow[]): Promise<void>;
  rowFailed(d: DeadLetter): void;
  /** after a batch of rowFailed calls: many dead letters go to their store now (bounded memory) */
  flushRowErrors(): Promise<void>;
  addCounts(c: { rowsRead: number; rowsOk: number; failed: number; late: number }): void;
  setFraction(f: number): void;
  stopRequested(): boolean;
  now(): number;
  startedAt: number;
}

export class RunFailure extends Error {
  override name = 'RunFailure';
}

export class Runner {
  readonly runId: string;
  private readonly clock: Clock;
  private readonly processor: Processor;
  private readonly stores: SqliteStores;
  private readonly stdout: NodeJS.WritableStream;
  private readonly warn: (message: string) => void;
  private readonly parts: Assembly = { sinks: [] };
  private source: Source | undefined;
  private state: RunState = 'starting';
  private error: string | undefined;
  private rowsRead = 0;
  private readonly errorsByReason: Record<string, number> = {};
  private windowsClosed = 0;
  private aggregateRows = 0;
  private alerts = 0;
  /** aggregate rows an output could not store (counted with the row errors) */
  private outputRowErrors = 0;
  private startedAt = 0;
  private lastProgressAt = 0;
  private paused: boolean;
  private stepping = false;
  private stopRequested = false;
  private wake: (() => void) | undefined;
  private onStop: (() => void) | undefined;
  private readonly eventPacer: EventPacer;
  private readonly ratePacer: RatePacer | undefined;
  /** counts reported by an external window driver (multi-core replay) */
  private readonly external = { rowsOk: 0, failed: 0, late: 0 };
  private externalFraction: number | undefined;
  /** committable sources: what may be committed */
  private readonly offsets = new OffsetLedger();

  constructor(
    readonly plan: PipelinePlan,
    private readonly options: RunnerOptions = {},
  ) {
    this.runId = options.runId ?? randomUUID();
    this.clock = options.clock ?? systemClock;
    this.warn = options.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`));
    this.stores = new SqliteStores({ clock: this.clock, warn: this.warn, stopping: () => this.stopRequested });
    this.processor = new Processor(plan);
    this.eventPacer = new EventPacer(this.clock, options.speed ?? plan.config.input.speed);
    const rate = plan.config.input.rate;
    this.ratePacer = rate !== undefined ? new RatePacer(this.clock, rate) : undefined;
    this.paused = !!options.startPaused;
    this.stdout = options.stdout ?? process.stdout;
  }

  private get sinks(): Sink[] {
    return this.parts.sinks;
  }
  private get deadLetters(): DeadLetterStore | undefined {
    return this.parts.deadLetters;
  }
  private get analyzer(): Analyzer | undefined {
    return this.parts.analyzer;
  }
  private get recent(): RecentWindowsHistory | undefined {
    return this.parts.recent;
  }

  // ---- controls ------------------------------------------------------------

  pause(): void {
    if (this.state === 'running') this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.stepping = false;
    this.wake?.();
  }
  /** process until one more window closes, then pause */
  step(): void {
    this.stepping = true;
    this.paused = false;
    this.wake?.();
  }
  stop(): void {
    this.stopRequested = true;
    this.paused = false;
    this.wake?.();
    this.onStop?.();
  }
  setSpeed(speed: number): void {
    this.eventPacer.setSpeed(speed);
  }

  stats(): RunStats {
    const elapsedMs = Math.max(0, (this.state === 'starting' ? this.startedAt : this.clock.now()) - this.startedAt);
    const p = this.processor;
    const connections = [...(this.source?.status ? [this.source.status()] : []), ...this.sinks.flatMap((s) => (s.status ? [s.status()] : []))];
    return {
      runId: this.runId,
      state: this.paused && this.state === 'running' ? 'paused' : this.state,
      rowsRead: this.rowsRead,
      rowsOk: p.rowsOk + this.external.rowsOk,
      rowErrors: p.failed + this.external.failed + this.outputRowErrors,
      lateRows: p.lateRows + this.external.late,
      errorsByReason: { ...this.errorsByReason },
      windowsClosed: this.windowsClosed,
      aggregateRows: this.aggregateRows,
      alerts: this.alerts,
      analysis: this.analyzer ? { ...this.analyzer.stats, byState: { ...this.analyzer.stats.byState } } : undefined,
      alertSinks: this.analyzer?.delivery.stats(),
      elapsedMs,
      rowsPerSec: elapsedMs > 0 ? (this.rowsRead * 1000) / elapsedMs : 0,
      fraction: this.externalFraction ?? this.source?.progress() ?? null,
      deadLetters: this.deadLetters?.description ?? null,
      deadLettersKept: this.deadLetters?.kept ?? 0,
      connections,
      error: this.error,
    };
  }

  // ---- lifecycle ------------------------------------------------------------

  private async open(openSource: boolean): Promise<void> {
    if (this.options.outputs !== false) {
      await openOutputs(
        this.plan,
        {
          stores: this.stores,
          clock: this.clock,
          stdout: this.stdout,
          warn: this.warn,
          stopping: () => this.stopRequested,
          runId: this.runId,
          deadLetterPath: this.options.deadLetterPath,
          recordAlertsInStore: this.options.recordAlertsInStore,
          batchMs: this.processor.durMs,
          rowFailed: (d) => {
            this.outputRowErrors++;
            this.recordRowError(d);
          },
          onAlert: (a) => {
            this.alerts++;
            this.options.onAlert?.(a);
          },
        },
        this.parts,
      );
    }
    if (!openSource) return;
    this.source = this.options.source ?? (await createSource(this.plan, { clock: this.clock, warn: this.warn, stopping: () => this.stopRequested }));
    try {
      await this.source.open();
    } catch (e) {
      throw withPlace(e, this.source.description, 'InputError');
    }
    // rows read again after a restart whose windows were stored before it are late (docs/semantics.md#watermark-with-offsets)
    const resume = this.source.resumeWatermarkMs?.();
    if (resume !== undefined && this.processor.mode === 'event' && resume > this.processor.watermarkMs) this.processor.watermarkMs = resume;
  }

  private async closeAll(): Promise<void> {
    const errors: string[] = [];
    const attempt = async (f: () => unknown) => {
      try {
        await f();
      } catch (e) {
        errors.push((e as Error).message);
      }
    };
    await attempt(() => this.source?.close());
    for (const s of this.sinks) await attempt(() => s.close());
    await attempt(() => this.analyzer?.close());
    await attempt(() => this.parts.lifecycleState?.close());
    await attempt(() => this.deadLetters?.close());
    this.stores.closeAll();
    if (errors.length > 0 && !this.error) this.warn(`while closing: ${errors.join('; ')}`);
  }

  /** Runs to the end of a finite input (or until stop()); resolves with the final stats. */
  async run(): Promise<RunStats> {
    return this.lifecycle(true, async () => {
      this.processor.startAt(this.clock.now());
      this.emitProgress(true);
      await this.loop();
      this.state = 'stopping';
      // event time on a live source: windows a stop flushes early are incomplete, so their rows
      // stay uncommitted and are read again next time (the complete window then replaces this one)
      const early = this.stopRequested && this.processor.mode === 'event' && !!this.source?.committable;
      if (early) await this.commit();
      this.processor.finish(this.startedAt, this.clock.now());
      await this.emitClosed();
      if (!early) await this.commit();
    });
  }

  /**
   * Runs with windows produced elsewhere (multi-core replay): outputs, dead
   * letters, analysis and stats work as in run(), the driver supplies windows.
   */
  async runWith(driver: (ctx: WindowDriverContext) => Promise<void>): Promise<RunStats> {
    return this.lifecycle(false, async () => {
      this.emitProgress(true);
      await driver({
        deliver: async (windows) => {
          this.processor.closed.push(...windows);
          await this.emitClosed();
          this.checkErrorRate(false);
          this.emitProgress(false);
        },
        rowFailed: (d) => this.recordRowError(d),
        flushRowErrors: () => this.flushDeadLettersIfMany(),
        addCounts: (c) => {
          this.rowsRead += c.rowsRead;
          this.external.rowsOk += c.rowsOk;
          this.external.failed += c.failed;
          this.external.late += c.late;
        },
        setFraction: (f) => (this.externalFraction = f),
        stopRequested: () => this.stopRequested,
        now: () => this.clock.now(),
        startedAt: this.startedAt,
      });
      this.state = 'stopping';
    });
  }

  private async lifecycle(openSource: boolean, body: () => Promise<void>): Promise<RunStats> {
    this.startedAt = this.clock.now();
    try {
      await this.open(openSource);
      this.state = 'running';
      await body();
      this.checkErrorRate(true);
      this.state = 'finished';
    } catch (e) {
      this.state = 'failed';
      this.error = errorText(e);
      // a failed run does not wait for locks of other writers while it closes
      this.stopRequested = true;
      await this.closeAll();
      this.emitProgress(true);
      throw e;
    }
    await this.closeAll();
    this.emitProgress(true);
    return this.stats();
  }

  private async waitWhilePaused(): Promise<void> {
    if (this.paused) this.stores.flush(); // a paused run shows everything it wrote
    while (this.paused && !this.stopRequested) {
      this.emitProgress(true);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private async loop(): Promise<void> {
    const source = this.source!;
    for (;;) {
      await this.waitWhilePaused();
      if (this.stopRequested) return;
      // a source waiting for data (stdin, an idle topic) must not hold up a stop
      const stopped = new Promise<null>((resolve) => (this.onStop = () => resolve(null)));
      const batch = this.stopRequested
        ? null
        : await Promise.race([source.next(), stopped]).catch((e) => Promise.reject(withPlace(e, source.description, 'InputError')));
      this.onStop = undefined;
      if (this.stopRequested) return;
      if (batch === null) return;
      await this.processBatch(batch);
      if (this.processor.mode === 'processing') this.processor.advanceTo(this.clock.now());
      await this.emitClosed();
      await this.flushDeadLettersIfMany();
      await this.commit();
      this.checkErrorRate(false);
      this.emitProgress(false);
    }
  }

  private async processBatch(batch: LineBatch): Promise<void> {
    const p = this.processor;
    const track = batch.offsets !== undefined && batch.partition !== undefined;
    const processing = p.mode === 'processing';
    const ratePacer = processing ? this.ratePacer : undefined;
    const eventPaced = p.mode === 'event';
    const { buf, starts, ends, lines } = batch;
    const bytes = buf !== undefined && p.parseBytes !== undefined;
    // offsets grow within a batch (one partition): a window's smallest offset in it is that of its
    // first row, so offsets are tracked when the row's window changes, and the last one at the end
    let tracked = NaN;
    for (let i = 0; i < batch.count; i++) {
      this.rowsRead++;
      const now = processing ? this.clock.now() : 0;
      const ok = bytes ? p.processBytes(buf!, starts![i]!, ends![i]!, now) : p.processRow(lines ? lines[i]! : batch.text(i), now);
      if (!ok) this.rowFailed(batch, i);
      if (track) {
        if (!ok) this.noteOffset(batch, i);
        else if (p.lastWindowStart !== tracked) {
          this.offsets.track(p.lastWindowStart, batch.partition!, BigInt(batch.offsets![i]!));
          tracked = p.lastWindowStart;
        }
      }

      // pacing (event-time speed, csv rate) and the step/pause/stop controls act between rows
      if (ratePacer) await this.paceRate(ratePacer);
      else if (eventPaced && this.eventPacer.speed > 0 && ok) await this.paceEvent();
      if (this.stepping && p.closed.length > 0) {
        this.stepping = false;
        this.paused = true;
      }
      if (this.paused || this.stopRequested) {
        if (track) this.noteOffset(batch, i);
        tracked = NaN;
        await this.emitClosed();
        if (this.stopRequested) return;
        await this.waitWhilePaused();
        if (this.stopRequested) return;
      }
    }
    if (track && batch.count > 0) this.noteOffset(batch, batch.count - 1);
  }

  private noteOffset(batch: LineBatch, i: number): void {
    this.offsets.read(batch.partition!, BigInt(batch.offsets![i]!));
  }

  private async paceEvent(): Promise<void> {
    const wait = this.eventPacer.waitFor(this.processor.maxEventMs);
    if (wait > 0) {
      await this.emitClosed();
      this.emitProgress(false);
      await this.clock.sleep(wait);
    }
  }

  private async paceRate(pacer: RatePacer): Promise<void> {
    const wait = pacer.waitFor();
    if (wait > 0) {
      this.processor.advanceTo(this.clock.now());
      await this.emitClosed();
      this.emitProgress(false);
      await this.clock.sleep(wait);
      this.processor.advanceTo(this.clock.now());
    }
  }

  private rowFailed(batch: LineBatch, i: number): void {
    const f = this.processor.lastFailure!;
    this.recordRowError({ position: batch.position(i), reason: f.reason, message: f.message, ...rawOf(batch.bytes?.(i), () => batch.text(i)) });
  }

  private recordRowError(d: DeadLetter): void {
    this.errorsByReason[d.reason] = (this.errorsByReason[d.reason] ?? 0) + 1;
    this.deadLetters?.add(d);
    this.options.onRowError?.(d);
    if (this.plan.config.onError === 'fail' && d.reason !== 'late') {
      const pos = d.position;
      throw new RunFailure(
        `row error at ${pos.source}${pos.line !== undefined ? `:${pos.line}` : ''}${pos.offset !== undefined ? ` offset ${pos.offset}` : ''}: ${d.message} (processing.on_error is "fail")`,
      );
    }
  }

  /** many bad rows in a long window: into the store now (bounded memory), committed soon (short locks) */
  private async flushDeadLettersIfMany(): Promise<void> {
    if ((this.deadLetters?.pending ?? 0) >= 1000) await this.deadLetters!.flush();
    this.stores.flushIfDue();
  }

  private checkErrorRate(final: boolean): void {
    const max = this.plan.config.input.maxErrorRate;
    if (max === undefined) return;
    const failed = this.processor.failed + this.external.failed;
    if (!final && this.rowsRead < 1000) return;
    if (this.rowsRead > 0 && failed / this.rowsRead > max) {
      throw new RunFailure(
        `row error rate ${(failed / this.rowsRead).toFixed(4)} (${failed} of ${this.rowsRead} rows) exceeds input.options.max_error_rate ${max}`,
      );
    }
  }

  /** Writes every closed window to each output in config order, then runs analysis (each window is computed once). */
  private async emitClosed(): Promise<void> {
    const closed = this.processor.drain();
    if (closed.length === 0) return;
    await this.deadLetters?.flush();
    const batchMs = this.processor.durMs;
    for (const w of closed) {
      for (const s of this.sinks) {
        try {
          await s.write(w);
        } catch (e) {
          throw withPlace(e, s.description, 'OutputError');
        }
      }
      this.windowsClosed++;
      this.aggregateRows += groupCount(w);
      this.options.onWindow?.(w);
      this.recent?.observe(w);
      // awaits the delivery of the window's alerts (retried while a sink is down, the input waiting)
      if (this.analyzer && (groupCount(w) > 0 || this.analyzer.watchesEmptyWindows)) await this.analyzer.analyze(w, batchMs);
      // only now may the window's offsets be committed: its outputs and its alerts are delivered (docs/alerts.md#delivery)
      this.offsets.written(w.startMs);
    }
    this.stores.flushIfDue();
  }

  /** Commits, per partition, the first offset still held by an open window (or everything read). */
  private async commit(): Promise<void> {
    const source = this.source;
    if (!source?.commit || !source.committable || this.offsets.empty) return;
    await this.deadLetters?.flush();
    const lifecycle = this.parts.lifecycleState && this.analyzer?.takeSnapshot();
    if (lifecycle) await this.parts.lifecycleState!.save(lifecycle);
    this.stores.flush();
    await source.commit(this.offsets.committable(), this.processor.mode === 'event' ? { watermarkMs: this.processor.watermarkMs } : undefined);
  }

  private emitProgress(force: boolean): void {
    if (!this.options.onProgress) return;
    const now = this.clock.now();
    if (!force && now - this.lastProgressAt < (this.options.progressIntervalMs ?? 250)) return;
    this.lastProgressAt = now;
    this.options.onProgress(this.stats());
  }
}
