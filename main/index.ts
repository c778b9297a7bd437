/**
 * Electron main process: one window (context isolation, no Node integration,
 * sandboxed renderer, strict CSP) and one IPC handler per contract name, each
 * forwarding to the same handler map the web-mode server serves
 * (main/api/handlers.ts, tested under plain Node). The handlers run in a plain
 * Node child process (main/api-host.ts): the engine's native module
 * (better-sqlite3) is built for Node by `npm install`, not for Electron.
 * Nothing else lives here.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { HANDLER_NAMES, IPC, type Events } from './api/contract.js';
import { appRoot, rendererDir } from './paths.js';
import { contentSecurityPolicyElectron } from './csp.js';
import { startApiHost } from './host-process.js';

const devUrl = process.env.ELECTRON_RENDERER_URL;
let win: BrowserWindow | undefined;

const handlers = startApiHost(process.argv.slice(1), <E extends keyof Events>(event: E, payload: Events[E]) => {
  if (win && !win.isDestroyed()) win.webContents.send(IPC.event, event, payload);
});

/** Only our own page may call the API (and the window may only show it). */
const ownPage = pathToFileURL(rendererDir()).href + '/';
const trusted = (url: string | undefined) => !!url && (url.startsWith(ownPage) || (!!devUrl && url.startsWith(devUrl)));

/**
 * The native folder dialog: what the user picks there may then be used by the handlers (a grant
 * only this process can give; the renderer reaches the engine host through contract names only).
 */
async function pickFolder(args: unknown): Promise<{ path: string | null }> {
  const a = (args ?? {}) as { title?: unknown; defaultPath?: unknown };
  const options = {
    title: typeof a.title === 'string' ? a.title : 'Choose a folder',
    defaultPath: typeof a.defaultPath === 'string' ? a.defaultPath : undefined,
    properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[],
  };
  const r = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  const picked = r.canceled ? undefined : r.filePaths[0];
  if (!picked) return { path: null };
  await handlers.grantFolder(picked);
  return { path: picked };
}

for (const name of HANDLER_NAMES) {
  ipcMain.handle(IPC.handler(name), async (event, args) => {
    if (!trusted(event.senderFrame?.url)) return { error: 'untrusted sender' };
    try {
      const result = name === 'dialog.pickFolder' ? await pickFolder(args) : await (handlers[name] as (a: unknown) => Promise<unknown>)(args ?? {});
      return { result: result ?? null };
    } catch (e) {
      return { error: (e as Error).message };
    }
  });
}

function createWindow(): void {
  win = new BrowserWindow({
    width: 1440,
    height: 900,
    show: false,
    title: 'ts-engine workbench',
    autoHideMenuBar: true,
    webPreferences: {
      preload: path.join(appRoot(), 'out/preload/preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win?.show());
  win.webContents.on('will-navigate', (e, url) => {
    if (!trusted(url)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(path.join(rendererDir(), 'index.html'));
}

app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicyElectron(!!devUrl)] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  void handlers.dispose().finally(() => app.quit());
});
