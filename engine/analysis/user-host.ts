/**
 * The engine's side of user analysis modules (docs/semantics.md#user-code, docs/sandbox.md#analyses): they run
 * in a sandbox process with a time limit per call and at start-up and a memory
 * limit. Whole windows go to the sandbox in one request (a replay's batch of
 * them ahead of their analysis), which runs every call; this side answers the
 * history lookups the sandbox cannot answer itself from the row's cached
 * accessor, one by one or many rows at once, each only once the analysis has
 * reached its window. A call that fails or runs out of time is that
 * module's failure for that record; a sandbox that dies (memory) or stops
 * answering is replaced, and the calls it had not reported run again, one at a
 * time, so that exactly the call that killed it fails.
 */
import type { ClosedWindow } from '../core/window.js';
import type { WindowRecords } from './history.js';
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
  /** the rows' history accessors the sandbox's other lookups were answered from */
  records: WindowRecords;
}

const codec = taggedJson();

export class UserAnalysisHost {
  private sandbox: SandboxProcess | undefined;
  private ready: Promise<void> | undefined;
  /** windows handed on, in the order the analysis will ask for them */
  private queue: PendingWindow[] = [];
  /** the request in flight: its windows, and the first call of each (calls are numbered across them) */
  private inFlight: { sandbox: SandboxProcess; windows: PendingWindow[]; bases: number[] } | undefined;
  private driving: Promise<void> | undefined;
  private closed = false;
  private silence: NodeJS.Timeout | undefined;
  /** history lookups the sandbox answered itself, since takeLocalLookups() */
  private localLookups = 0;
  /** lookups the engine answered one request each, and those it answered ahead, many to a request (prefetch) */
  readonly answered = { singly: 0, ahead: 0 };

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
    const flight = this.inFlight;
    if (!flight || flight.sandbox !== sandbox) return;
    if (e.event === 'analysis.progress') {
      this.progress(flight, e.next, e.outcomes, e.localLookups);
      this.heard();
      return;
    }
    const [p, call] = at(flight, e.call);
    const answer = e.event === 'history' ? () => this.answer(p, sandbox, call, e.request, e.n) : () => this.answerMany(p, sandbox, e.request, e.wants);
    if (p.active) answer();
    else {
      // the sandbox runs ahead of the analysis: it gets the point once the run has written what comes before this window
      p.held.push({ sandbox, answer });
      if (e.event === 'history') sandbox.notify({ op: 'history-held', request: e.request });
    }
    this.heard();
  }

  /** history[n] of several rows, each as its own lookup gives it (null where that lookup failed: the call asking for it fails) */
  private answerMany(p: PendingWindow, sandbox: SandboxProcess, request: number, wants: number[]): void {
    this.answered.ahead += wants.length >> 1;
    const values: (Record<string, unknown> | null | Promise<Record<string, unknown> | null>)[] = new Array(wants.length >> 1);
    let waits = false;
    for (let j = 0; j < wants.length; j += 2) {
      const record = p.records.of(wants[j]!);
      const n = wants[j + 1]!;
      // a history held in memory, or read synchronously (SQLite), answers at once: no promise per point, which with
      // 100 000 keys were millions, all kept until the whole answer went out
      let now: Record<string, unknown> | null | undefined;
      try {
        now = record.getNow(n) as Record<string, unknown> | undefined;
      } catch {
        now = null;
      }
      if (now !== undefined) values[j >> 1] = now;
      else {
        waits = true;
        values[j >> 1] = record.get(n).then(
          (value) => value as Record<string, unknown>,
          () => null,
        );
      }
    }
    if (!waits) sandbox.notify({ op: 'history-many-result', request, values: values as (Record<string, unknown> | null)[] });
    else void Promise.all(values).then((settled) => sandbox.notify({ op: 'history-many-result', request, values: settled }));
  }

  /** Calls before `next` (numbered across the request's windows) are done; these are the outcomes of some. */
  private progress(flight: NonNullable<UserAnalysisHost['inFlight']>, next: number, outcomes: AnalysisOutcome[], localLookups: number): void {
    for (const o of outcomes) {
      const [p, call] = at(flight, o.call);
      p.outcomes[call] = { messages: o.alerts, error: o.error ? new SandboxError(o.error.kind, o.error.message) : undefined };
    }
    this.localLookups += localLookups;
    for (let j = 0; j < flight.windows.length; j++) flight.windows[j]!.progress(Math.min(next - flight.bases[j]!, flight.windows[j]!.total));
  }

  private answer(p: PendingWindow, sandbox: SandboxProcess, call: number, request: number, n: number): void {
    this.answered.singly++;
    p.records
      .of(Math.floor(call / this.modules.length))
      .get(n)
      .then(
        (value) => sandbox.notify({ op: 'history-result', request, value }),
        (err) => {
          // the call goes on with an empty point, and fails once it is done (as when its history failed in process)
          if (!p.historyFailures.has(call)) p.historyFailures.set(call, err as Error);
          sandbox.notify({ op: 'history-result', request, value: {} });
        },
      );
  }

  /** A sandbox reports after every slice, a slice ending by its call's limit: silence past that ends it, unless we hold it waiting. */
  private heard(): void {
    clearTimeout(this.silence);
    const flight = this.inFlight;
    if (!flight || flight.windows.some((p) => p.held.length > 0)) return;
    const l = this.limits;
    const silentMs = Math.max(l.startupTimeoutMs, l.timeoutMs) + (l.sliceMs ?? 100) + l.timeoutMs + GRACE_MS;
    this.silence = setTimeout(() => flight.sandbox.kill(new SandboxError('timeout', `did not answer within ${silentMs} ms`)), silentMs);
  }

  /** Loads every module once (start-up check); throws ImportError-worthy messages. */
  async open(): Promise<void> {
    if (this.modules.length > 0) await this.start();
  }

  /**
   * Hands windows to the sandbox ahead of their analysis, in the order analyze() will ask for them
   * (docs/sandbox.md#analyses): it runs their calls while the run writes and analyses the windows before, and the
   * history lookups it cannot answer itself wait until the analysis reaches their window, so they see the store as
   * they would without running ahead.
   */
  ahead(windows: readonly { w: ClosedWindow; records: WindowRecords }[]): void {
    const nValues = this.rows.valueNames.length;
    for (const { w, records } of windows) {
      const rows: AnalysisWindow['rows'] = w.groups.map((g) => [g.acc.length === nValues ? g.acc : g.acc.slice(0, nValues), g.key]);
      const text = codec.encodeData({ startMs: w.startMs, endMs: w.endMs, rows } satisfies AnalysisWindow);
      this.queue.push(new PendingWindow(w, records, text, w.groups.length * this.modules.length));
    }
    this.drive();
  }

  /**
   * The outcomes of every module on every row of a window handed on before: calls numbered row × modules + module.
   * Undefined when the window was not handed on.
   */
  async outcomesOf(w: ClosedWindow): Promise<WindowOutcomes | undefined> {
    const i = this.queue.findIndex((p) => p.w === w);
    if (i < 0) return undefined;
    // windows before it that the analysis skipped wait no longer (what they gave is dropped)
    for (let j = 0; j <= i; j++) this.activate(this.queue[j]!);
    const p = this.queue[i]!;
    await p.done;
    this.queue.splice(0, i + 1);
    for (const [c, err] of p.historyFailures) p.outcomes[c] = { messages: [], error: err };
    return { outcomes: p.outcomes, records: p.records };
  }

  /** the history lookups the sandbox answered itself since the last call */
  takeLocalLookups(): number {
    const n = this.localLookups;
    this.localLookups = 0;
    return n;
  }

  private activate(p: PendingWindow): void {
    if (p.active) return;
    p.active = true;
    const held = p.held;
    p.held = [];
    for (const h of held) if (h.sandbox === this.inFlight?.sandbox) h.answer();
    this.heard();
  }

  private drive(): void {
    if (this.driving || this.closed) return;
    this.driving = this.run().finally(() => {
      this.driving = undefined;
      if (this.queue.some((p) => !p.finished)) this.drive();
    });
  }

  /** Sends the windows not done to the sandbox until all are; a sandbox that dies is replaced (see the module comment). */
  private async run(): Promise<void> {
    /** after a sandbox died in this window: its calls not reported run one at a time, so that the next death names its call */
    let oneCallIn: PendingWindow | undefined;
    for (;;) {
      const todo = this.queue.filter((p) => !p.finished);
      if (todo.length === 0 || this.closed) return;
      try {
        if (!this.ready) this.start();
        await this.ready;
      } catch (e) {
        // no sandbox to run them: their remaining calls fail with why (the next windows try again)
        for (const p of todo) p.failRest(e as Error);
        return;
      }
      const sandbox = this.sandbox!;
      const windows = oneCallIn === todo[0] ? [todo[0]!] : todo;
      const oneCall = windows.length === 1 && oneCallIn === todo[0];
      const bases = [0];
      for (const p of windows) bases.push(bases.at(-1)! + p.total);
      const flight = { sandbox, windows, bases };
      this.inFlight = flight;
      this.heard();
      try {
        const text = `[${windows.map((p) => p.text).join(',')}]`;
        const r = await sandbox.request<AnalysisWindowResult>({ op: 'analysis.windows', windows: text, from: windows[0]!.next, oneCall });
        this.progress(flight, r.next, r.outcomes, r.localLookups);
        if (oneCall) oneCallIn = undefined;
      } catch (e) {
        if (this.closed) return;
        if (e instanceof SandboxError && (e.kind === 'memory' || e.kind === 'crash' || e.kind === 'timeout' || !sandbox.alive)) this.discard(sandbox);
        const p = windows.find((q) => !q.finished);
        if (!p) continue;
        // what it did after its last report is lost: those calls run again
        for (const c of p.historyFailures.keys()) if (c >= p.next) p.historyFailures.delete(c);
        for (const q of windows) q.held = [];
        if (oneCallIn === p) {
          const message =
            e instanceof SandboxError && e.kind === 'timeout' ? `timed out after ${this.limits.timeoutMs} ms; the sandbox was restarted` : (e as Error).message;
          p.fail(p.next, e instanceof SandboxError ? new SandboxError(e.kind, message) : (e as Error));
        } else oneCallIn = p;
      } finally {
        clearTimeout(this.silence);
        this.inFlight = undefined;
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.silence);
    const s = this.sandbox;
    this.sandbox = undefined;
    this.ready = undefined;
    await s?.close();
    await this.driving;
  }
}

