/**
 * The synchronous heart of a run: one row in → parse → (late check) →
 * transform → fold into its window's group map → close windows the watermark
 * has passed. No I/O and no clock reads here: the runner feeds rows and time,
 * and drains closed windows, so the same code runs in the main thread, in
 * replay workers and in previews.
 */
import { RowError } from '../core/errors.js';
import type { Value } from '../core/types.js';
import { newWindowGroups, type GroupJournal, type GroupOps, type WindowGroups } from '../aggregate/groups.js';
import type { ClosedWindow, Group } from '../core/window.js';
import type { CompiledTransform } from '../expr/compile.js';
import type { InputConfig } from '../config/model.js';
import { compileByteRowParser, compileRowParser, internTables, type ByteRowParser, type RowParser } from './row-parser.js';
import { compileRowRun, RUN_STATE, type RowRun } from './row-runs.js';
import { MAX_EVENT_MS, timeToMsFn, windowStart } from '../core/time.js';

export type TimeMode = 'event' | 'processing' | 'whole';

export interface RowFailure {
  reason: string;
  message: string;
  field?: string;
}

export interface ProcessorOptions {
  /** event time: rows of windows ending at or before this are late from the start (parallel replay ranges) */
  initialWatermarkMs?: number;
  /** keep the transformed rows (previews) */
  keepRows?: boolean;
  /** previews of live configs put every row into one window */
  mode?: TimeMode;
  /** the journal the plan's (journaled) group ops write: attempts can then be rolled back */
  journal?: GroupJournal;
}

/** The state an attempt started from (beginAttempt / rollback). */
interface Snapshot {
  open: [number, WindowGroups][];
  closed: number;
  rowsOk: number;
  failed: number;
  lateRows: number;
  watermarkMs: number;
  maxEventMs: number;
  minOpenEnd: number;
  nextStart: number | undefined;
  lastWindowStart: number;
  lastRowAt: number;
  lastFailure: RowFailure | undefined;
  kept: number;
  failures: number;
  closedAfter: number;
}

/** What a Processor needs of a plan (the sandbox builds one from the same parts, docs/sandbox.md). */
export interface ProcessorPlan {
  config: {
    input: Pick<InputConfig, 'fields' | 'sep' | 'batchDurationSec' | 'allowedLatenessSec' | 'timeUnit' | 'timeField' | 'rate'> & {
      source: { type: 'csv' | 'kafka' };
    };
  };
  parseSlots: number[];
  timeSlot?: number;
  transform: Pick<CompiledTransform, 'run' | 'columns'> & Partial<Pick<CompiledTransform, 'inline' | 'consts'>>;
  groups: Pick<GroupOps, 'add' | 'forget' | 'inlineAdd'>;
}

/** What the sandbox's batch driver learns about each row (indexes are `rowIndex` values). */
export interface RowLog {
  failures: { row: number; reason: string; message: string }[];
  /** for every window closed, in order: the row whose processing closed it */
  closedAfter: number[];
  windowStarts?: Float64Array;
  /** largest event time after each row */
  eventTimes?: Float64Array;
}

/** What the runner reads of a processor, in this process or in the sandbox (docs/sandbox.md). */
export interface ProcessorState {
  readonly mode: TimeMode;
  readonly durMs: number;
  watermarkMs: number;
  maxEventMs: number;
  rowsOk: number;
  failed: number;
  lateRows: number;
  lastWindowStart: number;
  closed: ClosedWindow[];
  drain(): ClosedWindow[];
}

export function timeModeOf(plan: ProcessorPlan): TimeMode {
  const inp = plan.config.input;
  if (inp.timeField !== undefined) return 'event';
  if (inp.source.type === 'kafka' || inp.rate !== undefined) return 'processing';
  return 'whole';
}

function windowMsOf(inp: ProcessorPlan['config']['input']): { durMs: number; latenessMs: number } {
  return { durMs: Math.round(inp.batchDurationSec * 1000), latenessMs: Math.round(inp.allowedLatenessSec * 1000) };
}

/** A plan's generated row code (the row parsers share their intern tables with the run). */
interface RowCode {
  parse: RowParser;
  parseBytes: ByteRowParser | undefined;
  runRows: RowRun | undefined;
}

