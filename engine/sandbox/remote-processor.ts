/**
 * A Processor that runs in a sandbox process (docs/sandbox.md), for plans whose
 * transformations or aggregations call user functions. The runner sends rows in
 * segments and learns, per row, what the sandbox did: failures, window starts,
 * event times, and which windows each row closed — so outputs, dead letters,
 * offsets, pacing and stepping work exactly as with a local Processor.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { PipelinePlan } from '../pipeline/plan.js';
import type { SandboxPlan } from './plan.js';
import { timeModeOf, type ProcessorOptions, type ProcessorState, type TimeMode } from '../pipeline/processor.js';
import type { ClosedWindow } from '../core/window.js';
import { FlatWindow } from '../core/flat-window.js';
import { stringBatch, type LineBatch } from '../components/types.js';
import type { Value } from '../core/types.js';
import { SandboxProcess } from './client.js';
import type { ProcessorCounters, SegmentResult, SegmentRows, SegmentWant, WindowsResult } from './protocol.js';

/** What one segment did, row by row (indexes from the segment's first row). */
export interface SegmentView {
  processed: number;
  /** failures in row order */
  failures: SegmentResult['failures'];
  windowStarts?: Float64Array;
  eventTimes?: Float64Array;
  kept?: Value[][];
  interruptions: number;
  /** windows closed by the segment's rows (begin() hands them on row by row) */
  closedAfter: { after: number; window: ClosedWindow }[];
  counters: ProcessorCounters;
}

export class RemoteProcessor implements ProcessorState {
  readonly mode: TimeMode;
  readonly durMs: number;
  watermarkMs: number;
  maxEventMs = -Infinity;
  rowsOk = 0;
  failed = 0;
  lateRows = 0;
  lastWindowStart = 0;
  closed: ClosedWindow[] = [];
  /** windows the sandbox closed for rows the runner has not reached yet */
  private held: { after: number; window: ClosedWindow }[] = [];
  private readonly sandbox: SandboxProcess;
  private readonly code: SandboxPlan;
  private readonly bytes: boolean;
  /** a sandbox shared with other processors (previews): modules already loaded, never closed here */
  private readonly shared: boolean;
  private readonly adopted: boolean;

  constructor(
    plan: PipelinePlan,
    private readonly options: ProcessorOptions = {},
    shared?: SandboxProcess,
  ) {
    const code = plan.userCode;
    if (!code?.rows) throw new Error('this plan calls no user functions');
    this.code = code;
    const inp = plan.config.input;
    this.mode = options.mode ?? timeModeOf(plan);
    this.durMs = Math.round(inp.batchDurationSec * 1000);
    this.watermarkMs = options.initialWatermarkMs ?? -Infinity;
    this.bytes = inp.sep.length === 1 && inp.sep.charCodeAt(0) < 0x80;
    this.shared = shared !== undefined;
    // the check's sandbox, when it kept one, has the modules loaded already
    this.adopted = !shared && code.sandbox !== undefined;
    const src = plan.config.input.source;
    const input = src.type === 'csv' && src.path !== '-' ? [src.path] : [];
    this.sandbox = shared ?? code.sandbox ?? new SandboxProcess(code.limits, sandboxLabel(code), input);
    if (this.adopted) {
      code.sandbox = undefined;
      this.sandbox.label = sandboxLabel(code);
    }
  }

  /** Starts the sandbox: loads the modules, builds the Processor. `initialWatermarkMs` overrides the option (a resumed Kafka run). */
  async open(initialWatermarkMs?: number): Promise<void> {
    const code = this.code;
    const deadlineMs = startupDeadline(code);
    if (!this.shared && !this.adopted) await loadModules(this.sandbox, code);
    if (initialWatermarkMs !== undefined) this.watermarkMs = initialWatermarkMs;
    const options = { ...this.options, initialWatermarkMs: Number.isFinite(this.watermarkMs) ? this.watermarkMs : undefined };
    await this.sandbox.request({ op: 'processor.open', spec: { ...code.rows!, options } }, { deadlineMs });
  }

  /** Whether whole batches of this file can go as byte ranges the sandbox reads itself (and the batch need not outlive the call). */
  readsFile(batch: LineBatch): boolean {
    return this.bytes && batch.fileRange !== undefined && this.sandbox.reads(batch.fileRange.path);
  }

