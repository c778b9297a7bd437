/**
 * The engine's side of user analysis modules (docs/semantics.md#user-code, docs/sandbox.md#analyses): they run
 * in a sandbox process with a time limit per call and at start-up and a memory
 * limit. A window's rows go to the sandbox in one request, which runs every
 * call; this side answers the history lookups the sandbox cannot answer itself
 * from the row's cached accessor. A call that fails or runs out of time is that
 * module's failure for that record; a sandbox that dies (memory) or stops
 * answering is replaced, and the calls it had not reported run again, one at a
 * time, so that exactly the call that killed it fails.
 */
import type { Group } from '../core/window.js';
import type { RecordHistory } from './history.js';
import { SandboxError, SandboxProcess } from '../sandbox/client.js';
import type {
  AlertEventMessage,
  AnalysisModuleSpec,
  AnalysisOutcome,
  AnalysisRowShape,
  AnalysisWindowResult,
  ModuleBundle,
  SandboxEvent,
  SandboxLimits,
} from '../sandbox/protocol.js';
import type { AnalysisWindow } from '../sandbox/realm-bootstrap.js';
import { taggedJson } from '../sandbox/tagged-json.js';
import path from 'node:path';

/** How long past its own limits a sandbox may take to report progress before it is killed. */
const GRACE_MS = 2000;

/** What one call gave: its alerts and evaluations, or why it failed (then it gave nothing). */
export interface CallOutcome {
  messages: AlertEventMessage[];
  error?: Error;
}

/** A window's calls, row × modules + module; undefined: done, and it reported nothing. */
export interface WindowOutcomes {
  outcomes: (CallOutcome | undefined)[];
  /** history lookups the sandbox answered itself */
  localLookups: number;
}

const codec = taggedJson();

export class UserAnalysisHost {
  private sandbox: SandboxProcess | undefined;
  private ready: Promise<void> | undefined;
  /** the window being analysed: where the sandbox's events go */
  private current: WindowCall | undefined;

  constructor(
    private readonly bundles: ModuleBundle[],
    private readonly files: Record<string, string>,
    private readonly modules: AnalysisModuleSpec[],
    private readonly rows: AnalysisRowShape,
    private readonly limits: SandboxLimits,
    /** a sandbox that has loaded `bundles` already (the check's), for the first start */
    private adopted?: SandboxProcess,
  ) {}

  private label(): string {
    const used = [...new Set(this.modules.map((m) => m.module))];
    return used.map((i) => path.basename(this.bundles[i]!.file)).join(', ');
  }

  /** Starts a sandbox and loads every module (its start-up limit applies to each module and constructor). */
  private start(): Promise<void> {
    const adopted = this.adopted;
    this.adopted = undefined;
    const sandbox = adopted ?? new SandboxProcess(this.limits, this.label());
    sandbox.label = this.label();
    this.sandbox = sandbox;
    sandbox.onEvent = (e) => this.onEvent(sandbox, e);
    const startup = { deadlineMs: 3 * this.limits.startupTimeoutMs * (this.bundles.length + this.modules.length) + 5000 };
    this.ready = (async () => {
      if (!adopted) {
        const loaded = await sandbox.request<{ modules: ({ shape: unknown } | { error: string })[] }>(
          { op: 'load', bundles: this.bundles, files: this.files },
          startup,
        );
        const failed = loaded.modules.findIndex((m) => 'error' in m);
        if (failed >= 0) throw new Error(`${this.bundles[failed]!.file}: ${(loaded.modules[failed] as { error: string }).error}`);
      }
      await sandbox.request({ op: 'analysis.open', modules: this.modules, rows: this.rows }, startup);
    })().catch((e) => {
      this.discard(sandbox);
      throw new Error(`Missing required analysis module: ${(e as Error).message}`);
    });
    return this.ready;
  }

  private discard(sandbox: SandboxProcess): void {
    if (this.sandbox === sandbox) {
      this.sandbox = undefined;
      this.ready = undefined;
    }
    void sandbox.close();
  }

  private onEvent(sandbox: SandboxProcess, e: SandboxEvent): void {
    const call = this.current;
    if (!call || sandbox !== this.sandbox) return;
    call.heard();
    if (e.event === 'analysis.progress') {
      call.progress(e.next, e.outcomes);
      return;
    }
    const n = this.modules.length;
    call.records[Math.floor(e.call / n)]!.get(e.n).then(
      (value) => sandbox.notify({ op: 'history-result', request: e.request, value }),
      (err) => {
        // the call goes on with an empty point, and fails once it is done (as when its history failed in process)
        if (!call.historyFailures.has(e.call)) call.historyFailures.set(e.call, err as Error);
        sandbox.notify({ op: 'history-result', request: e.request, value: {} });
      },
    );
  }