/**
 * Made once per plan and time mode, not per processor: V8 compiles every new function again, and a parallel
 * replay's worker makes a processor per byte range, so each range's row code was compiled anew (25–50 ms of
 * optimising compile per range for the row run alone, docs/performance.md#all-cores).
 */
const rowCodes = new WeakMap<ProcessorPlan, Map<TimeMode, RowCode>>();

function rowCodeOf(plan: ProcessorPlan, mode: TimeMode): RowCode {
  let byMode = rowCodes.get(plan);
  if (byMode === undefined) rowCodes.set(plan, (byMode = new Map()));
  const known = byMode.get(mode);
  if (known !== undefined) return known;
  const inp = plan.config.input;
  const sepCode = inp.sep.charCodeAt(0);
  const interners = internTables(inp.fields);
  const parseBytes = inp.sep.length === 1 && sepCode < 0x80 ? compileByteRowParser(inp.fields, plan.parseSlots, sepCode, interners) : undefined;
  const { inline, consts } = plan.transform;
  const eventTime = mode === 'event' ? { slot: plan.timeSlot ?? -1, toMs: timeToMsFn(inp.timeUnit), ...windowMsOf(inp) } : undefined;
  const runRows =
    parseBytes !== undefined && mode !== 'processing' && consts !== undefined
      ? compileRowRun({
          fields: inp.fields,
          slots: plan.parseSlots,
          sepByte: sepCode,
          interners,
          eventTime,
          transform: { inline, consts },
          inlineAdd: plan.groups.inlineAdd,
        })
      : undefined;
  const code = { parse: compileRowParser(inp.fields, plan.parseSlots, inp.sep), parseBytes, runRows };
  byMode.set(mode, code);
  return code;
}

export class Processor implements ProcessorState {
  readonly mode: TimeMode;
  readonly durMs: number;
  private readonly latenessMs: number;
  private readonly parse: RowParser;
  /** set when the separator is one ASCII byte: rows can be parsed straight from bytes */
  readonly parseBytes: ByteRowParser | undefined;
  /** takeRows' generated loop, when the plan's transformation and group update can run inline */
  private readonly runRows: RowRun | undefined;
  private readonly runState = new Float64Array(Object.keys(RUN_STATE).length);
  private readonly transform: (r: Value[], o: Value[]) => void;
  private readonly add: (w: WindowGroups, o: readonly Value[]) => void;
  private readonly toMs: (v: Value) => number;
  private readonly timeSlot: number;
  private readonly r: Value[];
  private readonly o: Value[];
  /** open windows by start ms */
  readonly open = new Map<number, WindowGroups>();
  /** smallest end among open windows (event time), to make the close check O(1) per row */
  private minOpenEnd = Infinity;
  maxEventMs = -Infinity;
  watermarkMs: number;
  /** processing time: start of the earliest window not yet closed */
  private nextStart: number | undefined;
  /** windows closed and not yet drained, in time order */
  closed: ClosedWindow[] = [];
  rowsOk = 0;
  lateRows = 0;
  failed = 0;
  /** the failure of the last processRow call that returned false */
  lastFailure: RowFailure | undefined;
  keptRows: Value[][] | undefined;
  /** the window of the previous row: consecutive rows mostly share one */
  private curStart = NaN;
  private curGroups: WindowGroups | undefined;
  /** window start of the last row accepted */
  lastWindowStart = 0;
  /** Set by the sandbox: the row being processed, and what each row did. */
  rowIndex = -1;
  rowLog: RowLog | undefined;
  private readonly journal: GroupJournal | undefined;
  private readonly forget: GroupOps['forget'];
  private snapshot: Snapshot | undefined;
  /** processing time: when the last row (good or bad) was received */
  private lastRowAt = -Infinity;

