/**
 * The workbench's state: the open project, editor documents (Monaco models,
 * kept outside Svelte's reactivity), the latest check and preview, and the
 * actions the UI offers. Components only read these fields and call methods.
 */
import { invoke } from '../lib/api';
import { applyDiagnostics, completionContext, configureSchemas, languageOf, monaco } from '../lib/monaco';
import type {
  AppInfo,
  CheckResult,
  Diagnostic,
  ExportResult,
  FunctionCatalog,
  PipelineSummary,
  PreviewResult,
  ProjectInfo,
  ProjectTrust,
} from '../../../main/api/contract';

export interface Tab {
  path: string;
  dirty: boolean;
}

interface Doc {
  model: monaco.editor.ITextModel;
  savedVersion: number;
  mtimeMs: number;
}

export interface Toast {
  kind: 'info' | 'error';
  text: string;
  at: number;
}

const PREVIEW_DEBOUNCE_MS = 250;
const AUTOSAVE_MS = 1500;

export class Workbench {
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
  autosave = $state(localStorage.getItem('ts-engine-autosave') !== 'off');
  /** set to ask the editor to show a place */
  revealRequest = $state<{ path: string; line: number; column: number; seq: number } | null>(null);
  schemas: { config: object; dataStructure: object } | undefined;

  private docs = new Map<string, Doc>();
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private previewSeq = 0;
  private revealSeq = 0;
  /** called after a project opens (the run state loads history) */
  onProjectOpened: ((p: ProjectInfo) => void) | undefined;

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

  model(path: string): monaco.editor.ITextModel | undefined {
    return this.docs.get(path)?.model;
  }

  notify(kind: Toast['kind'], text: string): void {
    this.toast = { kind, text, at: Date.now() };
  }

  async init(): Promise<void> {
    const [app, schemas, functions] = await Promise.all([invoke('app.info', {}), invoke('schema.get', {}), invoke('functions.list', {})]);
    this.app = app;
    this.schemas = schemas;
    this.functions = functions;
    completionContext.functions = functions;
    window.addEventListener('focus', () => void this.reloadChangedOnDisk());
    if (app.initialProject) await this.openProject(app.initialProject);
  }

  // ---- projects -----------------------------------------------------------

  async openProject(dir: string): Promise<void> {
    try {
      this.setProject(await invoke('project.open', { dir }));
    } catch (e) {
      this.notify('error', (e as Error).message);
    }
  }

  async fromSample(sample: string, dir: string): Promise<void> {
    try {
      this.setProject(await invoke('project.fromSample', { sample, dir }));
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
    void invoke('app.info', {}).then((a) => (this.app = a));
  }

  // ---- workspace trust --------------------------------------------------------------

  /** Trusts the project's folder (or its parent folder): its modules load, previews and runs are allowed. */
  async trust(scope: 'folder' | 'parent'): Promise<void> {
    if (!this.project) return;
    try {
      this.setTrust(await invoke('trust.set', { dir: this.project.dir, trusted: true, scope }));
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
      this.setTrust(await invoke('trust.set', { dir: this.project.dir, trusted: false }));
      this.trustBanner = true;
      await this.trustChanged();
    } catch (e) {
      this.notify('error', `trust: ${(e as Error).message}`);
    }
  }

  private setTrust(t: ProjectTrust): void {
    if (this.project) this.project = { ...this.project, trust: t };
  }

  /** What depends on trust is asked for again: functions (extensions), history, the preview. */
  private async trustChanged(): Promise<void> {
    const p = this.project;
    if (!p) return;
    this.onProjectOpened?.(p);
    this.loadFunctions(p.dir);
    await this.runPreview();
  }

  private loadFunctions(dir: string): void {
    invoke('functions.list', { dir })
      .then((f) => {
        this.functions = f;
        completionContext.functions = f;
      })
      .catch((e: Error) => this.notify('error', `functions: ${e.message}`));
  }

  /** Electron: the native folder dialog (null when cancelled); web mode: undefined (the caller shows the folder picker). */
  async pickNative(title: string, defaultPath?: string): Promise<string | null | undefined> {
    if (this.app?.mode !== 'electron') return undefined;
    try {
      return (await invoke('dialog.pickFolder', { title, defaultPath })).path;
    } catch (e) {
      this.notify('error', (e as Error).message);
      return null;
    }
  }

  private uriOf(path: string): monaco.Uri {
    return monaco.Uri.file(`${this.project!.dir}/${path}`);
  }

  private async setProject(p: ProjectInfo): Promise<void> {
    for (const d of this.docs.values()) d.model.dispose();
    this.docs.clear();
    this.tabs = [];
    this.project = p;
    this.check = null;
    this.preview = null;
    this.previewRestricted = null;
    this.trustBanner = !p.trust.trusted;
    configureSchemas(this.uriOf(p.configFile).toString(), p.dataStructureFile ? this.uriOf(p.dataStructureFile).toString() : null, this.schemas!);
    if (p.dataStructureFile) await this.openFile(p.dataStructureFile, false);
    await this.openFile(p.configFile);
    this.onProjectOpened?.(p);
    this.loadFunctions(p.dir);
    await this.runPreview();
  }

  async refreshFiles(): Promise<void> {
    if (!this.project) return;
    const p = await invoke('project.open', { dir: this.project.dir });
    this.project = { ...this.project, files: p.files, dataStructureFile: p.dataStructureFile, dataFile: p.dataFile, trust: p.trust };
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
      const { text, mtimeMs } = await invoke('file.read', { dir: this.project.dir, path });
      const model = monaco.editor.createModel(text, languageOf(path), this.uriOf(path));
      const doc: Doc = { model, savedVersion: model.getAlternativeVersionId(), mtimeMs };
      this.docs.set(path, doc);
      model.onDidChangeContent(() => this.changed(path));
      this.tabs = [...this.tabs, { path, dirty: false }];
      if (this.check)
        applyDiagnostics(
          model,
          this.check.diagnostics.filter((d) => d.file === path),
        );
    }
    if (activate) this.active = path;
  }