  /** Loads every module once (start-up check); throws ImportError-worthy messages. */
  async open(): Promise<void> {
    if (this.modules.length > 0) await this.start();
  }

  /**
   * Runs every module on every row of a window: calls numbered row × modules + module, in that order, as the rows
   * come (docs/sandbox.md#analyses).
   */
  async analyzeWindow(startMs: number, endMs: number, groups: readonly Group[], records: readonly RecordHistory[]): Promise<WindowOutcomes> {
    const nValues = this.rows.valueNames.length;
    const rows: AnalysisWindow['rows'] = groups.map((g) => [g.acc.length === nValues ? g.acc : g.acc.slice(0, nValues), g.key]);
    const text = codec.encode({ startMs, endMs, rows } satisfies AnalysisWindow);
    const total = groups.length * this.modules.length;
    const call = new WindowCall(records, total);
    let localLookups = 0;
    /** after a sandbox died: its calls not reported run one at a time, so that the next death names its call */
    let oneCall = false;
    let sentTo: SandboxProcess | undefined;
    while (call.next < total) {
      try {
        if (!this.ready) this.start();
        await this.ready;
      } catch (e) {
        // no sandbox to run them: the window's remaining calls fail with why (the next window tries again)
        for (let c = call.next; c < total; c++) call.outcomes[c] = { messages: [], error: e as Error };
        break;
      }
      const sandbox = this.sandbox!;
      const from = call.next;
      this.current = call;
      call.watch(sandbox, this.limits);
      try {
        const r = await sandbox.request<AnalysisWindowResult>({ op: 'analysis.window', window: sentTo === sandbox ? null : text, from, oneCall });
        sentTo = sandbox;
        call.progress(r.next, r.outcomes);
        localLookups += r.localLookups;
      } catch (e) {
        sentTo = undefined;
        if (e instanceof SandboxError && (e.kind === 'memory' || e.kind === 'crash' || e.kind === 'timeout' || !sandbox.alive)) this.discard(sandbox);
        // what it did after its last report is lost: those calls run again
        for (const c of call.historyFailures.keys()) if (c >= call.next) call.historyFailures.delete(c);
        if (oneCall) {
          const message =
            e instanceof SandboxError && e.kind === 'timeout' ? `timed out after ${this.limits.timeoutMs} ms; the sandbox was restarted` : (e as Error).message;
          call.outcomes[call.next] = { messages: [], error: e instanceof SandboxError ? new SandboxError(e.kind, message) : (e as Error) };
          call.next++;
        } else oneCall = true;
      } finally {
        call.unwatch();
        this.current = undefined;
      }
    }
    for (const [c, err] of call.historyFailures) call.outcomes[c] = { messages: [], error: err };
    return { outcomes: call.outcomes, localLookups };
  }

  async close(): Promise<void> {
    const s = this.sandbox;
    this.sandbox = undefined;
    this.ready = undefined;
    await s?.close();
  }
}

/** One window's request to the sandbox: its outcomes so far, and a watchdog that kills a sandbox gone silent. */
class WindowCall {
  readonly outcomes: (CallOutcome | undefined)[];
  /** calls before this are reported */
  next = 0;
  /** calls whose history lookup failed: they fail with it */
  readonly historyFailures = new Map<number, Error>();
  private timer: NodeJS.Timeout | undefined;
  private rearm: (() => void) | undefined;

  constructor(
    readonly records: readonly RecordHistory[],
    total: number,
  ) {
    this.outcomes = new Array<CallOutcome | undefined>(total);
  }

  /** A sandbox reports after every slice of calls (or call), each slice ending by the call's own limit: silence past that ends it. */
  watch(sandbox: SandboxProcess, limits: SandboxLimits): void {
    const silentMs = Math.max(limits.startupTimeoutMs, limits.timeoutMs) + (limits.sliceMs ?? 100) + limits.timeoutMs + GRACE_MS;
    this.rearm = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => sandbox.kill(new SandboxError('timeout', `did not answer within ${silentMs} ms`)), silentMs);
    };
    this.rearm();
  }

  progress(next: number, outcomes: AnalysisOutcome[]): void {
    for (const o of outcomes) this.outcomes[o.call] = { messages: o.alerts, error: o.error ? new SandboxError(o.error.kind, o.error.message) : undefined };
    this.next = next;
  }

  heard(): void {
    this.rearm?.();
  }

  unwatch(): void {
    clearTimeout(this.timer);
    this.rearm = undefined;
  }
}
