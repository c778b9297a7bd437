/**
 * The small part of Electron's API the main process and preload use. Electron is
 * an optionalDependency whose binary (and so its package) may be absent where
 * the project is type-checked; this keeps `tsc` working there. Ambient module
 * declarations take precedence, so keep these signatures faithful to Electron's.
 */
declare module 'electron' {
  interface IpcMainInvokeEvent {
    senderFrame: { url: string } | null;
  }
  interface WebContents {
    send(channel: string, ...args: unknown[]): void;
    on(event: 'will-navigate', listener: (e: { preventDefault(): void }, url: string) => void): this;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
    isDestroyed(): boolean;
  }
  class BrowserWindow {
    constructor(options: {
      width?: number;
      height?: number;
      show?: boolean;
      title?: string;
      backgroundColor?: string;
      autoHideMenuBar?: boolean;
      webPreferences?: {
        preload?: string;
        contextIsolation?: boolean;
        nodeIntegration?: boolean;
        sandbox?: boolean;
        webSecurity?: boolean;
        spellcheck?: boolean;
      };
    });
    static getAllWindows(): BrowserWindow[];
    webContents: WebContents;
    loadURL(url: string): Promise<void>;
    loadFile(file: string): Promise<void>;
    once(event: 'ready-to-show', listener: () => void): this;
    on(event: 'closed', listener: () => void): this;
    show(): void;
    isDestroyed(): boolean;
  }
  const app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'activate' | 'before-quit', listener: () => void): void;
    quit(): void;
    getPath(name: 'userData' | 'home' | 'documents'): string;
    isPackaged: boolean;
  };
  const ipcMain: {
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  };
  const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
  };
  const contextBridge: {
    exposeInMainWorld(key: string, api: unknown): void;
  };
  const session: {
    defaultSession: {
      webRequest: {
        onHeadersReceived(
          listener: (details: { responseHeaders?: Record<string, string[]> }, callback: (r: { responseHeaders?: Record<string, string[]> }) => void) => void,
        ): void;
      };
      setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
    };
  };
  const shell: {
    openExternal(url: string): Promise<void>;
  };
  interface OpenDialogOptions {
    title?: string;
    defaultPath?: string;
    properties?: ('openFile' | 'openDirectory' | 'multiSelections' | 'showHiddenFiles' | 'createDirectory')[];
  }
  const dialog: {
    showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
    showOpenDialog(options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
  };
  export { app, BrowserWindow, dialog, ipcMain, ipcRenderer, contextBridge, session, shell, IpcMainInvokeEvent, OpenDialogOptions, WebContents };
}