  closeTab(path: string): void {
    const doc = this.docs.get(path);
    if (doc && doc.model.getAlternativeVersionId() !== doc.savedVersion) void this.save([path]);
    doc?.model.dispose();
    this.docs.delete(path);
    const i = this.tabs.findIndex((t) => t.path === path);
    this.tabs = this.tabs.filter((t) => t.path !== path);
    if (this.active === path) this.active = this.tabs[Math.max(0, i - 1)]?.path ?? null;
  }

  private changed(path: string): void {
    const doc = this.docs.get(path)!;
    const dirty = doc.model.getAlternativeVersionId() !== doc.savedVersion;
    const tab = this.tabs.find((t) => t.path === path);
    if (tab && tab.dirty !== dirty) tab.dirty = dirty;
    this.schedulePreview();
    if (this.autosave) {
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => void this.save(), AUTOSAVE_MS);
    }
  }

  setAutosave(on: boolean): void {
    this.autosave = on;
    localStorage.setItem('ts-engine-autosave', on ? 'on' : 'off');
    if (on) void this.save();
  }

  /** Writes dirty documents (all, or the given ones) to disk. */
  async save(paths?: string[]): Promise<void> {
    if (!this.project) return;
    clearTimeout(this.saveTimer);
    const dir = this.project.dir;
    const todo = (paths ?? [...this.docs.keys()]).filter((p) => {
      const d = this.docs.get(p);
      return d && d.model.getAlternativeVersionId() !== d.savedVersion;
    });
    for (const path of todo) {
      const doc = this.docs.get(path)!;
      const version = doc.model.getAlternativeVersionId();
      try {
        const { mtimeMs } = await invoke('file.write', { dir, path, text: doc.model.getValue() });
        doc.savedVersion = version;
        doc.mtimeMs = mtimeMs;
        const tab = this.tabs.find((t) => t.path === path);
        if (tab) tab.dirty = doc.model.getAlternativeVersionId() !== doc.savedVersion;
      } catch (e) {
        this.notify('error', `saving ${path}: ${(e as Error).message}`);
      }
    }
    if (todo.length > 0 && !this.autosave) this.notify('info', `saved ${todo.join(', ')}`);
  }

  /** The disk is the truth: clean documents follow changes made by other programs. */
  private async reloadChangedOnDisk(): Promise<void> {
    if (!this.project) return;
    let changed = false;
    for (const [path, doc] of this.docs) {
      if (doc.model.getAlternativeVersionId() !== doc.savedVersion) continue;
      try {
        const f = await invoke('file.read', { dir: this.project.dir, path });
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
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => void this.runPreview(), PREVIEW_DEBOUNCE_MS);
  }

  async runPreview(): Promise<void> {
    if (!this.project) return;
    clearTimeout(this.previewTimer);
    const seq = ++this.previewSeq;
    this.previewBusy = true;
    try {
      const r = await invoke('config.preview', { dir: this.project.dir, overlay: this.overlay(), maxRows: 1000 });
      if (seq !== this.previewSeq) return;
      this.check = r.check;
      this.setTrust(r.trust);
      this.previewRestricted = r.restricted ?? null;
      this.previewMs = r.elapsedMs;
      if (r.check.summary) {
        this.summary = r.check.summary;
        completionContext.summary = r.check.summary;
      }
      if (r.preview) {
        this.preview = r.preview;
        this.previewStale = false;
      } else if (r.restricted) {
        this.preview = null;
        this.previewStale = false;
      } else this.previewStale = this.preview !== null;
      for (const [path, d] of this.docs)
        applyDiagnostics(
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

  // ---- export -------------------------------------------------------------------

  async exportTo(outDir: string): Promise<ExportResult | undefined> {
    if (!this.project) return undefined;
    await this.save();
    try {
      return await invoke('export.write', { dir: this.project.dir, outDir });
    } catch (e) {
      this.notify('error', `export: ${(e as Error).message}`);
      return undefined;
    }
  }
}

export const wb = new Workbench();
