/**
 * The engine's side of user analysis modules (docs/semantics.md#user-code, docs/sandbox.md): they run
 * in a sandbox process with a time limit per call and at start-up and a memory
 * limit. This side forwards calls, answers history requests from the record's
 * cached accessor and passes alerts on. A call that fails or runs out of time
 * is that module's failure for that record; a sandbox that dies (memory) or
 * stops answering is replaced for the next call.
 */
import type { AlertMessage } from '../extensions/types.js';
import type { Value } from '../core/types.js';
import type { RecordHistory } from './history.js';
import { SandboxError, SandboxProcess } from '../sandbox/client.js';
import type { AnalysisModuleSpec, ModuleBundle, SandboxEvent, SandboxLimits } from '../sandbox/protocol.js';
import path from 'node:path';

/** How long past its own limit a sandbox may take to report a call that ran out of time before it is killed. */
const GRACE_MS = 2000;

export class UserAnalysisHost {
  private sandbox: SandboxProcess | undefined;
  private ready: Promise<void> | undefined;
  private current: { record: RecordHistory; onAlert: (m: AlertMessage) => Promise<void>; alerts: Promise<void>[]; failure?: Error } | undefined;

  constructor(
    private readonly bundles: ModuleBundle[],
    private readonly files: Record<string, string>,
    private readonly modules: AnalysisModuleSpec[],
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
      await sandbox.request({ op: 'analysis.open', modules: this.modules }, startup);
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
    if (e.event === 'alert') {
      call.alerts.push(call.onAlert(e.message as AlertMessage));
      return;
    }
    call.record.get(e.n).then(
      (value) => sandbox.notify({ op: 'history-result', request: e.request, value }),
      (err) => {
        call.failure ??= err as Error;
        sandbox.notify({ op: 'history-result', request: e.request, value: {} });
      },
    );
  }

  /** Loads every module once (start-up check); throws ImportError-worthy messages. */
  async open(): Promise<void> {
    if (this.modules.length > 0) await this.start();
  }

  async call(ruleIndex: number, record: RecordHistory, onAlert: (m: AlertMessage) => Promise<void>): Promise<void> {
    if (!this.ready) this.start();
    await this.ready;
    const sandbox = this.sandbox!;
    const current = record.current();
    const { key, ...values } = current;
    const call = { record, onAlert, alerts: [] as Promise<void>[], failure: undefined as Error | undefined };
    this.current = call;
    try {
      await sandbox.request(
        { op: 'analysis.call', ruleIndex, values: values as Record<string, Value>, key },
        {
          deadlineMs: this.limits.timeoutMs + GRACE_MS,
          deadlineMessage: `timed out after ${this.limits.timeoutMs} ms; the sandbox was restarted`,
        },
      );
      await Promise.all(call.alerts);
      if (call.failure) throw call.failure;
    } catch (e) {
      if (e instanceof SandboxError && (e.kind === 'memory' || e.kind === 'crash' || !sandbox.alive)) this.discard(sandbox);
      throw e;
    } finally {
      this.current = undefined;
    }
  }

  async close(): Promise<void> {
    const s = this.sandbox;
    this.sandbox = undefined;
    this.ready = undefined;
    await s?.close();
  }
}