  constructor(
    readonly plan: ProcessorPlan,
    options: ProcessorOptions = {},
  ) {
    const inp = plan.config.input;
    this.mode = options.mode ?? timeModeOf(plan);
    ({ durMs: this.durMs, latenessMs: this.latenessMs } = windowMsOf(inp));
    const code = rowCodeOf(plan, this.mode);
    this.parse = code.parse;
    this.parseBytes = code.parseBytes;
    this.runRows = options.journal === undefined ? code.runRows : undefined;
    this.transform = plan.transform.run;
    this.add = plan.groups.add;
    this.toMs = timeToMsFn(inp.timeUnit);
    this.timeSlot = plan.timeSlot ?? -1;
    this.r = new Array(inp.fields.length).fill(null);
    this.o = new Array(plan.transform.columns.length).fill(null);
    this.watermarkMs = options.initialWatermarkMs ?? -Infinity;
    if (options.keepRows) this.keptRows = [];
    this.journal = options.journal;
    this.forget = plan.groups.forget;
  }

  /**
   * The sandbox's time limit may cut a row short anywhere — in built-ins too —
   * so every attempt at a stretch of rows starts here, and an attempt cut short
   * is rolled back to this point as a whole (docs/sandbox.md).
   */
  beginAttempt(): void {
    const j = this.journal!;
    j.stamp++;
    j.saved.length = 0;
    j.created.length = 0;
    this.snapshot = {
      open: [...this.open],
      closed: this.closed.length,
      rowsOk: this.rowsOk,
      failed: this.failed,
      lateRows: this.lateRows,
      watermarkMs: this.watermarkMs,
      maxEventMs: this.maxEventMs,
      minOpenEnd: this.minOpenEnd,
      nextStart: this.nextStart,
      lastWindowStart: this.lastWindowStart,
      lastRowAt: this.lastRowAt,
      lastFailure: this.lastFailure,
      kept: this.keptRows?.length ?? 0,
      failures: this.rowLog?.failures.length ?? 0,
      closedAfter: this.rowLog?.closedAfter.length ?? 0,
    };
  }

  /** Back to where the current attempt began. */
  rollback(): void {
    const j = this.journal!;
    const s = this.snapshot!;
    // a push the limit cut short may have left half a pair: its change had not happened yet
    for (let i = (j.saved.length & ~1) - 2; i >= 0; i -= 2) {
      const acc = (j.saved[i] as Group).acc;
      const before = j.saved[i + 1] as Value[];
      for (let k = 0; k < before.length; k++) acc[k] = before[k]!;
    }
    for (let i = (j.created.length & ~1) - 2; i >= 0; i -= 2) this.forget(j.created[i] as WindowGroups, j.created[i + 1] as Group);
    this.open.clear();
    for (const [start, m] of s.open) this.open.set(start, m);
    this.closed.length = s.closed;
    this.rowsOk = s.rowsOk;
    this.failed = s.failed;
    this.lateRows = s.lateRows;
    this.watermarkMs = s.watermarkMs;
    this.maxEventMs = s.maxEventMs;
    this.minOpenEnd = s.minOpenEnd;
    this.nextStart = s.nextStart;
    this.lastWindowStart = s.lastWindowStart;
    this.lastRowAt = s.lastRowAt;
    this.lastFailure = s.lastFailure;
    this.curStart = NaN;
    this.curGroups = undefined;
    if (this.keptRows) this.keptRows.length = s.kept;
    if (this.rowLog) {
      this.rowLog.failures.length = s.failures;
      this.rowLog.closedAfter.length = s.closedAfter;
    }
  }

  private fail(reason: string, message: string, field?: string): false {
    this.lastFailure = { reason, message, field };
    this.rowLog?.failures.push({ row: this.rowIndex, reason, message });
    this.failed++;
    return false;
  }

  /** A row the caller rejects itself (the sandbox: user code ran out of time). */
  rejectRow(reason: string, message: string): false {
    return this.fail(reason, message);
  }

  /**
   * Event time or whole-input: processes one line. Processing time: `nowMs` is
   * the time the row was received. Returns false when the row failed (see lastFailure).
   */
  processRow(line: string, nowMs = 0): boolean {
    this.lastRowAt = nowMs;
    try {
      this.parse(line, this.r);
    } catch (e) {
      if (e instanceof RowError) return this.fail(e.reason, e.message, e.field);
      throw e;
    }
    return this.accept(nowMs);
  }

