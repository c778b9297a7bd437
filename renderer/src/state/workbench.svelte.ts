/**
 * The workbench's state: the open project, editor documents (the editor host's models, kept
 * outside Svelte's reactivity), the latest check and preview, and the actions the UI offers.
 * Components only read these fields and call methods. Built with its dependencies
 * (./deps.ts), never at import time: see docs/architecture.md#the-renderer.
 */
import type {
  AppInfo,
  CheckResult,
  Diagnostic,
  FunctionCatalog,
  PipelineSummary,
  PreviewResult,
  ProjectInfo,
  ProjectTrust,
  DirListing,
  TrustedFolder,
} from '../../../main/api/contract';
import type { EditorHost, Scheduler, Settings, StateDeps, TextModel, Transport } from './deps';
import { parseTimeZoneChoice, TIME_ZONE_SETTING, type TimeZoneChoice } from '../lib/time-zone';

/** why a run cannot start in restricted mode (the run buttons' tooltip) */
export const RESTRICTED_RUN = "Restricted mode: runs are off until you trust this folder (a run loads the config's modules and writes its outputs)";

export interface Tab {
  path: string;
  dirty: boolean;
}

interface Doc<M> {
  model: M;
  savedVersion: number;
  mtimeMs: number;
}

export interface Toast {
  kind: 'info' | 'error';
  text: string;
  at: number;
}

const PREVIEW_DEBOUNCE_MS = 250;
/** the setting naming the project open last (a reload reopens it) */
const LAST_PROJECT = 'ts-engine-last-project';
const AUTOSAVE_MS = 1500;

/** Why the project listeners are called: another project (or none), or the same one's trust changed. */
export type ProjectChange = 'opened' | 'closed' | 'trust';

export class Workbench<M extends TextModel = TextModel> {
  app = $state<AppInfo | null>(null);
  project = $state<ProjectInfo | null>(null);
  tabs = $state<Tab[]>([]);
  active = $state<string | null>(null);
  check = $state.raw<CheckResult | null>(null);
  preview = $state.raw<PreviewResult | null>(null);
  /** the preview shown is from an earlier, valid version of the config */
  previewStale = $state(false);
  previewBusy = $state(false);
  previewMs = $state<number | null>(null);
  /** why the back end ran no preview (restricted mode and a config that needs user modules) */
  previewRestricted = $state<string | null>(null);
  /** the trust banner is shown (it opens by itself for an untrusted folder until "Stay restricted") */
  trustBanner = $state(false);
  summary = $state.raw<PipelineSummary | undefined>(undefined);
  functions = $state.raw<FunctionCatalog | undefined>(undefined);
  toast = $state<Toast | null>(null);
  autosave = $state(true);
  /** the zone every time is shown in (docs/workbench.md#time-zone) */
  timeZone = $state<TimeZoneChoice>('utc');
  /** set to ask the editor to show a place */
  revealRequest = $state<{ path: string; line: number; column: number; seq: number } | null>(null);
  schemas: { config: object; dataStructure: object } | undefined;
  /** the folders the user trusted (the start screen lists them) */
  trustedFolders = $state.raw<TrustedFolder[]>([]);

  private docs = new Map<string, Doc<M>>();
  private previewTimer: unknown;
  private saveTimer: unknown;
  private previewSeq = 0;
  private revealSeq = 0;
  private readonly projectListeners = new Set<(p: ProjectInfo | null, change: ProjectChange) => void>();
  private readonly saveListeners = new Set<(paths: string[]) => void>();
  private readonly transport: Transport;
  private readonly scheduler: Scheduler;
  private readonly settings: Settings;
  private readonly editor: EditorHost<M>;

  constructor(deps: StateDeps<M>) {
    this.transport = deps.transport;
    this.scheduler = deps.scheduler;
    this.settings = deps.settings;
    this.editor = deps.editor;
    this.autosave = this.settings.get('ts-engine-autosave') !== 'off';
    this.timeZone = parseTimeZoneChoice(this.settings.get(TIME_ZONE_SETTING));
  }

  /** Calls `listener` after a project opened or closed, or its trust changed (the run state loads history); returns its removal. */
  onProject(listener: (p: ProjectInfo | null, change: ProjectChange) => void): () => void {
    this.projectListeners.add(listener);
    return () => this.projectListeners.delete(listener);
  }

  /** Calls `listener` with the files each save wrote (the config tests run when the config or its tests file is among them). */
  onSaved(listener: (paths: string[]) => void): () => void {
    this.saveListeners.add(listener);
    return () => this.saveListeners.delete(listener);
  }