/** The window of a call numbered across a request's windows, and the call's number in it. */
function at(flight: { windows: PendingWindow[]; bases: number[] }, call: number): [PendingWindow, number] {
  let j = 0;
  while (j < flight.windows.length - 1 && call >= flight.bases[j + 1]!) j++;
  return [flight.windows[j]!, call - flight.bases[j]!];
}

/** A window handed to the sandbox: the outcomes of its calls so far, and the history requests it holds until it is analysed. */
class PendingWindow {
  readonly outcomes: (CallOutcome | undefined)[];
  /** calls before this are reported */
  next = 0;
  /** calls whose history lookup failed: they fail with it */
  readonly historyFailures = new Map<number, Error>();
  /** the analysis has reached it: its history requests are answered at once */
  active = false;
  /** its history requests from before that */
  held: { sandbox: SandboxProcess; answer: () => void }[] = [];
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly w: ClosedWindow,
    readonly records: WindowRecords,
    readonly text: string,
    readonly total: number,
  ) {
    this.outcomes = new Array<CallOutcome | undefined>(total);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (total === 0) this.resolveDone();
  }

  get finished(): boolean {
    return this.next >= this.total;
  }

  progress(next: number): void {
    if (next <= this.next) return;
    this.next = next;
    if (this.finished) this.resolveDone();
  }

  fail(call: number, error: Error): void {
    this.outcomes[call] = { messages: [], error };
    this.progress(call + 1);
  }

  failRest(error: Error): void {
    for (let c = this.next; c < this.total; c++) this.outcomes[c] = { messages: [], error };
    this.progress(this.total);
  }
}
