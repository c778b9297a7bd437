// The Electron main process and preload cannot run here (no Electron binary), so they are loaded
// under Node with a stand-in `electron` module: this checks the window's security settings, the
// CSP, that every contract name is served over IPC, and that the preload exposes only the contract.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENT_NAMES, HANDLER_NAMES, IPC } from '../../../main/api/contract.js';

const root = path.resolve(import.meta.dirname, '../../..');
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-electron-'));

const fake = vi.hoisted(() => {
  const handlers = new Map<string, (e: unknown, ...a: unknown[]) => unknown>();
  const windows: { options: any; loaded?: string; listeners: Map<string, (...a: any[]) => void>; openHandler?: (d: { url: string }) => unknown }[] = [];
  const exposed: Record<string, any> = {};
  const rendererInvokes: unknown[][] = [];
  let headersListener: ((d: any, cb: (r: any) => void) => void) | undefined;
  /** what the stand-in native folder dialog answers next */
  const dialogAnswers: { canceled: boolean; filePaths: string[] }[] = [];
  const dialogCalls: unknown[][] = [];
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => (readyResolve = r));
  class BrowserWindow {
    webContents: any;
    constructor(options: any) {
      const w = { options, listeners: new Map<string, (...a: any[]) => void>() } as (typeof windows)[number];
      windows.push(w);
      this.webContents = {
        send: vi.fn(),
        on: (ev: string, l: (...a: any[]) => void) => w.listeners.set(ev, l),
        setWindowOpenHandler: (h: (d: { url: string }) => unknown) => (w.openHandler = h),
        isDestroyed: () => false,
      };
      (this as any).loadFile = async (f: string) => void (w.loaded = f);
      (this as any).loadURL = async (u: string) => void (w.loaded = u);
    }
    static getAllWindows() {
      return windows;
    }
    once() {
      return this;
    }
    on() {
      return this;
    }
    show() {}
    isDestroyed() {
      return false;
    }
  }
  return {
    handlers,
    windows,
    exposed,
    dialogAnswers,
    dialogCalls,
    rendererInvokes,
    ready,
    getHeadersListener: () => headersListener,
    module: {
      app: { whenReady: () => ready, on: vi.fn(), quit: vi.fn(), getPath: () => '/tmp', isPackaged: false },
      BrowserWindow,
      ipcMain: { handle: (ch: string, l: (e: unknown, ...a: unknown[]) => unknown) => handlers.set(ch, l) },
      ipcRenderer: {
        invoke: async (...a: unknown[]) => {
          rendererInvokes.push(a);
          return { result: 'ok' };
        },
        on: vi.fn(),
        removeListener: vi.fn(),
      },
      contextBridge: { exposeInMainWorld: (k: string, api: unknown) => (exposed[k] = api) },
      session: {
        defaultSession: {
          webRequest: { onHeadersReceived: (l: any) => (headersListener = l) },
          setPermissionRequestHandler: vi.fn(),
        },
      },
      shell: { openExternal: vi.fn(async () => {}) },
      dialog: {
        showOpenDialog: async (...a: unknown[]) => {
          dialogCalls.push(a);
          return dialogAnswers.shift() ?? { canceled: true, filePaths: [] };
        },
      },
    },
    start: () => readyResolve(),
  };
});

vi.mock('electron', () => fake.module);
// the engine host runs in this process, behind the same message channel the real child process uses
vi.mock('../../../main/host-process.js', async () => {
  const { createHandlers } = await import('../../../main/api/handlers.js');
  const { serveHandlers, remoteHandlers } = await import('../../../main/api/host.js');
  const { samplesDir } = await import('../../../main/paths.js');
  type Msg = import('../../../main/api/host.js').HostMessage;
  return {
    startApiHost: (_argv: string[], onEvent: (e: never, p: never) => void) => {
      const toHost: ((m: Msg) => void)[] = [];
      const toMain: ((m: Msg) => void)[] = [];
      const clone = (m: Msg) => JSON.parse(JSON.stringify(m)) as Msg;
      const handlers = createHandlers({
        mode: 'electron',
        samplesDir: samplesDir(),
        stateDir: process.env.TS_ENGINE_STATE_DIR!,
        // what typed paths may name without a dialog (stands for the home folder)
        pickRoots: [path.join(process.env.TS_ENGINE_STATE_DIR!, 'home')],
        emit: (event, payload) => toMain.forEach((f) => f(clone({ type: 'event', event, payload }))),
      });
      serveHandlers(handlers, { send: (m) => setImmediate(() => toMain.forEach((f) => f(clone(m)))), onMessage: (cb) => toHost.push(cb) });
      const remote = remoteHandlers(
        { send: (m) => setImmediate(() => toHost.forEach((f) => f(clone(m)))), onMessage: (cb) => toMain.push(cb) },
        onEvent as never,
      );
      return Object.assign(remote, { dispose: () => handlers.dispose() });
    },
  };
});