  private projectChanged(p: ProjectInfo | null, change: ProjectChange): void {
    for (const l of [...this.projectListeners]) l(p, change);
  }

  get diagnostics(): Diagnostic[] {
    return this.check?.diagnostics ?? [];
  }
  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === 'error').length;
  }
  get dirtyCount(): number {
    return this.tabs.filter((t) => t.dirty).length;
  }
  /** the open project's folder is not trusted: nothing from it is loaded or run */
  get restricted(): boolean {
    return this.project !== null && !this.project.trust.trusted;
  }

  model(path: string): M | undefined {
    return this.docs.get(path)?.model;
  }

  notify(kind: Toast['kind'], text: string): void {
    this.toast = { kind, text, at: this.scheduler.now() };
  }

  async init(): Promise<void> {
    const [app, schemas, functions] = await Promise.all([
      this.transport.invoke('app.info', {}),
      this.transport.invoke('schema.get', {}),
      this.transport.invoke('functions.list', {}),
    ]);
    this.app = app;
    this.schemas = schemas;
    this.functions = functions;
    this.editor.setCompletion({ functions });
    // a reload reopens the project that was open (a recent project), else the one the app was started on
    const last = this.settings.get(LAST_PROJECT);
    if (last && app.recent.includes(last)) await this.openProject(last);
    else if (app.initialProject) await this.openProject(app.initialProject);
  }

  // ---- projects -----------------------------------------------------------

  async openProject(dir: string): Promise<void> {
    try {
      await this.setProject(await this.transport.invoke('project.open', { dir }));
    } catch (e) {
      this.notify('error', (e as Error).message);
    }
  }

  async fromSample(sample: string, dir: string): Promise<void> {
    try {
      await this.setProject(await this.transport.invoke('project.fromSample', { sample, dir }));
    } catch (e) {
      this.notify('error', (e as Error).message);
    }
  }

  closeProject(): void {
    for (const d of this.docs.values()) d.model.dispose();
    this.docs.clear();
    this.tabs = [];
    this.active = null;
    this.project = null;
    this.check = null;
    this.preview = null;
    this.previewRestricted = null;
    this.trustBanner = false;
    this.summary = undefined;
    this.settings.set(LAST_PROJECT, '');
    this.projectChanged(null, 'closed');
    void this.transport.invoke('app.info', {}).then((a) => (this.app = a));
  }

  // ---- workspace trust --------------------------------------------------------------

  /** Trusts the project's folder (or its parent folder): its modules load, previews and runs are allowed. */
  async trust(scope: 'folder' | 'parent'): Promise<void> {
    if (!this.project) return;
    try {
      this.setTrust(await this.transport.invoke('trust.set', { dir: this.project.dir, trusted: true, scope }));
      this.trustBanner = false;
      await this.trustChanged();
    } catch (e) {
      this.notify('error', `trust: ${(e as Error).message}`);
    }
  }

  /** Ends the trust that covers the project: back to restricted mode (a run of it stops). */
  async revokeTrust(): Promise<void> {
    if (!this.project) return;
    try {
      this.setTrust(await this.transport.invoke('trust.set', { dir: this.project.dir, trusted: false }));
      this.trustBanner = true;
      await this.trustChanged();
    } catch (e) {
      this.notify('error', `trust: ${(e as Error).message}`);
    }
  }

  async loadTrustedFolders(): Promise<void> {
    try {
      this.trustedFolders = await this.transport.invoke('trust.list', {});
    } catch (e) {
      this.notify('error', `trusted folders: ${(e as Error).message}`);
    }
  }

  async forgetTrust(folder: string): Promise<void> {
    try {
      this.trustedFolders = await this.transport.invoke('trust.forget', { path: folder });
    } catch (e) {
      this.notify('error', (e as Error).message);
    }
  }

  /** A folder's sub-folders, for the web-mode folder picker (rejects with the reason a folder cannot be listed). */
  listFolder(path: string): Promise<DirListing> {
    return this.transport.invoke('fs.listDir', { path });
  }

  private setTrust(t: ProjectTrust): void {
    if (this.project) this.project = { ...this.project, trust: t };
  }

  /** What depends on trust is asked for again: functions (extensions), history, the preview. */
  private async trustChanged(): Promise<void> {
    const p = this.project;
    if (!p) return;
    this.projectChanged(p, 'trust');
    this.loadFunctions(p.dir);
    await this.runPreview();
  }

  private loadFunctions(dir: string): void {
    this.transport
      .invoke('functions.list', { dir })
      .then((f) => {
        this.functions = f;
        this.editor.setCompletion({ functions: f });
      })
      .catch((e: Error) => this.notify('error', `functions: ${e.message}`));
  }

  /** Electron: the native folder dialog (null when cancelled); web mode: undefined (the caller shows the folder picker). */
  async pickNative(title: string, defaultPath?: string): Promise<string | null | undefined> {
    if (this.app?.mode !== 'electron') return undefined;
    try {
      return (await this.transport.invoke('dialog.pickFolder', { title, defaultPath })).path;
    } catch (e) {
      this.notify('error', (e as Error).message);
      return null;
    }
  }

  /** Shows a project the back end opened or made (its documents are opened afresh: save before). */
  async setProject(p: ProjectInfo): Promise<void> {
    for (const d of this.docs.values()) d.model.dispose();
    this.docs.clear();
    this.tabs = [];
    this.project = p;
    this.check = null;
    this.preview = null;
    this.previewRestricted = null;
    this.trustBanner = !p.trust.trusted;
    this.settings.set(LAST_PROJECT, p.dir);
    if (this.schemas) this.editor.configureSchemas(p.dir, p.configFile, p.dataStructureFile ?? null, this.schemas);
    if (p.dataStructureFile) await this.openFile(p.dataStructureFile, false);
    await this.openFile(p.configFile);
    this.projectChanged(p, 'opened');
    this.loadFunctions(p.dir);
    await this.runPreview();
  }

  async refreshFiles(): Promise<void> {
    if (!this.project) return;
    const p = await this.transport.invoke('project.open', { dir: this.project.dir });
    this.project = { ...this.project, files: p.files, configs: p.configs, dataStructureFile: p.dataStructureFile, dataFile: p.dataFile, trust: p.trust };
  }

  // ---- documents -------------------------------------------------------------

  async openFile(path: string, activate = true): Promise<void> {
    if (!this.project) return;
    if (!this.docs.has(path)) {
      const file = this.project.files.find((f) => f.path === path);
      if (file && file.kind === 'data' && file.size > 2_000_000) {
        this.notify('error', `${path} is ${(file.size / 1e6).toFixed(1)} MB: too big to open in the editor`);
        return;
      }
      const { text, mtimeMs } = await this.transport.invoke('file.read', { dir: this.project.dir, path });
      const model = this.editor.createModel({ dir: this.project.dir, path }, text);
      const doc: Doc<M> = { model, savedVersion: model.getAlternativeVersionId(), mtimeMs };
      this.docs.set(path, doc);
      model.onDidChangeContent(() => this.changed(path));
      this.tabs = [...this.tabs, { path, dirty: false }];
      if (this.check)
        this.editor.showDiagnostics(
          model,
          this.check.diagnostics.filter((d) => d.file === path),
        );
    }
    if (activate) this.active = path;
  }

  /** Forgets a document without saving it (its file was deleted or renamed). */
  discard(path: string): void {
    this.docs.get(path)?.model.dispose();
    this.docs.delete(path);
    const i = this.tabs.findIndex((t) => t.path === path);
    this.tabs = this.tabs.filter((t) => t.path !== path);
    if (this.active === path) this.active = this.tabs[Math.max(0, i - 1)]?.path ?? null;
  }

  closeTab(path: string): void {
    const doc = this.docs.get(path);
    // save() takes the text before its first await: the document may go at once
    if (doc && doc.model.getAlternativeVersionId() !== doc.savedVersion) void this.save([path]);
    this.discard(path);
  }

  private changed(path: string): void {
    const doc = this.docs.get(path)!;
    const dirty = doc.model.getAlternativeVersionId() !== doc.savedVersion;
    const tab = this.tabs.find((t) => t.path === path);
    if (tab && tab.dirty !== dirty) tab.dirty = dirty;
    this.schedulePreview();
    if (this.autosave) {
      this.scheduler.clearTimeout(this.saveTimer);
      this.saveTimer = this.scheduler.setTimeout(() => void this.save(), AUTOSAVE_MS);
    }
  }

  setTimeZone(tz: TimeZoneChoice): void {
    this.timeZone = tz;
    this.settings.set(TIME_ZONE_SETTING, tz);
  }

  setAutosave(on: boolean): void {
    this.autosave = on;
    this.settings.set('ts-engine-autosave', on ? 'on' : 'off');
    if (on) void this.save();
  }

  /** Writes dirty documents (all, or the given ones) to disk. */
  async save(paths?: string[]): Promise<void> {
    if (!this.project) return;
    this.scheduler.clearTimeout(this.saveTimer);
    const dir = this.project.dir;
    const todo = (paths ?? [...this.docs.keys()]).filter((p) => {
      const d = this.docs.get(p);
      return d && d.model.getAlternativeVersionId() !== d.savedVersion;
    });
    const written: string[] = [];
    for (const path of todo) {
      const doc = this.docs.get(path)!;
      const version = doc.model.getAlternativeVersionId();
      try {
        const { mtimeMs } = await this.transport.invoke('file.write', { dir, path, text: doc.model.getValue() });
        written.push(path);
        doc.savedVersion = version;
        doc.mtimeMs = mtimeMs;
        const tab = this.tabs.find((t) => t.path === path);
        if (tab) tab.dirty = doc.model.getAlternativeVersionId() !== doc.savedVersion;
      } catch (e) {
        this.notify('error', `saving ${path}: ${(e as Error).message}`);
      }
    }
    if (todo.length > 0 && !this.autosave) this.notify('info', `saved ${todo.join(', ')}`);
    if (written.length > 0) for (const l of [...this.saveListeners]) l(written);
  }

  /** The disk is the truth: clean documents follow changes made by other programs. */
  async reloadChangedOnDisk(): Promise<void> {
    if (!this.project) return;
    let changed = false;
    for (const [path, doc] of this.docs) {
      if (doc.model.getAlternativeVersionId() !== doc.savedVersion) continue;
      try {
        const f = await this.transport.invoke('file.read', { dir: this.project.dir, path });
        if (f.mtimeMs !== doc.mtimeMs && f.text !== doc.model.getValue()) {
          doc.model.setValue(f.text);
          doc.savedVersion = doc.model.getAlternativeVersionId();
          changed = true;
        }
        doc.mtimeMs = f.mtimeMs;
      } catch {
        /* deleted: keep the buffer */
      }
    }
    if (changed) {
      this.tabs = this.tabs.map((t) => ({ ...t, dirty: false }));
      await this.runPreview();
    }
  }

  /** Unsaved buffers, for checks and previews (and the connection panel's defaults). */
  unsaved(): Record<string, string> {
    return this.overlay();
  }

  private overlay(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [path, d] of this.docs) if (d.model.getAlternativeVersionId() !== d.savedVersion) o[path] = d.model.getValue();
    return o;
  }

  // ---- check + preview --------------------------------------------------------

  schedulePreview(): void {
    this.scheduler.clearTimeout(this.previewTimer);
    this.previewTimer = this.scheduler.setTimeout(() => void this.runPreview(), PREVIEW_DEBOUNCE_MS);
  }

  async runPreview(): Promise<void> {
    if (!this.project) return;
    this.scheduler.clearTimeout(this.previewTimer);
    const seq = ++this.previewSeq;
    this.previewBusy = true;
    try {
      const r = await this.transport.invoke('config.preview', { dir: this.project.dir, overlay: this.overlay(), maxRows: 1000 });
      if (seq !== this.previewSeq) return;
      this.check = r.check;
      this.setTrust(r.trust);
      this.previewRestricted = r.restricted ?? null;
      this.previewMs = r.elapsedMs;
      if (r.functions) {
        this.functions = r.functions;
        this.editor.setCompletion({ functions: r.functions });
      }
      if (r.check.summary) {
        this.summary = r.check.summary;
        this.editor.setCompletion({ summary: r.check.summary });
      }
      if (r.preview) {
        this.preview = r.preview;
        this.previewStale = false;
      } else if (r.restricted) {
        this.preview = null;
        this.previewStale = false;
      } else this.previewStale = this.preview !== null;
      for (const [path, d] of this.docs)
        this.editor.showDiagnostics(
          d.model,
          r.check.diagnostics.filter((x) => x.file === path),
        );
    } catch (e) {
      if (seq === this.previewSeq) this.notify('error', `preview: ${(e as Error).message}`);
    } finally {
      if (seq === this.previewSeq) this.previewBusy = false;
    }
  }

  async reveal(d: { file: string; line: number; column: number }): Promise<void> {
    await this.openFile(d.file);
    this.revealRequest = { path: d.file, line: d.line, column: d.column, seq: ++this.revealSeq };
  }
}
