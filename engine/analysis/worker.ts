/**
 * Worker thread hosting user analysis modules (docs/semantics.md#user-code): user code never runs on
 * the pipeline's thread, so a module that hangs is cut off by a time limit.
 */
import { parentPort } from 'node:worker_threads';
import type { Value } from '../core/types.js';
import type { AlertMessage, HistoryAccessor, HistoryPoint, UserAnalysis } from '../extensions/types.js';
import { importUserModule } from '../extensions/load.js';
import { pickAnalysisClass } from './modules.js';

export interface WorkerModuleSpec {
  index: number;
  file: string;
  exportName?: string;
  name: string;
  options: unknown;
}

export type ToWorker =
  | { type: 'init'; modules: WorkerModuleSpec[] }
  | { type: 'call'; id: number; ruleIndex: number; current: HistoryPoint; key: Value[] | null }
  | { type: 'history-result'; req: number; value: HistoryPoint };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'history'; id: number; req: number; n: number }
  | { type: 'alert'; id: number; message: AlertMessage }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const instances = new Map<number, UserAnalysis>();
const pending = new Map<number, (v: HistoryPoint) => void>();
let nextReq = 0;

const post = (m: FromWorker) => port.postMessage(m);

port.on('message', async (m: ToWorker) => {
  if (m.type === 'init') {
    try {
      for (const spec of m.modules) {
        const mod = await importUserModule(spec.file);
        const Cls = pickAnalysisClass(mod, spec.file, spec.exportName);
        if (!Cls) throw new Error(`${spec.file} exports no analysis class`);
        instances.set(spec.index, new Cls(spec.options, spec.name) as UserAnalysis);
      }
      post({ type: 'ready' });
    } catch (e) {
      post({ type: 'init-error', message: (e as Error).stack ?? String(e) });
    }
    return;
  }
  if (m.type === 'history-result') {
    pending.get(m.req)?.(m.value);
    pending.delete(m.req);
    return;
  }
  const { id, current, key } = m;
  const cache = new Map<number, Promise<HistoryPoint>>();
  const history: HistoryAccessor = {
    current: () => ({ ...current, key }),
    get(n: number) {
      if (n === 0) return Promise.resolve({ ...current, key });
      let p = cache.get(n);
      if (!p) {
        const req = nextReq++;
        p = new Promise((resolve) => pending.set(req, resolve));
        cache.set(n, p);
        post({ type: 'history', id, req, n });
      }
      return p;
    },
  };
  const alerts = {
    send: async (message: AlertMessage) => post({ type: 'alert', id, message }),
    // an evaluation that did not deviate (docs/alerts.md#observe)
    observe: async (message: AlertMessage) => post({ type: 'alert', id, message: { ...message, observed: true } as AlertMessage }),
    // the reference's keyword form: send_message(AnalysisModule=…, timestamp=…, param={…})
    send_message: async (kw: { AnalysisModule: string; timestamp: number; param: AlertMessage['param'] }) =>
      post({ type: 'alert', id, message: { module: kw.AnalysisModule, timestamp: kw.timestamp, param: kw.param } }),
  };
  try {
    await instances.get(m.ruleIndex)!.analysis(history, alerts);
    post({ type: 'done', id });
  } catch (e) {
    post({ type: 'error', id, message: (e as Error)?.stack ?? String(e) });
  }
});