  private rowsOf(batch: LineBatch, from: number, to: number): SegmentRows {
    if (from === 0 && to === batch.count && this.readsFile(batch)) return { file: { ...batch.fileRange! }, count: batch.count };
    const { buf, starts, ends } = batch;
    if (this.bytes && buf && starts && ends) {
      const base = starts[from]!;
      const n = to - from;
      const s = new Int32Array(n);
      const e = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        s[i] = starts[from + i]! - base;
        e[i] = ends[from + i]! - base;
      }
      return { buf: buf.slice(base, ends[to - 1]!), starts: s, ends: e };
    }
    const lines: string[] = new Array(to - from);
    for (let i = from; i < to; i++) lines[i - from] = batch.lines ? batch.lines[i]! : batch.text(i);
    return { lines };
  }

  private view(r: SegmentResult): SegmentView {
    const { nKeys, nValues } = this.code.rows!;
    return { ...r, closedAfter: r.closed.map((w) => ({ after: w.after, window: new FlatWindow(w.window, nKeys, nValues) })) };
  }

  private count(c: ProcessorCounters): void {
    this.rowsOk = c.rowsOk;
    this.failed = c.failed;
    this.lateRows = c.lateRows;
    this.watermarkMs = c.watermarkMs;
    this.maxEventMs = c.maxEventMs;
    this.lastWindowStart = c.lastWindowStart;
  }

  /**
   * Sends rows [from, to) of a batch (`now`: their processing time). Several
   * segments may be on their way; hand each to begin() in the order sent.
   */
  segment(batch: LineBatch, from: number, to: number, now: number, want: SegmentWant = {}): Promise<SegmentView> {
    return this.sandbox.request<SegmentResult>({ op: 'segment', rows: this.rowsOf(batch, from, to), now, want }).then((r) => this.view(r));
  }

  /** The runner starts on a segment's rows: its counters hold, its windows wait in `held` for release(). */
  begin(v: SegmentView): void {
    this.release(Infinity);
    this.count(v.counters);
    this.held = v.closedAfter.slice();
  }

  /** All of `lines`, e.g. previews. */
  async lines(lines: string[]): Promise<SegmentView> {
    const v = await this.segment(
      stringBatch(lines, (i) => ({ source: 'lines', line: i + 1 })),
      0,
      lines.length,
      0,
    );
    this.begin(v);
    this.release(Infinity);
    return v;
  }

  /** The run stops: the sandbox ends the segment it is on at its next slice, and those queued after it at once. */
  stop(): void {
    this.sandbox.notify({ op: 'stop' });
  }

  /** The windows closed by rows up to `row` of the last segment become `closed` (the runner has reached that row). */
  release(row: number): void {
    while (this.held.length > 0 && this.held[0]!.after <= row) this.closed.push(this.held.shift()!.window);
  }

  private async windows(req: { op: 'startAt' | 'advanceTo'; now: number } | { op: 'finish'; runStartMs: number; nowMs: number }): Promise<void> {
    this.release(Infinity);
    const r = await this.sandbox.request<WindowsResult>(req);
    this.count(r.counters);
    const { nKeys, nValues } = this.code.rows!;
    for (const w of r.closed) this.closed.push(new FlatWindow(w.window, nKeys, nValues));
  }

  startAt(now: number): Promise<void> {
    return this.mode === 'processing' ? this.windows({ op: 'startAt', now }) : Promise.resolve();
  }

  advanceTo(now: number): Promise<void> {
    return this.mode === 'processing' ? this.windows({ op: 'advanceTo', now }) : Promise.resolve();
  }

  finish(runStartMs: number, nowMs: number): Promise<void> {
    return this.windows({ op: 'finish', runStartMs, nowMs });
  }

  drain(): ClosedWindow[] {
    const c = this.closed;
    this.closed = [];
    return c;
  }

  close(): Promise<void> {
    return this.shared ? Promise.resolve() : this.sandbox.close();
  }
}

/** The modules whose functions the rows call, for messages. */
function sandboxLabel(code: SandboxPlan): string {
  const rows = code.rows;
  const used = rows ? new Set([...rows.transformImpls, ...rows.aggregateImpls].map((r) => r.module)) : code.bundles.keys();
  return [...used].map((i) => path.basename(code.bundles[i]!.file)).join(', ');
}

function startupDeadline(code: SandboxPlan): number {
  return 3 * code.limits.startupTimeoutMs * (code.bundles.length + 1) + 5000;
}

async function loadModules(sandbox: SandboxProcess, code: SandboxPlan): Promise<void> {
  const loaded = await sandbox.request<{ modules: ({ shape: unknown } | { error: string })[] }>(
    { op: 'load', bundles: code.bundles, files: code.files },
    { deadlineMs: startupDeadline(code) },
  );
  const failed = loaded.modules.findIndex((m) => 'error' in m);
  if (failed >= 0) throw new Error(`cannot load extension module ${code.bundles[failed]!.file}: ${(loaded.modules[failed] as { error: string }).error}`);
}

/** How long an idle preview sandbox waits for the next preview of the same modules. */
const PREVIEW_IDLE_MS = 60_000;

interface Pooled {
  sandbox: SandboxProcess;
  loaded: Promise<void>;
  /** previews take turns: the sandbox holds one Processor at a time */
  turn: Promise<unknown>;
  idle?: NodeJS.Timeout;
}
const previewPool = new Map<string, Pooled>();

/**
 * Runs `lines` through the plan's Processor in a sandbox kept for the next
 * preview of the same modules (the workbench previews on every edit).
 */
export async function previewInSandbox(plan: PipelinePlan, lines: string[], mode: TimeMode): Promise<{ view: SegmentView; windows: ClosedWindow[] }> {
  const code = plan.userCode!;
  const key = createHash('sha256')
    .update(JSON.stringify(code.limits))
    .update(JSON.stringify(code.files))
    .update(code.bundles.map((b) => b.code).join('\0'))
    .digest('hex');
  let pooled = previewPool.get(key);
  if (!pooled?.sandbox.alive) {
    for (const [k, old] of previewPool) {
      clearTimeout(old.idle);
      void old.sandbox.close();
      previewPool.delete(k);
    }
    const sandbox = new SandboxProcess(code.limits, sandboxLabel(code));
    pooled = { sandbox, loaded: loadModules(sandbox, code), turn: Promise.resolve() };
    previewPool.set(key, pooled);
  }
  const p = pooled;
  clearTimeout(p.idle);
  const run = p.turn.then(async () => {
    await p.loaded;
    const rp = new RemoteProcessor(plan, { keepRows: true, mode }, p.sandbox);
    await rp.open();
    const view = await rp.lines(lines);
    await rp.finish(0, 0);
    return { view, windows: rp.drain() };
  });
  p.turn = run.catch(() => undefined);
  try {
    return await run;
  } catch (e) {
    if (!p.sandbox.alive) previewPool.delete(key);
    throw e;
  } finally {
    p.idle = setTimeout(() => {
      previewPool.delete(key);
      void p.sandbox.close();
    }, PREVIEW_IDLE_MS);
    p.idle.unref();
  }
}
