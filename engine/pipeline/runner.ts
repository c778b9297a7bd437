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
import { Processor, type ProcessorState, type TimeMode } from './processor.js';
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
import { BatchOffsets, OffsetLedger } from './offset-ledger.js';
import { EventPacer, RatePacer } from './pacing.js';
import { RemoteProcessor, type SegmentView } from '../sandbox/remote-processor.js';
import type { SegmentWant } from '../sandbox/protocol.js';

/** batches a file replay keeps queued in the sandbox */
const SANDBOX_READ_AHEAD = 2;

/** `finished`: the input ended; `stopped`: stop() ended the run first (a live input ends only so) */
export type RunState = 'starting' | 'running' | 'paused' | 'stopping' | 'finished' | 'stopped' | 'failed';

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
  /** every row into one window (config tests of a live config, as previews do) instead of the config's time mode */
  mode?: TimeMode;
  onWindow?(w: ClosedWindow): void;
  /** after onWindow, awaited: a slow consumer holds up the input like a slow output (backtests analyse windows here) */
  consumeWindow?(w: ClosedWindow): Promise<void>;
  onAlert?(a: Alert): void;
  onRowError?(d: DeadLetter): void;
  onProgress?(s: RunStats): void;
  progressIntervalMs?: number;
  /** start paused (workbench "step" from the beginning) */
  startPaused?: boolean;
  /** a live input ends at the end offsets it has when the run starts (`run --until-end`, docs/live.md#until-end); a file ends anyway */
  untilEnd?: boolean;
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
  private readonly processor: ProcessorState;
  /** one of these two: rows are processed here, or in the sandbox when the plan calls user functions (docs/sandbox.md) */
  private readonly local: Processor | undefined;
  private readonly remote: RemoteProcessor | undefined;
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
  /** paused by a completed step: windows closed meanwhile wait (see emitClosed) */
  private heldByStep = false;
  private stopRequested = false;
  private wake: (() => void) | undefined;
  private onStop: (() => void) | undefined;
  /** ends the pacing wait in progress (a control acts at once, not after a wait of up to a window at 1×) */
  private interruptWait: (() => void) | undefined;
  /** the source's progress before and after the batch being processed: the fraction moves with the rows, not the reads */
  private batchProgress: { from: number; to: number; firstRow: number; count: number } | undefined;
  private readonly eventPacer: EventPacer;
  private readonly ratePacer: RatePacer | undefined;
  /** counts reported by an external window driver (multi-core replay) */
  private readonly external = { rowsOk: 0, failed: 0, late: 0 };
  private externalFraction: number | undefined;
  /** batches read ahead (file replays in the sandbox), and the segments already sent for them */
  private readonly ahead: LineBatch[] = [];
  private readonly sent = new Map<LineBatch, Promise<SegmentView>>();
  private sourceEnded = false;
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
    if (plan.untrusted) throw new RunFailure('this config uses user code of a folder that is not trusted; trust the folder to run it');
    if (plan.userCode?.rows) this.processor = this.remote = new RemoteProcessor(plan, { mode: options.mode });
    else this.processor = this.local = new Processor(plan, { mode: options.mode });
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
  // A pause freezes the pacing schedule (resume goes on at the same pace from there); a step
  // runs unpaced until exactly one more window closed, then pauses; a stop ends the run as
  // `stopped`. Each acts between two rows, and ends a pacing wait in progress at once.

  pause(): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    this.paused = true;
    this.freezePacing();
    this.interruptWait?.();
  }
  resume(): void {
    this.paused = false;
    this.stepping = false;
    this.heldByStep = false;
    this.eventPacer.resume();
    this.ratePacer?.resume();
    this.wake?.();
  }
  /** process, without pacing, until one more window closes; then pause */
  step(): void {
    this.stepping = true;
    this.heldByStep = false;
    this.paused = false;
    this.freezePacing();
    this.interruptWait?.();
    this.wake?.();
  }
  stop(): void {
    this.stopRequested = true;
    this.heldByStep = false;
    this.paused = false;
    this.interruptWait?.();
    this.wake?.();
    this.onStop?.();
    this.remote?.stop();
  }
  setSpeed(speed: number): void {
    this.eventPacer.setSpeed(speed);
    this.interruptWait?.();
  }

  private freezePacing(): void {
    this.eventPacer.pause();
    this.ratePacer?.pause();
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
      fraction: this.externalFraction ?? this.fraction(),
      deadLetters: this.deadLetters?.description ?? null,
      deadLettersKept: this.deadLetters?.kept ?? 0,
      connections,
      error: this.error,
    };
  }

  /** how far through its input the run is: the rows processed of the batch read, not the bytes read ahead */
  private fraction(): number | null {
    const b = this.batchProgress;
    if (!b || this.state === 'finished') return this.source?.progress() ?? null;
    return b.from + ((b.to - b.from) * Math.min(b.count, this.rowsRead - b.firstRow)) / Math.max(1, b.count);
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
    this.source =
      this.options.source ??
      (await createSource(this.plan, { clock: this.clock, warn: this.warn, stopping: () => this.stopRequested, untilEnd: this.options.untilEnd }));
    try {
      await this.source.open();
    } catch (e) {
      throw withPlace(e, this.source.description, 'InputError');
    }
    // rows read again after a restart whose windows were stored before it are late (docs/semantics.md#watermark-with-offsets)
    const resume = this.source.resumeWatermarkMs?.();
    if (resume !== undefined && this.processor.mode === 'event' && resume > this.processor.watermarkMs) this.processor.watermarkMs = resume;
    await this.remote?.open(this.processor.watermarkMs);
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
    await attempt(() => this.remote?.close());
    await attempt(() => this.deadLetters?.close());
    this.stores.closeAll();
    if (errors.length > 0 && !this.error) this.warn(`while closing: ${errors.join('; ')}`);
  }

  /** Runs to the end of a finite input (or until stop()); resolves with the final stats. */
  async run(): Promise<RunStats> {
    return this.lifecycle(true, async () => {
      if (this.remote) await this.remote.startAt(this.clock.now());
      else this.local!.startAt(this.clock.now());
      this.emitProgress(true);
      await this.loop();
      this.state = 'stopping';
      // event time on a live source: windows a stop or the end of a bounded read flushes early are incomplete,
      // so their rows stay uncommitted and are read again next time (the complete window then replaces this one)
      const early = this.processor.mode === 'event' && !!this.source?.committable;
      if (early) await this.commit();
      if (this.remote) await this.remote.finish(this.startedAt, this.clock.now());
      else this.local!.finish(this.startedAt, this.clock.now());
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
      this.state = this.stopRequested ? 'stopped' : 'finished';
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
      if (this.stopRequested) break;
      // a source waiting for data (stdin, an idle topic) must not hold up a stop
      const stopped = new Promise<null>((resolve) => (this.onStop = () => resolve(null)));
      const before = source.progress();
      const batch = this.stopRequested ? null : (this.ahead.shift() ?? (this.sourceEnded ? null : await Promise.race([this.read(source), stopped])));
      this.onStop = undefined;
      if (this.stopRequested || batch === null) {
        if (batch) this.ahead.unshift(batch);
        break;
      }
      const after = source.progress();
      this.batchProgress = before !== null && after !== null ? { from: before, to: after, firstRow: this.rowsRead, count: batch.count } : undefined;
      if (this.remote) await this.processInSandbox(batch, this.remote);
      else await this.processBatch(batch, this.local!);
      if (this.processor.mode === 'processing') await this.advanceTo(this.clock.now());
      await this.emitClosed();
      await this.flushDeadLettersIfMany();
      await this.commit();
      this.checkErrorRate(false);
      this.emitProgress(false);
    }
    // batches the sandbox was given ahead: their rows are in its windows, so they are accounted for
    while (this.remote && this.ahead.length > 0) await this.processInSandbox(this.ahead.shift()!, this.remote);
  }

  /** the source's next batch; its failure names the source */
  private async read(source: Source): Promise<LineBatch | null> {
    try {
      return await source.next();
    } catch (e) {
      throw withPlace(e, source.description, 'InputError');
    }
  }

  private async advanceTo(now: number): Promise<void> {
    if (this.remote) await this.remote.advanceTo(now);
    else this.local!.advanceTo(now);
  }

  private async processBatch(batch: LineBatch, p: Processor): Promise<void> {
    const track = BatchOffsets.tracks(batch) ? new BatchOffsets(this.offsets, batch) : undefined;
    const processing = p.mode === 'processing';
    const ratePacer = processing ? this.ratePacer : undefined;
    const eventPaced = p.mode === 'event';
    const { buf, starts, ends, lines } = batch;
    const bytes = buf !== undefined && p.parseBytes !== undefined;
    const holdClosed = this.analyzer?.runsAhead === true && !processing && !this.stepping && !(eventPaced && this.eventPacer.speed > 0);
    // runs of rows that close no window go through takeRows: nothing is paced, emitted or tracked apart between them
    const runs = bytes && !processing && !(eventPaced && this.eventPacer.speed > 0);
    for (let i = 0; i < batch.count; i++) {
      if (runs) {
        const from = i;
        i = p.takeRows(buf!, starts!, ends!, from, batch.count);
        this.rowsRead += i - from;
        if (track) for (let k = from; k < i; k++) track.row(k, p.lastWindowStart);
        if (i === batch.count) break;
      }
      this.rowsRead++;
      const now = processing ? this.clock.now() : 0;
      const ok = bytes ? p.processBytes(buf!, starts![i]!, ends![i]!, now) : p.processRow(lines ? lines[i]! : batch.text(i), now);
      if (!ok) this.rowFailed(batch, i);
      if (track) {
        if (ok) track.row(i, p.lastWindowStart);
        else track.read(i);
      }

      // A window goes out as soon as it closes (a step ends there). Held until the end of the batch, the windows a
      // 1 MB read closes (about 100 in the sample) outlive the young-generation GCs their outputs and analysis
      // cause, which copy and then promote them: the analysed replay spent a third more on GC (docs/performance.md#analysis).
      // With user analysis modules they are held, unless paced: the sandbox then runs a whole batch's windows ahead of
      // their analysis, instead of one window per request and answer (docs/sandbox.md#analyses).
      if (p.closed.length > 0 && !holdClosed) await this.emitClosed();
      // pacing (event-time speed, csv rate) and the pause/stop controls act between rows; a step is not paced
      if (!this.stepping) {
        if (ratePacer) await this.paceRate(ratePacer);
        else if (eventPaced && this.eventPacer.speed > 0 && ok) await this.paceEvent();
      }
      // checked here, not in an async call: an await per row costs a microtask turn even when nothing waits
      if (this.paused || this.stopRequested) {
        const stop = await this.betweenRows(i, track);
        track?.forget();
        if (stop) return;
      }
    }
    if (p.closed.length > 0) await this.emitClosed();
    track?.end(batch.count - 1);
  }

  /**
   * processBatch for rows processed in the sandbox (docs/sandbox.md): the batch
   * goes as one segment (one per row when paced in rows per second, as each row
   * has its own processing time), then the same per-row bookkeeping, pacing and
   * controls as above. A file replay keeps the next batches queued in the
   * sandbox meanwhile, so it never waits for them. A stop ends the segments in
   * the sandbox at their next time slice; the rows it processed are accounted for.
   */
  private async processInSandbox(batch: LineBatch, p: RemoteProcessor): Promise<void> {
    const track = BatchOffsets.tracks(batch) ? new BatchOffsets(this.offsets, batch) : undefined;
    const processing = p.mode === 'processing';
    const ratePacer = processing ? this.ratePacer : undefined;
    const eventPaced = p.mode === 'event' && this.eventPacer.speed > 0;
    const want = { windowStarts: track !== undefined, eventTimes: eventPaced };
    let stopping = this.stopRequested;
    let last = -1;
    let pending = this.sent.get(batch);
    this.sent.delete(batch);
    for (let from = 0; from < batch.count; ) {
      if (!pending && stopping) break;
      const to = ratePacer ? from + 1 : batch.count;
      const seg = pending ?? p.segment(batch, from, to, processing ? this.clock.now() : 0, want);
      seg.catch(() => undefined); // observed below, after reading ahead
      pending = undefined;
      // reading on reuses the source's buffers: only when the sandbox reads this batch's rows from the file itself
      if (from === 0 && p.readsFile(batch)) await this.sendAhead(p, want);
      const view = await seg;
      p.begin(view);
      if (!track && !processing && !eventPaced && !this.stepping) {
        // nothing to do between two rows: the pause and stop controls act after the segment
        for (const failure of view.failures) this.recordRowError(this.deadLetterOf(batch, from + failure.row, failure));
        this.rowsRead += view.processed;
        last = from + view.processed - 1;
        p.release(Infinity);
        if (view.processed === 0) break;
        from += view.processed;
        if (this.paused || this.stopRequested) await this.emitClosed();
        stopping ||= this.stopRequested;
        continue;
      }
      let f = 0;
      for (let k = 0; k < view.processed; k++) {
        const i = from + k;
        last = i;
        this.rowsRead++;
        const failure = view.failures[f]?.row === k ? view.failures[f++] : undefined;
        if (failure) this.recordRowError(this.deadLetterOf(batch, i, failure));
        if (track) {
          if (failure) track.read(i);
          else track.row(i, view.windowStarts![k]!);
        }
        p.release(k);
        if (stopping) continue;
        // a step is not paced: it ends in emitClosed when its window closed
        if (this.stepping) {
          if (this.processor.closed.length > 0) await this.emitClosed();
        } else if (ratePacer) await this.paceRate(ratePacer);
        else if (eventPaced && !failure) {
          p.maxEventMs = view.eventTimes![k]!;
          await this.paceEvent();
        }
        if (this.paused || this.stopRequested) {
          stopping = await this.betweenRows(i, track);
          track?.forget();
        }
      }
      p.release(Infinity);
      if (view.processed === 0) break;
      from += view.processed;
      stopping ||= this.stopRequested;
    }
    track?.end(last);
  }

  /** A failed row as a dead letter; the sandbox gives the text and line of rows it read from the file itself. */
  private deadLetterOf(batch: LineBatch, i: number, f: SegmentView['failures'][number]): DeadLetter {
    const position = f.line !== undefined && batch.fileRange ? { source: batch.fileRange.path, line: f.line } : batch.position(i);
    if (f.raw === undefined) return { position, reason: f.reason, message: f.message, ...rawOf(batch.bytes?.(i), () => batch.text(i)) };
    const rawBytes = f.rawBase64 === undefined ? undefined : new Uint8Array(Buffer.from(f.rawBase64, 'base64'));
    return { position, reason: f.reason, message: f.message, raw: f.raw, rawBytes };
  }

  /**
   * A file replay in the sandbox reads ahead: the next batches go to the
   * sandbox as byte ranges it reads itself, while the runner handles this one.
   */
  private async sendAhead(p: RemoteProcessor, want: SegmentWant): Promise<void> {
    if (this.plan.config.input.rate !== undefined || this.eventPacer.speed > 0) return;
    while (this.ahead.length < SANDBOX_READ_AHEAD && !this.stopRequested && !this.sourceEnded) {
      const next = await this.read(this.source!);
      if (next === null || !p.readsFile(next)) {
        this.sourceEnded = next === null;
        if (next) this.ahead.push(next);
        return;
      }
      // what is left of the batch once the source reads on: its size and place in the file
      const range = { ...next.fileRange! };
      const batch: LineBatch = {
        count: next.count,
        fileRange: range,
        text: () => '',
        position: (i) => ({ source: range.path, line: range.firstLine + i }),
      };
      const seg = p.segment(batch, 0, batch.count, 0, want);
      seg.catch(() => undefined); // awaited when its turn comes
      this.sent.set(batch, seg);
      this.ahead.push(batch);
    }
  }

  /**
   * Pause and stop act between two rows (called when either was asked for):
   * whether the run stops; the windows closed so far are written first.
   */
  private async betweenRows(i: number, track: BatchOffsets | undefined): Promise<boolean> {
    track?.end(i);
    await this.emitClosed();
    if (!this.stopRequested) await this.waitWhilePaused();
    return this.stopRequested;
  }

  /** a step closed its window: pause there; the rows to come are paced from where they start */
  private stepped(): void {
    this.stepping = false;
    this.paused = true;
    this.heldByStep = true;
    this.eventPacer.restart();
    this.ratePacer?.restart();
  }

  /** waits `ms` of the run's clock, or less when a control (pause, step, stop, speed) acts meanwhile */
  private waitPaced(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.clock.clearTimeout(timer);
        this.interruptWait = undefined;
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.interruptWait = done;
    });
  }

  private async paceEvent(): Promise<void> {
    const wait = this.eventPacer.waitFor(this.processor.maxEventMs);
    if (wait > 0) {
      await this.emitClosed();
      this.emitProgress(false);
      await this.waitPaced(wait);
    }
  }

  private async paceRate(pacer: RatePacer): Promise<void> {
    const wait = pacer.waitFor();
    if (wait > 0) {
      await this.advanceTo(this.clock.now());
      await this.emitClosed();
      this.emitProgress(false);
      await this.waitPaced(wait);
      await this.advanceTo(this.clock.now());
    }
  }

  private rowFailed(batch: LineBatch, i: number): void {
    const f = this.local!.lastFailure!;
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

  /**
   * Writes the closed windows to each output in config order, then runs analysis (each window is
   * computed once). A step writes exactly one and pauses: the other windows its row closed wait
   * for the next step or the resume.
   */
  private async emitClosed(): Promise<void> {
    const closed = this.processor.drain();
    if (this.stepping && closed.length > 0) {
      this.processor.closed.unshift(...closed.splice(1));
      this.stepped();
    } else if (this.heldByStep) {
      this.processor.closed.unshift(...closed);
      return;
    }
    if (closed.length === 0) return;
    await this.deadLetters?.flush();
    const batchMs = this.processor.durMs;
    // user analysis modules work on these windows while the run writes and analyses the ones before
    this.analyzer?.lookahead(closed, batchMs);
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
      if (this.options.consumeWindow) await this.options.consumeWindow(w);
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