beforeAll(async () => {
  process.env.TS_ENGINE_STATE_DIR = state;
  await import('../../../main/index.js');
  await import('../../../main/preload.js');
  fake.start();
  await new Promise((r) => setTimeout(r, 20));
});
afterAll(() => {
  delete process.env.TS_ENGINE_STATE_DIR;
  fs.rmSync(state, { recursive: true, force: true });
});

describe('Electron main process (with a stand-in electron module)', () => {
  it('opens one window: context isolation, sandbox, no Node integration, our preload, the built renderer', () => {
    expect(fake.windows).toHaveLength(1);
    const w = fake.windows[0]!;
    expect(w.options.webPreferences).toMatchObject({ contextIsolation: true, nodeIntegration: false, sandbox: true, webSecurity: true });
    expect(w.options.webPreferences.preload).toMatch(/out[\\/]preload[\\/]preload\.cjs$/);
    expect(w.loaded).toBe(path.join(root, 'out/renderer/index.html'));
  });

  it('sets a strict Content-Security-Policy on every response', () => {
    let headers: any;
    fake.getHeadersListener()!({ responseHeaders: { a: ['b'] } }, (r) => (headers = r.responseHeaders));
    const csp = headers['Content-Security-Policy'][0] as string;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("object-src 'none'");
    expect(headers.a).toEqual(['b']);
  });

  it('blocks navigation away and new windows (external links go to the browser)', () => {
    const w = fake.windows[0]!;
    const prevent = vi.fn();
    w.listeners.get('will-navigate')!({ preventDefault: prevent }, 'https://example.com/');
    expect(prevent).toHaveBeenCalled();
    expect(w.openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(fake.module.shell.openExternal).toHaveBeenCalledWith('https://example.com/');
  });

  it('serves every contract handler over IPC, only to its own page, errors as {error}', async () => {
    expect([...fake.handlers.keys()].sort()).toEqual(HANDLER_NAMES.map((n) => IPC.handler(n)).sort());
    const page = { senderFrame: { url: `file://${root}/out/renderer/index.html` } };
    const info = (await fake.handlers.get('api:app.info')!(page, {})) as { result: { mode: string; samples: { name: string }[] } };
    expect(info.result.mode).toBe('electron');
    expect(info.result.samples.map((s) => s.name)).toContain('sensors');
    expect(await fake.handlers.get('api:run.pause')!(page, {})).toEqual({ error: 'no run in progress' });
    expect(await fake.handlers.get('api:app.info')!({ senderFrame: { url: 'https://evil.example/' } }, {})).toEqual({ error: 'untrusted sender' });
    expect(await fake.handlers.get('api:app.info')!({ senderFrame: { url: 'file:///tmp/other.html' } }, {})).toEqual({ error: 'untrusted sender' });
  });
});

describe('the native folder dialog (Electron main process)', () => {
  const page = { senderFrame: { url: `file://${root}/out/renderer/index.html` } };
  const call = (name: string, args: unknown) => fake.handlers.get(`api:${name}`)!(page, args) as Promise<{ result?: any; error?: string }>;

  it('grants the folder picked there: it may then be opened; a folder typed in without a pick may not', async () => {
    const picked = path.join(state, 'picked');
    const notPicked = path.join(state, 'not-picked');
    for (const d of [picked, notPicked]) fs.cpSync(path.join(root, 'samples/sensors'), d, { recursive: true, filter: (s) => !/\.db(-wal|-shm)?$/.test(s) });
    expect((await call('project.open', { dir: notPicked })).error).toMatch(/outside the folders the workbench may use for opening a project/);

    fake.dialogAnswers.push({ canceled: false, filePaths: [picked] });
    expect(await call('dialog.pickFolder', { title: 'Open a project folder' })).toEqual({ result: { path: picked } });
    expect(fake.dialogCalls.at(-1)![1]).toMatchObject({ title: 'Open a project folder', properties: ['openDirectory', 'createDirectory'] });
    expect((await call('project.open', { dir: picked })).result.dir).toBe(fs.realpathSync(picked));
    expect((await call('project.open', { dir: notPicked })).error).toMatch(/outside the folders/);

    // cancelled: nothing granted
    expect(await call('dialog.pickFolder', {})).toEqual({ result: { path: null } });
    expect((await call('project.open', { dir: notPicked })).error).toMatch(/outside the folders/);
  });
});

describe('preload', () => {
  it('exposes only invoke(name, args) and on(event, cb) for contract names', async () => {
    const api = fake.exposed.tsEngine;
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(await api.invoke('config.check', { dir: '/x' })).toEqual({ result: 'ok' });
    expect(fake.rendererInvokes.at(-1)).toEqual(['api:config.check', { dir: '/x' }]);
    expect(await api.invoke('fs.rmrf', {})).toEqual({ error: 'unknown handler fs.rmrf' });
    expect(fake.rendererInvokes).toHaveLength(1);
    for (const e of EVENT_NAMES) expect(typeof api.on(e, () => {})).toBe('function');
    expect(() => api.on('shell.exec', () => {})).toThrow(/unknown event/);
  });
});
