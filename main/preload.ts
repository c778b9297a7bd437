/**
 * Preload (sandboxed, context-isolated): exposes exactly the contract to the
 * page as `window.tsEngine = { invoke(name, args), on(event, cb) }`. Nothing
 * else of Node or Electron reaches the renderer.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { EVENT_NAMES, HANDLER_NAMES, IPC } from './api/contract.js';

const handlerNames = new Set<string>(HANDLER_NAMES);
const eventNames = new Set<string>(EVENT_NAMES);

contextBridge.exposeInMainWorld('tsEngine', {
  invoke(name: string, args: unknown): Promise<unknown> {
    if (!handlerNames.has(name)) return Promise.resolve({ error: `unknown handler ${name}` });
    return ipcRenderer.invoke(IPC.handler(name as (typeof HANDLER_NAMES)[number]), args);
  },
  on(event: string, cb: (payload: unknown) => void): () => void {
    if (!eventNames.has(event)) throw new Error(`unknown event ${event}`);
    const listener = (_e: unknown, name: unknown, payload: unknown) => {
      if (name === event) cb(payload);
    };
    ipcRenderer.on(IPC.event, listener);
    return () => ipcRenderer.removeListener(IPC.event, listener);
  },
});
