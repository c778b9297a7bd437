// The Electron app's engine side (main/api-host.ts) as the real child process: bundled with esbuild,
// forked under this Node, driven through remoteHandlers over the fork IPC channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { remoteHandlers, type HostMessage } from '../../../main/api/host.js';
import type { Events, Handlers } from '../../../main/api/contract.js';

const root = path.resolve(import.meta.dirname, '../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-host-'));
// inside the package, so the bundle resolves node_modules and finds the package root
const bundle = path.join(root, 'out', `test-api-host-${process.pid}.mjs`);
let child: ChildProcess;
let api: Handlers;
const events: { event: keyof Events; payload: unknown }[] = [];

beforeAll(async () => {
  await build({
    entryPoints: [path.join(root, 'main/api-host.ts')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  const project = path.join(tmp, 'sensors');
  fs.cpSync(path.join(root, 'samples/sensors'), project, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
  child = fork(bundle, ['--project', project, '--trust'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TS_ENGINE_STATE_DIR: path.join(tmp, 'state') },
  });
  api = remoteHandlers({ send: (m) => child.send(m), onMessage: (cb) => child.on('message', (m) => cb(m as HostMessage)) }, (event, payload) =>
    events.push({ event, payload }),
  );
});
afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    await exited;
  }
  fs.rmSync(bundle, { force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the engine host process of the Electron app', () => {
  it('answers handler calls and reports handler errors', async () => {
    const info = await api['app.info']({});
    expect(info.mode).toBe('electron');
    expect(info.initialProject).toBe(path.join(tmp, 'sensors'));
    await expect(api['run.pause']({})).rejects.toThrow('no run in progress');
  });

  it('streams run events back', async () => {
    const info = await api['project.open']({ dir: path.join(tmp, 'sensors') });
    // --trust on the command line: the user vouched for the folder
    expect(info.trust.trusted).toBe(true);
    await api['run.start']({ dir: path.join(tmp, 'sensors'), speed: 0 });
    await expect.poll(() => events.some((e) => e.event === 'run.finished'), { timeout: 30_000 }).toBe(true);
    const batches = events.filter((e) => e.event === 'run.windows').map((e) => e.payload as Events['run.windows']);
    expect(batches.at(-1)!.total).toBe(90);
    const views = events.filter((e) => e.event === 'run.chart').map((e) => (e.payload as Events['run.chart']).view);
    expect(views.at(-1)!.windows).toBe(90);
  });

  it('exits when the main process disconnects', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.disconnect();
    expect(await exited).toBe(0);
  });
});
