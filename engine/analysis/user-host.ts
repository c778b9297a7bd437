/**
 * Main-thread side of the user-analysis worker: forwards calls, answers history
 * requests from the record's cached accessor, enforces the per-call time limit
 * (a module that hangs is terminated and the worker restarted).
 */
import { Worker } from 'node:worker_threads';
import type { AlertMessage } from '../extensions/types.js';
import { workerScript } from '../paths.js';
import type { RecordHistory } from './history.js';
import type { FromWorker, ToWorker, WorkerModuleSpec } from './worker.js';

export class UserAnalysisHost {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 0;
  private readonly calls = new Map<
    number,
    { record: RecordHistory; onAlert: (m: AlertMessage) => Promise<void>; resolve: () => void; reject: (e: Error) => void; alerts: Promise<void>[] }
  >();

  constructor(
    private readonly modules: WorkerModuleSpec[],
    private readonly timeoutMs: number,
  ) {}

  private start(): Promise<void> {
    const worker = new Worker(workerScript('analysis-worker'));
    this.worker = worker;
    worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'init-error') reject(new Error(`Missing required analysis module: ${m.message}`));
        else this.onMessage(m);
      };
      worker.on('message', onMessage);
      worker.on('error', (e) => {
        reject(e);
        this.failAll(e);
      });
      worker.on('exit', () => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
        }
        this.failAll(new Error('analysis worker exited'));
      });
    });
    worker.postMessage({ type: 'init', modules: this.modules } satisfies ToWorker);
    return this.ready;
  }

  private failAll(e: Error): void {
    for (const c of this.calls.values()) c.reject(e);
    this.calls.clear();
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready' || m.type === 'init-error') return;
    const call = this.calls.get(m.id);
    if (!call) return;
    switch (m.type) {
      case 'history':
        call.record.get(m.n).then(
          (value) => this.worker?.postMessage({ type: 'history-result', req: m.req, value } satisfies ToWorker),
          (e) => call.reject(e as Error),
        );
        break;
      case 'alert':
        call.alerts.push(call.onAlert(m.message));
        break;
      case 'done':
        this.calls.delete(m.id);
        Promise.all(call.alerts).then(() => call.resolve(), call.reject);
        break;
      case 'error':
        this.calls.delete(m.id);
        call.reject(new Error(m.message));
        break;
    }
  }

  /** Loads every module once (start-up check); throws ImportError-worthy messages. */
  async open(): Promise<void> {
    if (this.modules.length > 0) await this.start();
  }

  async call(ruleIndex: number, record: RecordHistory, onAlert: (m: AlertMessage) => Promise<void>): Promise<void> {
    if (!this.ready) this.start();
    await this.ready;
    const id = this.nextId++;
    const current = record.current();
    const { key, ...values } = current;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve, reject) => {
      this.calls.set(id, { record, onAlert, resolve, reject, alerts: [] });
      timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`timed out after ${this.timeoutMs} ms; the analysis worker was restarted`));
        const w = this.worker;
        this.worker = undefined;
        this.ready = undefined;
        void w?.terminate();
      }, this.timeoutMs);
    });
    this.worker!.postMessage({ type: 'call', id, ruleIndex, current: values, key } satisfies ToWorker);
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    await w?.terminate();
  }
}
