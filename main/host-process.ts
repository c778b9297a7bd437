/** Forks the engine host (out/main/api-host.js) under plain Node and returns its handler map. */
import { fork } from 'node:child_process';
import path from 'node:path';
import type { Events, Handlers } from './api/contract.js';
import { remoteHandlers, type Grants, type HostMessage } from './api/host.js';
import { appRoot } from './paths.js';

export function startApiHost(
  argv: string[],
  onEvent: <E extends keyof Events>(event: E, payload: Events[E]) => void,
): Handlers & Grants & { dispose(): Promise<void> } {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = fork(path.join(appRoot(), 'out/main/api-host.js'), argv, {
    // the Node that ran `npm install` (native modules match it); TS_ENGINE_NODE overrides
    execPath: process.env.TS_ENGINE_NODE || 'node',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env,
  });
  const handlers = remoteHandlers({ send: (m) => child.send(m), onMessage: (cb) => child.on('message', (m) => cb(m as HostMessage)) }, onEvent);
  return Object.assign(handlers, {
    async dispose() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill();
    },
  });
}