  /** processRow over bytes [start, end) of `buf` (only when parseBytes is set). */
  processBytes(buf: Uint8Array, start: number, end: number, nowMs = 0): boolean {
    this.lastRowAt = nowMs;
    try {
      this.parseBytes!(buf, start, end, this.r);
    } catch (e) {
      if (e instanceof RowError) return this.fail(e.reason, e.message, e.field);
      throw e;
    }
    return this.accept(nowMs);
  }

  /**
   * Rows [from, to) of a batch, in event-time or whole-input mode, as processBytes would take them, for as long as
   * each is the common case: a good row, in the window of the row before, closing nothing (row-runs.ts). Returns
   * the index of the first row not taken (`to` when all were), which the caller gives to processBytes: it handles
   * everything else (bad rows, a new window, a watermark that closes windows).
   */
  takeRows(buf: Uint8Array, starts: ArrayLike<number>, ends: ArrayLike<number>, from: number, to: number): number {
    const run = this.runRows;
    const groups = this.curGroups;
    if (run === undefined || groups === undefined || this.rowLog !== undefined || this.keptRows !== undefined) return from;
    const st = this.runState;
    st[RUN_STATE.start] = this.curStart;
    st[RUN_STATE.maxEventMs] = this.maxEventMs;
    st[RUN_STATE.watermarkMs] = this.watermarkMs;
    st[RUN_STATE.minOpenEnd] = this.minOpenEnd;
    try {
      run(buf, starts, ends, from, to, groups, st);
    } catch (e) {
      // a transformation that threw has folded nothing of its row: processBytes takes the row again and fails it
      if (!(e instanceof RowError)) throw e;
    } finally {
      const taken = st[RUN_STATE.stoppedAt]! - from;
      this.rowsOk += taken;
      this.maxEventMs = st[RUN_STATE.maxEventMs]!;
      this.watermarkMs = st[RUN_STATE.watermarkMs]!;
      if (taken > 0) this.lastWindowStart = this.curStart;
    }
    return st[RUN_STATE.stoppedAt]!;
  }

  private accept(nowMs: number): boolean {
    const r = this.r;
    let start: number;
    if (this.mode === 'event') {
      const t = this.toMs(r[this.timeSlot]!);
      if (t !== t || t === Infinity || t === -Infinity) return this.fail('bad event time', `event time ${String(r[this.timeSlot])} is not a finite number`);
      // a window must have a date to be stamped with (outputs print and store its bounds)
      if (t < -MAX_EVENT_MS || t > MAX_EVENT_MS - this.durMs)
        return this.fail('bad event time', `event time ${String(r[this.timeSlot])} is outside the range of dates (years −271821 to 275760)`);
      start = windowStart(t, this.durMs);
      if (start + this.durMs <= this.watermarkMs) {
        const failed = this.fail(
          'late',
          `late row: its window [${new Date(start).toISOString()}, ${new Date(start + this.durMs).toISOString()}) closed at watermark ${new Date(this.watermarkMs).toISOString()}`,
        );
        this.lateRows++;
        return failed;
      }
      if (!this.evaluate(start)) return false;
      if (t > this.maxEventMs) {
        this.maxEventMs = t;
        const wm = t - this.latenessMs;
        if (wm > this.watermarkMs) this.watermarkMs = wm;
      }
      const log = this.rowLog;
      if (log?.eventTimes !== undefined) log.eventTimes[this.rowIndex] = this.maxEventMs;
      if (this.watermarkMs >= this.minOpenEnd) this.closeUpTo(this.watermarkMs);
      return true;
    }
    if (this.mode === 'processing') {
      start = windowStart(nowMs, this.durMs);
      if (this.nextStart === undefined) this.nextStart = start;
      else if (start > this.nextStart) this.advanceTo(nowMs);
      else if (start < this.nextStart) start = this.nextStart; // never into a window already closed
      return this.evaluate(start);
    }
    return this.evaluate(0);
  }

  private evaluate(start: number): boolean {
    const o = this.o;
    try {
      this.transform(this.r, o);
    } catch (e) {
      if (e instanceof RowError) return this.fail(e.reason, e.message, e.field);
      throw e;
    }
    let m = start === this.curStart ? this.curGroups : this.open.get(start);
    const fresh = m === undefined;
    if (fresh) m = newWindowGroups();
    try {
      this.add(m!, o);
    } catch (e) {
      // user aggregates fold a row in all at once or not at all (compileGroupOps, journaled)
      if (e instanceof RowError) return this.fail(e.reason, e.message, e.field);
      throw e;
    }
    if (fresh) {
      this.open.set(start, m!);
      const end = start + this.durMs;
      if (end < this.minOpenEnd) this.minOpenEnd = end;
    }
    this.curStart = start;
    this.curGroups = m;
    this.lastWindowStart = start;
    const log = this.rowLog;
    if (log?.windowStarts !== undefined) log.windowStarts[this.rowIndex] = start;
    if (this.keptRows) this.keptRows.push(o.slice());
    this.rowsOk++;
    return true;
  }

  /**
   * Event time: rows of window `start` go on into `groups`, which another processor began (a parallel replay folds
   * the rows a range adds to a window an earlier range began, docs/performance.md#all-cores).
   */
  continueWindow(start: number, groups: WindowGroups): void {
    this.open.set(start, groups);
    const end = start + this.durMs;
    if (end < this.minOpenEnd) this.minOpenEnd = end;
  }

  /** Event time: close every open window whose end ≤ wm, in time order. */
  private closeUpTo(wm: number): void {
    const starts = [...this.open.keys()].sort((a, b) => a - b);
    let minEnd = Infinity;
    for (const s of starts) {
      const end = s + this.durMs;
      if (end <= wm) this.emit(s, end);
      else if (end < minEnd) minEnd = end;
    }
    this.minOpenEnd = minEnd;
  }

  private emit(start: number, end: number): void {
    if (start === this.curStart) this.curStart = NaN;
    const m = this.open.get(start);
    this.open.delete(start);
    this.closed.push({ startMs: start, endMs: end, groups: m ? m.list : [] });
    this.rowLog?.closedAfter.push(this.rowIndex);
  }

  /** Processing time: close every window that ended at or before `nowMs`, empty ones included. */
  advanceTo(nowMs: number): void {
    if (this.mode !== 'processing') return;
    if (this.nextStart === undefined) {
      this.nextStart = windowStart(nowMs, this.durMs);
      return;
    }
    while (this.nextStart + this.durMs <= nowMs) {
      this.emit(this.nextStart, this.nextStart + this.durMs);
      this.nextStart += this.durMs;
    }
  }

  /** Processing time: the run starts now (so an idle first window still closes). */
  startAt(nowMs: number): void {
    if (this.mode === 'processing' && this.nextStart === undefined) this.nextStart = windowStart(nowMs, this.durMs);
  }

  /**
   * End of a finite input (or a stop): close every open window in time order. `nowMs` stamps a
   * whole-input window. The whole-input window closes even when empty (an empty file, every row
   * bad), and so does the current processing-time window when rows arrived in it, all of them bad:
   * the stdout reference format prints a separator for every window (docs/bad-input.md);
   * event-time windows exist only once they received a row.
   */
  finish(runStartMs = 0, nowMs = 0): void {
    this.curStart = NaN;
    if (this.mode === 'whole') {
      const m = this.open.get(0);
      this.open.delete(0);
      this.closed.push({ startMs: runStartMs, endMs: nowMs, groups: m ? m.list : [] });
      return;
    }
    if (this.mode === 'processing') {
      // the current window closes early at end of input, with its nominal bounds
      const current = this.nextStart;
      if (current !== undefined) {
        if (!this.open.has(current) && this.lastRowAt >= current) this.closed.push({ startMs: current, endMs: current + this.durMs, groups: [] });
        for (const s of [...this.open.keys()].sort((a, b) => a - b)) this.emit(s, s + this.durMs);
      }
      return;
    }
    const starts = [...this.open.keys()].sort((a, b) => a - b);
    for (const s of starts) this.emit(s, s + this.durMs);
    this.minOpenEnd = Infinity;
  }

  drain(): ClosedWindow[] {
    const c = this.closed;
    this.closed = [];
    return c;
  }

  /** Open windows as partial aggregates (parallel replay hands these to the merger). */
  openPartials(): ClosedWindow[] {
    return [...this.open.entries()].sort((a, b) => a[0] - b[0]).map(([s, m]) => ({ startMs: s, endMs: s + this.durMs, groups: m.list }));
  }
}
